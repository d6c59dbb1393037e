// 调研 detail: questions, status moves (each confirmed; 撰写报告 then opens the report),
// visits (with 受访人员, address and the device's location), findings (linked to their visit;
// each can become a draft 督办事项) and the report's four sections as collaborative text.

import { HistoryButton, useRecordHistory } from "../records/History";
import { useState } from "react";
import { updateText } from "@automerge/automerge/slim";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button, List, NavBar, Space, Tag } from "antd-mobile";
import { useNavigate, useParams } from "react-router";

import { Loading } from "../app/App";
import { useActor, useDirectory, useIndexEntry, useRecord } from "../app/context";
import { CollabText } from "../components/CollabText";
import { SyncedMark } from "../components/SyncedMark";
import { findingEntry, instructionEntry, visitEntry } from "../domain/factories";
import { mayAppend, mayEdit, mayEditEntryField, researchMoves, rolesOn } from "../domain/permissions";
import { str, text, val, vals } from "../domain/scalar";
import { isoDate, isoDateTime } from "../domain/time";
import { SEVERITIES, VISIT_METHODS, type AttachmentRef, type Geo, type PhotoRef, type Report, type ResearchRecord, type ResearchStatus, type Severity, type Visit, type VisitMethod } from "../generated/records";
import { AttachmentList, AttachmentPicker, PhotoPicker, PhotoStrip } from "../photos";
import { enumLabel, useT, type MessageKey } from "../i18n";
import { personName, unitName } from "../sync/directory";
import { Conflicts, Refusals } from "../records/Notices";
import { PaperLink } from "../documents/PaperLink";
import { confirmMove } from "../records/confirm";
import { FindingToDuban } from "./FindingToDuban";
import { ConflictAuthors } from "../records/ConflictAuthors";
import { VisitLocation, VisitPlace } from "./VisitLocation";

const SECTIONS: { key: keyof Report; label: MessageKey }[] = [
  { key: "basic_situation", label: "report.basic_situation" },
  { key: "problems", label: "report.problems" },
  { key: "cause_analysis", label: "report.cause_analysis" },
  { key: "countermeasures", label: "report.countermeasures" },
];

export default function ResearchDetail() {
  const { id = "" } = useParams();
  const t = useT();
  const navigate = useNavigate();
  const record = useRecord<ResearchRecord>(id);
  const entry = useIndexEntry(id);
  const back = <NavBar onBack={() => navigate(-1)}>{t("research.detail")}</NavBar>;
  if (record.state === "loading") return (<>{back}<Loading /></>);
  if (record.state === "unavailable" || val(record.doc.type) !== "research") {
    return (
      <>
        {back}
        <p className="notice" data-testid="record-unavailable">{t("detail.unavailable")}</p>
      </>
    );
  }
  return (
    <>
      {back}
      <ResearchView id={id} handle={record.handle} research={record.doc} entry={entry} />
    </>
  );
}

function ResearchView({ id, handle, research, entry }: { id: string; handle: DocHandle<ResearchRecord>; research: ResearchRecord; entry: ReturnType<typeof useIndexEntry> }) {
  const t = useT();
  const navigate = useNavigate();
  const actor = useActor();
  const dir = useDirectory();
  const status = text(research.status);
  const roles = rolesOn({ kind: "research", lead: text(research.lead), members: vals(research.members) }, actor);
  const moves = researchMoves(status, roles);
  const editReport = mayEdit("research", "report", roles);
  const addVisits = mayAppend("research", "visits", roles);
  const addFindings = mayAppend("research", "findings", roles);
  // 成果转化 writes the finding's `duban_ref`, once (ENTRY_RULES).
  const editFindings = mayEditEntryField("research", "findings", "duban_ref", roles);
  const instruct = mayAppend("research", "instructions", roles);
  const [form, setForm] = useState<"visit" | "finding" | "instruction" | null>(null);
  const history = useRecordHistory(id, entry?.serverHeads?.join(",") ?? "");

  const [drafting, setDrafting] = useState<string | null>(null);
  const visitPlace = (visitId: string | null) => research.visits.find((v) => text(v.id) === visitId);

  /** A status move, confirmed; 撰写报告 then opens the report's first section for writing. */
  const moveTo = async (to: ResearchStatus, action: string) => {
    if (!(await confirmMove(t, t("confirm.research_move", { action })))) return;
    handle.change((d) => void (d.status = str(to)));
    if (to === "drafting") {
      requestAnimationFrame(() => {
        document.getElementById("research-report")?.scrollIntoView({ block: "start" });
        document.querySelector<HTMLTextAreaElement>("[data-testid=research-section-basic_situation]")?.focus();
      });
    }
  };

  return (
    <ConflictAuthors doc={research} history={history.answer?.history} me={actor.id}>
    <article className="detail" data-id={id}>
      <header className="detail-head">
        <h2 data-testid="record-title">{text(research.title)}</h2>
        <div className="tags">
          <Tag color="primary" fill="outline" data-testid="record-status" data-status={status}>
            {enumLabel(t, "rstatus", status)}
          </Tag>
          <Tag fill="outline">{enumLabel(t, "rkind", text(research.kind))}</Tag>
          <SyncedMark entry={entry} />
        </div>
      </header>
      <Refusals entry={entry} />
      <Conflicts handle={handle as never} doc={research} kind="research" roles={roles} />
      <List>
        <List.Item extra={personName(dir, text(research.lead))}>{t("field.lead")}</List.Item>
        <List.Item extra={vals(research.members).map((m) => personName(dir, m)).join("、") || "—"}>{t("field.members")}</List.Item>
        <List.Item extra={unitName(dir, text(research.unit))}>{t("field.unit")}</List.Item>
        {research.period ? (
          <List.Item extra={`${isoDate(research.period.from)} ~ ${isoDate(research.period.to)}`}>{t("field.period")}</List.Item>
        ) : null}
      </List>
      <section className="section">
        <h3>{t("research.questions")}</h3>
        <ol>
          {vals(research.questions).map((q, i) => (
            <li key={i}>{q}</li>
          ))}
        </ol>
      </section>
      {moves.length > 0 ? (
        <div className="section">
          <Space wrap>
          {moves.map((m) => (
            <Button key={m.to} size="small" color="primary" data-testid={`research-move-${m.to}`} onClick={() => void moveTo(m.to, enumLabel(t, "rmove", m.to))}>
              {enumLabel(t, "rmove", m.to)}
            </Button>
          ))}
          </Space>
        </div>
      ) : null}
      <div className="record-links">
        <PaperLink to={`/research/${encodeURIComponent(id)}/print`} />
        <HistoryButton history={history} />
      </div>

      <section className="section">
        <h3>{t("research.visits")}</h3>
        {research.visits.length === 0 ? <p className="hint">{t("research.no_visits")}</p> : null}
        {research.visits.map((v, i) => (
          <div key={text(v.id)} className="visit" data-testid="visit-row">
            <b>{text(v.place)}</b> · {enumLabel(t, "method", text(v.method))} · {isoDateTime(v.at)} · {personName(dir, text(v.by))}
            {text(v.people_met) ? <div className="hint" data-testid="visit-people">{t("field.people_met")}：{text(v.people_met)}</div> : null}
            {val(v.address) ? <div className="hint" data-testid="visit-address">{t("field.address")}：{val(v.address)}</div> : null}
            <VisitPlace geo={v.geo} />
            <PhotoStrip photos={v.photos ?? []} />
            <AttachmentList attachments={v.attachments ?? []} />
            <CollabText
              testid="visit-notes"
              value={String(v.notes ?? "")}
              readOnly={!mayEditEntryField("research", "visits", "notes", roles)}
              onCommit={(value) => handle.change((d) => updateText(d, ["visits", i, "notes"], value))}
              rows={3}
            />
          </div>
        ))}
        {addVisits ? (
          <Button size="small" data-testid="visit-add" onClick={() => setForm(form === "visit" ? null : "visit")}>
            {t("research.add_visit")}
          </Button>
        ) : null}
        {form === "visit" ? <VisitForm onDone={(v) => { if (v) handle.change((d) => void d.visits.push(v(actor.id))); setForm(null); }} /> : null}
      </section>

      <section className="section">
        <h3>{t("research.findings")}</h3>
        {research.findings.length === 0 ? <p className="hint">{t("research.no_findings")}</p> : null}
        {research.findings.map((f) => (
          <div key={text(f.id)} className="finding" data-testid="finding-row" data-id={text(f.id)}>
            <div>
              <Tag color={text(f.severity) === "severe" ? "danger" : text(f.severity) === "major" ? "warning" : "default"}>
                {enumLabel(t, "severity", text(f.severity))}
              </Tag>{" "}
              {text(f.text)}
            </div>
            {visitPlace(val(f.visit_id)) ? (
              <div className="hint" data-testid="finding-visit">{t("finding.visit")}：{text(visitPlace(val(f.visit_id))!.place)}</div>
            ) : null}
            {val(f.suggestion) ? <div className="hint">{t("field.suggestion")}：{val(f.suggestion)}</div> : null}
            <PhotoStrip photos={f.photos ?? []} />
            <AttachmentList attachments={f.attachments ?? []} />
            {val(f.duban_ref) ? (
              <Button size="mini" fill="none" data-testid="finding-duban-link" onClick={() => navigate(`/items/${val(f.duban_ref)}`)}>
                {t("research.duban_linked")}
              </Button>
            ) : editFindings && drafting === text(f.id) ? (
              <FindingToDuban id={id} handle={handle} research={research} finding={f} onCancel={() => setDrafting(null)} />
            ) : editFindings ? (
              <Button size="mini" color="primary" fill="outline" data-testid="finding-to-duban" onClick={() => setDrafting(text(f.id))}>
                {t("research.to_duban")}
              </Button>
            ) : null}
          </div>
        ))}
        {addFindings ? (
          <Button size="small" data-testid="finding-add" onClick={() => setForm(form === "finding" ? null : "finding")}>
            {t("research.add_finding")}
          </Button>
        ) : null}
        {form === "finding" ? <FindingForm visits={research.visits} onDone={(f) => { if (f) handle.change((d) => void d.findings.push(f(actor.id))); setForm(null); }} /> : null}
      </section>

      <section className="section" id="research-report">
        <h3>{t("research.report")}</h3>
        {SECTIONS.map((s) => (
          <label key={s.key} className="field-label">
            {t(s.label)}
            <CollabText
              testid={`research-section-${s.key}`}
              label={t(s.label)}
              value={String(research.report?.[s.key] ?? "")}
              readOnly={!editReport}
              onCommit={(value) => handle.change((d) => updateText(d, ["report", s.key], value))}
            />
          </label>
        ))}
      </section>

      <section className="section">
        <h3>{t("tl.instruction")}</h3>
        {research.instructions.length === 0 ? <p className="hint">{t("research.no_instructions")}</p> : null}
        {research.instructions.map((x) => (
          <div key={text(x.id)} className="timeline-entry" data-testid="timeline-entry">
            <b>{personName(dir, text(x.by))}</b> · {isoDateTime(x.at)}
            <p className="tl-body">{text(x.text)}</p>
            <AttachmentList attachments={x.attachments ?? []} />
          </div>
        ))}
        {instruct ? (
          <Button size="small" data-testid="action-instruct" onClick={() => setForm(form === "instruction" ? null : "instruction")}>
            {t("action.instruct")}
          </Button>
        ) : null}
        {form === "instruction" ? (
          <TextForm onDone={(body, files) => { if (body) handle.change((d) => void d.instructions.push({ ...instructionEntry(actor.id, Date.now(), body), attachments: files })); setForm(null); }} />
        ) : null}
      </section>
    </article>
    </ConflictAuthors>
  );
}

function TextForm({ onDone }: { onDone: (body: string | null, files: AttachmentRef[]) => void }) {
  const t = useT();
  const [body, setBody] = useState("");
  const [error, setError] = useState(false);
  const [files, setFiles] = useState<AttachmentRef[]>([]);
  const [filesBusy, setFilesBusy] = useState(false);
  return (
    <form className="action-form" onSubmit={(e) => { e.preventDefault(); if (filesBusy) return; if (!body.trim()) setError(true); else onDone(body.trim(), files); }} noValidate>
      <textarea className="field textarea" data-testid="action-text" rows={3} value={body} onChange={(e) => setBody(e.target.value)} />
      <AttachmentPicker value={files} onChange={setFiles} onBusy={setFilesBusy} />
      {error ? <p className="error" role="alert">{t("form.required")}</p> : null}
      <Space>
        <Button size="small" color="primary" type="submit" data-testid="action-submit" disabled={filesBusy}>{t("common.submit")}</Button>
        <Button size="small" fill="none" onClick={() => onDone(null, [])}>{t("common.cancel")}</Button>
      </Space>
    </form>
  );
}

function VisitForm({ onDone }: { onDone: (make: ((me: string) => ReturnType<typeof visitEntry>) | null) => void }) {
  const t = useT();
  const [place, setPlace] = useState("");
  const [method, setMethod] = useState<VisitMethod>("visit");
  const [people, setPeople] = useState("");
  const [address, setAddress] = useState("");
  const [geo, setGeo] = useState<Geo | null>(null);
  const [notes, setNotes] = useState("");
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const [photosBusy, setPhotosBusy] = useState(false);
  const [files, setFiles] = useState<AttachmentRef[]>([]);
  const [filesBusy, setFilesBusy] = useState(false);
  const [error, setError] = useState(false);
  return (
    <form
      className="action-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!place.trim()) return setError(true);
        if (photosBusy || filesBusy) return;
        const where = { address: address.trim() ? str(address.trim()) : null, geo };
        onDone((me) => ({ ...visitEntry(me, Date.now(), place.trim(), method, people.trim(), notes), ...where, photos, attachments: files }));
      }}
      noValidate
    >
      <input className="field" data-testid="visit-place" placeholder={t("field.place")} value={place} onChange={(e) => setPlace(e.target.value)} />
      <select className="field" value={method} onChange={(e) => setMethod(e.target.value as VisitMethod)}>
        {VISIT_METHODS.map((m) => (
          <option key={m} value={m}>{enumLabel(t, "method", m)}</option>
        ))}
      </select>
      <input className="field" data-testid="visit-people-met" placeholder={t("field.people_met")} value={people} onChange={(e) => setPeople(e.target.value)} />
      <input className="field" data-testid="visit-address-input" placeholder={t("field.address")} value={address} onChange={(e) => setAddress(e.target.value)} />
      <VisitLocation value={geo} onChange={setGeo} />
      <textarea className="field textarea" rows={3} placeholder={t("field.notes")} value={notes} onChange={(e) => setNotes(e.target.value)} />
      <PhotoPicker value={photos} onChange={setPhotos} onBusy={setPhotosBusy} />
      <AttachmentPicker value={files} onChange={setFiles} onBusy={setFilesBusy} />
      {error ? <p className="error" role="alert">{t("form.required")}</p> : null}
      <Space>
        <Button size="small" color="primary" type="submit" data-testid="visit-submit" disabled={photosBusy || filesBusy}>{t("common.submit")}</Button>
        <Button size="small" fill="none" onClick={() => onDone(null)}>{t("common.cancel")}</Button>
      </Space>
    </form>
  );
}

function FindingForm({ visits, onDone }: { visits: readonly Visit[]; onDone: (make: ((me: string) => ReturnType<typeof findingEntry>) | null) => void }) {
  const t = useT();
  const [body, setBody] = useState("");
  const [category, setCategory] = useState("");
  const [severity, setSeverity] = useState<Severity>("minor");
  const [suggestion, setSuggestion] = useState("");
  // The latest visit by default: a finding is usually logged right after it.
  const [visit, setVisit] = useState(visits.length > 0 ? text(visits[visits.length - 1]!.id) : "");
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const [photosBusy, setPhotosBusy] = useState(false);
  const [files, setFiles] = useState<AttachmentRef[]>([]);
  const [filesBusy, setFilesBusy] = useState(false);
  const [error, setError] = useState(false);
  return (
    <form
      className="action-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!body.trim()) return setError(true);
        if (photosBusy || filesBusy) return;
        onDone((me) => ({ ...findingEntry(me, Date.now(), body.trim(), category.trim(), severity, suggestion.trim() || null, visit || null), photos, attachments: files }));
      }}
      noValidate
    >
      <textarea className="field textarea" data-testid="finding-text" rows={3} placeholder={t("field.finding")} value={body} onChange={(e) => setBody(e.target.value)} />
      <input className="field" placeholder={t("field.category")} value={category} onChange={(e) => setCategory(e.target.value)} />
      <select className="field" value={severity} onChange={(e) => setSeverity(e.target.value as Severity)}>
        {SEVERITIES.map((s) => (
          <option key={s} value={s}>{enumLabel(t, "severity", s)}</option>
        ))}
      </select>
      <input className="field" placeholder={t("field.suggestion")} value={suggestion} onChange={(e) => setSuggestion(e.target.value)} />
      <select className="field" data-testid="finding-visit-select" aria-label={t("finding.visit")} value={visit} onChange={(e) => setVisit(e.target.value)}>
        <option value="">{t("finding.no_visit")}</option>
        {visits.map((v) => (
          <option key={text(v.id)} value={text(v.id)}>{`${text(v.place)} · ${isoDate(v.at)}`}</option>
        ))}
      </select>
      <PhotoPicker value={photos} onChange={setPhotos} onBusy={setPhotosBusy} />
      <AttachmentPicker value={files} onChange={setFiles} onBusy={setFilesBusy} />
      {error ? <p className="error" role="alert">{t("form.required")}</p> : null}
      <Space>
        <Button size="small" color="primary" type="submit" data-testid="finding-submit" disabled={photosBusy || filesBusy}>{t("common.submit")}</Button>
        <Button size="small" fill="none" onClick={() => onDone(null)}>{t("common.cancel")}</Button>
      </Space>
    </form>
  );
}
