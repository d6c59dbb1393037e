// Periods as the server names them (`duyan_shared::assessment::Period`): an ISO week
// (`2026-W49`), a month (`2026-12`) or a quarter (`2026-Q4`), in Asia/Shanghai. Used by the
// 通报's drafting form and the dashboard's period filter.

import { addWeeks, formatWeek, weekOf } from "./week";

export type PeriodKind = "week" | "month" | "quarter";

export const PERIOD_KINDS: readonly PeriodKind[] = ["week", "month", "quarter"];

const OFFSET_MS = 8 * 60 * 60 * 1000;

/** The period of `kind` that holds the Shanghai day of `ms`, and the `n - 1` before it, newest first. */
export function recentPeriods(kind: PeriodKind, ms: number, n: number): string[] {
  const out: string[] = [];
  if (kind === "week") {
    const week = weekOf(ms);
    for (let i = 0; i < n; i++) out.push(formatWeek(addWeeks(week, -i)));
    return out;
  }
  const local = new Date(ms + OFFSET_MS);
  const year = local.getUTCFullYear();
  const month0 = local.getUTCMonth();
  const step = kind === "month" ? 1 : 3;
  // Months since year 0 of the period's first month.
  const first = year * 12 + (kind === "month" ? month0 : month0 - (month0 % 3));
  for (let i = 0; i < n; i++) {
    const m = first - i * step;
    const y = Math.floor(m / 12);
    const m0 = m - y * 12;
    out.push(kind === "month" ? `${y}-${String(m0 + 1).padStart(2, "0")}` : `${y}-Q${m0 / 3 + 1}`);
  }
  return out;
}

/** The kind of a period's name, or null when it is not one. */
export function periodKind(period: string): PeriodKind | null {
  if (/^\d{4}-W\d{2}$/.test(period)) return "week";
  if (/^\d{4}-Q[1-4]$/.test(period)) return "quarter";
  if (/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) return "month";
  return null;
}
