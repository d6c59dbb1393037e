// Instants and Asia/Shanghai calendar days, as shared/src/time.rs counts them.
//
// Shanghai has used UTC+8 without daylight saving since 1991, so a fixed offset gives the same
// calendar as chrono-tz for every record this product holds, and needs no time-zone data on
// the phone.

/** The device clock, for event handlers (render code takes `now` from `useNow`). */
export const clock = (): number => Date.now();

export const DAY_MS = 24 * 60 * 60 * 1000;
export const HOUR_MS = 60 * 60 * 1000;
const OFFSET_MS = 8 * HOUR_MS;

/** The calendar day in Shanghai on which `ms` falls, as a day number (days since 1970-01-01). */
export function localDay(ms: number): number {
  return Math.floor((ms + OFFSET_MS) / DAY_MS);
}

/** The instant at a wall-clock time in Shanghai (month 1-12). */
export function shanghai(y: number, m: number, d: number, h = 0, min = 0): number {
  return Date.UTC(y, m - 1, d, h, min) - OFFSET_MS;
}

/** Wall-clock parts of an instant in Shanghai. */
export function localParts(ms: number): { y: number; m: number; d: number; h: number; min: number } {
  const t = new Date(ms + OFFSET_MS);
  return {
    y: t.getUTCFullYear(),
    m: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    h: t.getUTCHours(),
    min: t.getUTCMinutes(),
  };
}

/**
 * One calendar month later on Shanghai's wall clock, the day clamped to the month's last day
 * (Jan 31 + 1 month = Feb 28/29), as chrono's `checked_add_months` does.
 */
export function addMonthLocal(ms: number): number {
  const t = new Date(ms + OFFSET_MS);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(t.getUTCDate(), lastDay);
  const timeOfDay = (ms + OFFSET_MS) % DAY_MS;
  return Date.UTC(y, m, day) + timeOfDay - OFFSET_MS;
}

/** `YYYY-MM-DD` of the Shanghai day of `ms` (for date inputs and display). */
export function isoDate(ms: number): string {
  const { y, m, d } = localParts(ms);
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** `YYYY-MM-DD HH:mm` in Shanghai. */
export function isoDateTime(ms: number): string {
  const { h, min } = localParts(ms);
  return `${isoDate(ms)} ${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
}

/**
 * The deadline stored for a day picked in a form: the last minute of that day in Shanghai
 * (23:59), as the domain defines deadlines given as days. `null` for a malformed date.
 */
export function endOfDayFromIso(date: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = shanghai(y, m, d, 23, 59);
  return isoDate(ms) === date ? ms : null;
}

/** The start (00:00) of a day picked in a form, in Shanghai; `null` if malformed. */
export function startOfDayFromIso(date: string): number | null {
  const end = endOfDayFromIso(date);
  return end === null ? null : end - (23 * HOUR_MS + 59 * 60 * 1000);
}
