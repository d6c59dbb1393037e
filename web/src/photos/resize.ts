// Decoding, shrinking and re-encoding a photo on the phone: at most 2560 px on the long edge,
// JPEG (every browser encodes it; Safari's canvas cannot write WebP), upright (the EXIF
// orientation is applied when decoding, since re-encoding drops EXIF).

/** The long edge of a stored photo. */
export const MAX_EDGE = 2560;
/** The long edge of the thumbnail kept on the phone (the server's are about 320 px too). */
export const THUMB_EDGE = 320;
export const PHOTO_QUALITY = 0.85;
export const THUMB_QUALITY = 0.7;

export interface Size {
  width: number;
  height: number;
}

/** `size` scaled down (never up) so its long edge is at most `max`. */
export function fitWithin(size: Size, max: number): Size {
  const long = Math.max(size.width, size.height);
  if (long <= max) return { width: size.width, height: size.height };
  const scale = max / long;
  return {
    width: Math.max(1, Math.round(size.width * scale)),
    height: Math.max(1, Math.round(size.height * scale)),
  };
}

/** The image upright, or null when this browser cannot decode it (HEIC outside Safari). */
export async function decode(file: Blob): Promise<ImageBitmap | null> {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return null;
  }
}

/** `image` drawn at `size` and encoded as JPEG. */
export async function encodeJpeg(image: ImageBitmap, size: Size, quality: number): Promise<ArrayBuffer> {
  const canvas = document.createElement("canvas");
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2d canvas");
  // JPEG has no transparency: a PNG's transparent parts become white, not black.
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size.width, size.height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(image, 0, 0, size.width, size.height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  // Release the canvas's memory at once (iOS counts canvas memory against a small budget).
  canvas.width = 0;
  canvas.height = 0;
  if (!blob) throw new Error("the browser could not encode the photo");
  return blob.arrayBuffer();
}
