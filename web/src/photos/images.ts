// Where a photo's pictures come from. The API needs a Bearer token, so `<img src>` cannot point
// at it: images are fetched as bytes and shown through object URLs. Thumbnails come from the
// phone when it has them (every photo taken here has one, made at capture; others' are kept
// once fetched), else from the server; the full photo from the phone's queue while it waits,
// else from the server.

import { ApiFailure, apiResponse, Offline } from "../auth/api";
import type { PhotoStore } from "./store";

export type Picture =
  | { kind: "url"; url: string; from: "phone" | "server" }
  /** The server does not have it (yet): it waits on the phone that took it. */
  | { kind: "missing" }
  /** Not on this phone, and the server cannot be reached. */
  | { kind: "offline" }
  /** The server has it but makes no thumbnail (HEIC) or cannot decode it. */
  | { kind: "none" };

/** Object URLs of thumbnails shown in this page, so lists re-render without refetching. */
const thumbs = new Map<string, Picture & { kind: "url" }>();
const MAX_URLS = 300;

function remember(sha256: string, picture: Picture & { kind: "url" }): Picture {
  thumbs.set(sha256, picture);
  if (thumbs.size > MAX_URLS) {
    const [oldest, old] = thumbs.entries().next().value as [string, { url: string }];
    thumbs.delete(oldest);
    URL.revokeObjectURL(old.url);
  }
  return picture;
}

async function fromServer(path: string): Promise<ArrayBuffer | Picture> {
  try {
    return await (await apiResponse(path)).arrayBuffer();
  } catch (error) {
    if (error instanceof Offline) return { kind: "offline" };
    if (error instanceof ApiFailure && error.status === 404) return { kind: "missing" };
    if (error instanceof ApiFailure && (error.status === 415 || error.status === 422)) return { kind: "none" };
    return { kind: "offline" };
  }
}

/** The thumbnail of a photo, from the phone if it has one, else from the server (then kept). */
export async function thumbnail(store: PhotoStore, sha256: string, mime: string): Promise<Picture> {
  const known = thumbs.get(sha256);
  if (known) return known;
  const local = await store.thumb(sha256);
  if (local) return remember(sha256, { kind: "url", url: URL.createObjectURL(new Blob([local], { type: "image/jpeg" })), from: "phone" });
  // Taken here but not decodable here (no thumbnail was made): the photo itself.
  const bytes = await store.bytes(sha256);
  if (bytes) return remember(sha256, { kind: "url", url: URL.createObjectURL(new Blob([bytes], { type: mime })), from: "phone" });
  const fetched = await fromServer(`/api/blobs/${sha256}/thumb`);
  if (!(fetched instanceof ArrayBuffer)) return fetched;
  await store.putThumb(sha256, fetched).catch(() => undefined);
  return remember(sha256, { kind: "url", url: URL.createObjectURL(new Blob([fetched], { type: "image/jpeg" })), from: "server" });
}

/** The whole photo; the caller revokes the URL when it is no longer shown. */
export async function fullPhoto(store: PhotoStore, sha256: string, mime: string): Promise<Picture> {
  const bytes = await store.bytes(sha256);
  if (bytes) return { kind: "url", url: URL.createObjectURL(new Blob([bytes], { type: mime })), from: "phone" };
  const fetched = await fromServer(`/api/blobs/${sha256}`);
  if (!(fetched instanceof ArrayBuffer)) return fetched;
  return { kind: "url", url: URL.createObjectURL(new Blob([fetched], { type: mime })), from: "server" };
}
