// Online or offline, how many records hold changes not yet on the server, and how many photos
// wait on this phone for it (the count comes through photos/pending, which keeps the photo code
// itself out of the first load: the queue publishes there once it has loaded).

import { useSyncExternalStore } from "react";

import { useClient, useIndexEntries, useNet } from "../app/context";
import { sessions } from "../auth/session";
import { unsyncedCount } from "../sync/localIndex";
import { pendingPhotos } from "../photos/pending";
import { useT } from "../i18n";
import { useNavigate } from "react-router";

export function StatusBar() {
  const t = useT();
  const net = useNet();
  const photos = pendingPhotos(useClient().user.id);
  const photosPending = useSyncExternalStore(photos.subscribe, photos.get);
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
        {photosPending > 0 ? (
          <>
            {" · "}
            {t("net.photos_pending")} <b data-testid="photos-pending">{photosPending}</b>
          </>
        ) : null}
      </span>
      {net.sessionEnded || session?.ended ? (
        <button type="button" className="relogin" onClick={() => navigate("/login")}>
          {t("net.relogin")}
        </button>
      ) : null}
    </header>
  );
}
