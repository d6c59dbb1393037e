// 考核: each unit's score for a quarter or a month (`GET /api/assessments`), ranked, with the
// points behind it: tapping a unit shows each deduction and addition with its item and rule,
// and an item opens it. Staff of a unit see their own unit's row only (the server decides).
// The same table downloads as a workbook. Needs the network.

import { useEffect, useState } from "react";
import { Button, DotLoading, ErrorBlock, NavBar, Selector, Tag, Toast } from "antd-mobile";
import { useNavigate, useSearchParams } from "react-router";

import { useDirectory, useNet, useNow } from "../app/context";
import { apiGet, downloadFile } from "../auth/api";
import { unitName } from "../sync/directory";
import { useT, type MessageKey } from "../i18n";

interface Points {
  record_id: string;
  rule: string;
  points: number;
}

interface UnitScore {
  unit: string;
  score: number;
  rank: number;
  items: number;
  deductions: Points[];
  additions: Points[];
}

interface Answer {
  period: string;
  units: UnitScore[];
  frozen: boolean;
  names: Record<string, string>;
}

/// The last four quarters and the last three months, newest first, in Asia/Shanghai.
export function recentPeriods(now: number): string[] {
  const local = new Date(now + 8 * 3600 * 1000);
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + 1;
  const quarters: string[] = [];
  let q = Math.ceil(month / 3);
  let y = year;
  for (let n = 0; n < 4; n++) {
    quarters.push(`${y}-Q${q}`);
    q -= 1;
    if (q === 0) {
      q = 4;
      y -= 1;
    }
  }
  const months: string[] = [];
  for (let n = 0; n < 3; n++) {
    const m = ((month - 1 - n + 12) % 12) + 1;
    const my = month - n <= 0 ? year - 1 : year;
    months.push(`${my}-${String(m).padStart(2, "0")}`);
  }
  return [...quarters, ...months];
}

export default function Assessments() {
  const t = useT();
  const navigate = useNavigate();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const dir = useDirectory();
  const now = useNow();
  const periods = recentPeriods(now);
  const [params, setParams] = useSearchParams();
  const asked = params.get("period") ?? "";
  const period: string = periods.includes(asked) ? asked : (periods[0] ?? "");
  // Kept with the period it answers, so switching periods shows "loading" until its answer.
  const [loaded, setLoaded] = useState<Answer | null>(null);
  const answer = loaded && loaded.period === period ? loaded : null;
  const [failed, setFailed] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);

  useEffect(() => {
    if (!online) return;
    let live = true;
    apiGet<Answer>(`/api/assessments?period=${period}`).then(
      (a) => {
        if (!live) return;
        setLoaded(a);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [online, period]);

  const download = async () => {
    setDownloading(true);
    try {
      await downloadFile(`/api/assessments?period=${period}&format=xlsx`, `assessment-${period}.xlsx`);
    } catch {
      Toast.show({ content: t("weekly.download_failed") });
    } finally {
      setDownloading(false);
    }
  };
  const name = (unit: string) => answer?.names[unit] ?? unitName(dir, unit);

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("assessments.title")}</NavBar>
      <div className="section">
        <Selector
          columns={4}
          options={periods.map((p) => ({ label: p, value: p }))}
          value={[period]}
          onChange={(v) => {
            if (typeof v[0] === "string") setParams({ period: v[0] }, { replace: true });
          }}
        />
      </div>
      {!online ? (
        <ErrorBlock status="disconnected" title={t("assessments.offline")} description="" />
      ) : failed ? (
        <ErrorBlock status="default" title={t("assessments.failed")} description="" />
      ) : !answer ? (
        <div className="loading">
          <DotLoading /> {t("common.loading")}
        </div>
      ) : (
        <section className="section" data-testid="assessments">
          <p className="hint">
            {answer.frozen ? <Tag color="success">{t("assessments.frozen")}</Tag> : <Tag>{t("assessments.live")}</Tag>}
          </p>
          <table className="assessment-table">
            <thead>
              <tr>
                <th>{t("assessments.rank")}</th>
                <th>{t("assessments.unit")}</th>
                <th>{t("assessments.score")}</th>
                <th>{t("assessments.items")}</th>
              </tr>
            </thead>
            <tbody>
              {answer.units.map((u) => (
                <UnitRows key={u.unit} u={u} name={name(u.unit)} expanded={open === u.unit} toggle={() => setOpen(open === u.unit ? null : u.unit)} />
              ))}
            </tbody>
          </table>
          <Button block size="small" color="primary" fill="outline" loading={downloading} onClick={() => void download()}>
            {t("weekly.download")}
          </Button>
        </section>
      )}
    </>
  );
}

function UnitRows({ u, name, expanded, toggle }: { u: UnitScore; name: string; expanded: boolean; toggle: () => void }) {
  const t = useT();
  const navigate = useNavigate();
  const points = [...u.deductions.map((p) => ({ ...p, signed: -p.points })), ...u.additions.map((p) => ({ ...p, signed: p.points }))];
  return (
    <>
      <tr className="assessment-unit" data-testid="assessment-unit" data-unit={u.unit} onClick={toggle}>
        <td>{u.rank}</td>
        <td>{name}</td>
        <td className={u.score < 100 ? "score-down" : "score"}>{u.score}</td>
        <td>{u.items}</td>
      </tr>
      {expanded
        ? points.map((p, n) => (
            <tr key={`${p.record_id}-${p.rule}-${n}`} className="assessment-point" onClick={() => navigate(`/items/${p.record_id}`)}>
              <td />
              <td colSpan={2}>{t(`assessments.rule.${p.rule}` as MessageKey)}</td>
              <td className={p.signed < 0 ? "score-down" : "score"}>{p.signed > 0 ? `+${p.signed}` : p.signed}</td>
            </tr>
          ))
        : null}
    </>
  );
}
