// Dashboard for leaders: counts by status and light per lead unit, and the on-time closing
// rate. Online it shows the server's numbers (over everything this user may read), for all
// items now or for the items followed in this week, month or quarter, with the trend over the
// last six of them; offline it counts the records held on this phone, and says so. A unit's
// row opens the ledger filtered to that unit.

import { useEffect, useMemo, useState } from "react";
import { Button, Card, Grid, List, NavBar, Selector, Tag } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useDirectory, useIndexEntries, useNet, useNow } from "../app/context";
import { apiGet } from "../auth/api";
import { closedAt, light } from "../domain/derived";
import { recentPeriods, type PeriodKind } from "../domain/periods";
import type { RecordSummary } from "../domain/summary";
import type { Dashboard, DashboardCounts } from "../generated/api";
import { DUBAN_STATUSES } from "../generated/records";
import { enumLabel, useT } from "../i18n";
import { unitName } from "../sync/directory";
import { Trend } from "./DashboardTrend";

type Counts = DashboardCounts;

/** What the screen shows: the server's dashboard, or the same counts made on this phone. */
type DashboardData = Pick<Dashboard, "units" | "totals">;

/** The period filter: every item now, or this week, month or quarter. */
type Span = "all" | PeriodKind;
const SPANS: { span: Span; label: "dashboard.period_all" | "period.week" | "period.month" | "period.quarter" }[] = [
  { span: "all", label: "dashboard.period_all" },
  { span: "week", label: "period.week" },
  { span: "month", label: "period.month" },
  { span: "quarter", label: "period.quarter" },
];

function emptyCounts(): Counts {
  return {
    items: 0,
    by_status: Object.fromEntries(DUBAN_STATUSES.map((s) => [s, 0])),
    by_light: { green: 0, yellow: 0, red: 0 },
    on_time: { closed_with_deadline: 0, on_time: 0, rate: null },
    feedback_late: 0,
  };
}

/** The same counts from the summaries held on this phone. */
export function localDashboard(summaries: readonly RecordSummary[], now: number): DashboardData {
  const totals = emptyCounts();
  const units = new Map<string | null, Counts>();
  for (const s of summaries) {
    if (s.kind !== "duban" || !s.facts) continue;
    const unit = units.get(s.unit) ?? emptyCounts();
    units.set(s.unit, unit);
    for (const c of [totals, unit]) {
      c.items += 1;
      c.by_status[s.facts.status] = (c.by_status[s.facts.status] ?? 0) + 1;
      const l = light(s.facts, now);
      if (l) c.by_light[l] += 1;
      const closed = closedAt(s.facts);
      if ((s.facts.status === "closed" || s.facts.status === "evaluated") && closed !== null && s.deadline !== null) {
        c.on_time.closed_with_deadline += 1;
        if (closed <= s.deadline) c.on_time.on_time += 1;
      }
    }
  }
  for (const c of [totals, ...units.values()]) {
    c.on_time.rate = c.on_time.closed_with_deadline ? c.on_time.on_time / c.on_time.closed_with_deadline : null;
  }
  return { totals, units: [...units.entries()].map(([unit, c]) => ({ ...c, unit, name: null })) };
}

export default function Dashboard() {
  const t = useT();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const entries = useIndexEntries();
  const dir = useDirectory();
  const now = useNow();
  const navigate = useNavigate();
  const { roles } = useActor();
  // The 周报 is the supervisors' and leaders' weekly meeting material.
  const seesWeekly = roles.includes("supervisor") || roles.includes("leader");
  const [server, setServer] = useState<DashboardData | null>(null);
  const [failed, setFailed] = useState(false);
  const [span, setSpan] = useState<Span>("all");
  // The current period of the chosen kind; it moves on when the day does.
  const period = span === "all" ? null : (recentPeriods(span, now, 1)[0] ?? null);
  useEffect(() => {
    if (!online) return;
    let live = true;
    apiGet<Dashboard>(period ? `/api/dashboard?period=${period}` : "/api/dashboard").then(
      (d) => {
        if (!live) return;
        setServer(d);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [online, period]);
  const local = useMemo(
    () => localDashboard(entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary), now),
    [entries, now],
  );
  // Offline, the phone counts everything it holds: the period filter needs the server.
  const data = online && server ? server : local;
  const rate = (c: Counts) => (c.on_time.rate === null ? "—" : `${Math.round(c.on_time.rate * 100)}%`);
  return (
    <>
      <NavBar
        back={null}
        right={
          seesWeekly ? (
            <Button size="mini" color="primary" fill="outline" data-testid="open-weekly" onClick={() => navigate("/reports/weekly")}>
              {t("weekly.title")}
            </Button>
          ) : null
        }
      >
        {t("dashboard.title")}
      </NavBar>
      <div className="dashboard-links">
        <Button size="mini" fill="outline" data-testid="open-instructions" onClick={() => navigate("/instructions")}>
          {t("instructions.title")}
        </Button>
        <Button size="mini" fill="outline" data-testid="open-assessments" onClick={() => navigate("/assessments")}>
          {t("assessments.title")}
        </Button>
        <Button size="mini" fill="outline" data-testid="open-worklist" onClick={() => navigate("/worklist")}>
          {t("worklist.title")}
        </Button>
        <Button size="mini" fill="outline" data-testid="open-bulletins" onClick={() => navigate("/bulletins")}>
          {t("bulletins.title")}
        </Button>
      </div>
      {online ? (
        <div className="section">
          <Selector
            columns={4}
            options={SPANS.map((o) => ({ label: t(o.label), value: o.span }))}
            value={[span]}
            onChange={(v) => {
              if (v[0]) {
                setServer(null);
                setSpan(v[0]);
              }
            }}
          />
          {period ? <p className="hint" data-testid="dashboard-period">{period}</p> : null}
        </div>
      ) : null}
      {online && !server && !failed ? <p className="hint dashboard-loading">{t("dashboard.loading")}</p> : null}
      {!online ? <p className="notice">{t("dashboard.local")}</p> : online && failed && !server ? <p className="notice">{t("dashboard.failed")}</p> : null}
      <Card title={t("dashboard.totals")} data-testid="dashboard-totals">
        <Grid columns={4} gap={8}>
          <Grid.Item><Stat label={t("dashboard.items")} value={data.totals.items} /></Grid.Item>
          <Grid.Item><Stat label={t("light.red")} value={data.totals.by_light.red} color="danger" /></Grid.Item>
          <Grid.Item><Stat label={t("light.yellow")} value={data.totals.by_light.yellow} color="warning" /></Grid.Item>
          <Grid.Item><Stat label={t("light.green")} value={data.totals.by_light.green} color="success" /></Grid.Item>
        </Grid>
        <p className="hint">
          {t("dashboard.on_time")}：{rate(data.totals)} · {t("dashboard.feedback_late")}：{data.totals.feedback_late}
        </p>
        <div className="status-counts">
          {DUBAN_STATUSES.map((s) => (
            <Tag key={s} fill="outline">
              {enumLabel(t, "status", s)} {data.totals.by_status[s] ?? 0}
            </Tag>
          ))}
        </div>
      </Card>
      {online ? <Trend kind={span === "all" ? "month" : span} /> : null}
      <List header={t("dashboard.by_unit")}>
        {data.units.map((u) => (
          <List.Item
            key={u.unit ?? "none"}
            data-testid="dashboard-unit"
            data-unit={u.unit ?? ""}
            onClick={u.unit ? () => navigate(`/ledger?unit=${encodeURIComponent(u.unit ?? "")}`) : undefined}
            description={`${t("light.red")} ${u.by_light.red} · ${t("light.yellow")} ${u.by_light.yellow} · ${t("light.green")} ${u.by_light.green} · ${t("dashboard.on_time")} ${rate(u)}`}
            extra={u.items}
          >
            {u.name ?? (u.unit ? unitName(dir, u.unit) : t("dashboard.no_unit"))}
          </List.Item>
        ))}
      </List>
    </>
  );
}

function Stat({ label, value, color }: { label: string; value: number; color?: string }) {
  return (
    <div className="stat">
      <div className={`stat-value ${color ?? ""}`}>{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
