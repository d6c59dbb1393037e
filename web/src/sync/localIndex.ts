// The local index: one entry per record this device holds, with its summary, the heads we have
// and the heads the server last acknowledged. Lists read it, so they work offline; the
// "unsynced" count and each record's synced mark come from comparing the two sets of heads.
// Entries are kept up to date from the documents themselves (see SyncClient) and persisted in
// IndexedDB, so they survive a reload with no network.

import type { RecordSummary } from "../domain/summary";
import type { KeyValueStore } from "./idb";

/** A change the server refused, as it told us (`duyan/refused`). */
export interface Refusal {
  field: string;
  code: string;
  message: string;
  /** When we heard it (device clock). */
  at: number;
}

export interface IndexEntry {
  id: string;
  /** Null while the document holds no readable record yet (e.g. still loading). */
  summary: RecordSummary | null;
  /** Our heads (automerge-repo's encoded form). */
  localHeads: string[];
  /** The heads the server last acknowledged; null if it never has. */
  serverHeads: string[] | null;
  /** Refusals not yet dismissed. */
  refusals: Refusal[];
  /** When the user last opened the record here. */
  openedAt: number | null;
  /** The server answered that the document does not exist or may not be read. */
  unavailable: boolean;
}

export function emptyEntry(id: string): IndexEntry {
  return { id, summary: null, localHeads: [], serverHeads: null, refusals: [], openedAt: null, unavailable: false };
}

/** True when the server's heads include every local head: nothing here is only on this phone. */
export function isSynced(entry: IndexEntry): boolean {
  if (entry.localHeads.length === 0) return true;
  const server = entry.serverHeads;
  return server !== null && entry.localHeads.every((head) => server.includes(head));
}

/** How many records hold changes the server does not have yet. */
export function unsyncedCount(entries: readonly IndexEntry[]): number {
  return entries.filter((e) => e.summary !== null && !e.unavailable && !isSynced(e)).length;
}

type Listener = () => void;


export class LocalIndex {
  #store: KeyValueStore<IndexEntry>;
  #entries = new Map<string, IndexEntry>();
  #snapshot: IndexEntry[] = [];
  #listeners = new Set<Listener>();
  #dirty = new Set<string>();
  #scheduled = false;

  constructor(store: KeyValueStore<IndexEntry>) {
    this.#store = store;
  }

  async load(): Promise<void> {
    for (const entry of await this.#store.getAll()) {
      this.#entries.set(entry.id, { ...emptyEntry(entry.id), ...entry });
    }
    this.#publish();
  }

  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Every entry; the same array until something changes (for useSyncExternalStore). */
  getSnapshot = (): IndexEntry[] => this.#snapshot;

  get(id: string): IndexEntry | undefined {
    return this.#entries.get(id);
  }

  /** Changes one entry (creating it if new) and schedules its write. */
  update(id: string, change: (entry: IndexEntry) => IndexEntry): IndexEntry {
    const next = change(this.#entries.get(id) ?? emptyEntry(id));
    this.#entries.set(id, next);
    this.#dirty.add(id);
    this.#schedule();
    this.#publish();
    return next;
  }

  /** Writes pending changes now (sign-out, page hide, tests). */
  async flush(): Promise<void> {
    const ids = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(
      ids.map((id) => {
        const entry = this.#entries.get(id);
        return entry ? this.#store.put(id, entry) : this.#store.delete(id);
      }),
    );
  }

  /**
   * Writes after the current task: a burst of updates (a change and its sync events) is one
   * write, and nothing waits long enough to be lost when the page is closed.
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      void this.flush();
    }, 0);
  }

  #publish(): void {
    this.#snapshot = [...this.#entries.values()];
    for (const listener of this.#listeners) listener();
  }
}
