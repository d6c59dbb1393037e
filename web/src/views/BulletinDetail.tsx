// One 通报 (`GET /api/bulletins/{id}`), laid out as the paper reads: title, 总体情况, the units
// criticised and praised with their items (tapping an item opens it, where this user may read
// it), 工作要求. While a draft, supervisors, leaders and admins edit the texts, leave units out,
// and publish it; anyone who reads it downloads it as Word. Needs the network.

import { useEffect, useState } from "react";
import { Button, Dialog, DotLoading, ErrorBlock, Input, NavBar, Tag, TextArea, Toast } from "antd-mobile";
import { useNavigate, useParams } from "react-router";

import { useActor, useNet } from "../app/context";
import { ApiFailure, apiGet, apiJson, downloadFile } from "../auth/api";
import { isoDate } from "../domain/time";
import type { Bulletin, BulletinEdit, BulletinUnit } from "../generated/api";
import { useT, type MessageKey } from "../i18n";
import { draftsBulletins } from "./Bulletins";

export default function BulletinDetail() {
  const t = useT();
  const navigate = useNavigate();
  const { id = "" } = useParams();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const { roles } = useActor();
  const [bulletin, setBulletin] = useState<Bulletin | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    if (!online) return;
    let live = true;
    apiGet<Bulletin>(`/api/bulletins/${encodeURIComponent(id)}`).then(
      (b) => {
        if (!live) return;
        setBulletin(b);
        setFailed(null);
      },
      (error: unknown) => live && setFailed(error instanceof ApiFailure && error.status === 404 ? "bulletins.not_found" : "bulletins.failed"),
    );
    return () => {
      live = false;
    };
  }, [online, id]);

  const editable = bulletin?.status === "draft" && draftsBulletins(roles);

  const publish = async () => {
    if (!bulletin) return;
    const ok = await Dialog.confirm({
      content: t("bulletins.publish_confirm"),
      confirmText: <span data-testid="bulletin-publish-confirm">{t("bulletins.publish")}</span>,
      cancelText: t("common.cancel"),
    });
    if (!ok) return;
    try {
      setBulletin(await apiJson<Bulletin>(`/api/bulletins/${bulletin.id}/publish`, "POST"));
      Toast.show({ content: t("bulletins.published") });
    } catch (error) {
      Toast.show({ content: error instanceof ApiFailure ? error.message : t("bulletins.failed") });
    }
  };

  const download = async () => {
    if (!bulletin) return;
    try {
      await downloadFile(`/api/bulletins/${bulletin.id}/document.docx`, `通报-${bulletin.title}.docx`);
    } catch {
      Toast.show({ content: t("weekly.download_failed") });
    }
  };

  return (
    <>
      <NavBar onBack={() => navigate("/bulletins")}>{t("bulletins.title")}</NavBar>
      {!online ? (
        <ErrorBlock status="disconnected" title={t("bulletins.offline")} description="" />
      ) : failed ? (
        <ErrorBlock status="default" title={t(failed as MessageKey)} description="" />
      ) : !bulletin ? (
        <div className="loading">
          <DotLoading /> {t("common.loading")}
        </div>
      ) : editing ? (
        <EditForm
          bulletin={bulletin}
          done={(b) => {
            if (b) setBulletin(b);
            setEditing(false);
          }}
        />
      ) : (
        <>
          <Paper b={bulletin} />
          <div className="section bulletin-actions">
            {editable ? (
              <>
                <Button size="small" fill="outline" data-testid="bulletin-edit" onClick={() => setEditing(true)}>
                  {t("bulletins.edit")}
                </Button>
                <Button size="small" color="primary" data-testid="bulletin-publish" onClick={() => void publish()}>
                  {t("bulletins.publish")}
                </Button>
              </>
            ) : null}
            <Button size="small" fill="outline" data-testid="bulletin-download" onClick={() => void download()}>
              {t("bulletins.download")}
            </Button>
          </div>
        </>
      )}
    </>
  );
}

/** The 通报 as it reads on paper. */
function Paper({ b }: { b: Bulletin }) {
  const t = useT();
  return (
    <article className="section bulletin-paper" data-testid="bulletin">
      <p className="bulletin-number" data-testid="bulletin-status">
        {b.status === "published" ? (
          <Tag color="primary">
            {t("bulletins.number", { n: b.number ?? 0 })} · {b.published_at !== null ? isoDate(b.published_at) : ""}
          </Tag>
        ) : (
          <Tag color="warning">{t("bulletins.draft")}</Tag>
        )}{" "}
        <span className="hint">{b.period}</span>
      </p>
      <h2 className="bulletin-title" data-testid="bulletin-title">
        {b.title}
      </h2>
      <h3>{t("bulletins.summary")}</h3>
      <Lines text={b.summary} />
      <h3>{t("bulletins.criticised")}</h3>
      <Units list={b.criticised} kind="criticised" />
      <h3>{t("bulletins.praised")}</h3>
      <Units list={b.praised} kind="praised" />
      <h3>{t("bulletins.requirements")}</h3>
      <Lines text={b.requirements} />
    </article>
  );
}

function Lines({ text }: { text: string }) {
  return (
    <>
      {text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line, n) => (
          <p key={n} className="bulletin-text">
            {line}
          </p>
        ))}
    </>
  );
}

function Units({ list, kind }: { list: BulletinUnit[]; kind: "criticised" | "praised" }) {
  const t = useT();
  const navigate = useNavigate();
  if (list.length === 0) return <p className="hint">{t("bulletins.none")}</p>;
  return (
    <>
      {list.map((u) => (
        <div key={u.unit} className={`bulletin-unit ${kind}`} data-testid="bulletin-unit" data-unit={u.unit} data-kind={kind}>
          <div className="bulletin-unit-name">{u.name}</div>
          {u.remark ? <p className="bulletin-text">{u.remark}</p> : null}
          <ol className="bulletin-items">
            {u.items.map((item) => (
              <li key={item.record_id} onClick={() => navigate(`/items/${item.record_id}`)}>
                {item.title}
                <span className="hint"> （{item.reasons.map((r) => t(`assessments.rule.${r}` as MessageKey)).join("、")}）</span>
              </li>
            ))}
          </ol>
          {u.more > 0 ? <p className="hint">{t("bulletins.more", { n: u.more })}</p> : null}
        </div>
      ))}
    </>
  );
}

/** Edits a draft's texts and which units it keeps, then saves (`PATCH`). */
function EditForm({ bulletin, done }: { bulletin: Bulletin; done: (b: Bulletin | null) => void }) {
  const t = useT();
  const [title, setTitle] = useState(bulletin.title);
  const [summary, setSummary] = useState(bulletin.summary);
  const [requirements, setRequirements] = useState(bulletin.requirements);
  const [criticised, setCriticised] = useState(bulletin.criticised);
  const [praised, setPraised] = useState(bulletin.praised);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    const remarks = (list: BulletinUnit[]) => list.map((u) => ({ unit: u.unit, remark: u.remark }));
    const body: BulletinEdit = { title, summary, requirements, criticised: remarks(criticised), praised: remarks(praised) };
    try {
      done(await apiJson<Bulletin>(`/api/bulletins/${bulletin.id}`, "PATCH", body));
    } catch (error) {
      Toast.show({ content: error instanceof ApiFailure ? error.message : t("bulletins.failed") });
    } finally {
      setBusy(false);
    }
  };

  const unitEditor = (list: BulletinUnit[], set: (l: BulletinUnit[]) => void, kind: string) =>
    list.map((u) => (
      <div key={u.unit} className="bulletin-unit" data-testid="bulletin-edit-unit" data-unit={u.unit} data-kind={kind}>
        <div className="bulletin-unit-name">
          {u.name}
          <Button size="mini" fill="none" color="danger" onClick={() => set(list.filter((o) => o.unit !== u.unit))}>
            {t("bulletins.leave_out")}
          </Button>
        </div>
        <TextArea
          value={u.remark}
          maxLength={300}
          autoSize
          onChange={(v) => set(list.map((o) => (o.unit === u.unit ? { ...o, remark: v } : o)))}
        />
      </div>
    ));

  return (
    <section className="section bulletin-form" data-testid="bulletin-form">
      <label className="hint">{t("bulletins.field_title")}</label>
      <Input value={title} maxLength={100} onChange={setTitle} data-testid="bulletin-title-input" />
      <label className="hint">{t("bulletins.summary")}</label>
      <TextArea value={summary} maxLength={2000} autoSize onChange={setSummary} />
      <label className="hint">{t("bulletins.criticised")}</label>
      {unitEditor(criticised, setCriticised, "criticised")}
      <label className="hint">{t("bulletins.praised")}</label>
      {unitEditor(praised, setPraised, "praised")}
      <label className="hint">{t("bulletins.requirements")}</label>
      <TextArea value={requirements} maxLength={2000} autoSize onChange={setRequirements} />
      <div className="bulletin-actions">
        <Button size="small" onClick={() => done(null)}>
          {t("common.cancel")}
        </Button>
        <Button size="small" color="primary" loading={busy} data-testid="bulletin-save" onClick={() => void save()}>
          {t("common.save")}
        </Button>
      </div>
    </section>
  );
}
