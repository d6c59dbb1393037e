// Photo names (SHA-256) and media types read from the bytes, as the server reads them.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

import { sha256Hex, sniffMime } from "../../src/photos/bytes";

const FIXTURE = readFileSync(new URL("../../../tests/js/browser/fixtures/site-photo.jpg", import.meta.url));

test("SHA-256 in lowercase hex, as the server names blobs", async () => {
  expect(await sha256Hex(new TextEncoder().encode("abc").buffer)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const bytes = FIXTURE.buffer.slice(FIXTURE.byteOffset, FIXTURE.byteOffset + FIXTURE.byteLength);
  expect(await sha256Hex(bytes)).toBe(createHash("sha256").update(FIXTURE).digest("hex"));
});

test("media types from magic bytes", () => {
  const bytes = (...parts: (number[] | string)[]) =>
    new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));
  expect(sniffMime(new Uint8Array(FIXTURE))).toBe("image/jpeg");
  expect(sniffMime(bytes([0x89], "PNG\r\n\x1a\n"))).toBe("image/png");
  expect(sniffMime(bytes("RIFF", [1, 2, 3, 4], "WEBPVP8 "))).toBe("image/webp");
  expect(sniffMime(bytes([0, 0, 0, 24], "ftypheic"))).toBe("image/heic");
  expect(sniffMime(bytes([0, 0, 0, 24], "ftypmif1"))).toBe("image/heif");
  expect(sniffMime(bytes([0, 0, 0, 24], "ftypisom"))).toBeNull();
  expect(sniffMime(bytes("GIF89a"))).toBeNull();
  expect(sniffMime(bytes("%PDF-1.7"))).toBeNull();
  expect(sniffMime(new Uint8Array([]))).toBeNull();
});
