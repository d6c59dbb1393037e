// How a closed or evaluated item ended (按期 / 逾期办结, its score): what it shows in place of a
// light and days left, which mean nothing once the work is done.

import { Tag } from "antd-mobile";

import type { Outcome } from "../domain/workflow";
import { useT, type Translate } from "../i18n";

/** The outcome in words, e.g. "按期办结 · 92 分". */
export function outcomeLabel(t: Translate, outcome: Outcome): string {
  const closing = t(`outcome.${outcome.closing}`);
  return outcome.score === null ? closing : `${closing} · ${t("outcome.score", { score: outcome.score })}`;
}

export function OutcomeTag({ outcome, testid }: { outcome: Outcome; testid?: string }) {
  const t = useT();
  const color = outcome.closing === "late" ? "warning" : "success";
  return (
    <Tag color={color} fill="outline" data-testid={testid} data-outcome={outcome.closing} data-score={outcome.score ?? undefined}>
      {outcomeLabel(t, outcome)}
    </Tag>
  );
}
