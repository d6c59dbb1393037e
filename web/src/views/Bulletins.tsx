// 通报: the published ones for everyone, and the drafts this user may read (`GET /api/bulletins`).
// Supervisors, leaders and admins draft a new one for a week, month or quarter from the data
// (`POST /api/bulletins`) and are taken to it to edit and publish. Needs the network.

import { useEffect, useState } from "react";
import { Button, DotLoading, ErrorBlock, List, NavBar, Selector, Tag, Toast } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useNet, useNow } from "../app/context";
import { ApiFailure, apiGet, apiJson } from "../auth/api";
import { recentPeriods, type PeriodKind } from "../domain/periods";
import { isoDate } from "../domain/time";
import type { Bulletin, BulletinList, NewBulletin } from "../generated/api";
import type { Role } from "../generated/rules";
import { useT, type MessageKey } from "../i18n";

/** Who drafts, edits and publishes 通报 (the server's `bulletins::store::drafts`). */
export function draftsBulletins(roles: readonly Role[]): boolean {
  return roles.includes("supervisor") || roles.includes("leader") || roles.includes("admin");
}

export default function Bulletins() {
  const t = useT();
  const navigate = useNavigate();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const { roles } = useActor();
  const [list, setList] = useState<BulletinList | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (!online) return;
    let live = true;
    apiGet<BulletinList>("/api/bulletins").then(
      (l) => {
        if (!live) return;
        setList(l);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [online]);

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("bulletins.title")}</NavBar>
      {online && draftsBulletins(roles) ? <DraftForm /> : null}
      {!online ? (
        <ErrorBlock status="disconnected" title={t("bulletins.offline")} description="" />
      ) : failed ? (
        <ErrorBlock status="default" title={t("bulletins.failed")} description="" />
      ) : !list ? (
        <div className="loading">
          <DotLoading /> {t("common.loading")}
        </div>
      ) : list.bulletins.length === 0 ? (
        <ErrorBlock status="empty" title={t("bulletins.empty")} description="" />
      ) : (
        <List header={t("bulletins.list")}>
          {list.bulletins.map((b) => (
            <List.Item
              key={b.id}
              data-testid="bulletin-row"
              data-status={b.status}
              onClick={() => navigate(`/bulletins/${b.id}`)}
              description={
                <span>
                  {b.period} · {t("bulletins.criticised_n", { n: b.criticised })} · {t("bulletins.praised_n", { n: b.praised })}
                  {b.published_at !== null ? ` · ${isoDate(b.published_at)}` : ""}
                </span>
              }
              extra={
                b.status === "published" ? (
                  <Tag color="primary">{t("bulletins.number", { n: b.number ?? 0 })}</Tag>
                ) : (
                  <Tag color="warning">{t("bulletins.draft")}</Tag>
                )
              }
            >
              {b.title}
            </List.Item>
          ))}
        </List>
      )}
    </>
  );
}

const KINDS: { kind: PeriodKind; label: MessageKey }[] = [
  { kind: "week", label: "period.week" },
  { kind: "month", label: "period.month" },
  { kind: "quarter", label: "period.quarter" },
];

/** Draft a 通报 for one of the last few periods of a kind. */
function DraftForm() {
  const t = useT();
  const navigate = useNavigate();
  const now = useNow();
  const [kind, setKind] = useState<PeriodKind>("month");
  const periods = recentPeriods(kind, now, 3);
  const [period, setPeriod] = useState<string | null>(null);
  const chosen = period !== null && periods.includes(period) ? period : (periods[0] ?? "");
  const [busy, setBusy] = useState(false);

  const draft = async () => {
    setBusy(true);
    try {
      const body: NewBulletin = { period: chosen, title: null, summary: null, requirements: null };
      const made = await apiJson<Bulletin>("/api/bulletins", "POST", body);
      navigate(`/bulletins/${made.id}`);
    } catch (error) {
      Toast.show({ content: error instanceof ApiFailure ? error.message : t("bulletins.failed") });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section" data-testid="bulletin-draft-form">
      <h3>{t("bulletins.new")}</h3>
      <Selector
        columns={3}
        options={KINDS.map((k) => ({ label: t(k.label), value: k.kind }))}
        value={[kind]}
        onChange={(v) => {
          if (v[0]) setKind(v[0]);
        }}
      />
      <div className="bulletin-periods">
        <Selector
          columns={3}
          options={periods.map((p) => ({ label: p, value: p }))}
          value={[chosen]}
          onChange={(v) => {
            if (typeof v[0] === "string") setPeriod(v[0]);
          }}
        />
      </div>
      <Button block color="primary" loading={busy} data-testid="bulletin-draft" onClick={() => void draft()}>
        {t("bulletins.draft_from_data")}
      </Button>
    </section>
  );
}
