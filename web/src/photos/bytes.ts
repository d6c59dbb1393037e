// What a photo's bytes are: their SHA-256 (the photo's name everywhere: in records, on the
// server, in local storage) and their media type, read from the bytes themselves as the server
// does, never from the file name.

/** Lowercase hex SHA-256 of `bytes`. Needs a secure context (HTTPS or localhost), as the app does. */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The kinds of photo the server accepts. */
export type PhotoMime = "image/jpeg" | "image/png" | "image/webp" | "image/heic" | "image/heif";

const ascii = (bytes: Uint8Array, at: number, text: string) =>
  [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/**
 * The media type from the magic bytes, or null when it is none of the accepted kinds: the same
 * rule as the server's `blobs::sniff`, so a photo the phone keeps is one the server takes.
 */
export function sniffMime(bytes: Uint8Array): PhotoMime | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes[0] === 0x89 && ascii(bytes, 1, "PNG\r\n\x1a\n")) return "image/png";
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) return "image/webp";
  if (ascii(bytes, 4, "ftyp")) {
    if (["heic", "heix", "hevc", "hevx", "heim", "heis"].some((b) => ascii(bytes, 8, b))) return "image/heic";
    if (["mif1", "msf1"].some((b) => ascii(bytes, 8, b))) return "image/heif";
  }
  return null;
}
