// A record's summary for lists: what the local index keeps of each document so that 我的待办,
// the ledger and the research list work offline without loading every document.

import type { AnyRecord, DubanItem, Meeting, RecordKind, ResearchRecord } from "../generated/records";
import { factsOf, type DubanFacts } from "./derived";
import type { Involvement } from "./permissions";
import { text, val, vals } from "./scalar";

/** Longest search text kept per record: enough for titles, details and recent entries. */
const SEARCH_CHARS = 4000;

export interface RecordSummary {
  id: string;
  kind: RecordKind;
  title: string;
  status: string;
  doc_no: string | null;
  level: string | null;
  /** 督办事项: lead unit; 调研: the unit running it. */
  unit: string | null;
  co_units: string[];
  /** Everyone named in the record: handlers, supervisors, lead, members, creator. */
  people: string[];
  created_by: string;
  created_at: number;
  deadline: number | null;
  /** The inputs of lights and days left (督办事项 only). */
  facts: DubanFacts | null;
  involvement: Involvement;
  /** Lower-cased text searched by the ledger's search box. */
  search: string;
  /** The latest progress report's text (督办事项 only): what a meeting's agenda snapshots. */
  latest?: string | null;
}

function dubanSummary(id: string, item: DubanItem): RecordSummary {
  const handlers = vals(item.handlers);
  const supervisors = vals(item.supervisors);
  const texts = [
    text(item.title),
    val(item.doc_no) ?? "",
    String(item.detail ?? ""),
    text(item.category),
    ...(item.progress ?? []).map((p) => `${text(p.text)} ${val(p.problems) ?? ""}`),
    ...(item.instructions ?? []).map((i) => text(i.text)),
  ];
  return {
    id,
    kind: "duban",
    title: text(item.title),
    status: text(item.status),
    doc_no: val(item.doc_no),
    level: val(item.level),
    unit: val(item.lead_unit),
    co_units: vals(item.co_units),
    people: [...new Set([...handlers, ...supervisors, text(item.created_by)])],
    created_by: text(item.created_by),
    created_at: item.created_at,
    deadline: item.deadline ?? null,
    facts: factsOf(item),
    latest: item.progress?.length ? text(item.progress[item.progress.length - 1]?.text) : null,
    involvement: { kind: "duban", handlers, lead_unit: val(item.lead_unit), co_units: vals(item.co_units) },
    search: texts.join("\n").toLowerCase().slice(0, SEARCH_CHARS),
  };
}

function researchSummary(id: string, record: ResearchRecord): RecordSummary {
  const members = vals(record.members);
  const lead = text(record.lead);
  const texts = [
    text(record.title),
    ...vals(record.questions),
    ...(record.findings ?? []).map((f) => text(f.text)),
    String(record.report?.basic_situation ?? ""),
  ];
  return {
    id,
    kind: "research",
    title: text(record.title),
    status: text(record.status),
    doc_no: null,
    level: null,
    unit: val(record.unit),
    co_units: [],
    people: [...new Set([lead, ...members, text(record.created_by)])],
    created_by: text(record.created_by),
    created_at: record.created_at,
    deadline: record.period?.to ?? null,
    facts: null,
    involvement: { kind: "research", lead, members },
    search: texts.join("\n").toLowerCase().slice(0, SEARCH_CHARS),
  };
}

function meetingSummary(id: string, meeting: Meeting): RecordSummary {
  const attendees = vals(meeting.attendees);
  const texts = [
    text(meeting.title),
    ...(meeting.agenda ?? []).map((a) => text(a.title)),
    ...(meeting.decisions ?? []).map((d) => text(d.text)),
  ];
  return {
    id,
    kind: "meeting",
    title: text(meeting.title),
    status: text(meeting.status),
    doc_no: null,
    level: null,
    unit: val(meeting.unit),
    co_units: [],
    people: [...new Set([text(meeting.chair), ...attendees, text(meeting.created_by)])],
    created_by: text(meeting.created_by),
    created_at: meeting.held_at,
    deadline: null,
    facts: null,
    involvement: { kind: "meeting" },
    search: texts.join("\n").toLowerCase().slice(0, SEARCH_CHARS),
  };
}

/**
 * The summary of a document, or null when it does not (yet) hold a record: automerge-repo
 * documents start empty, and a damaged one has no usable type.
 */
export function summarize(id: string, doc: unknown): RecordSummary | null {
  if (!doc || typeof doc !== "object") return null;
  const kind = val((doc as { type?: unknown }).type as string | undefined);
  try {
    if (kind === "duban") return dubanSummary(id, doc as DubanItem);
    if (kind === "research") return researchSummary(id, doc as ResearchRecord);
    if (kind === "meeting") return meetingSummary(id, doc as Meeting);
  } catch {
    // A malformed record: not listed; its detail view says it cannot be read.
  }
  return null;
}

/** The kind of a document without summarizing it. */
export function kindOf(doc: AnyRecord | undefined): RecordKind | null {
  const kind = val(doc?.type);
  return kind === "duban" || kind === "research" || kind === "meeting" ? kind : null;
}
