// 会议 list: meetings held here (and, online, those the server lists to this user), latest
// first. A meeting is started from the 督办台账 (开周会), whose list becomes its agenda.

import { useEffect, useMemo, useState } from "react";
import { Button, ErrorBlock, List, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useDirectory, useIndexEntries, useNet, useNow } from "../app/context";
import { RecordRow } from "../components/RecordRow";
import { meetingRows } from "../domain/lists";
import { mayCreate } from "../domain/permissions";
import type { RecordSummary } from "../domain/summary";
import { useT } from "../i18n";
import { fetchServerRows, type ServerRow } from "../sync/serverList";
import { localRowView, serverRowView } from "../views/rows";

export default function MeetingList() {
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

  useEffect(() => {
    if (!online) return;
    let live = true;
    fetchServerRows(client, { type: "meeting", limit: "100" }).then(
      (rows) => live && setServer(rows),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, online]);

  const rows = useMemo(
    () => meetingRows(entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary), now),
    [entries, now],
  );
  const byId = new Map(entries.map((e) => [e.id, e]));
  const shown = new Set(rows.map((r) => r.summary.id));
  const extra = online ? server.filter((r) => !shown.has(r.id) && r.type === "meeting") : [];
  return (
    <>
      <NavBar
        onBack={() => navigate(-1)}
        right={
          mayCreate("meeting", actor.roles) ? (
            <Button size="mini" color="primary" data-testid="meeting-from-ledger" onClick={() => navigate("/ledger")}>
              {t("meeting.start_weekly")}
            </Button>
          ) : null
        }
      >
        {t("meeting.title")}
      </NavBar>
      {rows.length + extra.length === 0 ? (
        <ErrorBlock status="empty" title={t("meeting.empty")} description={t("meeting.empty_hint")} />
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
