// Turning local list rows and server rows into what RecordRow shows.

import type { RowView } from "../components/RecordRow";
import type { ListRow } from "../domain/lists";
import { personName, unitName, type DirectoryData } from "../sync/directory";
import { isSynced, type IndexEntry } from "../sync/localIndex";
import type { ServerRow } from "../sync/serverList";

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
  };
}

export function serverRowView(row: ServerRow, dir: DirectoryData): RowView {
  return {
    id: row.id,
    kind: row.type === "research" ? "research" : "duban",
    title: row.title ?? "",
    status: row.status ?? "",
    light: row.light,
    daysLeft: row.days_left,
    detail: [unitName(dir, row.lead_unit ?? row.research_unit), ...row.handlers.map((h) => personName(dir, h))]
      .filter(Boolean)
      .join(" "),
    synced: null,
  };
}
