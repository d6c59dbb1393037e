// Online or offline, and how many records hold changes not yet on the server.

import { useSyncExternalStore } from "react";

import { useIndexEntries, useNet } from "../app/context";
import { sessions } from "../auth/session";
import { unsyncedCount } from "../sync/localIndex";
import { useT } from "../i18n";
import { useNavigate } from "react-router";

export function StatusBar() {
  const t = useT();
  const net = useNet();
  const entries = useIndexEntries();
  const session = useSyncExternalStore(sessions.subscribe, sessions.getSnapshot);
  const navigate = useNavigate();
  const online = net.browserOnline && net.connected;
  const pending = unsyncedCount(entries);
  return (
    <header className={`statusbar ${online ? "is-online" : "is-offline"}`}>
      <span className="net" data-testid="net-status" data-online={online ? "true" : "false"}>
        {online ? t("net.online") : t("net.offline")}
      </span>
      <span className="pending">
        {t("net.unsynced")} <b data-testid="unsynced-count">{pending}</b>
      </span>
      {net.sessionEnded || session?.ended ? (
        <button type="button" className="relogin" onClick={() => navigate("/login")}>
          {t("net.relogin")}
        </button>
      ) : null}
    </header>
  );
}
