// Reminders computed on the phone, offline, for the user's own items: the same occasions the
// server's reminder job produces (server/src/notify/reminders.rs), from the facts the local
// index keeps of every record, plus milestones due. Every function takes `now`.

import { DUE_SOON_DAYS, FIRST_RESPONSE_WITHIN_MS, isOpen, nextFeedbackDue, type DubanFacts } from "./derived";
import { HOUR_MS, localDay } from "./time";

/** The 24-hour first response is announced this long before it is due. */
export const RESPONSE_WARNING_MS = 4 * HOUR_MS;

export type ReminderKind =
  | "reminder_response_due"
  | "reminder_response_overdue"
  | "reminder_deadline_soon"
  | "reminder_deadline_today"
  | "reminder_deadline_overdue"
  | "reminder_feedback_due"
  | "reminder_feedback_late"
  | "reminder_milestone_due";

export interface Reminder {
  /** Stable per item and occasion, as the server's keys: the same reminder is shown once. */
  key: string;
  kind: ReminderKind;
  /** The instant it is about (the deadline, the due time). */
  about: number;
  /** Calendar days left, for "deadline soon". */
  days?: number;
}

/** The reminders an open item has at `now` (exclusive in time, as on the server). */
export function remindersOf(facts: DubanFacts, now: number): Reminder[] {
  if (!isOpen(facts.status)) return [];
  const out: Reminder[] = [];
  const add = (kind: ReminderKind, about: number, days?: number) =>
    out.push({ key: `${kind}:${about}`, kind, about, ...(days === undefined ? {} : { days }) });
  if (facts.assigned_at !== null && facts.progress.length === 0) {
    const due = facts.assigned_at + FIRST_RESPONSE_WITHIN_MS;
    if (now > due) add("reminder_response_overdue", facts.assigned_at);
    else if (now >= due - RESPONSE_WARNING_MS) add("reminder_response_due", facts.assigned_at);
  }
  if (facts.deadline !== null) {
    const days = localDay(facts.deadline) - localDay(now);
    if (facts.deadline < now) add("reminder_deadline_overdue", facts.deadline);
    else if (days === 0) add("reminder_deadline_today", facts.deadline);
    else if (days >= 1 && days <= DUE_SOON_DAYS) add("reminder_deadline_soon", facts.deadline, days);
  }
  const feedback = nextFeedbackDue(facts);
  if (feedback !== null) {
    if (feedback < now) add("reminder_feedback_late", feedback);
    else if (localDay(feedback) === localDay(now)) add("reminder_feedback_due", feedback);
  }
  for (const milestone of facts.milestones) {
    if (milestone.done_at === null && localDay(milestone.due) <= localDay(now)) {
      add("reminder_milestone_due", milestone.due);
    }
  }
  return out;
}
