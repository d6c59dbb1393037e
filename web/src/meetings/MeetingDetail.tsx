// 会议 screen: the agenda as the list stood when the meeting opened (never rewritten), the
// meeting's disposition of each item (继续跟踪 / 销号 / 调整时限 / 升级, the latest counts),
// the 会议纪要 (each decision can become a draft 督办事项, linked both ways) and closing, after
// which the server applies the dispositions in the chair's name. Works offline like every
// record: the document is the state, synced when the phone is back online.

import { useState } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button, List, NavBar, Space, Tag } from "antd-mobile";
import { useNavigate, useParams } from "react-router";

import { Loading } from "../app/App";
import { useActor, useClient, useDirectory, useIndexEntry, useRecord } from "../app/context";
import { LightTag } from "../components/LightTag";
import { SyncedMark } from "../components/SyncedMark";
import type { Light } from "../domain/derived";
import { decisionEntry, dispositionEntry, dubanFromDecision, effectiveDisposition } from "../domain/meetings";
import { mayAppend, mayEditEntryField, mayMove, rolesOn } from "../domain/permissions";
import { str, text, val, vals } from "../domain/scalar";
import { clock, endOfDayFromIso, isoDate, isoDateTime } from "../domain/time";
import { DISPOSITION_KINDS, type AgendaItem, type DispositionKind, type Meeting } from "../generated/records";
import { enumLabel, useT } from "../i18n";
import { personName, unitName } from "../sync/directory";
import { confirmMove } from "../records/confirm";
import { Refusals } from "../records/Notices";

export default function MeetingDetail() {
  const { id = "" } = useParams();
  const t = useT();
  const navigate = useNavigate();
  const record = useRecord<Meeting>(id);
  const entry = useIndexEntry(id);
  const back = <NavBar onBack={() => navigate(-1)}>{t("meeting.detail")}</NavBar>;
  if (record.state === "loading") return (<>{back}<Loading /></>);
  if (record.state === "unavailable" || val(record.doc.type) !== "meeting") {
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
      <MeetingView id={id} handle={record.handle} meeting={record.doc} entry={entry} />
    </>
  );
}

function MeetingView({ id, handle, meeting, entry }: { id: string; handle: DocHandle<Meeting>; meeting: Meeting; entry: ReturnType<typeof useIndexEntry> }) {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const dir = useDirectory();
  const status = text(meeting.status);
  const roles = rolesOn({ kind: "meeting" }, actor);
  const open = status === "open";
  const dispose = open && mayAppend("meeting", "dispositions", roles);
  const decide = status !== "draft" && mayAppend("meeting", "decisions", roles);
  // Only shown on a decision without an item yet: the link is written once (ENTRY_RULES).
  const link = mayEditEntryField("meeting", "decisions", "duban_ref", roles);
  const close = mayMove("meeting", "open", "closed", roles);
  const [decision, setDecision] = useState("");
  const applied = new Set((meeting.applied ?? []).map((a) => text(a.id)));

  const mark = (agendaId: string, kind: DispositionKind, deadline: number | null) =>
    handle.change((d) => void d.dispositions.push(dispositionEntry(agendaId, kind, deadline, actor.id, clock())));

  const addDecision = () => {
    const body = decision.trim();
    if (!body) return;
    handle.change((d) => void d.decisions.push(decisionEntry(body, actor.id, clock())));
    setDecision("");
  };

  const toDuban = (decisionId: string) => {
    const found = meeting.decisions.find((x) => text(x.id) === decisionId);
    if (!found) return;
    const item = client.create(dubanFromDecision(id, found, actor.id, clock()));
    handle.change((d) => {
      const x = d.decisions.find((y) => text(y.id) === decisionId);
      if (x) x.duban_ref = str(item.documentId as string);
    });
  };

  const closeMeeting = async () => {
    if (!(await confirmMove(t, t("meeting.confirm_close")))) return;
    handle.change((d) => void (d.status = str("closed")));
  };

  return (
    <article className="detail" data-id={id}>
      <header className="detail-head">
        <h2 data-testid="record-title">{text(meeting.title)}</h2>
        <div className="tags">
          <Tag color="primary" fill="outline" data-testid="record-status" data-status={status}>
            {enumLabel(t, "mstatus", status)}
          </Tag>
          <Tag fill="outline">{enumLabel(t, "mkind", text(meeting.kind))}</Tag>
          <SyncedMark entry={entry} />
        </div>
      </header>
      <Refusals entry={entry} />
      <List>
        <List.Item extra={isoDateTime(meeting.held_at)}>{t("meeting.held_at")}</List.Item>
        <List.Item extra={personName(dir, text(meeting.chair))}>{t("meeting.chair")}</List.Item>
        <List.Item extra={vals(meeting.attendees).map((a) => personName(dir, a)).join("、") || "—"}>{t("meeting.attendees")}</List.Item>
      </List>

      <section className="section">
        <h3>{t("meeting.agenda")}</h3>
        {meeting.agenda.map((a) => (
          <AgendaRow
            key={text(a.id)}
            item={a}
            meeting={meeting}
            applied={applied.has(text(a.id))}
            dispose={dispose}
            onMark={(kind, deadline) => mark(text(a.id), kind, deadline)}
          />
        ))}
      </section>

      <section className="section">
        <h3>{t("meeting.decisions")}</h3>
        {meeting.decisions.length === 0 ? <p className="hint">{t("meeting.no_decisions")}</p> : null}
        {meeting.decisions.map((d) => (
          <div key={text(d.id)} className="finding" data-testid="decision-row" data-id={text(d.id)}>
            <div>{text(d.text)}</div>
            <div className="hint">{personName(dir, text(d.by))} · {isoDateTime(d.at)}</div>
            {val(d.duban_ref) ? (
              <Button size="mini" fill="none" data-testid="decision-duban-link" onClick={() => navigate(`/items/${val(d.duban_ref)}`)}>
                {t("meeting.duban_linked")}
              </Button>
            ) : link ? (
              <Button size="mini" color="primary" fill="outline" data-testid="decision-to-duban" onClick={() => toDuban(text(d.id))}>
                {t("meeting.to_duban")}
              </Button>
            ) : null}
          </div>
        ))}
        {decide ? (
          <form className="action-form" onSubmit={(e) => { e.preventDefault(); addDecision(); }}>
            <textarea
              className="field"
              data-testid="decision-text"
              rows={2}
              maxLength={2000}
              placeholder={t("meeting.decision_placeholder")}
              value={decision}
              onChange={(e) => setDecision(e.target.value)}
            />
            <Button size="small" type="submit" data-testid="decision-add">{t("meeting.add_decision")}</Button>
          </form>
        ) : null}
      </section>

      {open && close ? (
        <div className="section">
          <Button block color="danger" data-testid="meeting-close" onClick={() => void closeMeeting()}>
            {t("meeting.close")}
          </Button>
        </div>
      ) : null}
      {status === "closed" ? (
        <div className="section">
          <p className="hint" data-testid="meeting-closed">{t("meeting.closed_hint")}</p>
        </div>
      ) : null}
    </article>
  );
}

function AgendaRow({ item, meeting, applied, dispose, onMark }: {
  item: AgendaItem;
  meeting: Meeting;
  applied: boolean;
  dispose: boolean;
  onMark: (kind: DispositionKind, deadline: number | null) => void;
}) {
  const t = useT();
  const navigate = useNavigate();
  const dir = useDirectory();
  const [due, setDue] = useState("");
  const current = effectiveDisposition(meeting, text(item.id));
  const kind = current ? text(current.kind) : null;
  return (
    <div className="visit agenda-row" data-testid="agenda-row" data-record={text(item.record)} data-disposition={kind ?? ""}>
      <div>
        <LightTag light={(val(item.light) as Light | null) ?? null} />{" "}
        <button type="button" className="link-button" onClick={() => navigate(`/items/${text(item.record)}`)}>
          {text(item.title)}
        </button>
      </div>
      <div className="hint">
        {unitName(dir, val(item.lead_unit))} ·{" "}
        {t("meeting.snapshot", { status: enumLabel(t, "status", text(item.status)), deadline: item.deadline ? isoDate(item.deadline) : "—" })}
      </div>
      <div className="hint">{val(item.latest_progress) ? t("meeting.latest", { text: val(item.latest_progress) ?? "" }) : t("meeting.no_progress")}</div>
      <div className="hint" data-testid="agenda-disposition">
        {t("meeting.disposition")}：{kind ? enumLabel(t, "disposition", kind) : t("meeting.no_disposition")}
        {kind === "reschedule" && current?.new_deadline ? ` ${isoDate(current.new_deadline)}` : ""}
        {applied ? <Tag color="success" fill="outline" className="applied-tag" data-testid="agenda-applied">{t("meeting.applied")}</Tag> : null}
      </div>
      {dispose ? (
        <Space wrap>
          {DISPOSITION_KINDS.filter((k) => k !== "reschedule").map((k) => (
            <Button key={k} size="mini" fill={kind === k ? "solid" : "outline"} color="primary" data-testid={`dispose-${k}`} onClick={() => onMark(k, null)}>
              {enumLabel(t, "disposition", k)}
            </Button>
          ))}
          <input className="field" type="date" data-testid="dispose-deadline" aria-label={t("meeting.new_deadline")} value={due} onChange={(e) => setDue(e.target.value)} />
          <Button size="mini" fill={kind === "reschedule" ? "solid" : "outline"} color="primary" data-testid="dispose-reschedule" disabled={!due} onClick={() => onMark("reschedule", endOfDayFromIso(due))}>
            {enumLabel(t, "disposition", "reschedule")}
          </Button>
        </Space>
      ) : null}
    </div>
  );
}
