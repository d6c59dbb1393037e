// The fields of a 督办事项 a person sets (on creation, and later in the detail view), who may
// change each, and what makes a value acceptable. Pure: the new item form and the detail's
// editors share these checks, so an item can never be edited into a state it could not be
// created in.

import type { DubanStatus } from "../generated/records";
import type { Role } from "../generated/rules";
import type { MessageKey } from "../i18n";
import { mayEdit } from "./permissions";
import { endOfDayFromIso, isoDate } from "./time";

/** The fields the detail view lets their owners edit, in the order it shows them. */
export const DUBAN_FIELDS = [
  "title",
  "doc_no",
  "source",
  "level",
  "parent",
  "category",
  "urgency",
  "is_major",
  "lead_unit",
  "co_units",
  "handlers",
  "supervisors",
  "assigned_at",
  "deadline",
  "feedback_cycle",
  "milestones",
] as const;

export type DubanField = (typeof DUBAN_FIELDS)[number];

export const TITLE_MAX = 200;
export const DETAIL_MAX = 20_000;
export const DOC_NO_MAX = 100;
export const CATEGORY_MAX = 50;
export const MILESTONE_TITLE_MAX = 200;

/** An instant may be this far ahead of the phone's clock (clocks drift) and still be "now". */
const CLOCK_SLACK_MS = 5 * 60 * 1000;

/**
 * The fields `roles` (already narrowed to the record with `rolesOn`) may change on an item in
 * `status`: those the generated FIELD_RULES give them. 交办时间 is set by 交办 itself, so a
 * draft offers no editor for it.
 */
export function editableFields(roles: readonly Role[], status: DubanStatus): Set<DubanField> {
  return new Set(
    DUBAN_FIELDS.filter((field) => mayEdit("duban", field, roles) && !(field === "assigned_at" && status === "draft")),
  );
}

/** Why a title cannot be saved, or null. */
export function checkTitle(title: string): MessageKey | null {
  const v = title.trim();
  if (!v) return "form.required";
  return v.length > TITLE_MAX ? "form.too_long" : null;
}

/** A short optional text (文号, 类别) longer than `max`. */
export function checkShort(value: string, max: number): MessageKey | null {
  return value.trim().length > max ? "form.too_long" : null;
}

/**
 * A deadline picked as a day (`YYYY-MM-DD`) on `today` (the same form): required when the item
 * is assigned, and not before today.
 */
export function checkDeadline(date: string, today: string, required: boolean): MessageKey | null {
  if (!date) return required ? "form.required" : null;
  if (endOfDayFromIso(date) === null) return "form.bad_date";
  return date < today ? "form.date_past" : null;
}

/**
 * 交办时间 as a `datetime-local` value in Shanghai: not in the future, and not after the
 * deadline (the first response is counted from it).
 */
export function checkAssignedAt(value: string, now: number, deadline: number | null): MessageKey | null {
  const at = fromLocalInput(value);
  if (at === null) return value ? "form.bad_date" : "form.required";
  if (at > now + CLOCK_SLACK_MS) return "form.assigned_future";
  return deadline !== null && at > deadline ? "form.assigned_after_deadline" : null;
}

/** A new milestone: a title, and a day from today up to the deadline. */
export function checkMilestone(title: string, date: string, today: string, deadline: number | null): MessageKey | null {
  if (!title.trim()) return "form.milestone_title";
  if (title.trim().length > MILESTONE_TITLE_MAX) return "form.too_long";
  const due = endOfDayFromIso(date);
  if (due === null) return date ? "form.bad_date" : "form.milestone_due";
  if (date < today) return "form.day_past";
  return deadline !== null && due > deadline ? "form.milestone_after_deadline" : null;
}

/** At least one 督办员 stays on an item: someone must follow it. */
export function checkSupervisors(ids: readonly string[]): MessageKey | null {
  return ids.length === 0 ? "form.supervisor_required" : null;
}

const OFFSET_MS = 8 * 60 * 60 * 1000;

/** An instant as a `datetime-local` input shows it, in Shanghai (`YYYY-MM-DDTHH:mm`). */
export function toLocalInput(ms: number): string {
  const t = new Date(ms + OFFSET_MS).toISOString();
  return t.slice(0, 16);
}

/** A `datetime-local` value read as Shanghai wall-clock time; null when malformed. */
export function fromLocalInput(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [y, m, d, h, min] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, m - 1, d, h, min) - OFFSET_MS;
  return toLocalInput(ms) === value ? ms : null;
}

/** Today's date in Shanghai, as date inputs compare it. */
export const todayIso = (now: number): string => isoDate(now);

/**
 * Makes `list` (an Automerge list proxy, or any array) hold exactly `wanted`, in place:
 * entries no longer wanted are deleted, new ones appended, the rest left alone. Editing in
 * place lets concurrent edits on other phones merge (one adds a handler, another removes one);
 * replacing the whole list would make them conflict instead. Duplicates are removed too.
 */
export function setListInPlace<T>(list: T[], wanted: readonly string[], read: (x: T) => string, make: (id: string) => T): void {
  const seen = new Set<string>();
  for (let i = list.length - 1; i >= 0; i -= 1) {
    const id = read(list[i] as T);
    if (!wanted.includes(id) || seen.has(id)) list.splice(i, 1);
    else seen.add(id);
  }
  // Walking from the end keeps the last of each duplicate; `seen` holds what remains.
  for (const id of wanted) {
    if (!seen.has(id)) {
      list.push(make(id));
      seen.add(id);
    }
  }
}

/** The new item form, as its inputs hold it. */
export interface DubanForm {
  title: string;
  detail: string;
  doc_no: string;
  source: string;
  level: string;
  category: string;
  urgency: string;
  is_major: boolean;
  lead_unit: string;
  co_units: string[];
  handlers: string[];
  supervisors: string[];
  /** Keep it as a draft (草稿): not sent to the units yet, so no deadline or unit needed. */
  draft: boolean;
  /** `datetime-local` in Shanghai; empty: the moment it is saved. */
  assigned_at: string;
  /** `YYYY-MM-DD`. */
  deadline: string;
  feedback_cycle: string;
  milestones: { id: string; title: string; due: number; done_at: number | null }[];
}

export type FormErrors = Partial<Record<keyof DubanForm, MessageKey>>;

/** What is wrong with the form at `now`, field by field; empty when it can be saved. */
export function validateDubanForm(form: DubanForm, now: number): FormErrors {
  const errors: FormErrors = {};
  const set = (field: keyof DubanForm, problem: MessageKey | null) => {
    if (problem) errors[field] = problem;
  };
  const assign = !form.draft;
  set("title", checkTitle(form.title));
  set("detail", form.detail.length > DETAIL_MAX ? "form.too_long" : null);
  set("doc_no", checkShort(form.doc_no, DOC_NO_MAX));
  set("category", checkShort(form.category, CATEGORY_MAX));
  set("lead_unit", assign && !form.lead_unit ? "form.required" : null);
  set("co_units", form.lead_unit && form.co_units.includes(form.lead_unit) ? "form.co_unit_is_lead" : null);
  set("supervisors", checkSupervisors(form.supervisors));
  // 交办 hands the item to someone: without a 承办人 it would be in nobody's 我的待办.
  set("handlers", assign && form.handlers.length === 0 ? "form.handler_required" : null);
  set("deadline", checkDeadline(form.deadline, todayIso(now), assign));
  const deadline = form.deadline ? endOfDayFromIso(form.deadline) : null;
  if (assign && form.assigned_at) set("assigned_at", checkAssignedAt(form.assigned_at, now, deadline));
  if (deadline !== null && form.milestones.some((m) => m.due > deadline)) errors.milestones = "form.milestone_after_deadline";
  return errors;
}
