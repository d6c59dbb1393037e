// New 调研课题 (选题), led by the researcher who creates it.

import { useState, type FormEvent } from "react";
import { Button, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useDirectory } from "../app/context";
import { newResearchRecord } from "../domain/factories";
import { mayCreate } from "../domain/permissions";
import { endOfDayFromIso, startOfDayFromIso } from "../domain/time";
import { RESEARCH_KINDS, type ResearchKind } from "../generated/records";
import { enumLabel, useT, type MessageKey } from "../i18n";

export default function ResearchNew() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const dir = useDirectory();
  const [title, setTitle] = useState("");
  const [kind, setKind] = useState<ResearchKind>("thematic");
  const [questions, setQuestions] = useState(["", "", ""]);
  const [unit, setUnit] = useState(actor.unit ?? "");
  const [members, setMembers] = useState<string[]>([]);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [error, setError] = useState<MessageKey | null>(null);

  if (!mayCreate("research", actor.roles)) {
    return (
      <>
        <NavBar onBack={() => navigate(-1)}>{t("research.new")}</NavBar>
        <p className="notice">{t("new.not_allowed")}</p>
      </>
    );
  }
  const units = dir.units.length > 0 ? dir.units : actor.unit ? [{ id: actor.unit, name: actor.unit, parent: null }] : [];
  const researchers = dir.users.filter((u) => u.roles.includes("researcher") && u.id !== actor.id);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const asked = questions.map((q) => q.trim()).filter(Boolean);
    if (!title.trim()) return setError("form.title_required");
    if (asked.length === 0) return setError("form.questions_required");
    if (!unit) return setError("form.unit_required");
    const start = from ? startOfDayFromIso(from) : null;
    const end = to ? endOfDayFromIso(to) : null;
    if ((from && start === null) || (to && end === null) || (start !== null && end !== null && end < start)) {
      return setError("form.bad_period");
    }
    const period = start !== null && end !== null ? { from: start, to: end } : null;
    const record = newResearchRecord({ title: title.trim(), kind, questions: asked, unit, members, period }, actor.id, Date.now());
    const handle = client.create(record);
    navigate(`/research/${handle.documentId}`, { replace: true });
  };

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("research.new")}</NavBar>
      <form className="form" onSubmit={submit} noValidate>
        <label className="field-label">
          {t("field.research_title")} *
          <input className="field" data-testid="research-title" value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="field-label">
          {t("field.kind")}
          <select className="field" value={kind} onChange={(e) => setKind(e.target.value as ResearchKind)}>
            {RESEARCH_KINDS.map((k) => (
              <option key={k} value={k}>
                {enumLabel(t, "rkind", k)}
              </option>
            ))}
          </select>
        </label>
        {questions.map((q, i) => (
          <label key={i} className="field-label">
            {t("field.question", { n: i + 1 })}
            <input
              className="field"
              data-testid={`research-question-${i}`}
              value={q}
              onChange={(e) => setQuestions(questions.map((x, j) => (j === i ? e.target.value : x)))}
            />
          </label>
        ))}
        <label className="field-label">
          {t("field.unit")} *
          <select className="field" data-testid="research-unit" value={unit} onChange={(e) => setUnit(e.target.value)}>
            <option value="">{t("form.choose")}</option>
            {units.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <div className="filter-row">
          <label className="field-label">
            {t("field.from")}
            <input className="field" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field-label">
            {t("field.to")}
            <input className="field" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
        </div>
        {researchers.length > 0 ? (
          <fieldset className="field-label">
            <legend>{t("field.members")}</legend>
            {researchers.map((u) => (
              <label key={u.id} className="check">
                <input
                  type="checkbox"
                  checked={members.includes(u.id)}
                  onChange={(e) => setMembers(e.target.checked ? [...members, u.id] : members.filter((m) => m !== u.id))}
                />
                {u.display_name}
              </label>
            ))}
          </fieldset>
        ) : null}
        {error ? (
          <p className="error" role="alert" data-testid="form-error">
            {t(error)}
          </p>
        ) : null}
        <Button block color="primary" type="submit" data-testid="research-submit">
          {t("new.submit")}
        </Button>
      </form>
    </>
  );
}
