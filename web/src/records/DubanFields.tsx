// The fields of a 督办事项 in the detail view. Those who own a field (FIELD_RULES, on this
// record: see domain/dubanFields.ts) tap its row to edit it; everyone else reads it. A field that
// concurrent edits left with several values shows them all under its row, to pick one.

import { useState, type ReactNode } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Dialog, List } from "antd-mobile";

import { useDirectory, useIndexEntries, useNet } from "../app/context";
import { Checklist } from "../components/Checklist";
import { conflictsOf, type ConflictValue } from "../domain/conflicts";
import {
  CATEGORY_MAX,
  checkAssignedAt,
  checkDeadline,
  checkShort,
  checkSupervisors,
  DOC_NO_MAX,
  DUBAN_FIELDS,
  editableFields,
  fromLocalInput,
  setListInPlace,
  toLocalInput,
  todayIso,
  type DubanField,
} from "../domain/dubanFields";
import { mayEdit } from "../domain/permissions";
import { newEntryId, str, text, val, vals } from "../domain/scalar";
import { endOfDayFromIso, isoDate, isoDateTime } from "../domain/time";
import { FEEDBACK_CYCLES, LEVELS, SOURCES, URGENCIES, type DubanItem, type Scalar } from "../generated/records";
import type { Role } from "../generated/rules";
import { enumLabel, useT, type MessageKey } from "../i18n";
import { peopleChoices, personName, unitChoices, unitName } from "../sync/directory";
import { FieldEditor } from "./FieldEditor";
import { Milestones } from "./Milestones";
import { ParentPicker } from "./ParentPicker";
import { ConflictBox, pickValue, showValue } from "./Notices";

interface Props {
  /** The record's id (the parent picker leaves it and its descendants out). */
  id: string;
  handle: DocHandle<DubanItem>;
  item: DubanItem;
  /** The reader's roles on this record (`rolesOn`). */
  roles: readonly Role[];
  now: number;
  /** Rows shown after the main fields (values derived from them, e.g. the next report due). */
  children?: ReactNode;
}

/**
 * The fields behind "more": read less often than the deadline, the lead unit and the handlers,
 * which open the list so that a phone shows the text and the actions without much scrolling.
 */
const SECONDARY: readonly DubanField[] = [
  "doc_no",
  "co_units",
  "supervisors",
  "level",
  "parent",
  "urgency",
  "is_major",
  "source",
  "category",
  "feedback_cycle",
  "assigned_at",
  "milestones",
];

/** Enum fields: their values and the message group of their labels. */
const ENUMS = {
  source: { values: SOURCES, group: "source" },
  level: { values: LEVELS, group: "level" },
  urgency: { values: URGENCIES, group: "urgency" },
  feedback_cycle: { values: FEEDBACK_CYCLES, group: "cycle" },
} as const;

type EnumField = keyof typeof ENUMS;

type ListField = "co_units" | "handlers" | "supervisors";

export function DubanFields({ id, handle, item, roles, now, children }: Props) {
  const t = useT();
  const dir = useDirectory();
  const entries = useIndexEntries();
  const net = useNet();
  // The chosen parent's title, known from the search until the index holds the parent.
  const [parentTitle, setParentTitle] = useState<string | null>(null);
  const status = text(item.status);
  const editable = editableFields(roles, status);
  const [open, setOpen] = useState<DubanField | null>(null);
  const [more, setMore] = useState(false);
  const change = (fn: (d: DubanItem) => void) => handle.change(fn);
  const conflicts = new Map(conflictsOf(item, DUBAN_FIELDS).map((c) => [c.field, c]));
  const close = () => setOpen(null);
  const leadUnit = val(item.lead_unit);

  const conflictOf = (field: DubanField) => {
    const found = conflicts.get(field);
    if (!found) return null;
    return (
      <ConflictBox
        field={field}
        values={found.values}
        ops={found.ops}
        canPick={mayEdit("duban", field, roles)}
        show={(v: ConflictValue) => showValue(t, dir, "duban", field, v)}
        onPick={(v) => pickValue(handle as never, field, v)}
      />
    );
  };

  /** One field: its row, its conflict, and its editor while open. */
  const row = (field: DubanField, label: MessageKey, shown: string, editor?: () => ReactNode, multi = false) => {
    const canEdit = editable.has(field) && editor !== undefined;
    return (
      <div key={field} className="field-row" data-testid={`field-${field}`} data-editable={canEdit ? "true" : "false"}>
        <List.Item
          extra={multi ? undefined : shown || "—"}
          description={multi ? shown || "—" : undefined}
          onClick={canEdit ? () => setOpen(open === field ? null : field) : undefined}
          arrowIcon={canEdit ? undefined : false}
        >
          {t(label)}
        </List.Item>
        {conflictOf(field)}
        {canEdit && open === field ? editor() : null}
      </div>
    );
  };

  const enumRow = (field: EnumField, label: MessageKey) => {
    const { values, group } = ENUMS[field];
    const current = text(item[field]);
    return row(field, label, enumLabel(t, group, current), () => (
      <FieldEditor field={field} initial={current as string} onClose={close} onSave={(v) => change((d) => void (d[field] = str(v) as never))}>
        {(draft, set) => (
          <select className="field" data-testid={`input-${field}`} aria-label={t(label)} value={draft} onChange={(e) => set(e.target.value)}>
            {values.map((v) => (
              <option key={v} value={v}>
                {enumLabel(t, group, v)}
              </option>
            ))}
          </select>
        )}
      </FieldEditor>
    ));
  };

  const shortTextRow = (field: "doc_no" | "category", label: MessageKey, max: number) => {
    const current = val(item[field]) ?? "";
    return row(field, label, current, () => (
      <FieldEditor
        field={field}
        initial={current}
        check={(v) => checkShort(v, max)}
        onClose={close}
        onSave={(v) =>
          change((d) => {
            const trimmed = v.trim();
            if (field === "doc_no") d.doc_no = trimmed ? str(trimmed) : null;
            else d.category = str(trimmed);
          })
        }
      >
        {(draft, set) => <input className="field" data-testid={`input-${field}`} aria-label={t(label)} maxLength={max + 50} value={draft} onChange={(e) => set(e.target.value)} />}
      </FieldEditor>
    ));
  };

  const listRow = (field: ListField, label: MessageKey) => {
    const current = vals(item[field]);
    const names = current.map((id) => (field === "co_units" ? unitName(dir, id) : personName(dir, id))).join("、");
    const choices =
      field === "co_units"
        ? unitChoices(dir, current, leadUnit)
        : peopleChoices(dir, field === "handlers" ? "handler" : "supervisor", current, field === "handlers" ? leadUnit : null);
    return row(
      field,
      label,
      names,
      () => (
        <FieldEditor
          field={field}
          initial={current}
          check={field === "supervisors" ? checkSupervisors : undefined}
          onClose={close}
          onSave={(ids) => change((d) => setListInPlace(d[field] as Scalar[], ids, (x) => text(x), (id) => str(id)))}
        >
          {(draft, set) => (
            <Checklist
              options={choices}
              value={draft}
              onChange={set}
              label={t(label)}
              testid={(id) => `pick-${field}-${id}`}
              empty={t("form.directory_missing")}
            />
          )}
        </FieldEditor>
      ),
      true,
    );
  };

  const deadline = item.deadline ?? null;
  const assignedAt = item.assigned_at ?? null;
  const milestones = (item.milestones ?? []).map((m) => ({ id: text(m.id), title: text(m.title), due: m.due, done_at: m.done_at ?? null }));
  const milestonesEditable = editable.has("milestones");

  // Conflicts and open editors stay in view: "more" opens by itself when one is among its rows.
  const showMore = more || SECONDARY.some((f) => conflicts.has(f) || open === f);

  return (
    <>
      {conflictOf("title")}
      <List className="fields">
        {row("deadline", "field.deadline", deadline ? isoDateTime(deadline) : "", () => (
          <FieldEditor
            field="deadline"
            initial={deadline ? isoDate(deadline) : ""}
            check={(v) => checkDeadline(v, todayIso(Date.now()), status !== "draft")}
            onClose={close}
            onSave={(v) => change((d) => void (d.deadline = v ? endOfDayFromIso(v) : null))}
          >
            {(draft, set) => <input className="field" type="date" data-testid="input-deadline" aria-label={t("field.deadline")} min={todayIso(now)} value={draft} onChange={(e) => set(e.target.value)} />}
          </FieldEditor>
        ))}
        {row("lead_unit", "field.lead_unit", unitName(dir, leadUnit), () => (
          <FieldEditor
            field="lead_unit"
            initial={leadUnit ?? ""}
            check={(v) => (!v && status !== "draft" ? "form.required" : null)}
            onClose={close}
            onSave={(v) =>
              change((d) => {
                d.lead_unit = v ? str(v) : null;
                // The lead unit is not also a co-operating unit.
                const twice = d.co_units.findIndex((u) => text(u) === v);
                if (twice >= 0) d.co_units.splice(twice, 1);
              })
            }
          >
            {(draft, set) => (
              <select className="field" data-testid="input-lead_unit" aria-label={t("field.lead_unit")} value={draft} onChange={(e) => set(e.target.value)}>
                <option value="">{t("form.choose")}</option>
                {unitChoices(dir, leadUnit ? [leadUnit] : []).map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.hint ? `${u.label}（${u.hint}）` : u.label}
                  </option>
                ))}
              </select>
            )}
          </FieldEditor>
        ))}
        {listRow("handlers", "field.handlers")}
        {children}
        <List.Item
          className="more-toggle"
          data-testid="fields-more"
          aria-expanded={showMore}
          onClick={() => setMore(!showMore)}
          arrowIcon={false}
          extra={<span className="hint">{showMore ? t("detail.less") : t("detail.more_hint")}</span>}
        >
          {t("detail.more")}
        </List.Item>
        {showMore ? (
          <>
            {shortTextRow("doc_no", "field.doc_no", DOC_NO_MAX)}
            {listRow("co_units", "field.co_units")}
            {listRow("supervisors", "field.supervisors")}
            {enumRow("level", "field.level")}
            {(() => {
              const parent = val(item.parent ?? null) ?? "";
              const known = entries.find((e) => e.id === parent)?.summary?.title ?? parentTitle;
              const shown = parent ? (known ?? t("parent.unknown")) : "";
              return row("parent", "field.parent", shown, () => (
                <FieldEditor field="parent" initial={parent} onClose={close} onSave={(v) => change((d) => void (d.parent = v ? str(v) : null))}>
                  {(draft, set) => (
                    <ParentPicker
                      itemId={id}
                      value={draft}
                      online={net.browserOnline && net.connected}
                      onChange={(picked, title) => {
                        set(picked);
                        setParentTitle(title);
                      }}
                    />
                  )}
                </FieldEditor>
              ));
            })()}
            {enumRow("urgency", "field.urgency")}
            <div className="field-row" data-testid="field-is_major" data-editable={editable.has("is_major") ? "true" : "false"}>
              <List.Item
                extra={
                  editable.has("is_major") ? (
                    <input
                      type="checkbox"
                      className="big-check"
                      data-testid="input-is_major"
                      aria-label={t("field.is_major")}
                      checked={item.is_major}
                      onChange={(e) => change((d) => void (d.is_major = e.target.checked))}
                    />
                  ) : item.is_major ? (
                    t("common.yes")
                  ) : (
                    t("common.no")
                  )
                }
              >
                {t("field.is_major")}
              </List.Item>
              {conflictOf("is_major")}
            </div>
            {enumRow("source", "field.source")}
            {shortTextRow("category", "field.category", CATEGORY_MAX)}
            {enumRow("feedback_cycle", "field.feedback_cycle")}
            {row("assigned_at", "field.assigned_at", assignedAt ? isoDateTime(assignedAt) : "", () => (
              <FieldEditor
                field="assigned_at"
                initial={assignedAt ? toLocalInput(assignedAt) : ""}
                check={(v) => checkAssignedAt(v, Date.now(), deadline)}
                onClose={close}
                onSave={(v) => change((d) => void (d.assigned_at = fromLocalInput(v)))}
              >
                {(draft, set) => <input className="field" type="datetime-local" data-testid="input-assigned_at" aria-label={t("field.assigned_at")} value={draft} onChange={(e) => set(e.target.value)} />}
              </FieldEditor>
            ))}
          </>
        ) : null}
      </List>
      {milestones.length > 0 || conflicts.has("milestones") || (milestonesEditable && showMore) ? (
        <section className="section">
          <h3>{t("field.milestones")}</h3>
          {conflictOf("milestones")}
          <Milestones
            milestones={milestones}
            editable={milestonesEditable}
            deadline={deadline}
            now={now}
            addOnDemand
            onAdd={(title, due) => change((d) => void d.milestones.push({ id: str(newEntryId("m")), title: str(title), due, done_at: null }))}
            onDone={(id, done) =>
              change((d) => {
                const m = d.milestones.find((x) => text(x.id) === id);
                if (m) m.done_at = done ? Date.now() : null;
              })
            }
            onRemove={(id) =>
              void Dialog.confirm({ content: t("milestone.remove_confirm"), confirmText: t("common.ok"), cancelText: t("common.cancel") }).then((sure) => {
                if (!sure) return;
                change((d) => {
                  const i = d.milestones.findIndex((x) => text(x.id) === id);
                  if (i >= 0) d.milestones.splice(i, 1);
                });
              })
            }
          />
        </section>
      ) : null}
    </>
  );
}
