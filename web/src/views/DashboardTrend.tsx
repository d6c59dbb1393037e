// The dashboard's trend (`GET /api/dashboard/trend`): the last six weeks, months or quarters,
// each a row of bars (items followed, closed, overdue) scaled to the largest count, and the
// on-time rate. Online only; the dashboard hides it offline.

import { useEffect, useState } from "react";
import { Card } from "antd-mobile";

import { apiGet } from "../auth/api";
import type { PeriodKind } from "../domain/periods";
import type { DashboardTrend, TrendPoint } from "../generated/api";
import { useT } from "../i18n";

export function Trend({ kind }: { kind: PeriodKind }) {
  const t = useT();
  const [trend, setTrend] = useState<DashboardTrend | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    apiGet<DashboardTrend>(`/api/dashboard/trend?kind=${kind}&count=6`).then(
      (d) => {
        if (!live) return;
        setTrend(d);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [kind]);
  const points = trend && trend.kind === kind ? trend.points : [];
  const max = Math.max(1, ...points.map((p) => p.active));
  const width = (n: number) => `${Math.round((n / max) * 100)}%`;
  const rate = (p: TrendPoint) => (p.rate === null ? "—" : `${Math.round(p.rate * 100)}%`);
  return (
    <Card title={t("dashboard.trend")} data-testid="dashboard-trend">
      {failed ? <p className="hint">{t("dashboard.trend_failed")}</p> : null}
      <div className="trend-legend">
        <span><i className="trend-bar active" />{t("dashboard.trend_active")}</span>
        <span><i className="trend-bar closed" />{t("dashboard.trend_closed")}</span>
        <span><i className="trend-bar overdue" />{t("dashboard.trend_overdue")}</span>
      </div>
      {points.map((p) => (
        <div key={p.period} className="trend-row" data-testid="trend-point" data-period={p.period}>
          <span>{p.period}</span>
          <div>
            <div className="trend-bars" title={`${t("dashboard.trend_new")} ${p.new}`}>
              <div className="trend-bar active" style={{ width: width(p.active) }} />
              <div className="trend-bar closed" style={{ width: width(p.closed) }} />
              <div className="trend-bar overdue" style={{ width: width(p.overdue) }} />
            </div>
            <span className="hint">
              {t("dashboard.trend_active")} {p.active} · {t("dashboard.trend_new")} {p.new} · {t("dashboard.trend_closed")} {p.closed} ·{" "}
              {t("dashboard.trend_overdue")} {p.overdue} · {t("dashboard.on_time")} {rate(p)}
            </span>
          </div>
        </div>
      ))}
    </Card>
  );
}
