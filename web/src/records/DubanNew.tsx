// New 督办事项, created in one change with every field (the server checks the whole record on
// creation). Works offline: the record syncs when the network returns.

import { useState, type FormEvent } from "react";
import { Button, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useDirectory, useNow } from "../app/context";
import { newDubanItem } from "../domain/factories";
import { mayCreate } from "../domain/permissions";
import { endOfDayFromIso, isoDate } from "../domain/time";
import { FEEDBACK_CYCLES, LEVELS, SOURCES, URGENCIES, type FeedbackCycle, type Level, type Source, type Urgency } from "../generated/records";
import { enumLabel, useT, type MessageKey } from "../i18n";

const TITLE_MAX = 200;
const DETAIL_MAX = 20_000;

interface Form {
  title: string;
  detail: string;
  doc_no: string;
  deadline: string;
  lead_unit: string;
  handlers: string[];
  level: Level;
  source: Source;
  urgency: Urgency;
  feedback_cycle: FeedbackCycle;
  category: string;
}

type Errors = Partial<Record<keyof Form, MessageKey>>;

/** What is wrong with the form, field by field; empty when it can be saved. */
export function validate(form: Form, today: string): Errors {
  const errors: Errors = {};
  if (!form.title.trim()) errors.title = "form.required";
  else if (form.title.trim().length > TITLE_MAX) errors.title = "form.too_long";
  if (form.detail.length > DETAIL_MAX) errors.detail = "form.too_long";
  if (!form.deadline) errors.deadline = "form.required";
  else if (endOfDayFromIso(form.deadline) === null) errors.deadline = "form.bad_date";
  else if (form.deadline < today) errors.deadline = "form.date_past";
  if (!form.lead_unit) errors.lead_unit = "form.required";
  return errors;
}

export default function DubanNew() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const dir = useDirectory();
  const now = useNow();
  const [form, setForm] = useState<Form>({
    title: "",
    detail: "",
    doc_no: "",
    deadline: "",
    lead_unit: "",
    handlers: [],
    level: "office",
    source: "key_work",
    urgency: "normal",
    feedback_cycle: "weekly",
    category: "",
  });
  const [errors, setErrors] = useState<Errors>({});
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));

  if (!mayCreate("duban", actor.roles)) {
    return (
      <>
        <NavBar onBack={() => navigate(-1)}>{t("new.title")}</NavBar>
        <p className="notice">{t("new.not_allowed")}</p>
      </>
    );
  }

  const units = dir.units.length > 0 ? dir.units : actor.unit ? [{ id: actor.unit, name: actor.unit, parent: null }] : [];
  // Handlers of the chosen unit first, then everyone else who handles items.
  const handlers = dir.users
    .filter((u) => u.roles.includes("handler"))
    .sort((a, b) => Number(b.unit === form.lead_unit) - Number(a.unit === form.lead_unit));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(form, isoDate(now));
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const at = Date.now();
    const item = newDubanItem(
      {
        title: form.title.trim(),
        detail: form.detail,
        doc_no: form.doc_no.trim() || null,
        source: form.source,
        level: form.level,
        category: form.category.trim(),
        urgency: form.urgency,
        is_major: false,
        lead_unit: form.lead_unit,
        co_units: [],
        handlers: form.handlers,
        supervisors: [actor.id],
        deadline: endOfDayFromIso(form.deadline),
        feedback_cycle: form.feedback_cycle,
        assign: true,
      },
      actor.id,
      at,
    );
    const handle = client.create(item);
    navigate(`/items/${handle.documentId}`, { replace: true });
  };

  const error = (field: keyof Form) =>
    errors[field] ? (
      <span className="error" role="alert" data-testid={`error-${field}`}>
        {t(errors[field])}
      </span>
    ) : null;

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("new.title")}</NavBar>
      <form className="form" onSubmit={submit} noValidate>
        <label className="field-label">
          {t("field.title")} *
          <input className="field" data-testid="item-title" maxLength={TITLE_MAX + 50} value={form.title} onChange={(e) => set({ title: e.target.value })} />
          {error("title")}
        </label>
        <label className="field-label">
          {t("field.detail")}
          <textarea className="field textarea" data-testid="item-detail" rows={4} value={form.detail} onChange={(e) => set({ detail: e.target.value })} />
          {error("detail")}
        </label>
        <label className="field-label">
          {t("field.doc_no")}
          <input className="field" value={form.doc_no} onChange={(e) => set({ doc_no: e.target.value })} />
        </label>
        <label className="field-label">
          {t("field.deadline")} *
          <input className="field" type="date" data-testid="item-deadline" min={isoDate(now)} value={form.deadline} onChange={(e) => set({ deadline: e.target.value })} />
          {error("deadline")}
        </label>
        <label className="field-label">
          {t("field.lead_unit")} *
          <select className="field" data-testid="item-lead-unit" value={form.lead_unit} onChange={(e) => set({ lead_unit: e.target.value })}>
            <option value="">{t("form.choose")}</option>
            {units.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
          {error("lead_unit")}
        </label>
        <fieldset className="field-label" data-testid="item-handlers">
          <legend>{t("field.handlers")}</legend>
          {handlers.length === 0 ? <span className="hint">{t("new.no_handlers")}</span> : null}
          {handlers.map((u) => (
            <label key={u.id} className="check">
              <input
                type="checkbox"
                data-testid={`item-handler-${u.id}`}
                checked={form.handlers.includes(u.id)}
                onChange={(e) =>
                  set({ handlers: e.target.checked ? [...form.handlers, u.id] : form.handlers.filter((h) => h !== u.id) })
                }
              />
              {u.display_name}
            </label>
          ))}
        </fieldset>
        <div className="filter-row">
          <label className="field-label">
            {t("field.level")}
            <select className="field" value={form.level} onChange={(e) => set({ level: e.target.value as Level })}>
              {LEVELS.map((v) => (
                <option key={v} value={v}>
                  {enumLabel(t, "level", v)}
                </option>
              ))}
            </select>
          </label>
          <label className="field-label">
            {t("field.urgency")}
            <select className="field" value={form.urgency} onChange={(e) => set({ urgency: e.target.value as Urgency })}>
              {URGENCIES.map((v) => (
                <option key={v} value={v}>
                  {enumLabel(t, "urgency", v)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="filter-row">
          <label className="field-label">
            {t("field.source")}
            <select className="field" value={form.source} onChange={(e) => set({ source: e.target.value as Source })}>
              {SOURCES.map((v) => (
                <option key={v} value={v}>
                  {enumLabel(t, "source", v)}
                </option>
              ))}
            </select>
          </label>
          <label className="field-label">
            {t("field.feedback_cycle")}
            <select className="field" value={form.feedback_cycle} onChange={(e) => set({ feedback_cycle: e.target.value as FeedbackCycle })}>
              {FEEDBACK_CYCLES.map((v) => (
                <option key={v} value={v}>
                  {enumLabel(t, "cycle", v)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="field-label">
          {t("field.category")}
          <input className="field" value={form.category} onChange={(e) => set({ category: e.target.value })} />
        </label>
        <Button block color="primary" type="submit" data-testid="item-submit">
          {t("new.submit")}
        </Button>
      </form>
    </>
  );
}
