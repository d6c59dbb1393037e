// The EXIF reader: the real fixture JPEG of the browser test (written by Pillow/piexif), EXIF
// built here in both byte orders, and damaged files, which must read as "no EXIF", never throw.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";

import { exifInstant, findExif, NO_EXIF, parseExifDate, parseExifOffset, readExif, type WallTime } from "../../src/photos/exif";

const FIXTURE = new Uint8Array(readFileSync(new URL("../../../tests/js/browser/fixtures/site-photo.jpg", import.meta.url)));

// --- A small TIFF/EXIF writer, enough to put any tag of the reader's into a JPEG.

type Value = { type: 2; text: string } | { type: 3; shorts: number[] } | { type: 4; longs: number[] } | { type: 5; rationals: [number, number][] };
type Ifd = Map<number, Value | "exif" | "gps">;

function size(v: Value): number {
  switch (v.type) {
    case 2:
      return v.text.length + 1;
    case 3:
      return v.shorts.length * 2;
    case 4:
      return v.longs.length * 4;
    case 5:
      return v.rationals.length * 8;
  }
}

/** A JPEG (SOI, APP1 Exif, EOI) whose TIFF holds IFD0 and optional Exif and GPS IFDs. */
function jpegWithExif(little: boolean, ifd0: Ifd, exif: Ifd = new Map(), gps: Ifd = new Map()): Uint8Array {
  const buf = new ArrayBuffer(4096);
  const view = new DataView(buf);
  const u16 = (at: number, v: number) => view.setUint16(at, v, little);
  const u32 = (at: number, v: number) => view.setUint32(at, v, little);
  view.setUint16(0, little ? 0x4949 : 0x4d4d);
  u16(2, 42);
  u32(4, 8);
  let free = 8;
  const offsets = new Map<Ifd, number>();
  const layout = (ifd: Ifd) => {
    offsets.set(ifd, free);
    free += 2 + ifd.size * 12 + 4;
  };
  const ifds = [ifd0, ...(ifd0.has(0x8769) ? [exif] : []), ...(ifd0.has(0x8825) ? [gps] : [])];
  ifds.forEach(layout);
  for (const ifd of ifds) {
    let at = offsets.get(ifd) ?? 0;
    u16(at, ifd.size);
    at += 2;
    for (const [tag, raw] of [...ifd.entries()].sort((a, b) => a[0] - b[0])) {
      const value: Value = raw === "exif" ? { type: 4, longs: [offsets.get(exif) ?? 0] } : raw === "gps" ? { type: 4, longs: [offsets.get(gps) ?? 0] } : raw;
      const count = value.type === 2 ? value.text.length + 1 : value.type === 3 ? value.shorts.length : value.type === 4 ? value.longs.length : value.rationals.length;
      u16(at, tag);
      u16(at + 2, value.type);
      u32(at + 4, count);
      let target = at + 8;
      if (size(value) > 4) {
        target = free;
        u32(at + 8, free);
        free += size(value);
      }
      if (value.type === 2) [...value.text].forEach((c, i) => view.setUint8(target + i, c.charCodeAt(0)));
      if (value.type === 3) value.shorts.forEach((s, i) => u16(target + i * 2, s));
      if (value.type === 4) value.longs.forEach((l, i) => u32(target + i * 4, l));
      if (value.type === 5)
        value.rationals.forEach(([n, d], i) => {
          u32(target + i * 8, n);
          u32(target + i * 8 + 4, d);
        });
      at += 12;
    }
    u32(at, 0);
  }
  const tiff = new Uint8Array(buf, 0, free);
  const app1Length = 2 + 6 + tiff.length;
  const out = new Uint8Array(2 + 2 + app1Length + 2);
  out.set([0xff, 0xd8, 0xff, 0xe1, app1Length >> 8, app1Length & 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0], 0);
  out.set(tiff, 12);
  out.set([0xff, 0xd9], out.length - 2);
  return out;
}

const ascii = (text: string): Value => ({ type: 2, text });
const dms = (d: number, m: number, s100: number): Value => ({ type: 5, rationals: [[d, 1], [m, 1], [s100, 100]] });

describe("readExif", () => {
  test("reads time, offset, position, accuracy and orientation of a real camera-style JPEG", () => {
    const exif = readExif(FIXTURE);
    expect(exif.taken).toEqual({ y: 2026, m: 3, d: 14, h: 9, min: 26, s: 53 });
    expect(exif.offsetMinutes).toBe(480);
    expect(exif.orientation).toBe(1);
    expect(exif.geo?.lat).toBeCloseTo(31 + 13 / 60 + 49.5 / 3600, 9);
    expect(exif.geo?.lng).toBeCloseTo(121 + 28 / 60 + 25.32 / 3600, 9);
    expect(exif.geo?.accuracy).toBeCloseTo(6.5, 9);
    // 2026-03-14 09:26:53 +08:00
    expect(exifInstant(exif.taken as WallTime, exif.offsetMinutes)).toBe(Date.UTC(2026, 2, 14, 1, 26, 53));
  });

  for (const little of [true, false]) {
    test(`reads ${little ? "little" : "big"}-endian EXIF, southern and western positions, rotation`, () => {
      const bytes = jpegWithExif(
        little,
        new Map<number, Value | "exif" | "gps">([
          [0x0112, { type: 3, shorts: [6] }],
          [0x8769, "exif"],
          [0x8825, "gps"],
        ]),
        new Map([[0x9003, ascii("2025:12:31 23:59:58")]]),
        new Map([
          [1, ascii("S")],
          [2, dms(33, 51, 3540)],
          [3, ascii("W")],
          [4, dms(70, 40, 1200)],
        ]),
      );
      const exif = readExif(bytes);
      expect(exif.orientation).toBe(6);
      expect(exif.taken).toEqual({ y: 2025, m: 12, d: 31, h: 23, min: 59, s: 58 });
      expect(exif.offsetMinutes).toBeNull();
      expect(exif.geo?.lat).toBeCloseTo(-(33 + 51 / 60 + 35.4 / 3600), 9);
      expect(exif.geo?.lng).toBeCloseTo(-(70 + 40 / 60 + 12 / 3600), 9);
      expect(exif.geo?.accuracy).toBeNull();
    });
  }

  test("falls back to IFD0 DateTime and OffsetTime", () => {
    const bytes = jpegWithExif(
      true,
      new Map<number, Value | "exif" | "gps">([
        [0x0132, ascii("2024:02:29 08:00:00")],
        [0x8769, "exif"],
      ]),
      new Map([[0x9010, ascii("-05:30")]]),
    );
    const exif = readExif(bytes);
    expect(exif.taken).toEqual({ y: 2024, m: 2, d: 29, h: 8, min: 0, s: 0 });
    expect(exif.offsetMinutes).toBe(-330);
    expect(exif.geo).toBeNull();
  });

  test("positions without a fix, with a zero denominator or out of range read as none", () => {
    const gpsOf = (lat: Value, lng: Value) =>
      readExif(
        jpegWithExif(
          true,
          new Map<number, Value | "exif" | "gps">([[0x8825, "gps"]]),
          new Map(),
          new Map([
            [1, ascii("N")],
            [2, lat],
            [3, ascii("E")],
            [4, lng],
          ]),
        ),
      ).geo;
    expect(gpsOf(dms(0, 0, 0), dms(0, 0, 0))).toBeNull();
    expect(gpsOf({ type: 5, rationals: [[31, 0], [0, 1], [0, 1]] }, dms(121, 0, 0))).toBeNull();
    expect(gpsOf(dms(91, 0, 0), dms(121, 0, 0))).toBeNull();
    expect(gpsOf(dms(31, 61, 0), dms(121, 0, 0))).toBeNull();
    expect(gpsOf(dms(31, 0, 0), dms(121, 0, 0))).toEqual({ lat: 31, lng: 121, accuracy: null });
  });

  test("an orientation out of 1-8 is upright", () => {
    const exif = readExif(jpegWithExif(false, new Map<number, Value | "exif" | "gps">([[0x0112, { type: 3, shorts: [9] }]])));
    expect(exif.orientation).toBe(1);
  });

  test("an IFD pointing at itself is read once", () => {
    const bytes = jpegWithExif(true, new Map<number, Value | "exif" | "gps">([[0x8769, { type: 4, longs: [8] }], [0x8825, { type: 4, longs: [8] }]]));
    expect(readExif(bytes)).toEqual(NO_EXIF);
  });

  test("files that are not JPEG, or have no EXIF, read as none", () => {
    expect(readExif(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toEqual(NO_EXIF);
    expect(readExif(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]))).toEqual(NO_EXIF);
    expect(readExif(new Uint8Array([]))).toEqual(NO_EXIF);
    expect(findExif(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 1]))).toBeNull();
  });

  test("every truncation and many corruptions of a real file read without throwing", () => {
    for (let end = 0; end < 1024; end++) expect(() => readExif(FIXTURE.subarray(0, end))).not.toThrow();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 500; round++) {
      const damaged = FIXTURE.slice(0, 1024);
      for (let i = 0; i < 8; i++) damaged[Math.floor(random() * 1024)] = Math.floor(random() * 256);
      expect(() => readExif(damaged)).not.toThrow();
    }
  });
});

describe("times", () => {
  test("EXIF dates: real ones only", () => {
    expect(parseExifDate("2026:03:14 09:26:53")).toEqual({ y: 2026, m: 3, d: 14, h: 9, min: 26, s: 53 });
    expect(parseExifDate("0000:00:00 00:00:00")).toBeNull();
    expect(parseExifDate("2026:02:30 10:00:00")).toBeNull();
    expect(parseExifDate("2026:03:14 24:00:00")).toBeNull();
    expect(parseExifDate("    :  :     :  :  ")).toBeNull();
    expect(parseExifDate(null)).toBeNull();
  });

  test("offsets", () => {
    expect(parseExifOffset("+08:00")).toBe(480);
    expect(parseExifOffset("-03:30")).toBe(-210);
    expect(parseExifOffset("+15:00")).toBeNull();
    expect(parseExifOffset("08:00")).toBeNull();
  });

  test("without an offset the phone's zone for that wall time is used", () => {
    const wall = { y: 2026, m: 7, d: 1, h: 12, min: 0, s: 0 };
    expect(exifInstant(wall, null, () => 480)).toBe(Date.UTC(2026, 6, 1, 4, 0, 0));
    expect(exifInstant(wall, 0, () => 480)).toBe(Date.UTC(2026, 6, 1, 12, 0, 0));
  });
});
