// One photo as a thumbnail, with its state on this phone: waiting, sending (with how much the
// server has), uploaded, failed with the reason, a retry button and a way to remove it from the
// phone, or removed (never uploaded). Others' photos are "uploaded" once the server shows them,
// "waiting" while their phone still holds them.

import { Dialog } from "antd-mobile";

import type { PhotoRef } from "../generated/records";
import { text } from "../domain/scalar";
import { useQueued, useRemoved, useThumbnail } from "./hooks";
import { errorText, usePhotoT, type PhotoT } from "./messages";
import type { PhotoQueue } from "./queue";
import type { Queued } from "./store";

export type PhotoState = "waiting" | "sending" | "uploaded" | "failed" | "removed";

interface Props {
  photo: PhotoRef;
  queue: PhotoQueue | null;
  onOpen: () => void;
  /** Offered in forms, before the entry is saved. */
  onRemove?: () => void;
}

function label(t: PhotoT, state: PhotoState, queued: Queued | undefined): string {
  switch (state) {
    case "sending":
      return t("photo.sending", { percent: queued && queued.size > 0 ? Math.floor((queued.sent / queued.size) * 100) : 0 });
    case "waiting":
      return t("photo.waiting");
    case "uploaded":
      return t("photo.uploaded");
    case "failed":
      return t("photo.failed");
    case "removed":
      return t("photo.removed");
  }
}

/** Asks first: the photo never reached the server, so removing it loses it for good. */
async function removeFromPhone(t: PhotoT, queue: PhotoQueue, sha256: string): Promise<void> {
  const sure = await Dialog.confirm({
    content: t("photo.remove_confirm"),
    confirmText: <span data-testid="photo-remove-confirm">{t("photo.remove_confirm_ok")}</span>,
    cancelText: t("photo.cancel"),
  });
  if (sure) await queue.removeRefused(sha256);
}

export function PhotoThumb({ photo, queue, onOpen, onRemove }: Props) {
  const t = usePhotoT();
  const sha256 = text(photo.sha256);
  const queued = useQueued(queue).get(sha256);
  const removed = useRemoved(queue).has(sha256);
  const picture = useThumbnail(queue, sha256, text(photo.mime));
  // Without a queue entry a photo is on the server: bytes leave the phone only once it
  // confirmed them, or the person removed it unsent (its thumbnail may still be here). Until
  // the queue has loaded, only the server's answer proves it.
  const shown = picture.kind === "url";
  const state: PhotoState =
    queued?.state ?? (removed ? "removed" : shown && (queue !== null || picture.from === "server") ? "uploaded" : "waiting");
  const mocked = photo.geo?.accuracy === 0;
  return (
    <figure className={`photo-tile is-${state}`}>
      <button
        type="button"
        className="photo-thumb"
        data-testid="photo-thumb"
        data-sha256={sha256}
        data-state={state}
        data-mocked={mocked ? "true" : undefined}
        aria-label={label(t, state, queued)}
        onClick={onOpen}
      >
        {picture.kind === "url" ? (
          <img src={picture.url} alt="" loading="lazy" />
        ) : (
          <span className="photo-placeholder">
            {picture.kind === "missing" ? t("photo.not_on_server") : picture.kind === "offline" ? t("photo.offline") : picture.kind === "none" ? t("photo.no_preview") : ""}
          </span>
        )}
        {state !== "uploaded" ? <span className={`photo-badge is-${state}`}>{label(t, state, queued)}</span> : null}
        {mocked ? <span className="photo-mocked" title={t("photo.mocked")}>⚠</span> : null}
      </button>
      {onRemove ? (
        <button type="button" className="photo-remove" data-testid="photo-remove" aria-label={t("photo.remove")} onClick={onRemove}>
          ×
        </button>
      ) : null}
      {queued?.error && state !== "sending" ? (
        <figcaption className="photo-error">
          <span data-testid="photo-error">{errorText(t, queued.error)}</span>
          {state === "failed" ? (
            <>
              <button type="button" className="photo-retry" data-testid="photo-retry" onClick={() => queue?.retry(sha256)}>
                {t("photo.retry")}
              </button>
              {queue ? (
                <button
                  type="button"
                  className="photo-retry"
                  data-testid="photo-remove-from-phone"
                  onClick={() => void removeFromPhone(t, queue, sha256).catch((error: unknown) => console.error("photo removal", error))}
                >
                  {t("photo.remove_from_phone")}
                </button>
              ) : null}
            </>
          ) : (
            ` · ${t("photo.will_retry")}`
          )}
        </figcaption>
      ) : null}
    </figure>
  );
}
