// The few EXIF fields a field photo needs as evidence: when (DateTimeOriginal and its offset),
// where (GPS latitude, longitude and horizontal error) and how to turn it upright (Orientation).
//
// A small reader of JPEG APP1 EXIF instead of a library: the file comes from anyone's phone, so
// every offset is bounds-checked, every IFD is read at most once (no loops through a crafted
// offset), and anything malformed reads as absent: a photo with broken EXIF is still a photo.

/** A wall-clock time as written by the camera, without a zone. */
export interface WallTime {
  y: number;
  m: number;
  d: number;
  h: number;
  min: number;
  s: number;
}

export interface ExifGeo {
  lat: number;
  lng: number;
  /** GPSHPositioningError in metres, when the camera wrote it. */
  accuracy: number | null;
}

export interface Exif {
  /** DateTimeOriginal (else DateTime of IFD0). */
  taken: WallTime | null;
  /** OffsetTimeOriginal (else OffsetTime) in minutes east of UTC, e.g. 480 for "+08:00". */
  offsetMinutes: number | null;
  geo: ExifGeo | null;
  /** 1-8 as EXIF defines it; 1 (upright) when absent. */
  orientation: number;
}

export const NO_EXIF: Exif = { taken: null, offsetMinutes: null, geo: null, orientation: 1 };

/** How much of the file to read: APP1 is at most 64 KiB and comes first, after a few APPn. */
export const EXIF_SCAN_BYTES = 256 * 1024;

const TAG = {
  orientation: 0x0112,
  dateTime: 0x0132,
  exifIfd: 0x8769,
  gpsIfd: 0x8825,
  dateTimeOriginal: 0x9003,
  offsetTime: 0x9010,
  offsetTimeOriginal: 0x9011,
  gpsLatRef: 1,
  gpsLat: 2,
  gpsLngRef: 3,
  gpsLng: 4,
  gpsHError: 31,
} as const;

/** Bytes per value of each TIFF type (BYTE, ASCII, SHORT, LONG, RATIONAL, ..., SRATIONAL). */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8 };

interface Entry {
  type: number;
  count: number;
  /** Offset of the value within the TIFF data (inline values point into the entry). */
  at: number;
}

/** A bounds-checked view of the TIFF structure inside APP1. */
class Tiff {
  readonly #view: DataView;
  readonly #little: boolean;

  constructor(view: DataView, little: boolean) {
    this.#view = view;
    this.#little = little;
  }

  get length(): number {
    return this.#view.byteLength;
  }

  u16(at: number): number | null {
    return at >= 0 && at + 2 <= this.length ? this.#view.getUint16(at, this.#little) : null;
  }

  u32(at: number): number | null {
    return at >= 0 && at + 4 <= this.length ? this.#view.getUint32(at, this.#little) : null;
  }

  /** The entries of the IFD at `at`, by tag; empty when it does not fit. */
  ifd(at: number): Map<number, Entry> {
    const entries = new Map<number, Entry>();
    const count = this.u16(at);
    if (count === null || at + 2 + count * 12 > this.length) return entries;
    for (let i = 0; i < count; i++) {
      const base = at + 2 + i * 12;
      const tag = this.u16(base) ?? 0;
      const type = this.u16(base + 2) ?? 0;
      const n = this.u32(base + 4) ?? 0;
      const size = (TYPE_SIZE[type] ?? 0) * n;
      if (size === 0) continue;
      const valueAt = size <= 4 ? base + 8 : (this.u32(base + 8) ?? -1);
      if (valueAt < 0 || valueAt + size > this.length) continue;
      entries.set(tag, { type, count: n, at: valueAt });
    }
    return entries;
  }

  ascii(entry: Entry | undefined): string | null {
    if (!entry || entry.type !== 2) return null;
    let out = "";
    for (let i = 0; i < entry.count; i++) {
      const c = this.#view.getUint8(entry.at + i);
      if (c === 0) break;
      out += String.fromCharCode(c);
    }
    return out;
  }

  short(entry: Entry | undefined): number | null {
    if (!entry) return null;
    if (entry.type === 3) return this.u16(entry.at);
    if (entry.type === 4) return this.u32(entry.at);
    return null;
  }

  /** The RATIONAL values of an entry; null if any has a zero denominator. */
  rationals(entry: Entry | undefined): number[] | null {
    if (!entry || entry.type !== 5) return null;
    const out: number[] = [];
    for (let i = 0; i < entry.count; i++) {
      const num = this.u32(entry.at + i * 8);
      const den = this.u32(entry.at + i * 8 + 4);
      if (num === null || !den) return null;
      out.push(num / den);
    }
    return out;
  }
}

/** The TIFF data of the first EXIF APP1 segment of a JPEG, or null. */
export function findExif(bytes: Uint8Array): DataView | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] ?? 0;
    // Fill bytes before a marker.
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    // Start of scan or end of image: no metadata after this.
    if (marker === 0xda || marker === 0xd9) return null;
    const length = ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0);
    if (length < 2) return null;
    const start = at + 4;
    const end = at + 2 + length;
    if (
      marker === 0xe1 &&
      end <= bytes.length &&
      length >= 8 &&
      // "Exif\0\0"
      bytes[start] === 0x45 &&
      bytes[start + 1] === 0x78 &&
      bytes[start + 2] === 0x69 &&
      bytes[start + 3] === 0x66 &&
      bytes[start + 4] === 0 &&
      bytes[start + 5] === 0
    ) {
      return new DataView(bytes.buffer, bytes.byteOffset + start + 6, end - start - 6);
    }
    at = end;
  }
  return null;
}

/** "YYYY:MM:DD HH:MM:SS" as a wall time; null when blank or impossible. */
export function parseExifDate(value: string | null): WallTime | null {
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(value?.trim() ?? "");
  if (!match) return null;
  const [y, m, d, h, min, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(y, m - 1, d, h, min, s));
  const real =
    y >= 1900 &&
    check.getUTCFullYear() === y &&
    check.getUTCMonth() === m - 1 &&
    check.getUTCDate() === d &&
    h < 24 &&
    min < 60 &&
    s < 60;
  return real ? { y, m, d, h, min, s } : null;
}

/** "+08:00" / "-05:30" as minutes east of UTC. */
export function parseExifOffset(value: string | null): number | null {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(value?.trim() ?? "");
  if (!match) return null;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  if (minutes > 14 * 60) return null;
  return match[1] === "-" ? -minutes : minutes;
}

function degrees(dms: number[] | null, ref: string | null, positive: string, negative: string, max: number): number | null {
  if (!dms || dms.length !== 3) return null;
  const [d, m, s] = dms as [number, number, number];
  if (m >= 60 || s >= 60) return null;
  const value = d + m / 60 + s / 3600;
  if (value > max) return null;
  const r = ref?.trim().toUpperCase();
  if (r === negative) return -value;
  return r === positive ? value : null;
}

function readGeo(tiff: Tiff, gps: Map<number, Entry>): ExifGeo | null {
  const lat = degrees(tiff.rationals(gps.get(TAG.gpsLat)), tiff.ascii(gps.get(TAG.gpsLatRef)), "N", "S", 90);
  const lng = degrees(tiff.rationals(gps.get(TAG.gpsLng)), tiff.ascii(gps.get(TAG.gpsLngRef)), "E", "W", 180);
  if (lat === null || lng === null) return null;
  // Cameras without a fix write zeros: no real photo is taken at 0°N 0°E.
  if (lat === 0 && lng === 0) return null;
  const error = tiff.rationals(gps.get(TAG.gpsHError))?.[0];
  return { lat, lng, accuracy: error !== undefined && Number.isFinite(error) ? error : null };
}

/** The EXIF of a JPEG's first bytes (see EXIF_SCAN_BYTES); NO_EXIF when there is none. */
export function readExif(bytes: Uint8Array): Exif {
  const data = findExif(bytes);
  if (!data || data.byteLength < 8) return NO_EXIF;
  const order = data.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return NO_EXIF;
  const tiff = new Tiff(data, order === 0x4949);
  if (tiff.u16(2) !== 42) return NO_EXIF;
  const ifd0 = tiff.ifd(tiff.u32(4) ?? -1);
  const seen = new Set<number>([tiff.u32(4) ?? -1]);
  const sub = (tag: number) => {
    const at = tiff.short(ifd0.get(tag));
    if (at === null || seen.has(at)) return new Map<number, Entry>();
    seen.add(at);
    return tiff.ifd(at);
  };
  const exif = sub(TAG.exifIfd);
  const gps = sub(TAG.gpsIfd);
  const orientation = tiff.short(ifd0.get(TAG.orientation));
  return {
    taken: parseExifDate(tiff.ascii(exif.get(TAG.dateTimeOriginal))) ?? parseExifDate(tiff.ascii(ifd0.get(TAG.dateTime))),
    offsetMinutes:
      parseExifOffset(tiff.ascii(exif.get(TAG.offsetTimeOriginal))) ?? parseExifOffset(tiff.ascii(exif.get(TAG.offsetTime))),
    geo: readGeo(tiff, gps),
    orientation: orientation !== null && orientation >= 1 && orientation <= 8 ? orientation : 1,
  };
}

/**
 * The instant of a camera's wall time. With the offset the camera wrote it is exact; without,
 * the phone's own zone is the best guess (the camera and the app share the phone's clock), which
 * `zoneOffset` gives for that wall time (minutes east of UTC).
 */
export function exifInstant(
  taken: WallTime,
  offsetMinutes: number | null,
  zoneOffset: (wall: WallTime) => number = deviceZoneOffset,
): number {
  const asUtc = Date.UTC(taken.y, taken.m - 1, taken.d, taken.h, taken.min, taken.s);
  return asUtc - (offsetMinutes ?? zoneOffset(taken)) * 60_000;
}

/** The device's UTC offset at a local wall time, in minutes east of UTC. */
export function deviceZoneOffset(wall: WallTime): number {
  const local = new Date(wall.y, wall.m - 1, wall.d, wall.h, wall.min, wall.s);
  return -local.getTimezoneOffset();
}
