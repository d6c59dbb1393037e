// ISO weeks in Asia/Shanghai, as the server's 周报 reads `week=YYYY-Www`.
import { describe, expect, test } from "vitest";

import { shanghai } from "../src/domain/time";
import { addWeeks, compareWeeks, formatWeek, parseWeek, weekOf, weeksInYear, weekStart } from "../src/domain/week";

const utc = (iso: string) => Date.parse(iso);

describe("the ISO week of an instant", () => {
  test("a week runs from Monday to Sunday", () => {
    expect(weekOf(shanghai(2026, 11, 16, 0, 0))).toEqual({ year: 2026, week: 47 });
    expect(weekOf(shanghai(2026, 11, 21, 12, 0))).toEqual({ year: 2026, week: 47 });
    expect(weekOf(shanghai(2026, 11, 22, 23, 59))).toEqual({ year: 2026, week: 47 });
    expect(weekOf(shanghai(2026, 11, 23, 0, 0))).toEqual({ year: 2026, week: 48 });
  });

  test("Shanghai midnight, not UTC midnight, turns the week", () => {
    // Sunday 16:10 UTC is already Monday 00:10 in Shanghai.
    expect(weekOf(utc("2026-11-22T15:59:00Z"))).toEqual({ year: 2026, week: 47 });
    expect(weekOf(utc("2026-11-22T16:10:00Z"))).toEqual({ year: 2026, week: 48 });
  });

  test("weeks at the turn of the year belong to the year of their Thursday", () => {
    expect(weekOf(shanghai(2025, 12, 29, 9, 0))).toEqual({ year: 2026, week: 1 });
    expect(weekOf(shanghai(2026, 1, 1, 9, 0))).toEqual({ year: 2026, week: 1 });
    expect(weekOf(shanghai(2027, 1, 1, 9, 0))).toEqual({ year: 2026, week: 53 });
    expect(weekOf(shanghai(2027, 1, 4, 9, 0))).toEqual({ year: 2027, week: 1 });
    expect(weekOf(shanghai(2021, 1, 3, 9, 0))).toEqual({ year: 2020, week: 53 });
  });

  test("long years have 53 weeks", () => {
    expect(weeksInYear(2026)).toBe(53); // starts on a Thursday
    expect(weeksInYear(2020)).toBe(53); // leap, starts on a Wednesday
    expect(weeksInYear(2025)).toBe(52);
    expect(weeksInYear(2024)).toBe(52);
  });
});

describe("YYYY-Www", () => {
  test("round-trips, with two-digit weeks", () => {
    expect(formatWeek({ year: 2026, week: 7 })).toBe("2026-W07");
    expect(parseWeek("2026-W07")).toEqual({ year: 2026, week: 7 });
    expect(parseWeek(formatWeek(weekOf(shanghai(2026, 11, 20, 9, 0))))).toEqual({ year: 2026, week: 47 });
  });

  test("refuses what the server would refuse, and a week the year lacks", () => {
    for (const bad of ["", "2026-47", "2026W47", "2026-W7", "2026-W00", "2025-W53", "2026-W54", "26-W10", "2026-w10"]) {
      expect(parseWeek(bad), bad).toBeNull();
    }
    expect(parseWeek("2026-W53")).toEqual({ year: 2026, week: 53 });
  });
});

describe("week arithmetic", () => {
  test("a week starts on Monday 00:00 in Shanghai", () => {
    expect(weekStart({ year: 2026, week: 47 })).toBe(shanghai(2026, 11, 16, 0, 0));
    expect(weekStart({ year: 2026, week: 1 })).toBe(shanghai(2025, 12, 29, 0, 0));
  });

  test("moving by weeks crosses years", () => {
    expect(addWeeks({ year: 2026, week: 53 }, 1)).toEqual({ year: 2027, week: 1 });
    expect(addWeeks({ year: 2026, week: 1 }, -1)).toEqual({ year: 2025, week: 52 });
    expect(addWeeks({ year: 2026, week: 47 }, 0)).toEqual({ year: 2026, week: 47 });
  });

  test("weeks order by year, then number", () => {
    expect(compareWeeks({ year: 2025, week: 52 }, { year: 2026, week: 1 })).toBeLessThan(0);
    expect(compareWeeks({ year: 2026, week: 47 }, { year: 2026, week: 47 })).toBe(0);
    expect(compareWeeks({ year: 2026, week: 48 }, { year: 2026, week: 47 })).toBeGreaterThan(0);
  });
});
