// New records and entries in the exact shape the domain crate reads: scalars as scalar
// strings, long texts as text, instants as integer milliseconds, every field present.

import {
  SCHEMA_VERSION,
  type DubanItem,
  type ExtensionRequest,
  type Evaluation,
  type FeedbackCycle,
  type Finding,
  type Instruction,
  type Level,
  type Progress,
  type Rating,
  type ResearchKind,
  type ResearchRecord,
  type Review,
  type Severity,
  type Source,
  type Urge,
  type UrgeLevel,
  type Urgency,
  type Verdict,
  type Visit,
  type VisitMethod,
} from "../generated/records";
import { newEntryId, str, text, val } from "./scalar";

export interface NewDubanInput {
  title: string;
  detail: string;
  doc_no: string | null;
  source: Source;
  level: Level;
  category: string;
  urgency: Urgency;
  is_major: boolean;
  lead_unit: string | null;
  co_units: string[];
  handlers: string[];
  supervisors: string[];
  deadline: number | null;
  feedback_cycle: FeedbackCycle;
  /** 交办 at once (assigned), or keep as a draft. */
  assign: boolean;
  source_ref?: { record: string; entry_id: string | null } | null;
}

/** A complete 督办事项, created by `me` at `now`. */
export function newDubanItem(input: NewDubanInput, me: string, now: number): DubanItem {
  return {
    type: str("duban"),
    schema_version: SCHEMA_VERSION,
    doc_no: input.doc_no ? str(input.doc_no) : null,
    title: str(input.title),
    detail: input.detail,
    source: str(input.source),
    source_ref: input.source_ref
      ? {
          record: str(input.source_ref.record),
          entry_id: input.source_ref.entry_id ? str(input.source_ref.entry_id) : null,
        }
      : null,
    level: str(input.level),
    category: str(input.category),
    urgency: str(input.urgency),
    is_major: input.is_major,
    lead_unit: input.lead_unit ? str(input.lead_unit) : null,
    co_units: input.co_units.map((u) => str(u)),
    handlers: input.handlers.map((u) => str(u)),
    supervisors: input.supervisors.map((u) => str(u)),
    created_by: str(me),
    created_at: now,
    assigned_at: input.assign ? now : null,
    deadline: input.deadline,
    feedback_cycle: str(input.feedback_cycle),
    milestones: [],
    status: str(input.assign ? "assigned" : "draft"),
    progress: [],
    urges: [],
    extension_requests: [],
    reviews: [],
    instructions: [],
    site_checks: [],
    evaluation: null,
  };
}

export function progressEntry(by: string, now: number, body: string, percent: number | null, problems: string | null): Progress {
  return {
    id: str(newEntryId("p")),
    at: now,
    by: str(by),
    percent,
    text: str(body),
    problems: problems ? str(problems) : null,
    photos: [],
    geo: null,
  };
}

export function urgeEntry(by: string, now: number, level: UrgeLevel, message: string): Urge {
  return { id: str(newEntryId("u")), at: now, by: str(by), level: str(level), message: str(message) };
}

export function extensionEntry(by: string, now: number, newDeadline: number, reason: string): ExtensionRequest {
  return {
    id: str(newEntryId("x")),
    at: now,
    by: str(by),
    new_deadline: newDeadline,
    reason: str(reason),
    decision: null,
  };
}

export function reviewEntry(by: string, now: number, verdict: Verdict, opinion: string): Review {
  return { id: str(newEntryId("r")), at: now, by: str(by), verdict: str(verdict), opinion: str(opinion) };
}

export function instructionEntry(by: string, now: number, body: string): Instruction {
  return { id: str(newEntryId("i")), at: now, by: str(by), text: str(body) };
}

export function evaluation(by: string, now: number, score: number, rating: Rating, comment: string): Evaluation {
  return { at: now, by: str(by), score, rating: str(rating), comment: str(comment) };
}

export interface NewResearchInput {
  title: string;
  kind: ResearchKind;
  questions: string[];
  unit: string;
  members: string[];
  period: { from: number; to: number } | null;
}

/** A complete 调研记录 led and created by `me`, proposed (选题). */
export function newResearchRecord(input: NewResearchInput, me: string, now: number): ResearchRecord {
  return {
    type: str("research"),
    schema_version: SCHEMA_VERSION,
    title: str(input.title),
    kind: str(input.kind),
    questions: input.questions.map((q) => str(q)),
    lead: str(me),
    members: input.members.map((m) => str(m)),
    unit: str(input.unit),
    period: input.period,
    status: str("proposed"),
    created_by: str(me),
    created_at: now,
    visits: [],
    findings: [],
    report: { basic_situation: "", problems: "", cause_analysis: "", countermeasures: "" },
    suggestions: [],
    instructions: [],
  };
}

export function visitEntry(by: string, now: number, place: string, method: VisitMethod, peopleMet: string, notes: string): Visit {
  return {
    id: str(newEntryId("v")),
    at: now,
    by: str(by),
    place: str(place),
    address: null,
    geo: null,
    method: str(method),
    people_met: str(peopleMet),
    notes,
    photos: [],
  };
}

export function findingEntry(
  by: string,
  now: number,
  body: string,
  category: string,
  severity: Severity,
  suggestion: string | null,
  visitId: string | null,
): Finding {
  return {
    id: str(newEntryId("f")),
    at: now,
    by: str(by),
    visit_id: visitId ? str(visitId) : null,
    text: str(body),
    category: str(category),
    severity: str(severity),
    photos: [],
    geo: null,
    suggestion: suggestion ? str(suggestion) : null,
    duban_ref: null,
  };
}

/**
 * 成果转化: the draft 督办事项 a finding turns into. A researcher may create it only as a
 * draft, for the office to complete and assign.
 */
export function dubanFromFinding(research: ResearchRecord, researchId: string, finding: Finding, me: string, now: number): DubanItem {
  const suggestion = val(finding.suggestion);
  return newDubanItem(
    {
      title: text(finding.text).slice(0, 100),
      detail: suggestion ? `${text(finding.text)}\n建议：${suggestion}` : text(finding.text),
      doc_no: null,
      source: "research_finding",
      level: "office",
      category: text(finding.category),
      urgency: text(finding.severity) === "severe" ? "urgent" : "normal",
      is_major: text(finding.severity) === "severe",
      lead_unit: val(research.unit),
      co_units: [],
      handlers: [],
      supervisors: [],
      deadline: null,
      feedback_cycle: "none",
      assign: false,
      source_ref: { record: researchId, entry_id: text(finding.id) },
    },
    me,
    now,
  );
}
