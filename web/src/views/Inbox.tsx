// 消息: the reminders this phone computes for the user's own items (offline too), and the inbox
// the server keeps (urges, returns, instructions, reminders), cached for offline reading.
// Tapping an entry marks it read and opens its record.

import { useEffect, useMemo } from "react";
import { Badge, Button, List, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useIndexEntries, useInbox, useNet, useNow } from "../app/context";
import { todoRows } from "../domain/lists";
import { remindersOf, type Reminder } from "../domain/reminders";
import type { RecordSummary } from "../domain/summary";
import { isoDate, isoDateTime, localParts } from "../domain/time";
import { useT, type MessageKey, type Translate } from "../i18n";
import { ATTENTION_KINDS, type InboxEntry } from "../sync/inbox";

const hm = (ms: number) => {
  const { h, min } = localParts(ms);
  return `${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
};

function reminderText(t: Translate, reminder: Reminder): string {
  const time = reminder.kind === "reminder_response_due" ? hm(reminder.about + 24 * 3_600_000) : hm(reminder.about);
  return t(`reminder.${reminder.kind}` as MessageKey, { n: reminder.days ?? 0, date: isoDate(reminder.about), time });
}

function kindLabel(t: Translate, kind: string): string {
  if (kind.startsWith("reminder_")) return t("inbox.local");
  const key = `kind.${kind}` as MessageKey;
  const label = t(key);
  return label === key ? kind : label;
}

export function Inbox() {
  const t = useT();
  const client = useClient();
  const inbox = useInbox();
  const entries = useIndexEntries();
  const actor = useActor();
  const now = useNow();
  const net = useNet();
  const navigate = useNavigate();
  const online = net.browserOnline && net.connected;
  useEffect(() => void client.inbox.refresh(), [client, online]);

  // My open items' reminders as they stand now, computed here from the records on the phone
  // (the server sends the same occasions as messages, which stay in the list below).
  const local = useMemo(() => {
    const summaries = entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary);
    return todoRows(summaries, actor, now).flatMap((row) =>
      row.summary.facts ? remindersOf(row.summary.facts, now).map((r) => ({ summary: row.summary, reminder: r })) : [],
    );
    // `actor` is rebuilt each render from the same user.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [entries, actor.id, now]);

  const open = (entry: InboxEntry) => {
    // An urge, a return or an instruction stays unread until its banner on the item is
    // acknowledged there; anything else is read by opening it.
    if (!(ATTENTION_KINDS as readonly string[]).includes(entry.kind)) void client.inbox.markRead([entry.id]);
    navigate(entry.record_kind === "research" ? `/research/${entry.record_id}` : `/items/${entry.record_id}`);
  };
  const unreadIds = inbox.items.filter((e) => !e.read).map((e) => e.id);
  return (
    <>
      <NavBar
        back={null}
        right={
          unreadIds.length > 0 ? (
            <Button size="mini" fill="none" data-testid="inbox-read-all" onClick={() => void client.inbox.markRead(unreadIds)}>
              {t("inbox.read_all")}
            </Button>
          ) : null
        }
      >
        {t("inbox.title")}
      </NavBar>
      {!online ? <div className="inbox-offline">{t("inbox.offline")}</div> : null}
      {local.length > 0 ? (
        <List header={t("inbox.local")} data-testid="local-reminders">
          {local.map(({ summary, reminder }) => (
            <List.Item
              key={`${summary.id}:${reminder.key}`}
              data-testid="local-reminder"
              data-kind={reminder.kind}
              onClick={() => navigate(`/items/${summary.id}`)}
              description={reminderText(t, reminder)}
            >
              {summary.title || t("common.untitled")}
            </List.Item>
          ))}
        </List>
      ) : null}
      <List header={t("inbox.received")} data-testid="inbox-list">
        {inbox.items.length === 0 ? <List.Item>{t("inbox.empty")}</List.Item> : null}
        {inbox.items.map((entry) => (
          <List.Item
            key={entry.id}
            data-testid="inbox-entry"
            data-kind={entry.kind}
            data-read={entry.read ? "true" : "false"}
            onClick={() => open(entry)}
            prefix={entry.read ? <span className="inbox-dot-space" /> : <Badge content={Badge.dot} />}
            description={
              <span className="row-meta">
                {entry.text}
                <br />
                {kindLabel(t, entry.kind)} · {isoDateTime(entry.at)}
              </span>
            }
          >
            <span className={entry.read ? "row-title" : "row-title inbox-unread"}>{entry.title || t("common.untitled")}</span>
          </List.Item>
        ))}
      </List>
    </>
  );
}
export default Inbox;
