// ISO weeks (Monday to Sunday) in Asia/Shanghai, as the server's 周报 counts them
// (`server/src/api/weekly.rs`): the week of an instant, `YYYY-Www` in and out, and the instants
// a week starts and ends.

import { DAY_MS, localDay } from "./time";

export interface IsoWeek {
  /** The ISO week-numbering year: the year of the week's Thursday. */
  year: number;
  /** 1 to 52 or 53. */
  week: number;
}

const OFFSET_MS = 8 * 60 * 60 * 1000;

/** Day numbers (days since 1970-01-01) count from a Thursday; Monday is 0 here. */
const weekdayOf = (day: number): number => (((day + 3) % 7) + 7) % 7;

/** The day number of January 1st of `year`. */
const januaryFirst = (year: number): number => Math.floor(Date.UTC(year, 0, 1) / DAY_MS);

/** The day number of the Monday of week 1 of `year` (the week holding January 4th). */
function firstMonday(year: number): number {
  const jan4 = januaryFirst(year) + 3;
  return jan4 - weekdayOf(jan4);
}

/** 52 or 53: a year has 53 weeks when it starts on a Thursday, or on a Wednesday in a leap year. */
export function weeksInYear(year: number): number {
  return (firstMonday(year + 1) - firstMonday(year)) / 7;
}

/** The ISO week in which the Shanghai calendar day of `ms` falls. */
export function weekOf(ms: number): IsoWeek {
  const day = localDay(ms);
  const thursday = day - weekdayOf(day) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  return { year, week: Math.floor((thursday - januaryFirst(year)) / 7) + 1 };
}

/** `YYYY-Www`, as the server takes it (`2026-W07`). */
export function formatWeek({ year, week }: IsoWeek): string {
  return `${String(year).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

/** Reads `YYYY-Www`; null when malformed or when the year has no such week. */
export function parseWeek(text: string): IsoWeek | null {
  const match = /^(\d{4})-W(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const year = Number(match[1]);
  const week = Number(match[2]);
  return week >= 1 && week <= weeksInYear(year) ? { year, week } : null;
}

/** The first instant of the week: Monday 00:00 in Shanghai. */
export function weekStart({ year, week }: IsoWeek): number {
  return (firstMonday(year) + (week - 1) * 7) * DAY_MS - OFFSET_MS;
}

/** The week `n` weeks after `w` (before, for a negative `n`). */
export function addWeeks(w: IsoWeek, n: number): IsoWeek {
  return weekOf(weekStart(w) + n * 7 * DAY_MS);
}

/** Orders weeks: negative when `a` comes first. */
export function compareWeeks(a: IsoWeek, b: IsoWeek): number {
  return a.year - b.year || a.week - b.week;
}
