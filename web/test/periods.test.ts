import { describe, expect, it } from "vitest";

import { periodKind, recentPeriods } from "../src/domain/periods";

// 2027-01-01 00:30 in Shanghai is still 2026-12-31 in UTC.
const newYear = Date.UTC(2026, 11, 31, 16, 30);

describe("periods", () => {
  it("names the periods of Shanghai's calendar, newest first", () => {
    expect(recentPeriods("month", newYear, 3)).toEqual(["2027-01", "2026-12", "2026-11"]);
    expect(recentPeriods("quarter", newYear, 2)).toEqual(["2027-Q1", "2026-Q4"]);
    // 2027-01-01 is a Friday of ISO week 2026-W53.
    expect(recentPeriods("week", newYear, 2)).toEqual(["2026-W53", "2026-W52"]);
  });

  it("tells the kind of a period", () => {
    expect(periodKind("2026-W49")).toBe("week");
    expect(periodKind("2026-Q4")).toBe("quarter");
    expect(periodKind("2026-12")).toBe("month");
    expect(periodKind("2026-13")).toBeNull();
  });
});
