// What happened to me on this item and I have not read yet: an unread 催办, 退回重办 (with its
// reason) or 领导批示 from the inbox, as a banner until its handler taps "got it". Read state is
// the inbox entry's, kept by the server, so it follows the user to every device.

import { Button } from "antd-mobile";

import { useClient, useInbox } from "../app/context";
import { useT } from "../i18n";
import { ATTENTION_KINDS } from "../sync/inbox";

export function Attention({ id }: { id: string }) {
  const t = useT();
  const client = useClient();
  const inbox = useInbox();
  const unread = inbox.items.filter(
    (e) => e.record_id === id && !e.read && (ATTENTION_KINDS as readonly string[]).includes(e.kind),
  );
  if (unread.length === 0) return null;
  return (
    <section className="attention" data-testid="attention-banner">
      {unread.map((entry) => (
        <div key={entry.id} className="attention-item" role="alert" data-kind={entry.kind}>
          <p>{entry.text}</p>
        </div>
      ))}
      <Button size="mini" color="warning" data-testid="attention-read" onClick={() => void client.inbox.markRead(unread.map((e) => e.id))}>
        {t("attention.read")}
      </Button>
    </section>
  );
}
