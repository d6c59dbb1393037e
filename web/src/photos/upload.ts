// Sending one photo to the server (`server/src/api/blobs.rs`): ask how far the server got
// (`HEAD`), then send the rest in 512 KiB parts (`PUT` with `Content-Range`), each part its own
// request, so a cut connection costs at most one part: the next attempt asks again and goes on
// from the server's offset instead of starting over. Attachments (files that are not photos)
// travel the same way to `/api/attachments/{sha256}`: the queue holds both, told apart by type.

import { ApiFailure, Offline } from "../auth/api";
import type { PhotoError } from "./store";

/** Bytes per request; the server stores parts of the same size. */
export const PART_BYTES = 512 * 1024;
/** 409s in a row (another tab or a lost answer moved the offset) before backing off. */
const MAX_CONFLICTS = 3;

/** An authenticated request that throws `ApiFailure` for error statuses, `Offline` without network. */
export type Request = (path: string, init: RequestInit) => Promise<Response>;

export type Outcome =
  /** The server has the photo: its bytes may leave the phone. */
  | { kind: "done" }
  /** Not now (offline, server busy or failing, session to renew): try again later. */
  | { kind: "retry"; error: PhotoError }
  /** The server refuses this photo for good (too large, not an image, corrupt): a person decides. */
  | { kind: "failed"; error: PhotoError };

export interface Photo {
  sha256: string;
  mime: string;
  size: number;
}

/** Whether a queued file of type `mime` is a photo (else an attachment). */
export function isPhotoType(mime: string): boolean {
  return mime.startsWith("image/");
}

/** Where the next part starts (a part starting at `offset`), as `Content-Range` writes it. */
export function contentRange(offset: number, size: number): string {
  const end = Math.min(offset + PART_BYTES, size);
  return `bytes ${offset}-${end - 1}/${size}`;
}

/** The `Upload-Offset` header as a valid offset into a photo of `size` bytes, else null. */
export function offsetOf(response: Response, size: number): number | null {
  const value = Number(response.headers.get("upload-offset"));
  return Number.isSafeInteger(value) && value >= 0 && value <= size ? value : null;
}

/**
 * Sends `bytes` until the server confirms it has them; reports each confirmed offset through
 * `progress` (so the queue can show it). Throws what `request` throws; see `outcome`.
 */
export async function send(
  photo: Photo,
  bytes: ArrayBuffer,
  request: Request,
  progress: (sent: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const path = `${isPhotoType(photo.mime) ? "/api/blobs" : "/api/attachments"}/${photo.sha256}`;
  let conflicts = 0;
  for (;;) {
    const head = await request(path, { method: "HEAD", signal: signal ?? null });
    if (head.headers.get("x-upload-complete") === "true") return;
    let offset = offsetOf(head, photo.size) ?? 0;
    progress(offset);
    try {
      for (;;) {
        const end = Math.min(offset + PART_BYTES, photo.size);
        const answer = await request(path, {
          method: "PUT",
          headers: { "content-type": photo.mime, "content-range": contentRange(offset, photo.size) },
          body: bytes.slice(offset, end),
          signal: signal ?? null,
        });
        // 201: this part finished it; 200: the server had it already.
        if (answer.status === 200 || answer.status === 201) return;
        const next = offsetOf(answer, photo.size);
        // A 202 must move forward and leave something to send; anything else, ask HEAD.
        if (next === null || next <= offset || next >= photo.size) break;
        offset = next;
        progress(offset);
      }
    } catch (error) {
      // The part did not start where the server's bytes end: ask where they end.
      if (error instanceof ApiFailure && error.status === 409 && conflicts < MAX_CONFLICTS) {
        conflicts += 1;
        continue;
      }
      throw error;
    }
    conflicts += 1;
    if (conflicts > MAX_CONFLICTS) throw new ApiFailure(502, "upload_stalled", "the server's offset does not move");
  }
}

/** Server errors that no retry will change: the photo itself is refused. */
const FINAL = new Set(["too_large", "not_an_image", "unsupported_type", "hash_mismatch"]);

/** What a failure of `send` means for the queue. */
export function outcome(error: unknown): Outcome {
  if (error instanceof Offline) return { kind: "retry", error: { code: "offline", message: "offline" } };
  if (error instanceof ApiFailure) {
    const reason = { code: error.code, message: error.message };
    const final = FINAL.has(error.code) || error.status === 413 || error.status === 415;
    return final ? { kind: "failed", error: reason } : { kind: "retry", error: reason };
  }
  if (error instanceof DOMException && error.name === "AbortError") {
    return { kind: "retry", error: { code: "aborted", message: "aborted" } };
  }
  return { kind: "retry", error: { code: "error", message: error instanceof Error ? error.message : String(error) } };
}
