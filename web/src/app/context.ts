// React access to the signed-in user's sync client and the stores it holds.

import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";

import type { AnyRecord } from "../generated/records";
import type { SyncClient, NetState } from "../sync/client";
import type { DirectoryData } from "../sync/directory";
import type { InboxData } from "../sync/inbox";
import type { IndexEntry } from "../sync/localIndex";
import type { Actor } from "../domain/permissions";

export const ClientContext = createContext<SyncClient | null>(null);

export function useClient(): SyncClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside a signed-in shell");
  return client;
}

export function useIndexEntries(): IndexEntry[] {
  const { index } = useClient();
  return useSyncExternalStore(index.subscribe, index.getSnapshot);
}

export function useIndexEntry(id: string): IndexEntry | undefined {
  return useIndexEntries().find((e) => e.id === id);
}

export function useNet(): NetState {
  const { net } = useClient();
  return useSyncExternalStore(net.subscribe, net.get);
}

export function useDirectory(): DirectoryData {
  const { directory } = useClient();
  return useSyncExternalStore(directory.data.subscribe, directory.data.get);
}

export function useInbox(): InboxData {
  const { inbox } = useClient();
  return useSyncExternalStore(inbox.data.subscribe, inbox.data.get);
}

export function useActor(): Actor {
  const { user } = useClient();
  return { id: user.id, roles: user.roles, unit: user.unit };
}

/** The current time, ticking every minute: lights and days left move with it. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export type DocState<T> =
  | { state: "loading" }
  | { state: "unavailable" }
  | { state: "ready"; handle: DocHandle<T>; doc: T };

/** Opens a record and re-renders on every change, local or remote. */
export function useRecord<T extends AnyRecord>(id: string): DocState<T> {
  const client = useClient();
  // Kept with the id it belongs to, so switching records shows "loading" without resetting
  // state inside the effect.
  const [result, setResult] = useState<{ id: string; state: DocState<T> } | null>(null);
  useEffect(() => {
    let live = true;
    let stop = () => {};
    client
      .open(id)
      .then((opened) => {
        if (!live) return;
        const handle = opened as unknown as DocHandle<T>;
        client.touch(id);
        const show = () => setResult({ id, state: { state: "ready", handle, doc: handle.doc() } });
        // Every new change, not only those that change a value: "change" skips a change whose
        // patch is empty, e.g. one that settles a conflict by keeping the value shown, after
        // which the conflict must disappear from the screen all the same.
        handle.on("heads-changed", show);
        stop = () => handle.off("heads-changed", show);
        show();
      })
      .catch(() => {
        if (live) setResult({ id, state: { state: "unavailable" } });
      });
    return () => {
      live = false;
      stop();
    };
  }, [client, id]);
  return result && result.id === id ? result.state : { state: "loading" };
}
