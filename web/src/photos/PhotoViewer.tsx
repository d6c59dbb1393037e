// A photo full screen with what makes it evidence: when it was taken (EXIF or capture time, in
// Asia/Shanghai), where (with the accuracy, and a warning when it is exactly 0, as mocked
// locations report), and who added it. The whole photo comes from the phone while it waits
// there, else from the server; until it arrives the thumbnail stands in. A photo removed from
// this phone without reaching the server says so.

import { useEffect, useState } from "react";
import { createPortal } from "react-dom";

import type { PhotoRef } from "../generated/records";
import { text, val } from "../domain/scalar";
import { isoDateTime } from "../domain/time";
import { useDirectory } from "../app/context";
import { personName } from "../sync/directory";
import { useRemoved, useThumbnail } from "./hooks";
import { fullPhoto, type Picture } from "./images";
import { usePhotoT, type PhotoT } from "./messages";
import type { PhotoQueue } from "./queue";

interface Props {
  photos: PhotoRef[];
  index: number;
  queue: PhotoQueue | null;
  onIndex: (index: number) => void;
  onClose: () => void;
}

/** `YYYY-MM-DD HH:mm:ss` in Shanghai: evidence wants the seconds the camera wrote. */
export function takenText(ms: number): string {
  const seconds = Math.floor((((ms / 1000) % 60) + 60) % 60);
  return `${isoDateTime(ms)}:${String(seconds).padStart(2, "0")}`;
}

export function placeText(t: PhotoT, geo: PhotoRef["geo"]): string {
  if (!geo) return t("photo.no_place");
  const where = `${geo.lat.toFixed(6)}, ${geo.lng.toFixed(6)}`;
  if (geo.accuracy === 0) return `${where} · ${t("photo.mocked")}`;
  if (geo.accuracy < 0) return `${where} · ${t("photo.accuracy_unknown")}`;
  return `${where} · ${t("photo.accuracy", { m: Math.round(geo.accuracy * 10) / 10 })}`;
}

/** The whole photo, released when no longer shown. */
function useFullPhoto(queue: PhotoQueue | null, sha256: string, mime: string): Picture | null {
  const [result, setResult] = useState<{ sha256: string; picture: Picture } | null>(null);
  useEffect(() => {
    if (!queue) return;
    let live = true;
    let url: string | null = null;
    void fullPhoto(queue.store, sha256, mime).then((picture) => {
      if (picture.kind === "url") url = picture.url;
      if (live) setResult({ sha256, picture });
      else if (url) URL.revokeObjectURL(url);
    });
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [queue, sha256, mime]);
  return result?.sha256 === sha256 ? result.picture : null;
}

export function PhotoViewer({ photos, index, queue, onIndex, onClose }: Props) {
  const t = usePhotoT();
  const dir = useDirectory();
  const photo = photos[index];
  const sha256 = photo ? text(photo.sha256) : "";
  const mime = photo ? text(photo.mime) : "";
  const thumb = useThumbnail(queue, sha256, mime);
  const full = useFullPhoto(queue, sha256, mime);
  const removed = useRemoved(queue).has(sha256);

  useEffect(() => {
    const keys = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", keys);
    return () => window.removeEventListener("keydown", keys);
  }, [onClose]);

  if (!photo) return null;
  const shown = full?.kind === "url" ? full : thumb.kind === "url" ? thumb : null;
  const caption = val(photo.caption);
  return createPortal(
    <div className="photo-viewer" role="dialog" aria-modal="true" data-testid="photo-viewer" data-sha256={sha256}>
      <div className="photo-viewer-bar">
        <span>
          {index + 1} / {photos.length}
        </span>
        <button type="button" data-testid="photo-viewer-close" onClick={onClose}>
          {t("photo.close")}
        </button>
      </div>
      <div className="photo-viewer-stage">
        {shown ? <img src={shown.url} alt={caption ?? ""} data-testid="photo-viewer-image" data-full={full?.kind === "url" ? "true" : "false"} /> : null}
        {removed ? (
          <p className="photo-viewer-note" data-testid="photo-viewer-removed">
            {t("photo.removed_note")}
          </p>
        ) : full && full.kind !== "url" ? (
          <p className="photo-viewer-note">{t("photo.full_needs_network")}</p>
        ) : null}
        {index > 0 ? (
          <button type="button" className="photo-viewer-prev" aria-label={t("photo.prev")} onClick={() => onIndex(index - 1)}>
            ‹
          </button>
        ) : null}
        {index < photos.length - 1 ? (
          <button type="button" className="photo-viewer-next" aria-label={t("photo.next")} onClick={() => onIndex(index + 1)}>
            ›
          </button>
        ) : null}
      </div>
      <dl className="photo-viewer-info">
        {caption ? <dd className="photo-viewer-caption">{caption}</dd> : null}
        <dt>{t("photo.taken_at")}</dt>
        <dd data-testid="photo-viewer-time">{photo.taken_at ? takenText(photo.taken_at) : "—"}</dd>
        <dt>{t("photo.place")}</dt>
        <dd data-testid="photo-viewer-place" data-mocked={photo.geo?.accuracy === 0 ? "true" : undefined} className={photo.geo?.accuracy === 0 ? "is-mocked" : undefined}>
          {placeText(t, photo.geo)}
        </dd>
        <dt>{t("photo.by")}</dt>
        <dd data-testid="photo-viewer-by">{personName(dir, text(photo.by))}</dd>
        <dd className="photo-viewer-size">{t("photo.size", { w: photo.width, h: photo.height, kb: Math.round(photo.bytes / 1024) })}</dd>
      </dl>
    </div>,
    document.body,
  );
}
