// From a chosen file to a stored photo and its reference, in the order the evidence needs:
// first the EXIF time and place (re-encoding drops EXIF), else the capture time and the
// device's location; then the photo upright and at most 2560 px as JPEG (unless the person
// keeps the original); then the SHA-256 of exactly the bytes stored; then the bytes into
// IndexedDB. Only then is the reference handed to the form, so a record never names a photo
// this phone does not hold.

import type { Geo, PhotoRef } from "../generated/records";
import { str } from "../domain/scalar";
import { sha256Hex, sniffMime } from "./bytes";
import { EXIF_SCAN_BYTES, exifInstant, NO_EXIF, readExif } from "./exif";
import { decode, encodeJpeg, fitWithin, MAX_EDGE, PHOTO_QUALITY, THUMB_EDGE, THUMB_QUALITY } from "./resize";
import type { PhotoQueue } from "./queue";

/**
 * The accuracy recorded for an EXIF position without GPSHPositioningError: unknown. Negative,
 * so that it is never mistaken for a real radius, nor for 0, which flags a mocked location.
 */
export const UNKNOWN_ACCURACY = -1;

/** How long to wait for the device's location when the photo carries none. */
const LOCATION_TIMEOUT_MS = 15_000;

export class CaptureError extends Error {
  constructor(readonly code: "not_an_image" | "storage_full" | "unreadable") {
    super(code);
  }
}

/** The device's location now, or null (no permission, no fix in time, no geolocation). */
export function deviceLocation(timeoutMs = LOCATION_TIMEOUT_MS): Promise<Geo | null> {
  if (typeof navigator === "undefined" || !navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    // The permission prompt does not count against the API's own timeout.
    const timer = setTimeout(() => resolve(null), timeoutMs + 5_000);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        clearTimeout(timer);
        const { latitude, longitude, accuracy } = position.coords;
        resolve({ lat: latitude, lng: longitude, accuracy });
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
    );
  });
}

export interface CaptureInput {
  file: File;
  /** The signed-in user, who adds the photo. */
  by: string;
  /** When the person chose the photo: its time when the EXIF has none. */
  chosenAt: number;
  /**
   * The device's location at that moment: asked for only when the photo's EXIF has no
   * position (so no permission prompt for photos that carry their own), once per batch.
   */
  location: () => Promise<Geo | null>;
  keepOriginal: boolean;
}

export interface Captured {
  /** The reference, ready to go into an entry. */
  ref: PhotoRef;
  /** False when this photo was waiting on the phone already (it may belong to another entry). */
  fresh: boolean;
}

/** Processes and stores a chosen photo. */
export async function capture(input: CaptureInput, queue: PhotoQueue): Promise<Captured> {
  const { file } = input;
  let head: Uint8Array;
  try {
    head = new Uint8Array(await file.slice(0, EXIF_SCAN_BYTES).arrayBuffer());
  } catch {
    throw new CaptureError("unreadable");
  }
  const originalMime = sniffMime(head);
  if (!originalMime) throw new CaptureError("not_an_image");
  const exif = originalMime === "image/jpeg" ? readExif(head) : NO_EXIF;
  const takenAt = exif.taken ? exifInstant(exif.taken, exif.offsetMinutes) : input.chosenAt;
  const geo: Geo | null = exif.geo
    ? { lat: exif.geo.lat, lng: exif.geo.lng, accuracy: exif.geo.accuracy ?? UNKNOWN_ACCURACY }
    : await input.location();

  const image = await decode(file);
  let bytes: ArrayBuffer;
  let mime: string;
  let thumb: ArrayBuffer | null = null;
  let width = 0;
  let height = 0;
  try {
    if (image) {
      width = image.width;
      height = image.height;
      thumb = await encodeJpeg(image, fitWithin(image, THUMB_EDGE), THUMB_QUALITY);
    }
    if (image && !input.keepOriginal) {
      const size = fitWithin(image, MAX_EDGE);
      bytes = await encodeJpeg(image, size, PHOTO_QUALITY);
      mime = "image/jpeg";
      width = size.width;
      height = size.height;
    } else {
      // Kept as taken (or not decodable here, e.g. HEIC outside Safari: the server takes it).
      bytes = await file.arrayBuffer();
      mime = originalMime;
    }
  } finally {
    image?.close();
  }

  const sha256 = await sha256Hex(bytes);
  let fresh: boolean;
  try {
    fresh = await queue.add(
      { sha256, mime, size: bytes.byteLength, state: "waiting", sent: 0, attempts: 0, nextAt: 0, error: null, addedAt: Date.now() },
      bytes,
      thumb,
    );
  } catch (error) {
    if (error instanceof DOMException && error.name === "QuotaExceededError") throw new CaptureError("storage_full");
    throw error;
  }
  const ref: PhotoRef = {
    sha256: str(sha256),
    mime: str(mime),
    bytes: bytes.byteLength,
    width,
    height,
    taken_at: Math.round(takenAt),
    geo,
    caption: null,
    by: str(input.by),
  };
  return { ref, fresh };
}
