// The steps of a 督办事项's timeline, oldest first: its entries (progress, urges, extension
// requests and decisions, reviews, instructions, site checks, the evaluation) and its status
// steps from the document's history (交办, 签收, 申请办结, 中止 with its reason, 恢复办理), each
// with who and when. Pure, so the order and labels are tested without a browser.

import type { AttachmentRef, DubanItem, PhotoRef, Scalar, Withdrawal } from "../generated/records";
import type { StatusStep } from "../domain/steps";
import { text, val } from "../domain/scalar";
import { isoDate } from "../domain/time";
import { enumLabel, type Translate } from "../i18n";

export interface Event {
  key: string;
  at: number;
  /** User id; "" when not known (yet). */
  by: string;
  what: string;
  body: string;
  late?: boolean;
  photos?: PhotoRef[];
  /** 整改前 / 整改后 of a site check. */
  pairs?: { before: PhotoRef[]; after: PhotoRef[] };
  /** Files that are not photos (absent in entries written before attachments existed). */
  attachments?: AttachmentRef[];
  /** An urge's id: its 催办通知单 can be printed. */
  urge?: string;
  /** The status it moved to, for a status step. */
  status?: string;
  /** The entry this event shows, so its author can withdraw it. */
  entry?: { list: string; id: string };
  /** Set when its author withdrew the entry: shown struck through, never hidden. */
  withdrawn?: { at: number; by: string; reason: string };
}

interface Withdrawable {
  id: Scalar;
  withdrawn?: Withdrawal | null;
}

/** The entry fields of an event for entry `e` of `list`. */
function entryOf(list: string, e: Withdrawable): Pick<Event, "entry" | "withdrawn"> {
  const w = e.withdrawn;
  return {
    entry: { list, id: text(e.id) },
    withdrawn: w ? { at: w.at, by: text(w.by), reason: val(w.reason) ?? "" } : undefined,
  };
}

export interface StepContext {
  steps: readonly StatusStep[];
  /** User id of each actor the server's history names. */
  users: ReadonlyMap<string, string>;
  /** This phone's actor and its user: its own changes are known before the server names them. */
  ownActor?: string;
  me?: string;
}

/** The note a handler writes with 申请办结 is stored as a progress entry made in the same change. */
const SAME_CHANGE_MS = 1000;

function stepLabel(step: StatusStep, t: Translate): string | null {
  if (step.from === null) return null; // the creation, shown as such
  // Reviews and the evaluation are entries of their own, shown with their verdict and score.
  if (step.from === "closing_requested" && (step.to === "closed" || step.to === "in_progress")) return null;
  if (step.to === "evaluated") return null;
  if (step.from === "suspended") return t("tl.resumed");
  if (step.to === "assigned") return t("tl.assigned");
  if (step.to === "suspended") return t("tl.suspended");
  if (step.to === "closing_requested") return t("tl.close_requested");
  if (step.from === "assigned" && step.to === "in_progress") return t("tl.accepted");
  return t("tl.status", { status: enumLabel(t, "status", step.to) });
}

export function timelineEvents(item: DubanItem, t: Translate, late: ReadonlySet<string>, ctx: StepContext): Event[] {
  const who = (actor: string) => ctx.users.get(actor) ?? (ctx.ownActor && actor === ctx.ownActor ? (ctx.me ?? "") : "");
  const list: Event[] = [
    { key: "created", at: item.created_at, by: text(item.created_by), what: t("tl.created"), body: "" },
  ];
  const closeNotes = new Set<string>();
  for (const step of ctx.steps) {
    const what = stepLabel(step, t);
    if (!what) continue;
    let at = step.at ?? (step.to === "assigned" ? (item.assigned_at ?? null) : null);
    let body = step.reason ?? "";
    let attachments: AttachmentRef[] | undefined;
    if (step.to === "closing_requested" && step.at !== null) {
      const note = (item.progress ?? []).find((p) => p.percent === 100 && p.at - step.at! >= 0 && p.at - step.at! < SAME_CHANGE_MS);
      if (note) {
        closeNotes.add(text(note.id));
        body = text(note.text);
        attachments = note.attachments ?? [];
        at = note.at;
      }
    }
    if (at === null) continue;
    list.push({ key: `st-${step.hash}-${step.to}`, at, by: who(step.actor), what, body, status: step.to, ...(attachments ? { attachments } : {}) });
  }
  if (item.assigned_at && !ctx.steps.some((s) => s.to === "assigned")) {
    list.push({ key: "assigned", at: item.assigned_at, by: "", what: t("tl.assigned"), body: "" });
  }
  for (const p of item.progress ?? []) {
    if (closeNotes.has(text(p.id))) continue;
    const percent = p.percent === null || p.percent === undefined ? "" : ` (${p.percent}%)`;
    const problems = val(p.problems);
    list.push({
      key: `p-${text(p.id)}`,
      at: p.at,
      by: text(p.by),
      what: t("tl.progress") + percent,
      body: text(p.text) + (problems ? `\n${t("field.problems")}：${problems}` : ""),
      late: late.has(text(p.id)),
      photos: p.photos ?? [],
      attachments: p.attachments ?? [],
      ...entryOf("progress", p),
    });
  }
  for (const u of item.urges ?? []) {
    list.push({ key: `u-${text(u.id)}`, at: u.at, by: text(u.by), what: enumLabel(t, "urge", text(u.level)), body: text(u.message), urge: text(u.id), ...entryOf("urges", u) });
  }
  for (const x of item.extension_requests ?? []) {
    list.push({ key: `x-${text(x.id)}`, at: x.at, by: text(x.by), what: t("tl.extension", { date: isoDate(x.new_deadline) }), body: text(x.reason), ...entryOf("extension_requests", x) });
    if (x.decision) {
      list.push({
        key: `xd-${text(x.id)}`,
        at: x.decision.at,
        by: text(x.decision.by),
        what: enumLabel(t, "xverdict", text(x.decision.verdict)),
        body: val(x.decision.comment) ?? "",
      });
    }
  }
  for (const r of item.reviews ?? []) {
    list.push({ key: `r-${text(r.id)}`, at: r.at, by: text(r.by), what: enumLabel(t, "verdict", text(r.verdict)), body: text(r.opinion), ...entryOf("reviews", r) });
  }
  for (const i of item.instructions ?? []) {
    list.push({ key: `i-${text(i.id)}`, at: i.at, by: text(i.by), what: t("tl.instruction"), body: text(i.text), attachments: i.attachments ?? [], ...entryOf("instructions", i) });
  }
  for (const s of item.site_checks ?? []) {
    list.push({ key: `s-${text(s.id)}`, at: s.at, by: text(s.by), what: t("tl.site_check", { place: text(s.place) }), body: text(s.findings), pairs: { before: s.before_photos ?? [], after: s.after_photos ?? [] }, attachments: s.attachments ?? [], ...entryOf("site_checks", s) });
  }
  if (item.evaluation) {
    const e = item.evaluation;
    list.push({
      key: "evaluation",
      at: e.at,
      by: text(e.by),
      what: t("tl.evaluation", { score: e.score, rating: enumLabel(t, "rating", text(e.rating)) }),
      body: text(e.comment),
    });
  }
  // Stable: entries at the same instant keep the order above (a status step before its entries).
  return list.sort((a, b) => a.at - b.at);
}
