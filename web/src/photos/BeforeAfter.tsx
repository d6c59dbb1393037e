// 整改前 / 整改后 of a site check side by side: the n-th photo before beside the n-th after,
// so the same problem is seen in both states at a glance.

import { useState } from "react";

import type { PhotoRef } from "../generated/records";
import { text } from "../domain/scalar";
import { usePhotoQueue } from "./hooks";
import { usePhotoT } from "./messages";
import { PhotoThumb } from "./PhotoThumb";
import { PhotoViewer } from "./PhotoViewer";
import "./photos.css";

export interface BeforeAfterProps {
  before: readonly PhotoRef[];
  after: readonly PhotoRef[];
}

export default function BeforeAfter({ before, after }: BeforeAfterProps) {
  const t = usePhotoT();
  const queue = usePhotoQueue();
  const [open, setOpen] = useState<number | null>(null);
  const all = [...before, ...after];
  if (all.length === 0) return null;
  const rows = Math.max(before.length, after.length);
  const cell = (photo: PhotoRef | undefined, index: number) =>
    photo ? <PhotoThumb photo={photo} queue={queue} onOpen={() => setOpen(index)} /> : <span className="photo-empty" />;
  return (
    <div className="photo-pairs" data-testid="photo-pairs">
      <div className="photo-pair photo-pair-head">
        <span>{t("photo.before")}</span>
        <span>{t("photo.after")}</span>
      </div>
      {Array.from({ length: rows }, (_, i) => (
        <div className="photo-pair" key={`${text(before[i]?.sha256)}-${text(after[i]?.sha256)}-${i}`} data-testid="photo-pair">
          {cell(before[i], i)}
          {cell(after[i], before.length + i)}
        </div>
      ))}
      {open !== null ? <PhotoViewer photos={all} index={open} queue={queue} onIndex={setOpen} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}
