// Turning local list rows and server rows into what RecordRow shows.

import type { RowView } from "../components/RecordRow";
import type { ListRow } from "../domain/lists";
import { personName, unitName, type DirectoryData } from "../sync/directory";
import { isSynced, type IndexEntry } from "../sync/localIndex";
import type { ServerRow } from "../sync/serverList";
import { isOpen } from "../domain/derived";
import { outcomeOf } from "../domain/workflow";
import type { DubanStatus } from "../generated/records";

export function localRowView(row: ListRow, entry: IndexEntry | undefined, dir: DirectoryData): RowView {
  const s = row.summary;
  const who =
    s.kind === "duban"
      ? [unitName(dir, s.unit), ...s.involvement.kind === "duban" ? s.involvement.handlers.map((h) => personName(dir, h)) : []]
      : [unitName(dir, s.unit)];
  return {
    id: s.id,
    kind: s.kind,
    title: s.title,
    status: s.status,
    light: row.light,
    daysLeft: row.daysLeft,
    detail: who.filter(Boolean).join(" "),
    synced: entry ? isSynced(entry) : null,
    outcome: s.facts ? outcomeOf(s.facts) : null,
  };
}

export function serverRowView(row: ServerRow, dir: DirectoryData): RowView {
  return {
    id: row.id,
    kind: row.type === "research" || row.type === "meeting" ? row.type : "duban",
    title: row.title ?? "",
    status: row.status ?? "",
    light: row.light,
    // The server counts days to the deadline whatever the status; they mean nothing once the
    // item is closed or suspended.
    daysLeft: isOpen((row.status ?? "") as DubanStatus) ? row.days_left : null,
    detail: [unitName(dir, row.lead_unit ?? row.research_unit), ...row.handlers.map((h) => personName(dir, h))]
      .filter(Boolean)
      .join(" "),
    synced: null,
  };
}
