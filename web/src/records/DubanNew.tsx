// New 督办事项, created in one change with every field (the server checks the whole record on
// creation). Works offline: the record syncs when the network returns. Assigned at once (交办)
// unless kept as a draft; the checks are those of the detail view's editors.

import { useState, type FormEvent, type ReactNode } from "react";
import { Button, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useDirectory, useNow } from "../app/context";
import { Checklist } from "../components/Checklist";
import {
  CATEGORY_MAX,
  DOC_NO_MAX,
  fromLocalInput,
  TITLE_MAX,
  toLocalInput,
  todayIso,
  validateDubanForm,
  type DubanForm,
  type FormErrors,
} from "../domain/dubanFields";
import { newDubanItem } from "../domain/factories";
import { mayCreate } from "../domain/permissions";
import { newEntryId, str } from "../domain/scalar";
import { endOfDayFromIso } from "../domain/time";
import { FEEDBACK_CYCLES, LEVELS, SOURCES, URGENCIES, type FeedbackCycle, type Level, type Source, type Urgency } from "../generated/records";
import { enumLabel, useT, type MessageKey } from "../i18n";
import { peopleChoices, unitChoices, type Choice } from "../sync/directory";
import { Milestones } from "./Milestones";

/** An enum field of the form: its values and the message group of their labels. */
interface EnumInput {
  field: "source" | "level" | "urgency" | "feedback_cycle";
  values: readonly string[];
  group: string;
  label: MessageKey;
  testid: string;
}
const SOURCE: EnumInput = { field: "source", values: SOURCES, group: "source", label: "field.source", testid: "item-source" };
const LEVEL: EnumInput = { field: "level", values: LEVELS, group: "level", label: "field.level", testid: "item-level" };
const URGENCY: EnumInput = { field: "urgency", values: URGENCIES, group: "urgency", label: "field.urgency", testid: "item-urgency" };
const CYCLE: EnumInput = { field: "feedback_cycle", values: FEEDBACK_CYCLES, group: "cycle", label: "field.feedback_cycle", testid: "item-feedback-cycle" };

export default function DubanNew() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const dir = useDirectory();
  const now = useNow();
  const [form, setForm] = useState<DubanForm>(() => ({
    title: "",
    detail: "",
    doc_no: "",
    source: "key_work",
    level: "office",
    category: "",
    urgency: "normal",
    is_major: false,
    lead_unit: "",
    co_units: [],
    handlers: [],
    supervisors: [actor.id],
    draft: false,
    assigned_at: "",
    deadline: "",
    feedback_cycle: "weekly",
    milestones: [],
  }));
  const [errors, setErrors] = useState<FormErrors>({});
  const set = (patch: Partial<DubanForm>) => setForm((f) => ({ ...f, ...patch }));

  if (!mayCreate("duban", actor.roles)) {
    return (
      <>
        <NavBar onBack={() => navigate(-1)}>{t("new.title")}</NavBar>
        <p className="notice">{t("new.not_allowed")}</p>
      </>
    );
  }

  const units: Choice[] = dir.units.length > 0 ? unitChoices(dir) : actor.unit ? [{ id: actor.unit, label: actor.unit }] : [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const at = Date.now();
    const found = validateDubanForm(form, at);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      // The first problem may be far up the form: bring it into view.
      requestAnimationFrame(() => document.querySelector(".form [role=alert]")?.scrollIntoView({ block: "center" }));
      return;
    }
    const item = newDubanItem(
      {
        title: form.title.trim(),
        detail: form.detail,
        doc_no: form.doc_no.trim() || null,
        source: form.source as Source,
        level: form.level as Level,
        category: form.category.trim(),
        urgency: form.urgency as Urgency,
        is_major: form.is_major,
        lead_unit: form.lead_unit || null,
        co_units: form.co_units.filter((u) => u !== form.lead_unit),
        handlers: form.handlers,
        supervisors: form.supervisors,
        deadline: form.deadline ? endOfDayFromIso(form.deadline) : null,
        feedback_cycle: form.feedback_cycle as FeedbackCycle,
        assign: !form.draft,
      },
      actor.id,
      at,
    );
    if (!form.draft && form.assigned_at) item.assigned_at = fromLocalInput(form.assigned_at);
    item.milestones = form.milestones.map((m) => ({ id: str(m.id), title: str(m.title), due: m.due, done_at: null }));
    const handle = client.create(item);
    navigate(`/items/${handle.documentId}`, { replace: true });
  };

  const error = (field: keyof DubanForm) =>
    errors[field] ? (
      <span className="error" role="alert" data-testid={`error-${field}`}>
        {t(errors[field])}
      </span>
    ) : null;

  const labelled = (field: keyof DubanForm, label: ReactNode, input: ReactNode) => (
    <label className="field-label">
      {label}
      {input}
      {error(field)}
    </label>
  );

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("new.title")}</NavBar>
      <form className="form" onSubmit={submit} noValidate>
        {labelled(
          "title",
          <span>{t("field.title")} <span className="required">*</span></span>,
          <input className="field" data-testid="item-title" maxLength={TITLE_MAX + 50} value={form.title} onChange={(e) => set({ title: e.target.value })} />,
        )}
        {labelled(
          "detail",
          t("field.detail"),
          <textarea className="field textarea" data-testid="item-detail" rows={4} value={form.detail} onChange={(e) => set({ detail: e.target.value })} />,
        )}
        <div className="filter-row">
          {labelled(
            "doc_no",
            t("field.doc_no"),
            <input className="field" data-testid="item-doc-no" maxLength={DOC_NO_MAX + 50} placeholder={t("new.doc_no_hint")} value={form.doc_no} onChange={(e) => set({ doc_no: e.target.value })} />,
          )}
          {labelled(
            "category",
            t("field.category"),
            <input className="field" data-testid="item-category" maxLength={CATEGORY_MAX + 50} placeholder={t("new.category_hint")} value={form.category} onChange={(e) => set({ category: e.target.value })} />,
          )}
        </div>
        <div className="filter-row">
          {enumSelect(SOURCE)}
          {enumSelect(LEVEL)}
        </div>
        <div className="filter-row">
          {enumSelect(URGENCY)}
          <label className="field-label check-field">
            {t("field.is_major")}
            <span className="check-option">
              <input type="checkbox" data-testid="item-is-major" checked={form.is_major} onChange={(e) => set({ is_major: e.target.checked })} />
              <span className="check-label">{t("new.is_major")}</span>
            </span>
          </label>
        </div>

        <h3 className="form-section">{t("new.units_people")}</h3>
        {labelled(
          "lead_unit",
          <span>{t("field.lead_unit")} {form.draft ? null : <span className="required">*</span>}</span>,
          <select className="field" data-testid="item-lead-unit" value={form.lead_unit} onChange={(e) => set({ lead_unit: e.target.value, co_units: form.co_units.filter((u) => u !== e.target.value) })}>
            <option value="">{t("form.choose")}</option>
            {units.map((u) => (
              <option key={u.id} value={u.id}>
                {u.hint ? `${u.label}（${u.hint}）` : u.label}
              </option>
            ))}
          </select>,
        )}
        <fieldset className="field-label" data-testid="item-co-units">
          <legend>{t("field.co_units")}</legend>
          <Checklist
            options={unitChoices(dir, form.co_units, form.lead_unit || null)}
            value={form.co_units}
            onChange={(co_units) => set({ co_units })}
            label={t("field.co_units")}
            testid={(id) => `item-co-unit-${id}`}
            empty={t("form.directory_missing")}
          />
          {error("co_units")}
        </fieldset>
        <fieldset className="field-label" data-testid="item-handlers">
          <legend>{t("field.handlers")}</legend>
          <Checklist
            // Handlers of the chosen unit first, then everyone else who handles items.
            options={peopleChoices(dir, "handler", form.handlers, form.lead_unit || null)}
            value={form.handlers}
            onChange={(handlers) => set({ handlers })}
            label={t("field.handlers")}
            testid={(id) => `item-handler-${id}`}
            empty={t("new.no_handlers")}
          />
          {error("handlers")}
        </fieldset>
        <fieldset className="field-label" data-testid="item-supervisors">
          <legend>{t("field.supervisors")} <span className="required">*</span></legend>
          <Checklist
            options={peopleChoices(dir, "supervisor", form.supervisors, actor.unit)}
            value={form.supervisors}
            onChange={(supervisors) => set({ supervisors })}
            label={t("field.supervisors")}
            testid={(id) => `item-supervisor-${id}`}
          />
          {error("supervisors")}
        </fieldset>

        <h3 className="form-section">{t("new.time")}</h3>
        <label className="check-option draft-option">
          <input type="checkbox" data-testid="item-draft" checked={form.draft} onChange={(e) => set({ draft: e.target.checked })} />
          <span className="check-label">{t("new.draft")}</span>
        </label>
        {form.draft ? <p className="hint">{t("new.draft_hint")}</p> : null}
        {form.draft
          ? null
          : labelled(
              "assigned_at",
              t("field.assigned_at"),
              <input
                className="field"
                type="datetime-local"
                data-testid="item-assigned-at"
                value={form.assigned_at || toLocalInput(now)}
                onChange={(e) => set({ assigned_at: e.target.value })}
              />,
            )}
        <div className="filter-row">
          {labelled(
            "deadline",
            <span>{t("field.deadline")} {form.draft ? null : <span className="required">*</span>}</span>,
            <input className="field" type="date" data-testid="item-deadline" min={todayIso(now)} value={form.deadline} onChange={(e) => set({ deadline: e.target.value })} />,
          )}
          {enumSelect(CYCLE)}
        </div>
        <fieldset className="field-label">
          <legend>{t("field.milestones")}</legend>
          <Milestones
            milestones={form.milestones}
            editable
            deadline={form.deadline ? endOfDayFromIso(form.deadline) : null}
            now={now}
            onAdd={(title, due) => set({ milestones: [...form.milestones, { id: newEntryId("m"), title, due, done_at: null }] })}
            onRemove={(id) => set({ milestones: form.milestones.filter((m) => m.id !== id) })}
          />
          {error("milestones")}
        </fieldset>
        <Button block color="primary" type="submit" size="large" data-testid="item-submit">
          {form.draft ? t("new.save_draft") : t("new.submit")}
        </Button>
      </form>
    </>
  );

  function enumSelect({ field, values, group, label, testid }: EnumInput) {
    return (
      <label key={field} className="field-label">
        {t(label)}
        <select className="field" data-testid={testid} value={form[field]} onChange={(e) => set({ [field]: e.target.value })}>
          {values.map((v) => (
            <option key={v} value={v}>
              {enumLabel(t, group, v)}
            </option>
          ))}
        </select>
      </label>
    );
  }
}
