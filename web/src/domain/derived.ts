// Values derived from a 督办事项 and a clock, never stored: a port of shared/src/derived.rs, so
// the phone shows offline exactly the lights and days left the server computes. Every function
// takes `now`; nothing here reads the clock. Calendar days are Asia/Shanghai days.

import type { DubanItem, DubanStatus, FeedbackCycle, Verdict } from "../generated/records";
import { text } from "./scalar";
import { DAY_MS, HOUR_MS, addMonthLocal, localDay } from "./time";

/** An item is "due soon" (yellow) when this many calendar days or fewer are left. */
export const DUE_SOON_DAYS = 3;

/** 24小时复命: the first progress report is due this long after assignment. */
export const FIRST_RESPONSE_WITHIN_MS = 24 * HOUR_MS;

export type Light = "green" | "yellow" | "red";

/** Why an item's light is not green, most serious first. */
export type Concern =
  | "overdue"
  | "due_soon"
  | "milestone_missed"
  | "first_response_late"
  | "feedback_late";

/**
 * What the derivations read of an item, as plain values. The local index keeps these for every
 * record, so lists compute lights without loading documents.
 */
export interface DubanFacts {
  status: DubanStatus;
  deadline: number | null;
  assigned_at: number | null;
  feedback_cycle: FeedbackCycle;
  /** `at` of every progress entry. */
  progress: { id: string; at: number }[];
  milestones: { due: number; done_at: number | null }[];
  reviews: { verdict: Verdict; at: number }[];
  /** The evaluation's score, once evaluated (absent in summaries kept before it was added). */
  score?: number | null;
}

/** The facts of a document as automerge presents it. */
export function factsOf(item: DubanItem): DubanFacts {
  return {
    status: text(item.status),
    deadline: item.deadline ?? null,
    assigned_at: item.assigned_at ?? null,
    feedback_cycle: text(item.feedback_cycle),
    progress: (item.progress ?? []).map((p) => ({ id: text(p.id), at: p.at })),
    milestones: (item.milestones ?? []).map((m) => ({ due: m.due, done_at: m.done_at ?? null })),
    reviews: (item.reviews ?? []).map((r) => ({ verdict: text(r.verdict), at: r.at })),
    score: item.evaluation?.score ?? null,
  };
}

/** Assigned, in progress or waiting for the closing review: only these run late. */
export function isOpen(status: DubanStatus): boolean {
  return status === "assigned" || status === "in_progress" || status === "closing_requested";
}

/** Open and past the deadline; due at 23:59 is not overdue at 23:59 itself, only after. */
export function isOverdue(item: DubanFacts, now: number): boolean {
  return isOpen(item.status) && item.deadline !== null && now > item.deadline;
}

/** Calendar days from `now` to the deadline in Shanghai; negative once passed; null without one. */
export function daysLeft(item: DubanFacts, now: number): number | null {
  return item.deadline === null ? null : localDay(item.deadline) - localDay(now);
}

/** When the 24-hour first response is due; null before assignment. */
export function firstResponseDue(item: DubanFacts): number | null {
  return item.assigned_at === null ? null : item.assigned_at + FIRST_RESPONSE_WITHIN_MS;
}

/** Open, the first response is due and nobody has reported progress yet. */
export function isFirstResponseLate(item: DubanFacts, now: number): boolean {
  const due = firstResponseDue(item);
  return isOpen(item.status) && item.progress.length === 0 && due !== null && now > due;
}

/** The latest progress entry's `at`; null if none. */
export function lastFeedback(item: DubanFacts): number | null {
  return item.progress.reduce<number | null>((max, p) => (max === null || p.at > max ? p.at : max), null);
}

/** Milliseconds since progress was last reported; null if never. */
export function lastFeedbackAge(item: DubanFacts, now: number): number | null {
  const last = lastFeedback(item);
  return last === null ? null : now - last;
}

/**
 * When the next periodic report is due: one cycle after the last report, or after assignment
 * if none. Weekly 7 days, biweekly 14, monthly one calendar month in Shanghai.
 */
export function nextFeedbackDue(item: DubanFacts): number | null {
  const since = lastFeedback(item) ?? item.assigned_at;
  if (since === null) return null;
  switch (item.feedback_cycle) {
    case "none":
      return null;
    case "weekly":
      return since + 7 * DAY_MS;
    case "biweekly":
      return since + 14 * DAY_MS;
    case "monthly":
      return addMonthLocal(since);
  }
}

/** Open and the periodic report is late. */
export function isFeedbackLate(item: DubanFacts, now: number): boolean {
  const due = nextFeedbackDue(item);
  return isOpen(item.status) && due !== null && now > due;
}

/** Whether a milestone's due time has passed without it being done. */
export function hasMissedMilestone(item: DubanFacts, now: number): boolean {
  return item.milestones.some((m) => m.done_at === null && now > m.due);
}

/** Every concern about an open item at `now`, most serious first; empty if not open. */
export function concerns(item: DubanFacts, now: number): Concern[] {
  if (!isOpen(item.status)) return [];
  const overdue = isOverdue(item, now);
  const left = daysLeft(item, now);
  const checks: [Concern, boolean][] = [
    ["overdue", overdue],
    ["due_soon", !overdue && left !== null && left <= DUE_SOON_DAYS],
    ["milestone_missed", hasMissedMilestone(item, now)],
    ["first_response_late", isFirstResponseLate(item, now)],
    ["feedback_late", isFeedbackLate(item, now)],
  ];
  return checks.filter(([, applies]) => applies).map(([concern]) => concern);
}

/**
 * The light at `now`: red when overdue; yellow when due within DUE_SOON_DAYS or behind; green
 * otherwise; null for items that are not open (nothing runs late for them).
 */
export function light(item: DubanFacts, now: number): Light | null {
  if (!isOpen(item.status)) return null;
  const found = concerns(item, now);
  if (found.includes("overdue")) return "red";
  return found.length > 0 ? "yellow" : "green";
}

/** When the item was closed: the last passing review; null if none passed. */
export function closedAt(item: DubanFacts): number | null {
  return item.reviews
    .filter((r) => r.verdict === "pass")
    .reduce<number | null>((max, r) => (max === null || r.at > max ? r.at : max), null);
}

/** Ids of progress entries written after the item was closed (synced late); shown as late. */
export function progressAfterClosing(item: DubanFacts): string[] {
  const closed = isOpen(item.status) ? null : closedAt(item);
  if (closed === null) return [];
  return item.progress.filter((p) => p.at > closed).map((p) => p.id);
}

/** Sort key for 我的待办: red, yellow, green, none; then by deadline (none last). */
export function lightRank(l: Light | null): number {
  return l === "red" ? 0 : l === "yellow" ? 1 : l === "green" ? 2 : 3;
}
