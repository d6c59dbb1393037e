// The inbox (消息, `GET /api/inbox`), cached in IndexedDB so what the phone has received stays
// readable offline. Read marks are the server's (they follow the user to every device); one
// made offline is kept here and sent at the next refresh.

import { apiGet, apiResponse } from "../auth/api";
import type { InboxEntry, InboxPage } from "../generated/api";
import type { KeyValueStore } from "./idb";
import { Store } from "./store";

export type { InboxEntry };

/** The inbox as the phone keeps it. */
export interface InboxData {
  items: InboxEntry[];
  unread: number;
  /** Entries marked read here and not yet confirmed by the server. */
  pendingReads: string[];
}

const KEY = "inbox";
/** How many of the newest entries the phone keeps. */
const KEEP = 200;

/** The kinds that mark an item in 我的待办 and put a banner on it until read (issue 15, 5). */
export const ATTENTION_KINDS = ["urged", "returned", "instructed"] as const;

export class Inbox {
  readonly data = new Store<InboxData>({ items: [], unread: 0, pendingReads: [] });
  #store: KeyValueStore<unknown>;
  #refreshing: Promise<void> | null = null;

  constructor(store: KeyValueStore<unknown>) {
    this.#store = store;
  }

  async load(): Promise<void> {
    const cached = (await this.#store.get(KEY)) as InboxData | undefined;
    if (cached && Array.isArray(cached.items)) this.data.set({ ...cached, pendingReads: cached.pendingReads ?? [] });
  }

  /** Sends read marks made offline, then fetches the newest entries. Quiet on any failure. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    try {
      for (const id of this.data.get().pendingReads) {
        await apiResponse(`/api/inbox/${encodeURIComponent(id)}/read`, { method: "POST" }).catch((error: unknown) => {
          // Gone (the record may no longer be read): nothing left to mark.
          if ((error as { status?: number }).status !== 404) throw error;
        });
        this.#set({ ...this.data.get(), pendingReads: this.data.get().pendingReads.filter((p) => p !== id) });
      }
      const page = await apiGet<InboxPage>(`/api/inbox?limit=${KEEP}`);
      if (!Array.isArray(page.items)) return;
      this.#set({ items: page.items, unread: page.unread, pendingReads: this.data.get().pendingReads });
    } catch {
      // Offline: the cached inbox stays.
    }
  }

  /** Marks entries read here at once and on the server when it can be reached. */
  async markRead(ids: readonly string[]): Promise<void> {
    const current = this.data.get();
    const fresh = ids.filter((id) => current.items.some((e) => e.id === id && !e.read));
    if (fresh.length === 0) return;
    this.#set({
      items: current.items.map((e) => (fresh.includes(e.id) ? { ...e, read: true } : e)),
      unread: Math.max(0, current.unread - fresh.length),
      pendingReads: [...current.pendingReads, ...fresh],
    });
    await this.refresh();
  }

  /** Unread entries about one record that ask for its handler's attention. */
  attentionFor(recordId: string): InboxEntry[] {
    return this.data
      .get()
      .items.filter((e) => e.record_id === recordId && !e.read && (ATTENTION_KINDS as readonly string[]).includes(e.kind));
  }

  #set(next: InboxData): void {
    this.data.set(next);
    void this.#store.put(KEY, next);
  }
}
