// The record's full history (痕迹管理), one tap away on every record: every change with who,
// which device, when and which fields. The last answer is kept on the phone, so what it has
// seen reads offline; the view says when the copy it shows was fetched.

import { useEffect, useState } from "react";
import { Button, Popup } from "antd-mobile";

import { useNet } from "../app/context";
import { isoDateTime } from "../domain/time";
import { enumLabel, useT } from "../i18n";
import { historyStore, loadHistory, type CachedHistory } from "../sync/history";

/**
 * The history of `id`: the kept copy at once, the server's when online. `version` (e.g. the
 * record's heads) asks again when the record changes.
 */
export function useRecordHistory(id: string, version: string): { answer: CachedHistory | null; fresh: boolean } {
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const [state, setState] = useState<{ id: string; answer: CachedHistory | null; fresh: boolean }>({ id, answer: null, fresh: false });
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      void historyStore().then(async (store) => {
        const kept = await store.get(id).catch(() => undefined);
        if (live && kept) setState((s) => (s.id === id && s.fresh ? s : { id, answer: kept, fresh: false }));
        if (!online) return;
        const loaded = await loadHistory(id, store);
        if (live && loaded.answer) setState({ id, ...loaded });
      });
    }, 500);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, version, online]);
  return state.id === id ? state : { answer: null, fresh: false };
}

export function HistoryButton({ history }: { history: { answer: CachedHistory | null; fresh: boolean } }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const answer = history.answer;
  return (
    <>
      <Button size="small" fill="outline" data-testid="history-open" onClick={() => setOpen(true)}>
        {t("history.open")}
      </Button>
      <Popup visible={open} onMaskClick={() => setOpen(false)} position="bottom" bodyStyle={{ maxHeight: "80vh", overflowY: "auto" }}>
        <section className="history" data-testid="history">
          <div className="history-head">
            <b>{t("history.title")}</b>
            <Button size="mini" fill="none" data-testid="history-close" onClick={() => setOpen(false)}>
              {t("history.close")}
            </Button>
          </div>
          {!answer ? (
            <p className="hint" data-testid="history-none">{t("history.none")}</p>
          ) : (
            <>
              {!history.fresh ? (
                <p className="hint" data-testid="history-cached">{t("history.cached", { at: isoDateTime(answer.fetched_at) })}</p>
              ) : null}
              {answer.history.truncated ? <p className="hint">{t("history.truncated")}</p> : null}
              <ol className="timeline">
                {[...answer.history.changes].reverse().map((c) => (
                  <li key={c.hash} className="timeline-entry" data-testid="history-entry">
                    <div className="tl-head">
                      <b>{c.by_server ? t("history.server") : (c.user?.display_name ?? c.user?.username ?? t("history.unknown"))}</b>
                      {c.device?.label ? <span className="hint"> · {c.device.label}</span> : null}
                    </div>
                    <div className="tl-meta">{c.at !== null ? isoDateTime(c.at) : "—"}</div>
                    <p className="tl-body">
                      {c.fields.map((f) => enumLabel(t, "field", f)).join("、") || "—"}
                      {c.message ? ` · ${c.message}` : ""}
                    </p>
                  </li>
                ))}
              </ol>
            </>
          )}
        </section>
      </Popup>
    </>
  );
}
