// What the list views show, computed from record summaries on the phone: 我的待办, the ledger's
// filters and search, the research list. Pure functions of the summaries and a clock.

import type { DubanStatus } from "../generated/records";
import { daysLeft, isOpen, light, lightRank, type Light } from "./derived";
import { rolesOn, type Actor } from "./permissions";
import type { RecordSummary } from "./summary";

/** A summary with its derived values at one instant. */
export interface ListRow {
  summary: RecordSummary;
  light: Light | null;
  daysLeft: number | null;
}

export function rowOf(summary: RecordSummary, now: number): ListRow {
  const facts = summary.facts;
  return {
    summary,
    light: facts ? light(facts, now) : null,
    // Days left mean something only while the units work on it: never "超期" once closed or
    // suspended.
    daysLeft: facts && isOpen(facts.status) ? daysLeft(facts, now) : null,
  };
}

/** Red first, then yellow, green, none; within a light the nearest deadline first. */
export function byLightThenDeadline(a: ListRow, b: ListRow): number {
  return (
    lightRank(a.light) - lightRank(b.light) ||
    (a.summary.deadline ?? Infinity) - (b.summary.deadline ?? Infinity) ||
    a.summary.id.localeCompare(b.summary.id)
  );
}

/** By deadline (none last), then id: the server's ledger order. */
export function byDeadline(a: ListRow, b: ListRow): number {
  return (a.summary.deadline ?? Infinity) - (b.summary.deadline ?? Infinity) || a.summary.id.localeCompare(b.summary.id);
}

/**
 * 我的待办: open 督办事项 that are mine to act on: I am named in it (handler, supervisor,
 * creator) or act as its handler through my unit; plus, for those who review closings, every
 * item waiting for its closing review.
 */
export function todoRows(summaries: readonly RecordSummary[], actor: Actor, now: number): ListRow[] {
  const reviews = actor.roles.includes("supervisor") || actor.roles.includes("leader");
  return summaries
    .filter((s) => {
      if (s.kind !== "duban" || !s.facts || !isOpen(s.facts.status)) return false;
      const mine = s.people.includes(actor.id) || rolesOn(s.involvement, actor).includes("handler");
      return mine || (reviews && s.facts.status === "closing_requested");
    })
    .map((s) => rowOf(s, now))
    .sort(byLightThenDeadline);
}

export interface LedgerFilter {
  status?: DubanStatus | "";
  light?: Light | "";
  level?: string;
  unit?: string;
  /** Text searched in title, 文号, detail and entries (case-insensitive). */
  q?: string;
  /** Only items due before the end of this instant. */
  dueBefore?: number | null;
}

/** 督办台账: every 督办事项 held here that matches the filter, by deadline. */
export function ledgerRows(summaries: readonly RecordSummary[], filter: LedgerFilter, now: number): ListRow[] {
  const q = filter.q?.trim().toLowerCase() ?? "";
  return summaries
    .filter((s) => s.kind === "duban")
    .map((s) => rowOf(s, now))
    .filter(
      (row) =>
        (!filter.status || row.summary.status === filter.status) &&
        (!filter.light || row.light === filter.light) &&
        (!filter.level || row.summary.level === filter.level) &&
        (!filter.unit || row.summary.unit === filter.unit || row.summary.co_units.includes(filter.unit)) &&
        (!filter.dueBefore || (row.summary.deadline !== null && row.summary.deadline < filter.dueBefore)) &&
        (!q || row.summary.search.includes(q)),
    )
    .sort(byDeadline);
}

/** 会议 list: meetings held here, latest first. */
export function meetingRows(summaries: readonly RecordSummary[], now: number): ListRow[] {
  return summaries
    .filter((s) => s.kind === "meeting")
    .map((s) => rowOf(s, now))
    .sort((a, b) => b.summary.created_at - a.summary.created_at);
}

/** 调研 list: research records held here, newest first. */
export function researchRows(summaries: readonly RecordSummary[], now: number): ListRow[] {
  return summaries
    .filter((s) => s.kind === "research")
    .map((s) => rowOf(s, now))
    .sort((a, b) => b.summary.created_at - a.summary.created_at);
}
