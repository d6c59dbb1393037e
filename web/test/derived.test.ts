// The cases of shared/src/derived/tests.rs, computed by the TypeScript port: the phone must
// show exactly the lights and days left the server computes.
import { describe, expect, test } from "vitest";

import {
  closedAt,
  concerns,
  daysLeft,
  firstResponseDue,
  isFeedbackLate,
  isFirstResponseLate,
  isOverdue,
  lastFeedbackAge,
  light,
  nextFeedbackDue,
  progressAfterClosing,
} from "../src/domain/derived";
import { DAY_MS, shanghai } from "../src/domain/time";
import { dubanFacts, dueOnThe22nd } from "./samples";

const utc = (iso: string) => Date.parse(iso);

describe("derived values, as shared/src/derived.rs", () => {
  test("days left counts Shanghai calendar days", () => {
    const item = dueOnThe22nd();
    expect(daysLeft(item, shanghai(2026, 11, 21, 23, 30))).toBe(1);
    expect(daysLeft(item, shanghai(2026, 11, 22, 0, 10))).toBe(0);
    expect(isOverdue(item, shanghai(2026, 11, 22, 0, 10))).toBe(false);
    expect(daysLeft(item, shanghai(2026, 11, 19, 8, 0))).toBe(3);
    expect(daysLeft(item, shanghai(2026, 11, 23, 0, 0))).toBe(-1);
  });

  test("Shanghai midnight, not UTC midnight, turns the day", () => {
    const item = dueOnThe22nd();
    expect(daysLeft(item, utc("2026-11-21T15:59:00Z"))).toBe(1);
    expect(daysLeft(item, utc("2026-11-21T16:01:00Z"))).toBe(0);
    expect(daysLeft(item, utc("2026-11-22T00:00:00Z"))).toBe(0);
  });

  test("a deadline just after Shanghai midnight is on the next date", () => {
    const item = { ...dueOnThe22nd(), deadline: utc("2026-11-22T16:30:00Z") };
    expect(daysLeft(item, shanghai(2026, 11, 22, 23, 0))).toBe(1);
    expect(light(item, shanghai(2026, 11, 22, 23, 0))).toBe("yellow");
    expect(light(item, shanghai(2026, 11, 23, 0, 31))).toBe("red");
  });

  test("overdue starts right after the deadline", () => {
    const item = dueOnThe22nd();
    expect(isOverdue(item, shanghai(2026, 11, 22, 23, 59))).toBe(false);
    const justAfter = shanghai(2026, 11, 22, 23, 59) + 1;
    expect(isOverdue(item, justAfter)).toBe(true);
    expect(light(item, justAfter)).toBe("red");
    expect(concerns(item, justAfter)).toEqual(["overdue"]);
  });

  test("lights by days left", () => {
    const item = dueOnThe22nd();
    const cases: [number, string][] = [
      [shanghai(2026, 11, 18, 23, 59), "green"],
      [shanghai(2026, 11, 19, 0, 0), "yellow"],
      [shanghai(2026, 11, 22, 23, 0), "yellow"],
      [shanghai(2026, 11, 23, 0, 0), "red"],
    ];
    for (const [now, expected] of cases) expect(light(item, now)).toBe(expected);
  });

  test("items that are not open have no light", () => {
    const late = shanghai(2027, 1, 1, 0, 0);
    for (const status of ["draft", "closed", "evaluated", "suspended"] as const) {
      const item = { ...dueOnThe22nd(), status };
      expect(light(item, late)).toBeNull();
      expect(isOverdue(item, late)).toBe(false);
      expect(concerns(item, late)).toEqual([]);
    }
  });

  test("a missed milestone is behind pace", () => {
    const item = { ...dueOnThe22nd(), milestones: [{ due: shanghai(2026, 11, 10, 18, 0), done_at: null as number | null }] };
    const now = shanghai(2026, 11, 11, 9, 0);
    expect(light(item, now)).toBe("yellow");
    expect(concerns(item, now)).toEqual(["milestone_missed"]);
    item.milestones[0]!.done_at = shanghai(2026, 11, 10, 17, 0);
    expect(light(item, now)).toBe("green");
  });

  test("first response is due 24 hours after assignment", () => {
    const item = { ...dueOnThe22nd(), progress: [] as { id: string; at: number }[] };
    expect(firstResponseDue(item)).toBe(shanghai(2026, 11, 2, 9, 0));
    expect(isFirstResponseLate(item, shanghai(2026, 11, 2, 9, 0))).toBe(false);
    const late = shanghai(2026, 11, 2, 9, 1);
    expect(isFirstResponseLate(item, late)).toBe(true);
    expect(light(item, late)).toBe("yellow");
    item.progress.push({ id: "p1", at: shanghai(2026, 11, 2, 10, 0) });
    expect(isFirstResponseLate(item, late)).toBe(false);
  });

  test("weekly feedback is late after seven days; monthly is a calendar month", () => {
    const item = dubanFacts();
    expect(lastFeedbackAge(item, shanghai(2026, 11, 3, 15, 0))).toBe(2 * DAY_MS);
    expect(nextFeedbackDue(item)).toBe(shanghai(2026, 11, 8, 15, 0));
    expect(isFeedbackLate(item, shanghai(2026, 11, 8, 15, 0))).toBe(false);
    expect(concerns(item, shanghai(2026, 11, 8, 15, 1))).toEqual(["feedback_late"]);
    const monthly = { ...item, feedback_cycle: "monthly" as const, progress: [{ id: "p1", at: shanghai(2027, 1, 31, 10, 0) }] };
    expect(nextFeedbackDue(monthly)).toBe(shanghai(2027, 2, 28, 10, 0));
    expect(lastFeedbackAge({ ...item, progress: [] }, shanghai(2026, 11, 3, 15, 0))).toBeNull();
  });

  test("progress synced after closing is kept and marked late", () => {
    const item = {
      ...dubanFacts(),
      status: "closed" as const,
      reviews: [{ verdict: "pass" as const, at: shanghai(2026, 11, 20, 10, 0) }],
      progress: [
        { id: "p1", at: shanghai(2026, 11, 1, 15, 0) },
        { id: "p-late", at: shanghai(2026, 11, 20, 11, 0) },
      ],
    };
    expect(progressAfterClosing(item)).toEqual(["p-late"]);
    expect(closedAt(item)).toBe(shanghai(2026, 11, 20, 10, 0));
  });
});
