// The workflow's truth on the phone: what 交办 still lacks (a port of
// `rules::missing_for_assignment`), why an action a person would look for is not available
// now, and the outcome a closed item shows instead of a light and days left. Pure.

import type { DubanStatus } from "../generated/records";
import type { MessageKey, Vars } from "../i18n";
import { closedAt, isOpen, type DubanFacts } from "./derived";
import { mayAppend, mayMove, type DubanAction } from "./permissions";
import type { Role } from "../generated/rules";

/** The fields 交办 requires. */
export type AssignField = "lead_unit" | "handlers" | "supervisors";

/** What an item still lacks to be assigned: a lead unit, a handler, a supervisor. */
export function missingForAssignment(item: { lead_unit: string | null; handlers: readonly string[]; supervisors: readonly string[] }): AssignField[] {
  const missing: AssignField[] = [];
  if (!item.lead_unit?.trim()) missing.push("lead_unit");
  if (!item.handlers.some((h) => h.trim())) missing.push("handlers");
  if (!item.supervisors.some((s) => s.trim())) missing.push("supervisors");
  return missing;
}

export interface Why {
  key: MessageKey;
  vars?: Vars;
}

/**
 * Actions the person would take in this role but cannot now, each with why: shown disabled with
 * the reason rather than hidden, so nobody hunts for a button that vanished.
 */
export function unavailableActions(
  status: DubanStatus,
  roles: readonly Role[],
  deadline: number | null,
  now: number,
): Map<DubanAction, Why> {
  const why = new Map<DubanAction, Why>();
  // 延期申请 must be filed before the deadline passes.
  if (isOpen(status) && mayAppend("duban", "extension_requests", roles) && deadline !== null && now > deadline) {
    why.set("extension", { key: "why.extension_after_deadline" });
  }
  if (status === "assigned" && mayMove("duban", "in_progress", "closing_requested", roles) && !mayMove("duban", status, "closing_requested", roles)) {
    why.set("request_close", { key: "why.request_close_not_accepted" });
  }
  return why;
}

export interface Outcome {
  /** "on_time" / "late" once closed with a deadline; "closed" without one. */
  closing: "on_time" | "late" | "closed";
  score: number | null;
}

/** How a closed or evaluated item ended; null for every other status. */
export function outcomeOf(facts: DubanFacts): Outcome | null {
  if (facts.status !== "closed" && facts.status !== "evaluated") return null;
  const closed = closedAt(facts);
  const closing = closed === null || facts.deadline === null ? "closed" : closed <= facts.deadline ? "on_time" : "late";
  return { closing, score: facts.status === "evaluated" ? (facts.score ?? null) : null };
}

/** Longest title a finding gives its draft 督办事项: a title, not the finding's whole text. */
export const FINDING_TITLE_CHARS = 30;

/**
 * A short title from a finding's text: its first clause (up to the first comma, full stop,
 * semicolon, colon or line break), cut to FINDING_TITLE_CHARS. The researcher can edit it.
 */
export function shortTitle(text: string): string {
  const trimmed = text.trim();
  const clause = trimmed.split(/[，,。.；;：:！!？?\n]/u)[0]?.trim() || trimmed;
  return [...clause].slice(0, FINDING_TITLE_CHARS).join("");
}

/** The lead units to suggest for a finding's draft: the researcher's unit, then the research's. */
export function leadUnitSuggestions(researcherUnit: string | null, researchUnit: string | null): string[] {
  return [...new Set([researcherUnit, researchUnit].filter((u): u is string => !!u))];
}
