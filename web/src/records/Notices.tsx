// What the server refused on this record, and fields where concurrent edits left two values.

import { diff, getHeads } from "@automerge/automerge/slim";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button } from "antd-mobile";

import { useClient, useDirectory } from "../app/context";
import type { AnyRecord, RecordKind } from "../generated/records";
import type { Role } from "../generated/rules";
import { conflictKey, conflictsOf, revive, type ConflictValue } from "../domain/conflicts";
import { mayEdit } from "../domain/permissions";
import { isoDateTime } from "../domain/time";
import { personName, unitName, type DirectoryData } from "../sync/directory";
import type { IndexEntry } from "../sync/localIndex";
import { useAuthorLabel } from "./ConflictAuthors";
import { enumLabel, useT, type MessageKey, type Translate } from "../i18n";

export function Refusals({ entry }: { entry: IndexEntry | undefined }) {
  const t = useT();
  const client = useClient();
  if (!entry || entry.refusals.length === 0) return null;
  return (
    <section className="refusals">
      {entry.refusals.map((r, i) => (
        <div key={`${r.at}-${i}`} className="refusal" role="alert" data-testid="refusal" data-field={r.field} data-code={r.code}>
          <div>
            <b>{t("refusal.title", { field: fieldLabel(t, r.field) })}</b>
            <p>{codeMessage(t, r.code)}</p>
            {r.message ? <p className="hint">{r.message}</p> : null}
          </div>
          <Button size="mini" data-testid="refusal-discard" onClick={() => client.dismissRefusal(entry.id, r)}>
            {t("refusal.discard")}
          </Button>
        </div>
      ))}
    </section>
  );
}

function fieldLabel(t: (k: MessageKey) => string, field: string): string {
  const key = `field.${field}` as MessageKey;
  const label = t(key);
  return label === key ? field : label;
}

function codeMessage(t: (k: MessageKey) => string, code: string): string {
  const key = `refusal.${code}` as MessageKey;
  const label = t(key);
  return label === key ? t("refusal.other") : label;
}

/** Root fields of either kind of record a person can settle by picking a value. */
const PICKABLE_FIELDS = [
  "title",
  "doc_no",
  "source",
  "level",
  "category",
  "urgency",
  "is_major",
  "lead_unit",
  "deadline",
  "feedback_cycle",
  "assigned_at",
  "kind",
  "unit",
  "lead",
  "status",
] as const;

/**
 * One field's conflict: every value, each a button that keeps it (for those who may change the
 * field; others see the values and wait for someone who may), with who wrote it and when.
 */
export function ConflictBox({
  field,
  values,
  ops,
  canPick,
  show,
  onPick,
}: {
  field: string;
  values: readonly ConflictValue[];
  /** The operations that wrote each value, in the order of `values`. */
  ops?: readonly (readonly string[])[];
  canPick: boolean;
  show: (value: ConflictValue) => string;
  onPick: (value: ConflictValue) => void;
}) {
  const t = useT();
  const author = useAuthorLabel();
  return (
    <div className="conflict" role="alert" data-testid={`conflict-${field}`}>
      <b>{t("conflict.title", { field: fieldLabel(t, field) })}</b>
      <div className="conflict-values">
        {values.map((v, i) => (
          <div key={conflictKey(v)} className="conflict-value">
            <Button size="small" data-testid="conflict-pick" data-value={conflictKey(v)} disabled={!canPick} onClick={() => onPick(v)}>
              {show(v) || t("common.empty")}
            </Button>
            {author && ops?.[i] ? (
              <span className="hint" data-testid="conflict-author">
                {author(ops[i])}
              </span>
            ) : null}
          </div>
        ))}
      </div>
      {canPick ? null : <p className="hint">{t("conflict.wait")}</p>}
    </div>
  );
}

/** Writes the picked value: the field then holds only it, which resolves the conflict. */
export function pickValue(handle: DocHandle<AnyRecord>, field: string, value: ConflictValue): void {
  const before = handle.doc();
  handle.change((d) => {
    (d as unknown as Record<string, unknown>)[field] = revive(value);
  });
  const after = handle.doc();
  const [from, to] = [getHeads(before), getHeads(after)];
  // Keeping the value already shown changes no value, only settles the conflict, so the change
  // has an empty patch; automerge-repo (2.5) emits "change", on which it syncs a document, only
  // for non-empty patches, and the change would wait for the next one to reach the server.
  if (from.join() !== to.join() && diff(after, from, to).length === 0) {
    handle.emit("change", { handle, doc: after, patches: [], patchInfo: { before, after, source: "change" } });
  }
}

/** The conflicts of `fields` (by default every pickable root field) shown together. */
export function Conflicts({
  handle,
  doc,
  kind,
  roles,
  fields = PICKABLE_FIELDS,
}: {
  handle: DocHandle<AnyRecord>;
  doc: AnyRecord;
  kind: RecordKind;
  roles: readonly Role[];
  fields?: readonly string[];
}) {
  const t = useT();
  const dir = useDirectory();
  const conflicts = conflictsOf(doc, fields);
  if (conflicts.length === 0) return null;
  return (
    <section className="conflicts">
      {conflicts.map(({ field, values, ops }) => (
        <ConflictBox
          key={field}
          field={field}
          values={values}
          ops={ops}
          canPick={mayEdit(kind, field, roles)}
          show={(v) => showValue(t, dir, kind, field, v)}
          onPick={(v) => pickValue(handle, field, v)}
        />
      ))}
    </section>
  );
}

/** A field's value as people read it: names for ids, labels for enum values, dates. */
export function showValue(t: Translate, dir: DirectoryData, kind: RecordKind, field: string, value: ConflictValue): string {
  if (value === null) return "";
  if (Array.isArray(value)) {
    return value.map((v: ConflictValue) => showValue(t, dir, kind, field, v)).join("、");
  }
  if (typeof value === "object") {
    // An entry (a milestone): its title says which.
    const title = (value as { title?: ConflictValue }).title;
    return typeof title === "string" ? title : JSON.stringify(value);
  }
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (typeof value === "number") return field === "deadline" || field === "assigned_at" ? isoDateTime(value) : String(value);
  switch (field) {
    case "lead_unit":
    case "co_units":
    case "unit":
      return unitName(dir, value);
    case "handlers":
    case "supervisors":
    case "lead":
    case "members":
      return personName(dir, value);
    case "status":
      return enumLabel(t, kind === "duban" ? "status" : "rstatus", value);
    case "source":
    case "level":
    case "urgency":
      return enumLabel(t, field, value);
    case "feedback_cycle":
      return enumLabel(t, "cycle", value);
    case "kind":
      return enumLabel(t, "rkind", value);
    default:
      return value;
  }
}
