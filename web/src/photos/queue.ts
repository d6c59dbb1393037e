// The upload queue: every photo taken on this phone goes to the server by itself, whenever the
// app is open and online, and survives reloads and restarts (its state is in IndexedDB).
//
// - Two uploads at a time (the server allows a few per user; a phone's uplink gains nothing
//   from more).
// - A failed attempt waits with exponential backoff and jitter, so phones coming back online
//   together do not all knock at once; the network coming back (`online`, the sync socket
//   connecting) or the app becoming visible again retries at once.
// - A photo whose upload was cut goes on from the server's offset (see upload.ts).
// - Bytes leave the phone only after the server confirmed the photo.
// - A photo the server refuses for good stays, marked failed with the reason, until the person
//   retries it or removes it from the phone (then a note of it stays: records still name it).
// - Several tabs of the app share the queue in IndexedDB; a Web Lock per photo keeps two tabs
//   from sending the same photo at once.

import { apiResponse } from "../auth/api";
import { Store } from "../sync/store";
import { pendingPhotos } from "./pending";
import { PhotoStore, type Queued, type Removed } from "./store";
import { outcome, send, type Outcome, type Request } from "./upload";

export const CONCURRENCY = 2;
const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 5 * 60_000;
/** When another tab holds a photo's lock, look again after this long. */
const BUSY_DELAY_MS = 10_000;

/**
 * The wait before attempt `attempts + 1`: doubling from 2 s up to 5 minutes, the second half
 * of it random ("equal jitter": never immediate, never in step with other phones).
 */
export function backoff(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempts, 20));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** The entry after an attempt ended with `result` at `now` (null: the photo is on the server). */
export function afterAttempt(entry: Queued, result: Outcome, now: number, random: () => number = Math.random): Queued | null {
  switch (result.kind) {
    case "done":
      return null;
    case "retry":
      return { ...entry, state: "waiting", attempts: entry.attempts + 1, nextAt: now + backoff(entry.attempts, random), error: result.error };
    case "failed":
      return { ...entry, state: "failed", error: result.error };
  }
}

export interface QueueEnvironment {
  request: Request;
  online: () => boolean;
  now: () => number;
  /** Runs `fn` holding the named lock, or with null when another holder has it. */
  withLock: <T>(name: string, fn: (held: boolean) => Promise<T>) => Promise<T>;
}

const browserEnvironment: QueueEnvironment = {
  request: apiResponse,
  online: () => navigator.onLine,
  now: () => Date.now(),
  withLock: (name, fn) =>
    navigator.locks
      ? navigator.locks.request(name, { ifAvailable: true }, (lock) => fn(lock !== null))
      : fn(true),
};

export class PhotoQueue {
  /** The photos waiting on this phone, by SHA-256; what the thumbnails show. */
  readonly photos = new Store<ReadonlyMap<string, Queued>>(new Map());
  /** Photos removed from this phone without reaching the server, by SHA-256. */
  readonly removed = new Store<ReadonlyMap<string, Removed>>(new Map());
  readonly store: PhotoStore;
  readonly #env: QueueEnvironment;
  readonly #running = new Map<string, AbortController>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #started = false;

  constructor(store: PhotoStore, env: QueueEnvironment = browserEnvironment) {
    this.store = store;
    this.#env = env;
  }

  /** Reads the queue; a photo left "sending" by a closed app is waiting again. */
  async load(): Promise<void> {
    const map = new Map<string, Queued>();
    for (const entry of await this.store.entries()) {
      const fresh = entry.state === "sending" ? { ...entry, state: "waiting" as const, nextAt: 0 } : entry;
      map.set(entry.sha256, fresh);
    }
    const removed = new Map((await this.store.removed()).map((note) => [note.sha256, note]));
    this.removed.set(removed);
    this.photos.set(map);
  }

  /** Runs the queue from now on: on `online`, when the app is shown again, on its timers. */
  start(): () => void {
    if (this.#started) return () => {};
    this.#started = true;
    const wake = () => this.networkBack();
    const visible = () => {
      if (document.visibilityState === "visible") this.kick();
    };
    window.addEventListener("online", wake);
    document.addEventListener("visibilitychange", visible);
    this.kick();
    return () => {
      this.#started = false;
      window.removeEventListener("online", wake);
      document.removeEventListener("visibilitychange", visible);
      if (this.#timer) clearTimeout(this.#timer);
      for (const controller of this.#running.values()) controller.abort();
    };
  }

  /**
   * A new photo, stored with its thumbnail; it starts uploading as soon as it can. False when
   * it was queued already (the same photo chosen again: same hash, same bytes).
   */
  async add(entry: Queued, bytes: ArrayBuffer, thumb: ArrayBuffer | null): Promise<boolean> {
    if (this.photos.get().has(entry.sha256)) return false;
    await this.store.add(entry, bytes, thumb);
    if (this.removed.get().has(entry.sha256)) {
      const removed = new Map(this.removed.get());
      removed.delete(entry.sha256);
      this.removed.set(removed);
    }
    this.#set(entry.sha256, entry);
    this.kick();
    return true;
  }

  /** Tries a failed photo again now. */
  retry(sha256: string): void {
    const entry = this.photos.get().get(sha256);
    if (!entry || entry.state === "sending") return;
    this.#save({ ...entry, state: "waiting", attempts: 0, nextAt: 0, error: null });
    this.kick();
  }

  /** Takes back a photo that was never used in a record (removed from a form before saving). */
  async discard(sha256: string): Promise<void> {
    this.#running.get(sha256)?.abort();
    this.#set(sha256, null);
    await this.store.remove(sha256);
  }

  /**
   * Gives up on a photo the server refused for good (too large, not an image, corrupt), which
   * would otherwise hold the phone's storage forever: its bytes and queue entry go, a note
   * stays. Only a failed photo: one that may still upload is never thrown away. False when the
   * photo is not (or no longer) failed.
   */
  async removeRefused(sha256: string): Promise<boolean> {
    const entry = this.photos.get().get(sha256);
    if (!entry || entry.state !== "failed") return false;
    const note: Removed = { sha256, removedAt: this.#env.now(), error: entry.error };
    await this.store.removeRefused(note);
    this.removed.set(new Map(this.removed.get()).set(sha256, note));
    this.#set(sha256, null);
    return true;
  }

  /** The network is back: what waits for its backoff goes now. */
  networkBack(): void {
    for (const entry of this.photos.get().values()) {
      if (entry.state === "waiting" && entry.nextAt > 0) this.#save({ ...entry, nextAt: 0, attempts: 0 });
    }
    this.kick();
  }

  /** Starts what is due, up to CONCURRENCY at once, and sets the timer for what is next. */
  kick(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#started || !this.#env.online()) return;
    const now = this.#env.now();
    const waiting = [...this.photos.get().values()]
      .filter((e) => e.state === "waiting" && !this.#running.has(e.sha256))
      .sort((a, b) => a.nextAt - b.nextAt || a.addedAt - b.addedAt);
    for (const entry of waiting) {
      if (this.#running.size >= CONCURRENCY) break;
      if (entry.nextAt <= now) void this.#run(entry);
    }
    const next = waiting.find((e) => !this.#running.has(e.sha256) && e.nextAt > now);
    if (next) this.#timer = setTimeout(() => this.kick(), Math.min(next.nextAt - now, MAX_DELAY_MS));
  }

  async #run(entry: Queued): Promise<void> {
    const controller = new AbortController();
    this.#running.set(entry.sha256, controller);
    try {
      await this.#env.withLock(`duyan-photo-upload:${entry.sha256}`, async (held) => {
        if (!held) {
          this.#save({ ...entry, nextAt: this.#env.now() + BUSY_DELAY_MS });
          return;
        }
        let current: Queued = { ...entry, state: "sending" };
        this.#save(current);
        const result = await this.#attempt(current, controller.signal, (sent) => {
          current = { ...current, sent };
          this.#save(current);
        });
        if (controller.signal.aborted) return;
        const next = afterAttempt(current, result, this.#env.now());
        if (next) this.#save(next);
        else await this.#confirmed(entry.sha256);
      });
    } catch (error) {
      console.error("photo upload", error);
    } finally {
      this.#running.delete(entry.sha256);
      this.kick();
    }
  }

  async #attempt(entry: Queued, signal: AbortSignal, progress: (sent: number) => void): Promise<Outcome> {
    const bytes = await this.store.bytes(entry.sha256);
    if (!bytes) return { kind: "failed", error: { code: "bytes_missing", message: "the photo's bytes are missing on this phone" } };
    try {
      await send(entry, bytes, this.#env.request, progress, signal);
      return { kind: "done" };
    } catch (error) {
      return outcome(error);
    }
  }

  /** The server has it: the bytes may go. */
  async #confirmed(sha256: string): Promise<void> {
    await this.store.remove(sha256);
    this.#set(sha256, null);
  }

  /** Shows and stores a new state of a photo that is still queued. */
  #save(entry: Queued): void {
    if (!this.photos.get().has(entry.sha256)) return;
    this.#set(entry.sha256, entry);
    void this.store.update(entry).catch((error: unknown) => console.error("photo queue", error));
  }

  #set(sha256: string, entry: Queued | null): void {
    const map = new Map(this.photos.get());
    if (entry) map.set(sha256, entry);
    else map.delete(sha256);
    this.photos.set(map);
  }
}

const queues = new Map<string, Promise<PhotoQueue>>();

/** The queue of `userId`, loaded once per page; it keeps the status bar's count of its photos. */
export function photoQueue(userId: string): Promise<PhotoQueue> {
  let queue = queues.get(userId);
  if (!queue) {
    queue = PhotoStore.open(userId).then(async (store) => {
      const q = new PhotoQueue(store);
      await q.load();
      // Every queued photo is one the server does not have yet: waiting, sending or failed.
      const publish = () => pendingPhotos(userId).set(q.photos.get().size);
      publish();
      q.photos.subscribe(publish);
      return q;
    });
    queue.catch(() => queues.delete(userId));
    queues.set(userId, queue);
  }
  return queue;
}
