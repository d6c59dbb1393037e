// React access to the signed-in user's photo queue (loaded once per page, shared by every photo
// on screen) and to the pictures of one photo.

import { useEffect, useState, useSyncExternalStore } from "react";

import { useClient } from "../app/context";
import { Store } from "../sync/store";
import { thumbnail, type Picture } from "./images";
import { photoQueue, type PhotoQueue } from "./queue";
import type { Queued, Removed } from "./store";

const NOTHING = new Store<ReadonlyMap<string, Queued>>(new Map());
const NONE_REMOVED = new Store<ReadonlyMap<string, Removed>>(new Map());
/** How often a photo not yet on the server (or unreachable) is asked for again while shown. */
const RECHECK_MS = 20_000;

/** The queue of the signed-in user; null while it loads. */
export function usePhotoQueue(): PhotoQueue | null {
  const { user } = useClient();
  const [loaded, setLoaded] = useState<{ user: string; queue: PhotoQueue } | null>(null);
  useEffect(() => {
    let live = true;
    void photoQueue(user.id).then(
      (queue) => {
        if (live) setLoaded({ user: user.id, queue });
      },
      (error: unknown) => console.error("photo storage", error),
    );
    return () => {
      live = false;
    };
  }, [user.id]);
  return loaded?.user === user.id ? loaded.queue : null;
}

/** The photos waiting on this phone, live. */
export function useQueued(queue: PhotoQueue | null): ReadonlyMap<string, Queued> {
  const photos = queue?.photos ?? NOTHING;
  return useSyncExternalStore(photos.subscribe, photos.get);
}

/** The photos removed from this phone without reaching the server, live. */
export function useRemoved(queue: PhotoQueue | null): ReadonlyMap<string, Removed> {
  const removed = queue?.removed ?? NONE_REMOVED;
  return useSyncExternalStore(removed.subscribe, removed.get);
}

export type Shown = Picture | { kind: "loading" };

/**
 * A photo's thumbnail; asked for again now and then (and when the network returns) while the
 * server does not have it yet or cannot be reached.
 */
export function useThumbnail(queue: PhotoQueue | null, sha256: string, mime: string): Shown {
  const [result, setResult] = useState<{ sha256: string; picture: Picture } | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!queue) return;
    let live = true;
    void thumbnail(queue.store, sha256, mime).then((picture) => {
      if (live) setResult({ sha256, picture });
    });
    return () => {
      live = false;
    };
  }, [queue, sha256, mime, round]);
  const current = result?.sha256 === sha256 ? result.picture : null;
  const pending = current?.kind === "missing" || current?.kind === "offline";
  useEffect(() => {
    if (!pending) return;
    const again = () => setRound((n) => n + 1);
    const timer = setInterval(again, RECHECK_MS);
    window.addEventListener("online", again);
    return () => {
      clearInterval(timer);
      window.removeEventListener("online", again);
    };
  }, [pending]);
  return current ?? { kind: "loading" };
}
