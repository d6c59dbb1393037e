// Who may do what on a record, from the generated tables (src/generated/rules.ts) and a port of
// `rules::roles_on`. The server checks every change again; the app uses this only to offer
// what would be accepted, so a person is not shown buttons whose changes would be refused.

import type { DubanStatus, RecordKind, ResearchStatus, StatusByKind } from "../generated/records";
import { ENTRY_RULES, FIELD_RULES, TRANSITIONS, type Role } from "../generated/rules";
import { isOpen } from "./derived";

/** The signed-in user as far as rules are concerned. */
export interface Actor {
  id: string;
  roles: readonly Role[];
  unit: string | null;
}

/** The parts of a record `roles_on` looks at, as plain strings. */
export type Involvement =
  | { kind: "duban"; handlers: string[]; lead_unit: string | null; co_units: string[] }
  | { kind: "research"; lead: string; members: string[] }
  | { kind: "meeting" };

/**
 * The roles a user holds on one record: a handler acts as handler only where they are a
 * handler or their unit is the lead or a co-operating unit; a researcher only on research they
 * lead or are a member of. Other roles count everywhere.
 */
export function rolesOn(record: Involvement, actor: Actor): Role[] {
  return actor.roles.filter((role) => {
    if (role === "handler") {
      return (
        record.kind === "duban" &&
        (record.handlers.includes(actor.id) ||
          (actor.unit !== null && (record.lead_unit === actor.unit || record.co_units.includes(actor.unit))))
      );
    }
    if (role === "researcher") {
      return record.kind === "research" && (record.lead === actor.id || record.members.includes(actor.id));
    }
    return true;
  });
}

const holds = (roles: readonly Role[], allowed: readonly Role[]) => roles.some((r) => allowed.includes(r));

function ruleOf(kind: RecordKind, field: string) {
  return FIELD_RULES.find((rule) => rule.kind === kind && rule.field === field)?.access;
}

/**
 * Whether `roles` may change a value field. Lists of entries are ruled entry by entry
 * (ENTRY_RULES): see `mayAppend`, `mayEditEntryField` and `mayWithdraw`.
 */
export function mayEdit(kind: RecordKind, field: string, roles: readonly Role[]): boolean {
  const access = ruleOf(kind, field);
  return access?.type === "edit" && holds(roles, access.roles);
}

function entryRuleOf(kind: RecordKind, list: string) {
  return ENTRY_RULES.find((rule) => rule.kind === kind && rule.list === list);
}

/** Whether `roles` may add entries to the list `list` (in their own name). */
export function mayAppend(kind: RecordKind, list: string, roles: readonly Role[]): boolean {
  const rule = entryRuleOf(kind, list);
  return rule !== undefined && holds(roles, rule.append);
}

/**
 * Whether `roles` may write `field` of an existing entry of `list`. A field written once (a
 * decision) may be written only while it is unset: pass `isSet` for the entry at hand.
 */
export function mayEditEntryField(
  kind: RecordKind,
  list: string,
  field: string,
  roles: readonly Role[],
  isSet = false,
): boolean {
  const rule = entryRuleOf(kind, list)?.fields.find((f) => f.field === field);
  return rule !== undefined && holds(roles, rule.roles) && !(rule.once && isSet);
}

/**
 * Whether `me`, holding `roles` on the record, may withdraw an entry of `list` written by
 * `author`: only its author, while they may still add to the list, and only once. Entries are
 * never removed.
 */
export function mayWithdraw(
  kind: RecordKind,
  list: string,
  entry: { by: string; withdrawn: boolean },
  me: string,
  roles: readonly Role[],
): boolean {
  return entry.by === me && !entry.withdrawn && mayAppend(kind, list, roles);
}

/** Whether `roles` may move a record of `kind` from `from` to `to`. */
export function mayMove<K extends RecordKind>(
  kind: K,
  from: StatusByKind[K],
  to: StatusByKind[K],
  roles: readonly Role[],
): boolean {
  return TRANSITIONS.some((t) => t.kind === kind && t.from === from && t.to === to && holds(roles, t.roles));
}

/** Whether a user holding `roles` (anywhere) may create a record of `kind`. */
export function mayCreate(kind: RecordKind, roles: readonly Role[]): boolean {
  // The office prepares meetings, as it creates items (server: `sync::review`).
  return kind === "research" ? roles.includes("researcher") : roles.includes("supervisor");
}

/** The actions on a 督办事项 the detail view offers, each tied to its test id. */
export type DubanAction =
  | "progress"
  | "urge"
  | "extension"
  | "decide_extension"
  | "approve_extension"
  | "request_close"
  | "review"
  | "evaluate"
  | "instruct"
  | "assign"
  | "accept"
  | "suspend"
  | "resume"
  | "edit_title"
  | "edit_detail";

/**
 * The actions `roles` (already narrowed with `rolesOn`) may take on an item in `status` at
 * `now`. Each is offered only where the rules accept the change it makes, and only in the
 * statuses where it makes sense (e.g. progress and urges on open items).
 */
export function dubanActions(
  status: DubanStatus,
  roles: readonly Role[],
  deadline: number | null,
  now: number,
): Set<DubanAction> {
  const open = isOpen(status);
  const actions = new Set<DubanAction>();
  const add = (action: DubanAction, allowed: boolean) => {
    if (allowed) actions.add(action);
  };
  add("progress", open && mayAppend("duban", "progress", roles));
  add("urge", open && mayAppend("duban", "urges", roles));
  // 延期申请 must be filed before the deadline passes.
  add(
    "extension",
    open && mayAppend("duban", "extension_requests", roles) && (deadline === null || now <= deadline),
  );
  const decides = mayEditEntryField("duban", "extension_requests", "decision", roles);
  add("decide_extension", decides);
  // Approving moves the deadline, which only some of those who decide may change.
  add("approve_extension", decides && mayEdit("duban", "deadline", roles));
  add("request_close", mayMove("duban", status, "closing_requested", roles));
  add(
    "review",
    status === "closing_requested" &&
      mayAppend("duban", "reviews", roles) &&
      mayMove("duban", status, "closed", roles) &&
      mayMove("duban", status, "in_progress", roles),
  );
  add("evaluate", mayMove("duban", status, "evaluated", roles) && mayEdit("duban", "evaluation", roles));
  add("instruct", status !== "draft" && mayAppend("duban", "instructions", roles));
  add("assign", mayMove("duban", status, "assigned", roles) && mayEdit("duban", "assigned_at", roles));
  add("accept", status === "assigned" && mayMove("duban", status, "in_progress", roles));
  add("suspend", mayMove("duban", status, "suspended", roles));
  add("resume", status === "suspended" && mayMove("duban", status, "in_progress", roles));
  add("edit_title", mayEdit("duban", "title", roles));
  add("edit_detail", mayEdit("duban", "detail", roles));
  return actions;
}

/** The research status moves `roles` may make from `status`, in table order. */
export function researchMoves(
  status: ResearchStatus,
  roles: readonly Role[],
): { to: ResearchStatus; action: string }[] {
  return TRANSITIONS.filter(
    (t): t is Extract<typeof t, { kind: "research" }> =>
      t.kind === "research" && t.from === status && holds(roles, t.roles),
  ).map((t) => ({ to: t.to, action: t.action }));
}
