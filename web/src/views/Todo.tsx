// 我的待办: my open 督办事项, red first, then by deadline. Computed on the phone from the local
// index, so it works offline. Online it asks the server for new assignments when shown, when
// its tab is tapped again and when pulled down.

import { useEffect, useMemo, useState } from "react";
import { DotLoading, ErrorBlock, List, NavBar, PullToRefresh, Toast } from "antd-mobile";

import { useActor, useClient, useDirectory, useIndexEntries, useInbox, useNet, useNow } from "../app/context";
import { useRetap } from "../app/retap";
import { RecordRow } from "../components/RecordRow";
import { todoRows } from "../domain/lists";
import type { RecordSummary } from "../domain/summary";
import { useT, type MessageKey } from "../i18n";
import { ATTENTION_KINDS } from "../sync/inbox";
import { localRowView } from "./rows";

export function Todo() {
  const t = useT();
  const entries = useIndexEntries();
  const actor = useActor();
  const now = useNow();
  const dir = useDirectory();
  const client = useClient();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const [refreshing, setRefreshing] = useState(false);
  // New assignments: ask the server whenever this list is shown online.
  useEffect(() => void client.refreshMine(), [client, net.connected, net.browserOnline]);

  /** Asks the server; `indicate` shows a line while it runs (a pull shows its own). */
  const refresh = async (indicate: boolean) => {
    if (!online) {
      Toast.show({ content: t("todo.offline_refresh") });
      return;
    }
    if (indicate) setRefreshing(true);
    try {
      await client.refreshMine();
    } finally {
      if (indicate) setRefreshing(false);
    }
  };
  useRetap("todo", () => {
    window.scrollTo({ top: 0, behavior: "smooth" });
    void refresh(true);
  });

  const rows = useMemo(() => {
    const summaries = entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary);
    return todoRows(summaries, actor, now);
    // `actor` is rebuilt each render from the same user.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [entries, actor.id, now]);
  const byId = new Map(entries.map((e) => [e.id, e]));
  // Unread 催办 / 退回重办 / 批示 per item, newest first (the inbox's order).
  const inbox = useInbox();
  const attention = new Map<string, string>();
  for (const e of inbox.items) {
    if (!e.read && (ATTENTION_KINDS as readonly string[]).includes(e.kind) && !attention.has(e.record_id)) {
      attention.set(e.record_id, t("attention.mark", { kind: t(`kind.${e.kind}` as MessageKey) }));
    }
  }
  return (
    <>
      <NavBar back={null}>{t("todo.title")}</NavBar>
      {refreshing ? (
        <div className="refreshing" data-testid="todo-refreshing">
          <DotLoading /> {t("todo.refreshing")}
        </div>
      ) : null}
      <PullToRefresh
        onRefresh={() => refresh(false)}
        pullingText={t("pull.pulling")}
        canReleaseText={t("pull.release")}
        refreshingText={t("pull.refreshing")}
        completeText={t("pull.complete")}
      >
        {rows.length === 0 ? (
          <ErrorBlock status="empty" title={t("todo.empty")} description={t(online ? "todo.empty_hint" : "todo.empty_offline")} />
        ) : (
          <List data-testid="todo-list">
            {rows.map((row) => (
              <RecordRow
                key={row.summary.id}
                row={{ ...localRowView(row, byId.get(row.summary.id), dir), attention: attention.get(row.summary.id) }}
              />
            ))}
          </List>
        )}
      </PullToRefresh>
    </>
  );
}
