// One row of a list: title, status, light and days left, and whether it is on the server.

import { List, Tag } from "antd-mobile";
import { useNavigate } from "react-router";

import type { Light } from "../domain/derived";
import type { Outcome } from "../domain/workflow";
import { daysLabel, enumLabel, useT } from "../i18n";
import { LightTag } from "./LightTag";
import { OutcomeTag } from "./OutcomeTag";

export interface RowView {
  id: string;
  kind: "duban" | "research" | "meeting";
  title: string;
  status: string;
  light: Light | null;
  daysLeft: number | null;
  /** Unit or people, already named. */
  detail: string;
  synced: boolean | null;
  /** An unread 催办 / 退回重办 / 批示 about it (我的待办 marks it), already named. */
  attention?: string;
  /** How a closed or evaluated item ended: shown instead of a light. */
  outcome?: Outcome | null;
}

/** Lights are for open items; a closed one shows its outcome; drafts and suspended ones neither. */
function rowPrefix(row: RowView) {
  if (row.kind !== "duban") return undefined;
  if (row.outcome) return <OutcomeTag outcome={row.outcome} testid="row-outcome" />;
  return row.light ? <LightTag light={row.light} /> : undefined;
}

export function RecordRow({ row }: { row: RowView }) {
  const t = useT();
  const navigate = useNavigate();
  const path = { duban: `/items/${row.id}`, research: `/research/${row.id}`, meeting: `/meetings/${row.id}` }[row.kind];
  const statusGroup = { duban: "status", research: "rstatus", meeting: "mstatus" }[row.kind];
  const days = row.daysLeft === null ? "" : daysLabel(t, row.daysLeft);
  return (
    <List.Item
      data-testid="record-row"
      data-id={row.id}
      onClick={() => navigate(path)}
      prefix={rowPrefix(row)}
      description={
        <span className="row-meta">
          {enumLabel(t, statusGroup, row.status)}
          {days ? ` · ${days}` : ""}
          {row.detail ? ` · ${row.detail}` : ""}
          {row.synced === false ? ` · ${t("sync.pending")}` : ""}
        </span>
      }
    >
      {row.attention ? (
        <Tag color="danger" fill="solid" className="attention-mark" data-testid="attention-mark">
          {row.attention}
        </Tag>
      ) : null}
      <span className="row-title">{row.title || t("common.untitled")}</span>
    </List.Item>
  );
}
