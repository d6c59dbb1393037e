// 调研 list: research topics held here (and, online, those the server lists), newest first,
// filtered by status.

import { useEffect, useMemo, useState } from "react";
import { Button, ErrorBlock, List, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useDirectory, useIndexEntries, useNet, useNow } from "../app/context";
import { RecordRow } from "../components/RecordRow";
import { researchRows } from "../domain/lists";
import { mayCreate } from "../domain/permissions";
import type { RecordSummary } from "../domain/summary";
import { RESEARCH_STATUSES } from "../generated/records";
import { enumLabel, useT } from "../i18n";
import { fetchServerRows, type ServerRow } from "../sync/serverList";
import { localRowView, serverRowView } from "../views/rows";

export default function ResearchList() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const entries = useIndexEntries();
  const dir = useDirectory();
  const now = useNow();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const [server, setServer] = useState<ServerRow[]>([]);
  const [status, setStatus] = useState("");

  useEffect(() => {
    if (!online) return;
    let live = true;
    fetchServerRows(client, { type: "research", limit: "100" }).then(
      (rows) => live && setServer(rows),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, online]);

  const rows = useMemo(
    () =>
      researchRows(entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary), now).filter(
        (row) => !status || row.summary.status === status,
      ),
    [entries, now, status],
  );
  const byId = new Map(entries.map((e) => [e.id, e]));
  const shown = new Set(rows.map((r) => r.summary.id));
  const extra = online ? server.filter((r) => !shown.has(r.id) && r.type === "research" && (!status || r.status === status)) : [];
  return (
    <>
      <NavBar
        back={null}
        right={
          mayCreate("research", actor.roles) ? (
            <Button size="mini" color="primary" data-testid="new-research" onClick={() => navigate("/research/new")}>
              {t("research.new")}
            </Button>
          ) : null
        }
      >
        {t("research.title")}
      </NavBar>
      <div className="filters">
        <select className="field" data-testid="research-status-filter" aria-label={t("research.filter_status")} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t("research.filter_all")}</option>
          {RESEARCH_STATUSES.map((s) => (
            <option key={s} value={s}>
              {enumLabel(t, "rstatus", s)}
            </option>
          ))}
        </select>
      </div>
      {rows.length + extra.length === 0 ? (
        <ErrorBlock status="empty" title={t("research.empty")} description={t(mayCreate("research", actor.roles) ? "research.empty_create" : "research.empty_hint")} />
      ) : (
        <List>
          {rows.map((row) => (
            <RecordRow key={row.summary.id} row={localRowView(row, byId.get(row.summary.id), dir)} />
          ))}
          {extra.map((row) => (
            <RecordRow key={row.id} row={serverRowView(row, dir)} />
          ))}
        </List>
      )}
    </>
  );
}
