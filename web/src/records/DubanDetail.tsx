// 督办事项 detail: fields, light and days left (computed on the phone), the synced mark,
// refusals and conflicts, the collaborative detail text, the actions the rules allow, and the
// timeline of every entry.

import { useState } from "react";
import { updateText } from "@automerge/automerge/slim";
import { List, NavBar, Tag } from "antd-mobile";
import { useNavigate, useParams } from "react-router";

import { Loading } from "../app/App";
import { useActor, useDirectory, useIndexEntry, useNow, useRecord } from "../app/context";
import { CollabText } from "../components/CollabText";
import { LightTag } from "../components/LightTag";
import { SyncedMark } from "../components/SyncedMark";
import { daysLeft, factsOf, firstResponseDue, light, nextFeedbackDue } from "../domain/derived";
import { dubanActions, rolesOn } from "../domain/permissions";
import { str, text, val, vals } from "../domain/scalar";
import { isoDateTime } from "../domain/time";
import type { DubanItem } from "../generated/records";
import { enumLabel, useT } from "../i18n";
import { personName, unitName } from "../sync/directory";
import { DubanActions } from "./DubanActions";
import { SiteCheck } from "../photos";
import { Conflicts, Refusals } from "./Notices";
import { Timeline } from "./Timeline";

export function DubanDetail() {
  const { id = "" } = useParams();
  const t = useT();
  const navigate = useNavigate();
  const record = useRecord<DubanItem>(id);
  const entry = useIndexEntry(id);
  const back = <NavBar onBack={() => navigate(-1)}>{t("detail.title")}</NavBar>;
  if (record.state === "loading") return (<>{back}<Loading /></>);
  if (record.state === "unavailable" || val(record.doc.type) !== "duban") {
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
      <DubanView id={id} handle={record.handle} item={record.doc} entry={entry} />
    </>
  );
}

function DubanView({ id, handle, item, entry }: { id: string; handle: import("@automerge/automerge-repo/slim").DocHandle<DubanItem>; item: DubanItem; entry: ReturnType<typeof useIndexEntry> }) {
  const t = useT();
  const actor = useActor();
  const dir = useDirectory();
  const now = useNow();
  const facts = factsOf(item);
  const status = text(item.status);
  const roles = rolesOn(
    { kind: "duban", handlers: vals(item.handlers), lead_unit: val(item.lead_unit), co_units: vals(item.co_units) },
    actor,
  );
  const actions = dubanActions(status, roles, item.deadline ?? null, now);
  const left = daysLeft(facts, now);
  const firstDue = firstResponseDue(facts);
  const feedbackDue = nextFeedbackDue(facts);

  return (
    <article className="detail" data-id={id}>
      <header className="detail-head">
        <h2 data-testid="record-title">{text(item.title)}</h2>
        <div className="tags">
          <Tag color="primary" fill="outline" data-testid="record-status" data-status={status}>
            {enumLabel(t, "status", status)}
          </Tag>
          <LightTag light={light(facts, now)} testid="record-light" />
          <SyncedMark entry={entry} />
          {left !== null ? (
            <span className="days" data-testid="days-left">
              {left < 0 ? t("days.overdue", { n: -left }) : t("days.left", { n: left })}
            </span>
          ) : null}
        </div>
      </header>
      <Refusals entry={entry} />
      <Conflicts handle={handle as never} doc={item} kind="duban" roles={roles} />
      {actions.has("edit_title") ? <TitleEditor title={text(item.title)} onSave={(v) => handle.change((d) => void (d.title = str(v)))} /> : null}
      <List>
        <List.Item extra={val(item.doc_no) ?? "—"}>{t("field.doc_no")}</List.Item>
        <List.Item extra={item.deadline ? isoDateTime(item.deadline) : "—"}>{t("field.deadline")}</List.Item>
        <List.Item extra={unitName(dir, val(item.lead_unit)) || "—"}>{t("field.lead_unit")}</List.Item>
        <List.Item extra={vals(item.co_units).map((u) => unitName(dir, u)).join("、") || "—"}>{t("field.co_units")}</List.Item>
        <List.Item extra={vals(item.handlers).map((u) => personName(dir, u)).join("、") || "—"}>{t("field.handlers")}</List.Item>
        <List.Item extra={vals(item.supervisors).map((u) => personName(dir, u)).join("、") || "—"}>{t("field.supervisors")}</List.Item>
        <List.Item extra={`${enumLabel(t, "level", text(item.level))} · ${enumLabel(t, "urgency", text(item.urgency))}`}>{t("field.level")}</List.Item>
        <List.Item extra={enumLabel(t, "source", text(item.source))}>{t("field.source")}</List.Item>
        {firstDue && facts.progress.length === 0 ? <List.Item extra={isoDateTime(firstDue)}>{t("field.first_response_due")}</List.Item> : null}
        {feedbackDue ? <List.Item extra={isoDateTime(feedbackDue)}>{t("field.next_feedback_due")}</List.Item> : null}
      </List>
      <section className="section">
        <h3>{t("field.detail")}</h3>
        {actions.has("edit_detail") ? (
          <CollabText
            testid="detail-text"
            label={t("field.detail")}
            value={String(item.detail ?? "")}
            onCommit={(v) => handle.change((d) => updateText(d, ["detail"], v))}
            rows={5}
          />
        ) : (
          <p className="detail-view" data-testid="detail-view">{String(item.detail ?? "")}</p>
        )}
      </section>
      <DubanActions handle={handle} item={item} actions={actions} me={actor.id} />
      <SiteCheck handle={handle} status={status} roles={roles} me={actor.id} />
      <section className="section">
        <h3>{t("detail.timeline")}</h3>
        <Timeline item={item} />
      </section>
    </article>
  );
}

/** The title, saved on Enter or when the field loses focus (one change, not one per key). */
function TitleEditor({ title, onSave }: { title: string; onSave: (v: string) => void }) {
  const t = useT();
  const [draft, setDraft] = useState<string | null>(null);
  const save = () => {
    const v = draft?.trim();
    setDraft(null);
    if (v && v !== title && v.length <= 200) onSave(v);
  };
  return (
    <label className="field-label title-editor">
      {t("field.title")}
      <input
        className="field"
        data-testid="title-input"
        value={draft ?? title}
        maxLength={200}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            save();
          }
        }}
      />
    </label>
  );
}
