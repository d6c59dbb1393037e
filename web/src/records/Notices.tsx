// What the server refused on this record, and fields where concurrent edits left two values.

import { getConflicts } from "@automerge/automerge/slim";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button } from "antd-mobile";

import { useClient } from "../app/context";
import type { AnyRecord, RecordKind, Scalar } from "../generated/records";
import type { Role } from "../generated/rules";
import { mayEdit } from "../domain/permissions";
import { str, val } from "../domain/scalar";
import { isoDateTime } from "../domain/time";
import type { IndexEntry } from "../sync/localIndex";
import { useT, type MessageKey } from "../i18n";

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

/** Root fields whose value is a scalar: the ones a person can settle by picking a value. */
const SCALAR_FIELDS = [
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

type ConflictValue = string | number | boolean | null;

function plain(value: unknown): ConflictValue | undefined {
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  const s = val(value as Scalar | string);
  return s === null ? undefined : s;
}

/** The fields of `doc` with more than one concurrent value, and the values. */
export function conflictsOf(doc: AnyRecord): { field: string; values: ConflictValue[] }[] {
  const found: { field: string; values: ConflictValue[] }[] = [];
  for (const field of SCALAR_FIELDS) {
    if (!(field in doc)) continue;
    const conflicts = getConflicts<unknown>(doc, field);
    if (!conflicts) continue;
    const values = Object.values(conflicts)
      .map(plain)
      .filter((v): v is ConflictValue => v !== undefined);
    const distinct = [...new Set(values)];
    if (distinct.length > 1) found.push({ field, values: distinct });
  }
  return found;
}

export function Conflicts({
  handle,
  doc,
  kind,
  roles,
}: {
  handle: DocHandle<AnyRecord>;
  doc: AnyRecord;
  kind: RecordKind;
  roles: readonly Role[];
}) {
  const t = useT();
  const conflicts = conflictsOf(doc);
  if (conflicts.length === 0) return null;
  const show = (field: string, v: ConflictValue) =>
    typeof v === "number" && (field === "deadline" || field === "assigned_at") ? isoDateTime(v) : String(v);
  return (
    <section className="conflicts">
      {conflicts.map(({ field, values }) => (
        <div key={field} className="conflict" data-testid={`conflict-${field}`}>
          <b>{t("conflict.title", { field: fieldLabel(t, field) })}</b>
          <div className="conflict-values">
            {values.map((v) => (
              <Button
                key={String(v)}
                size="small"
                data-testid="conflict-pick"
                data-value={String(v)}
                disabled={!mayEdit(kind, field, roles)}
                onClick={() =>
                  handle.change((d) => {
                    // Writing one value resolves the conflict: it becomes the only value.
                    const root = d as unknown as Record<string, unknown>;
                    root[field] = typeof v === "string" ? str(v) : v;
                  })
                }
              >
                {show(field, v)}
              </Button>
            ))}
          </div>
        </div>
      ))}
    </section>
  );
}
