// Admins: the outside channels (企业微信 / 钉钉 / 飞书 group robots, webhooks) that receive the
// events of some units, with their daily digest, counts and delivery log
// (`/api/admin/channels`). Online only: channels live on the server, not in any record.

import { useCallback, useEffect, useState } from "react";
import { Button, Dialog, List, NavBar, Selector, Toast } from "antd-mobile";
import { useNavigate } from "react-router";

import { useDirectory } from "../../app/context";
import { ApiFailure, apiGet, apiResponse } from "../../auth/api";
import { useT, type MessageKey } from "../../i18n";
import { unitChoices, unitName } from "../../sync/directory";

interface Channel {
  id: string;
  kind: string;
  name: string;
  url: string;
  has_secret: boolean;
  units: string[];
  events: string[];
  digest_at: string | null;
  sent: number;
  failed: number;
  pending: number;
}

interface Delivery {
  id: string;
  key: string;
  at: number;
  ok: boolean;
  http_status: number | null;
  error: string | null;
  millis: number;
}

const KINDS = ["wecom", "dingtalk", "feishu", "webhook"] as const;

const when = (ms: number) =>
  new Date(ms).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

export default function Channels() {
  const t = useT();
  const navigate = useNavigate();
  const dir = useDirectory();
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  const fail = useCallback(
    (error: unknown) => Toast.show({ content: error instanceof ApiFailure ? error.message : t("notify.failed") }),
    [t],
  );
  const reload = useCallback(() => apiGet<Channel[]>("/api/admin/channels").then(setChannels, fail), [fail]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const remove = async (channel: Channel) => {
    const sure = await Dialog.confirm({ content: t("channels.delete_confirm", { name: channel.name }) });
    if (!sure) return;
    await apiResponse(`/api/admin/channels/${encodeURIComponent(channel.id)}`, { method: "DELETE" }).then(reload, fail);
  };

  return (
    <>
      <NavBar onBack={() => navigate("/settings")}>{t("channels.title")}</NavBar>
      <List header={t("channels.title")} data-testid="channels">
        {channels?.length === 0 ? <List.Item>{t("channels.empty")}</List.Item> : null}
        {channels?.map((c) => (
          <List.Item
            key={c.id}
            data-testid="channel"
            onClick={() => setOpen(open === c.id ? null : c.id)}
            description={
              <>
                <div>{t(`channels.kind.${c.kind}` as MessageKey)} · {c.url}</div>
                <div>{c.units.length ? c.units.map((u) => unitName(dir, u)).join("、") : "—"}{c.digest_at ? ` · ${t("channels.digest_at", { at: c.digest_at })}` : ""}</div>
                <div>{t("channels.counts", { sent: c.sent, failed: c.failed, pending: c.pending })}</div>
                {open === c.id ? <DeliveryLog id={c.id} /> : null}
              </>
            }
            extra={
              <Button size="mini" color="danger" fill="outline" onClick={(e) => { e.stopPropagation(); void remove(c); }}>
                {t("channels.delete")}
              </Button>
            }
          >
            {c.name}
          </List.Item>
        ))}
      </List>
      <div className="section">
        {adding ? (
          <NewChannel onDone={() => { setAdding(false); void reload(); }} onFail={fail} />
        ) : (
          <Button block color="primary" data-testid="channel-add" onClick={() => setAdding(true)}>
            {t("channels.add")}
          </Button>
        )}
      </div>
    </>
  );
}

function DeliveryLog({ id }: { id: string }) {
  const t = useT();
  const [log, setLog] = useState<Delivery[] | null>(null);
  useEffect(() => {
    void apiGet<Delivery[]>(`/api/admin/channels/${encodeURIComponent(id)}/deliveries`).then(setLog, () => setLog([]));
  }, [id]);
  if (!log) return null;
  return (
    <div style={{ fontSize: 12, color: "#666" }} data-testid="delivery-log">
      <div>{t("channels.log")}</div>
      {log.length === 0 ? <div>{t("channels.log_empty")}</div> : null}
      {log.slice(0, 20).map((d) => (
        <div key={d.id}>
          {when(d.at)} {d.ok ? t("channels.ok") : t("channels.failed")} {d.http_status ?? ""} {d.error ?? ""} · {d.key.split(":")[1] ?? d.key} · {d.millis} ms
        </div>
      ))}
    </div>
  );
}

function NewChannel({ onDone, onFail }: { onDone: () => void; onFail: (error: unknown) => void }) {
  const t = useT();
  const dir = useDirectory();
  const [kind, setKind] = useState<string>("wecom");
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [units, setUnits] = useState<string[]>([]);
  const [digest, setDigest] = useState("08:30");
  const [saving, setSaving] = useState(false);

  const save = () => {
    setSaving(true);
    const body = { kind, name: name.trim(), url: url.trim(), secret: secret || undefined, units, digest_at: digest || null };
    apiResponse("/api/admin/channels", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then(onDone, onFail)
      .finally(() => setSaving(false));
  };

  return (
    <div data-testid="channel-form">
      <div className="field-label">
        {t("channels.kind")}
        <Selector columns={2} value={[kind]} onChange={(v) => v[0] && setKind(v[0])} options={KINDS.map((k) => ({ label: t(`channels.kind.${k}`), value: k }))} />
      </div>
      <label className="field-label">
        {t("channels.name")}
        <input className="field" data-testid="channel-name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field-label">
        {t("channels.url")}
        <input className="field" data-testid="channel-url" type="url" maxLength={2000} value={url} onChange={(e) => setUrl(e.target.value)} />
      </label>
      <label className="field-label">
        {t("channels.secret")}
        <input className="field" data-testid="channel-secret" type="password" maxLength={500} value={secret} onChange={(e) => setSecret(e.target.value)} />
      </label>
      <div className="field-label">
        {t("channels.units")}
        <Selector multiple columns={2} value={units} onChange={setUnits} options={unitChoices(dir).map((c) => ({ label: c.label, value: c.id }))} />
      </div>
      <label className="field-label">
        {t("channels.digest")}
        <input className="field" data-testid="channel-digest" type="time" value={digest} onChange={(e) => setDigest(e.target.value)} />
      </label>
      <Button block color="primary" data-testid="channel-save" loading={saving} disabled={!name.trim() || !url.trim()} onClick={save}>
        {t("common.save")}
      </Button>
    </div>
  );
}
