// 会议 in the shape the domain crate reads (shared/src/records/meeting.rs): a 周会 started from
// the 督办 list takes the list as its agenda snapshot; dispositions and decisions are entries
// of their own; a decision becomes a draft 督办事项 that names the meeting and the entry.

import {
  SCHEMA_VERSION,
  type AgendaItem,
  type Decision,
  type Disposition,
  type DispositionKind,
  type DubanItem,
  type DubanStatus,
  type Meeting,
  type MeetingKind,
} from "../generated/records";
import { newDubanItem } from "./factories";
import type { Light } from "./derived";
import { newEntryId, str, text } from "./scalar";

/** What the agenda keeps of one item of the list when the meeting opens. */
export interface AgendaSource {
  id: string;
  title: string;
  lead_unit: string | null;
  status: DubanStatus;
  light: Light | null;
  deadline: number | null;
  latest_progress: string | null;
}

export function agendaEntry(source: AgendaSource, me: string, now: number): AgendaItem {
  return {
    id: str(newEntryId("a")),
    at: now,
    by: str(me),
    record: str(source.id),
    title: str(source.title),
    lead_unit: source.lead_unit ? str(source.lead_unit) : null,
    status: str(source.status),
    light: source.light ? str(source.light) : null,
    deadline: source.deadline,
    latest_progress: source.latest_progress ? str(source.latest_progress) : null,
  };
}

/**
 * A meeting opened now by `me` (who chairs it unless changed), with the agenda snapshot of
 * `items`. It is created open: starting it from the list is opening it, and the snapshot is
 * taken at that moment.
 */
export function newMeeting(
  kind: MeetingKind,
  title: string,
  items: readonly AgendaSource[],
  me: string,
  unit: string,
  now: number,
): Meeting {
  return {
    type: str("meeting"),
    schema_version: SCHEMA_VERSION,
    kind: str(kind),
    title: str(title),
    held_at: now,
    chair: str(me),
    attendees: [],
    unit: str(unit),
    status: str("open"),
    created_by: str(me),
    created_at: now,
    agenda: items.map((item) => agendaEntry(item, me, now)),
    dispositions: [],
    decisions: [],
    applied: [],
  };
}

export function dispositionEntry(
  agendaId: string,
  kind: DispositionKind,
  newDeadline: number | null,
  me: string,
  now: number,
): Disposition {
  return {
    id: str(newEntryId("d")),
    at: now,
    by: str(me),
    agenda_id: str(agendaId),
    kind: str(kind),
    new_deadline: kind === "reschedule" ? newDeadline : null,
    note: null,
  };
}

export function decisionEntry(body: string, me: string, now: number): Decision {
  return {
    id: str(newEntryId("c")),
    at: now,
    by: str(me),
    text: str(body),
    owner_unit: null,
    due: null,
    duban_ref: null,
  };
}

/** The disposition that counts for an agenda entry: the latest, ties by id (as the server). */
export function effectiveDisposition(meeting: Meeting, agendaId: string): Disposition | null {
  let best: Disposition | null = null;
  for (const d of meeting.dispositions ?? []) {
    if (text(d.agenda_id) !== agendaId) continue;
    if (!best || d.at > best.at || (d.at === best.at && text(d.id) > text(best.id))) best = d;
  }
  return best;
}

/** A draft 督办事项 carrying out a decision; the office completes it before 交办. */
export function dubanFromDecision(meetingId: string, decision: Decision, me: string, now: number): DubanItem {
  const body = text(decision.text);
  return newDubanItem(
    {
      title: body.slice(0, 100),
      detail: body,
      doc_no: null,
      source: "meeting_decision",
      level: "office",
      category: "",
      urgency: "normal",
      is_major: false,
      lead_unit: decision.owner_unit ? text(decision.owner_unit) : null,
      co_units: [],
      handlers: [],
      supervisors: [me],
      deadline: decision.due ?? null,
      feedback_cycle: "weekly",
      assign: false,
      source_ref: { record: meetingId, entry_id: text(decision.id) },
    },
    me,
    now,
  );
}
