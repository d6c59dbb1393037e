// From a chosen file to a stored attachment and its reference: a file that is not a photo (PDF,
// Word, Excel, WPS, ODF, plain text), kept byte for byte. Its type is read from its first bytes
// with the server's rule (`server/src/blobs/attachments.rs`), so the phone never queues a file
// the server would refuse for what it is; then its SHA-256, then the bytes into IndexedDB, in
// the same queue as photos (it uploads by itself, resumably, to `/api/attachments/{sha256}`).
// Only then is the reference handed to the form.

import type { AttachmentRef } from "../generated/records";
import { str } from "../domain/scalar";
import { sha256Hex } from "./bytes";
import type { PhotoQueue } from "./queue";

/** The server's default `--max-attachment-bytes`: larger files are refused before queueing. */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

/** What the file picker offers (the check that counts is on the bytes). */
export const ACCEPT = [
  ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".dps", ".odt", ".ods", ".odp", ".txt",
  "application/pdf", "text/plain",
].join(",");

export class AttachError extends Error {
  constructor(readonly code: "unsupported_type" | "too_large" | "storage_full" | "unreadable") {
    super(code);
  }
}

const ascii = (bytes: Uint8Array, at: number, text: string) => [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/** Whether `bytes` (a ZIP) has a local entry named `name` among its first bytes. */
function zipHasEntry(bytes: Uint8Array, name: string): boolean {
  const wanted = new TextEncoder().encode(name);
  for (let at = 0; at + 30 <= bytes.length; at++) {
    if (!(bytes[at] === 0x50 && bytes[at + 1] === 0x4b && bytes[at + 2] === 3 && bytes[at + 3] === 4)) continue;
    const length = (bytes[at + 26] ?? 0) | ((bytes[at + 27] ?? 0) << 8);
    if (length === wanted.length && wanted.every((b, i) => bytes[at + 30 + i] === b)) return true;
  }
  return false;
}

/** Whether the file's first bytes show an accepted format: the server's rule, simplified. */
export function acceptable(head: Uint8Array): boolean {
  if (ascii(head, 0, "%PDF-")) return true;
  if ([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1].every((b, i) => head[i] === b)) return true;
  if (ascii(head, 0, "PK\x03\x04")) {
    if (ascii(head, 30, "mimetype")) return ascii(head, 38, "application/vnd.oasis.opendocument.");
    return zipHasEntry(head, "[Content_Types].xml");
  }
  if (head.length === 0 || head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Stores a chosen file on the phone and returns its reference; `fresh` as for photos. */
export async function attach(file: File, by: string, queue: PhotoQueue): Promise<{ ref: AttachmentRef; fresh: boolean }> {
  if (file.size > MAX_ATTACHMENT_BYTES) throw new AttachError("too_large");
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch {
    throw new AttachError("unreadable");
  }
  // The server checks the first part of 512 KiB; so does the phone.
  if (!acceptable(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 512 * 1024)))) throw new AttachError("unsupported_type");
  // The device's type is informative only; the queue needs one that is not an image's.
  const mime = file.type && !file.type.startsWith("image/") ? file.type : "application/octet-stream";
  const sha256 = await sha256Hex(bytes);
  let fresh: boolean;
  try {
    fresh = await queue.add(
      { sha256, mime, size: bytes.byteLength, state: "waiting", sent: 0, attempts: 0, nextAt: 0, error: null, addedAt: Date.now() },
      bytes,
      null,
    );
  } catch (error) {
    if (error instanceof DOMException && error.name === "QuotaExceededError") throw new AttachError("storage_full");
    throw error;
  }
  return { ref: { sha256: str(sha256), name: str(file.name), mime: str(mime), bytes: bytes.byteLength, by: str(by) }, fresh };
}
