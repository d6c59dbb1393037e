// 督办事项 detail: fields, light and days left (computed on the phone), the synced mark,
// refusals and conflicts, the collaborative detail text, the actions the rules allow, and the
// timeline of every entry.

import { useEffect, useMemo, useState } from "react";
import { updateText } from "@automerge/automerge/slim";
import { List, NavBar, Tag } from "antd-mobile";
import { useNavigate, useParams } from "react-router";

import { Loading } from "../app/App";
import { useActor, useIndexEntry, useNet, useNow, useRecord } from "../app/context";
import { apiGet } from "../auth/api";
import { CollabText } from "../components/CollabText";
import { LightTag } from "../components/LightTag";
import { OutcomeTag } from "../components/OutcomeTag";
import { missingForAssignment, outcomeOf, unavailableActions } from "../domain/workflow";
import { statusSteps, suspendedFrom } from "../domain/steps";
import type { Doc } from "@automerge/automerge/slim";
import { SyncedMark } from "../components/SyncedMark";
import { daysLeft, factsOf, firstResponseDue, isOpen, light, nextFeedbackDue, progressAfterClosing } from "../domain/derived";
import { lateMarks } from "../domain/late";
import { dubanActions, mayWithdraw, rolesOn } from "../domain/permissions";
import { str, text, val, vals } from "../domain/scalar";
import { isoDateTime } from "../domain/time";
import type { DubanItem, DubanStatus } from "../generated/records";
import { daysLabel, enumLabel, useT } from "../i18n";
import { isSynced, type IndexEntry } from "../sync/localIndex";
import { DubanActions } from "./DubanActions";
import { DubanFields } from "./DubanFields";
import { SiteCheck } from "../photos";
import { Conflicts, Refusals } from "./Notices";
import { Attention } from "./Attention";
import { Timeline } from "./Timeline";
import { ConflictAuthors } from "./ConflictAuthors";
import { HistoryButton, useRecordHistory } from "./History";
import { PaperLink } from "../documents/PaperLink";

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
  const now = useNow();
  const facts = factsOf(item);
  const status = text(item.status);
  const roles = rolesOn(
    { kind: "duban", handlers: vals(item.handlers), lead_unit: val(item.lead_unit), co_units: vals(item.co_units) },
    actor,
  );
  const actions = dubanActions(status, roles, item.deadline ?? null, now);
  const why = unavailableActions(status, roles, item.deadline ?? null, now);
  const missing = missingForAssignment({ lead_unit: val(item.lead_unit), handlers: vals(item.handlers), supervisors: vals(item.supervisors) });
  // 恢复办理 returns to the status the item was suspended from (the server checks the same).
  const steps = useMemo(() => statusSteps(item as Doc<unknown>), [item]);
  const from = suspendedFrom(steps);
  const resumeTo = from !== null && isOpen(from as DubanStatus) ? (from as DubanStatus) : "in_progress";
  const left = daysLeft(facts, now);
  const outcome = outcomeOf(facts);
  const firstDue = firstResponseDue(facts);
  const feedbackDue = nextFeedbackDue(facts);
  const late = lateMarks(useServerLate(id, entry), progressAfterClosing(facts), entry ? isSynced(entry) : false);
  const history = useRecordHistory(id, entry?.serverHeads?.join(",") ?? "");

  return (
    <ConflictAuthors doc={item} history={history.answer?.history} me={actor.id}>
    <article className="detail" data-id={id}>
      <Attention id={id} />
      <header className="detail-head">
        <h2 data-testid="record-title">{text(item.title)}</h2>
        <div className="tags">
          <Tag color="primary" fill="outline" data-testid="record-status" data-status={status}>
            {enumLabel(t, "status", status)}
          </Tag>
          {outcome ? <OutcomeTag outcome={outcome} testid="record-outcome" /> : null}
          {isOpen(status) ? <LightTag light={light(facts, now)} testid="record-light" /> : null}
          <SyncedMark entry={entry} />
          {left !== null && isOpen(status) ? (
            <span className="days" data-testid="days-left">
              {daysLabel(t, left)}
            </span>
          ) : null}
        </div>
      </header>
      <Refusals entry={entry} />
      {/* The fields below show their own conflicts; the status has no editor, so its own shows here. */}
      <Conflicts handle={handle as never} doc={item} kind="duban" roles={roles} fields={["status"]} />
      {actions.has("edit_title") ? <TitleEditor title={text(item.title)} onSave={(v) => handle.change((d) => void (d.title = str(v)))} /> : null}
      <DubanFields id={id} handle={handle} item={item} roles={roles} now={now}>
        {firstDue && facts.progress.length === 0 && isOpen(status) ? <DueRow label={t("field.first_response_due")} due={firstDue} now={now} /> : null}
        {feedbackDue && isOpen(status) ? <DueRow label={t("field.next_feedback_due")} due={feedbackDue} now={now} /> : null}
      </DubanFields>
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
      <DubanActions handle={handle} item={item} actions={actions} me={actor.id} why={why} missing={missing} resumeTo={resumeTo} />
      <div className="record-links">
        <PaperLink to={`/items/${encodeURIComponent(id)}/print`} />
        <HistoryButton history={history} />
      </div>
      <SiteCheck handle={handle} status={status} roles={roles} me={actor.id} />
      <section className="section">
        <h3>{t("detail.timeline")}</h3>
        <Timeline
          item={item}
          late={late}
          recordId={id}
          history={history.answer?.history}
          me={actor.id}
          withdraw={{
            may: (list, by) => mayWithdraw("duban", list, { by, withdrawn: false }, actor.id, roles),
            run: (list, entryId, reason) =>
              handle.change((d) => {
                const entries = (d as unknown as Record<string, { id: unknown; withdrawn?: unknown }[]>)[list] ?? [];
                const found = entries.find((x) => text(x.id as string) === entryId);
                if (found && !found.withdrawn) found.withdrawn = { at: Date.now(), by: str(actor.id), reason: reason ? str(reason) : null };
              }),
          }}
        />
      </section>
    </article>
    </ConflictAuthors>
  );
}

/** A time something is due by, marked once it has passed. */
function DueRow({ label, due, now }: { label: string; due: number; now: number }) {
  const t = useT();
  const late = now > due;
  return (
    <List.Item extra={<span className={late ? "due-late" : undefined}>{isoDateTime(due)}{late ? ` · ${t("detail.due_passed")}` : ""}</span>}>
      {label}
    </List.Item>
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

/**
 * The server's `late_progress` of this record while online: asked again whenever the server
 * acknowledges new heads of it, so a progress entry another phone synced late is marked as the
 * server judges it. Null offline or until it answers.
 */
const LATE_ASK_DELAY_MS = 1000;

function useServerLate(id: string, entry: IndexEntry | undefined): string[] | null {
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const heads = entry?.serverHeads?.join(",") ?? "";
  const [answer, setAnswer] = useState<{ key: string; late: string[] } | null>(null);
  const key = `${id} ${heads}`;
  useEffect(() => {
    if (!online) return;
    let live = true;
    // Typing in the detail moves the heads with every key: ask once the record is quiet.
    const timer = setTimeout(() => {
      apiGet<{ late_progress?: string[] }>(`/api/records/${encodeURIComponent(id)}`).then(
        (r) => live && setAnswer({ key, late: Array.isArray(r.late_progress) ? r.late_progress : [] }),
        () => undefined,
      );
    }, LATE_ASK_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, key, online]);
  // An answer for other heads still beats none: marks change rarely, and the next one follows.
  return online && answer ? answer.late : null;
}
