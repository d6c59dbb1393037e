// The attachments of one entry (files that are not photos), each with its name, size and state
// on this phone, as photos show theirs: waiting (未上传), sending, failed with the reason and a
// retry, removed (never uploaded), or on the server. Tapping one downloads it: from the phone
// while it waits there (works offline), else from the server with the file's own name.

import { useEffect, useState } from "react";

import type { AttachmentRef } from "../generated/records";
import { ApiFailure, Offline, apiResponse } from "../auth/api";
import { text } from "../domain/scalar";
import { usePhotoQueue, useQueued, useRemoved } from "./hooks";
import { errorText, usePhotoT, type PhotoT } from "./messages";
import type { PhotoQueue } from "./queue";
import type { PhotoState } from "./PhotoThumb";
import "./photos.css";

export interface AttachmentListProps {
  attachments: readonly AttachmentRef[];
  /** Offered in forms: takes a file back before the entry is saved. */
  onRemove?: (sha256: string) => void;
}

function stateLabel(t: PhotoT, state: PhotoState): string {
  switch (state) {
    case "waiting":
      return t("attach.waiting");
    case "sending":
      return t("attach.sending");
    case "failed":
      return t("photo.failed");
    case "removed":
      return t("photo.removed");
    case "uploaded":
      return t("photo.uploaded");
  }
}

/** How often a file not on the server yet is asked about again while shown. */
const RECHECK_MS = 20_000;

/**
 * Whether the server has the file (`HEAD`, which says so for any signed-in user: the name is
 * the hash of the bytes); null while unknown (loading, offline). Asked again now and then, and
 * when the network returns, while the answer is no.
 */
function useOnServer(sha256: string, skip: boolean): boolean | null {
  const [known, setKnown] = useState<{ sha256: string; has: boolean } | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (skip) return;
    let live = true;
    apiResponse(`/api/attachments/${sha256}`, { method: "HEAD" }).then(
      (response) => {
        if (live) setKnown({ sha256, has: response.headers.get("x-upload-complete") === "true" });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [sha256, skip, round]);
  const has = known?.sha256 === sha256 ? known.has : null;
  useEffect(() => {
    if (skip || has !== false) return;
    const again = () => setRound((n) => n + 1);
    const timer = setInterval(again, RECHECK_MS);
    window.addEventListener("online", again);
    return () => {
      clearInterval(timer);
      window.removeEventListener("online", again);
    };
  }, [skip, has]);
  return has;
}

/** The file's kind as its name says, for the small tag before it (no emoji: phones without an
 * emoji font show a box). */
function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 && name.length - dot <= 5 ? name.slice(dot + 1).toUpperCase() : "FILE";
}

function save(bytes: Blob, name: string): void {
  const url = URL.createObjectURL(bytes);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves the file: the phone's copy if it has one, else the server's. Returns an error key. */
async function download(queue: PhotoQueue | null, file: AttachmentRef): Promise<"attach.not_on_server" | "photo.offline" | null> {
  const sha256 = text(file.sha256);
  const name = text(file.name);
  const local = await queue?.store.bytes(sha256);
  if (local) {
    save(new Blob([local], { type: text(file.mime) }), name);
    return null;
  }
  try {
    const response = await apiResponse(`/api/attachments/${sha256}`);
    save(await response.blob(), name);
    return null;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return "attach.not_on_server";
    if (error instanceof Offline) return "photo.offline";
    throw error;
  }
}

function Item({ file, queue, onRemove }: { file: AttachmentRef; queue: PhotoQueue | null; onRemove?: () => void }) {
  const t = usePhotoT();
  const sha256 = text(file.sha256);
  const queued = useQueued(queue).get(sha256);
  const removed = useRemoved(queue).has(sha256);
  const [problem, setProblem] = useState<string | null>(null);
  // Not waiting here: on the server, unless the server says otherwise (someone else's file
  // still on their phone). Until the queue has loaded, only the server's answer proves it.
  const onServer = useOnServer(sha256, queued !== undefined || removed);
  const state: PhotoState =
    queued?.state ?? (removed ? "removed" : onServer === false || (onServer === null && queue === null) ? "waiting" : "uploaded");
  const kb = Math.max(1, Math.round(file.bytes / 1024));
  return (
    <li className={`attachment is-${state}`} data-testid="attachment" data-sha256={sha256} data-state={state}>
      <button
        type="button"
        className="attachment-name"
        data-testid="attachment-download"
        onClick={() => {
          setProblem(null);
          void download(queue, file).then(
            (key) => setProblem(key ? t(key) : null),
            (error: unknown) => {
              console.error("attachment download", error);
              setProblem(t("photo.error.unreadable"));
            },
          );
        }}
      >
        <span className="attachment-ext" aria-hidden="true">{extension(text(file.name))}</span>
        {text(file.name)}
      </button>
      <span className="attachment-size">{t("attach.size", { kb })}</span>
      {state !== "uploaded" ? <span className={`photo-badge attachment-badge is-${state}`}>{stateLabel(t, state)}</span> : null}
      {onRemove ? (
        <button type="button" className="attachment-remove" data-testid="attachment-remove" aria-label={t("photo.remove")} onClick={onRemove}>
          ×
        </button>
      ) : null}
      {queued?.error && state !== "sending" ? (
        <span className="photo-error">
          {errorText(t, queued.error)}
          {state === "failed" ? (
            <button type="button" className="photo-retry" data-testid="attachment-retry" onClick={() => queue?.retry(sha256)}>
              {t("photo.retry")}
            </button>
          ) : (
            ` · ${t("photo.will_retry")}`
          )}
        </span>
      ) : null}
      {problem ? <span className="photo-error" role="alert">{problem}</span> : null}
    </li>
  );
}

export default function AttachmentList({ attachments, onRemove }: AttachmentListProps) {
  const queue = usePhotoQueue();
  if (attachments.length === 0) return null;
  return (
    <ul className="attachment-list" data-testid="attachment-list">
      {attachments.map((file) => (
        <Item key={text(file.sha256)} file={file} queue={queue} onRemove={onRemove ? () => onRemove(text(file.sha256)) : undefined} />
      ))}
    </ul>
  );
}
