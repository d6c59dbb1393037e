// 我的待办: my open 督办事项, red first, then by deadline. Computed on the phone from the local
// index, so it works offline.

import { useEffect, useMemo } from "react";
import { ErrorBlock, List, NavBar } from "antd-mobile";

import { useActor, useClient, useDirectory, useIndexEntries, useNet, useNow } from "../app/context";
import { RecordRow } from "../components/RecordRow";
import { todoRows } from "../domain/lists";
import type { RecordSummary } from "../domain/summary";
import { useT } from "../i18n";
import { localRowView } from "./rows";

export function Todo() {
  const t = useT();
  const entries = useIndexEntries();
  const actor = useActor();
  const now = useNow();
  const dir = useDirectory();
  const client = useClient();
  const net = useNet();
  // New assignments: ask the server whenever this list is shown online.
  useEffect(() => client.refreshMine(), [client, net.connected, net.browserOnline]);
  const rows = useMemo(() => {
    const summaries = entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary);
    return todoRows(summaries, actor, now);
    // `actor` is rebuilt each render from the same user.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [entries, actor.id, now]);
  const byId = new Map(entries.map((e) => [e.id, e]));
  return (
    <>
      <NavBar back={null}>{t("todo.title")}</NavBar>
      {rows.length === 0 ? (
        <ErrorBlock status="empty" title={t("todo.empty")} description={t("todo.empty_hint")} />
      ) : (
        <List>
          {rows.map((row) => (
            <RecordRow key={row.summary.id} row={localRowView(row, byId.get(row.summary.id), dir)} />
          ))}
        </List>
      )}
    </>
  );
}
