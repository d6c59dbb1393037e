// 周报: what changed in a week per lead unit (new, progressed, closed), what is due next week
// and what is overdue, with the items behind each number, and the same report as an Excel
// workbook for the weekly meeting. The server computes it over everything this user may read
// (`GET /api/reports/weekly`), so it needs the network; offline the screen says so.

import { useEffect, useState } from "react";
import { Button, DotLoading, ErrorBlock, NavBar, Tag, Toast } from "antd-mobile";
import { useNavigate, useSearchParams } from "react-router";

import { useNet, useNow } from "../app/context";
import { apiGet, downloadFile } from "../auth/api";
import { isoDate, DAY_MS } from "../domain/time";
import { addWeeks, compareWeeks, formatWeek, parseWeek, weekOf, weekStart, type IsoWeek } from "../domain/week";
import type { WeeklyCounts, WeeklyReport } from "../generated/api";
import { enumLabel, useT, type MessageKey } from "../i18n";

const REASONS = ["new", "progressed", "closed", "due_next_week", "overdue"] as const satisfies readonly (keyof WeeklyCounts)[];
type Reason = (typeof REASONS)[number];
type Counts = WeeklyCounts;

type Loaded = { week: string; report: WeeklyReport } | { week: string; failed: true };

const LABELS: Record<Reason, MessageKey> = {
  new: "weekly.new",
  progressed: "weekly.progressed",
  closed: "weekly.closed",
  due_next_week: "weekly.due_next_week",
  overdue: "weekly.overdue",
};

export default function Weekly() {
  const t = useT();
  const navigate = useNavigate();
  const now = useNow();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const [params, setParams] = useSearchParams();
  const current = weekOf(now);
  const asked = parseWeek(params.get("week") ?? "");
  // A week after this one has nothing to report yet.
  const week = asked && compareWeeks(asked, current) <= 0 ? asked : current;
  const name = formatWeek(week);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);

  useEffect(() => {
    if (!online) return;
    let live = true;
    apiGet<WeeklyReport>(`/api/reports/weekly?week=${name}`).then(
      (report) => live && setLoaded({ week: name, report }),
      () => live && setLoaded({ week: name, failed: true }),
    );
    return () => {
      live = false;
    };
  }, [name, online, attempt]);

  const go = (w: IsoWeek) => setParams(compareWeeks(w, current) === 0 ? {} : { week: formatWeek(w) }, { replace: true });
  const download = async () => {
    setDownloading(true);
    try {
      await downloadFile(`/api/reports/weekly?week=${name}&format=xlsx`, `weekly-${name}.xlsx`);
    } catch {
      Toast.show({ content: t("weekly.download_failed") });
    } finally {
      setDownloading(false);
    }
  };

  const start = weekStart(week);
  const range = t("weekly.range", { from: isoDate(start), to: isoDate(start + 6 * DAY_MS) });
  const shown = loaded && loaded.week === name ? loaded : null;
  const report = shown && "report" in shown ? shown.report : null;

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("weekly.title")}</NavBar>
      <div className="week-picker">
        <Button size="small" fill="none" data-testid="weekly-prev" aria-label={t("weekly.prev")} onClick={() => go(addWeeks(week, -1))}>
          ‹
        </Button>
        <div className="week-name">
          <b data-testid="weekly-week" data-week={name}>
            {t("weekly.week", { year: week.year, week: week.week })}
          </b>
          <span className="hint">{range}</span>
        </div>
        <Button
          size="small"
          fill="none"
          data-testid="weekly-next"
          aria-label={t("weekly.next")}
          disabled={compareWeeks(week, current) >= 0}
          onClick={() => go(addWeeks(week, 1))}
        >
          ›
        </Button>
      </div>
      {compareWeeks(week, current) < 0 ? (
        <div className="week-this">
          <Button size="mini" fill="outline" data-testid="weekly-this" onClick={() => go(current)}>
            {t("weekly.this_week")}
          </Button>
        </div>
      ) : null}

      {!online ? (
        <ErrorBlock status="disconnected" data-testid="weekly-offline" title={t("weekly.offline")} description={t("weekly.offline_hint")} />
      ) : shown === null ? (
        <div className="loading">
          <DotLoading /> {t("common.loading")}
        </div>
      ) : report === null ? (
        <div className="error-state" data-testid="weekly-error">
          <ErrorBlock status="default" title={t("weekly.failed")} description="" />
          <Button color="primary" fill="outline" data-testid="weekly-retry" onClick={() => setAttempt((n) => n + 1)}>
            {t("common.retry")}
          </Button>
        </div>
      ) : (
        <>
          <section className="section" data-testid="weekly-totals">
            <h3 className="section-title">{t("weekly.totals")}</h3>
            <CountGrid counts={report.totals} />
            <Button block size="small" color="primary" fill="outline" loading={downloading} data-testid="weekly-download" onClick={() => void download()}>
              {t("weekly.download")}
            </Button>
          </section>
          {report.truncated ? <p className="notice">{t("weekly.truncated", { n: report.items.length })}</p> : null}
          {report.units.length === 0 ? (
            <ErrorBlock status="empty" data-testid="weekly-empty" title={t("weekly.empty")} description="" />
          ) : (
            report.units.map((u) => {
              const key = u.unit ?? "";
              const expanded = open === key;
              const items = report.items.filter((i) => (i.lead_unit ?? "") === key);
              return (
                <section key={key} className="section weekly-unit" data-testid="weekly-unit" data-unit={key}>
                  <button type="button" className="weekly-unit-head" aria-expanded={expanded} onClick={() => setOpen(expanded ? null : key)}>
                    <span className="weekly-unit-name">{u.name ?? t("dashboard.no_unit")}</span>
                    <span className="hint">{expanded ? t("weekly.hide_items") : t("weekly.show_items", { n: items.length })}</span>
                  </button>
                  <CountGrid counts={u} />
                  {expanded ? (
                    <ul className="weekly-items">
                      {items.map((i) => (
                        <li key={i.id}>
                          <button type="button" className="weekly-item" data-testid="weekly-item" data-id={i.id} onClick={() => navigate(`/items/${i.id}`)}>
                            <span className="row-title">{i.title || t("common.untitled")}</span>
                            <span className="weekly-reasons">
                              {REASONS.filter((r) => i[r]).map((r) => (
                                <Tag key={r} color={r === "overdue" ? "danger" : r === "closed" ? "success" : r === "due_next_week" ? "warning" : "default"} fill="outline">
                                  {t(LABELS[r])}
                                </Tag>
                              ))}
                              <span className="hint">
                                {enumLabel(t, "status", i.status)}
                                {i.deadline ? ` · ${t("weekly.due", { date: isoDate(i.deadline) })}` : ""}
                              </span>
                            </span>
                          </button>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </section>
              );
            })
          )}
        </>
      )}
    </>
  );
}

function CountGrid({ counts }: { counts: Counts }) {
  const t = useT();
  return (
    <div className="count-grid">
      {REASONS.map((r) => (
        <div key={r} className={`count ${r}`} data-reason={r}>
          <div className="count-value">{counts[r]}</div>
          <div className="count-label">{t(LABELS[r])}</div>
        </div>
      ))}
    </div>
  );
}
