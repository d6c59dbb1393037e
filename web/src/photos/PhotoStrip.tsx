// Photos of one entry as a row of thumbnails; tapping one opens the viewer. Used in the
// timeline, findings, visits and forms (with a remove button before the entry is saved).

import { useState } from "react";

import type { PhotoRef } from "../generated/records";
import { text } from "../domain/scalar";
import { usePhotoQueue } from "./hooks";
import { PhotoThumb } from "./PhotoThumb";
import { PhotoViewer } from "./PhotoViewer";
import "./photos.css";

export interface PhotoStripProps {
  photos: readonly PhotoRef[];
  /** Offered in forms: takes a photo back before the entry is saved. */
  onRemove?: (sha256: string) => void;
}

export default function PhotoStrip({ photos, onRemove }: PhotoStripProps) {
  const queue = usePhotoQueue();
  const [open, setOpen] = useState<number | null>(null);
  if (photos.length === 0) return null;
  return (
    <div className="photo-strip" data-testid="photo-strip">
      {photos.map((photo, i) => (
        <PhotoThumb
          key={text(photo.sha256)}
          photo={photo}
          queue={queue}
          onOpen={() => setOpen(i)}
          onRemove={onRemove ? () => onRemove(text(photo.sha256)) : undefined}
        />
      ))}
      {open !== null ? <PhotoViewer photos={[...photos]} index={open} queue={queue} onIndex={setOpen} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}
