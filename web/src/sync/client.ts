// One signed-in user's sync client: the automerge-repo Repo (documents in IndexedDB, synced
// over the WebSocket to the server), the local index kept up to date from the documents, the
// network status, and refusals the server sends back.

import { Repo, type AnyDocumentId, type DocHandle, type DocumentId, type PeerId, type StorageId } from "@automerge/automerge-repo/slim";
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";

import type { Account } from "../auth/session";
import type { AnyRecord } from "../generated/records";
import { summarize } from "../domain/summary";
import { TokenAdapter } from "./adapter";
import { keyValueStore, openDatabase } from "./idb";
import { isSynced, LocalIndex, unsyncedCount, type IndexEntry, type Refusal } from "./localIndex";
import { Directory } from "./directory";
import { Inbox } from "./inbox";
import { cacheMine } from "./serverList";
import { Store } from "./store";

export interface NetState {
  /** The browser says it has a network. */
  browserOnline: boolean;
  /** Connected to the server's sync peer. */
  connected: boolean;
  /** The server ended this device's session (signed out elsewhere, disabled): sign in again. */
  sessionEnded: boolean;
}

/** The server's list of "my" records is asked for this often while the app is open online. */
const MINE_POLL_MS = 60_000;

/** How often the inbox is asked for new entries while online, and how long after a record
 * changed (an urge may have arrived) it is asked again. */
const INBOX_POLL_MS = 20_000;
const INBOX_AFTER_CHANGE_MS = 1_500;

/** How long automerge-repo batches document writes to IndexedDB. */
const SAVE_DELAY_MS = 0;

/** A document not held locally is given this long to arrive from the server. */
const FIND_TIMEOUT_MS = 20_000;

interface RefusedMessage {
  type: "duyan/refused";
  documentId?: string;
  refusals?: { field?: string; code?: string; message?: string }[];
}

const isRefused = (m: unknown): m is RefusedMessage =>
  typeof m === "object" && m !== null && (m as { type?: unknown }).type === "duyan/refused";

export class SyncClient {
  readonly repo: Repo;
  readonly index: LocalIndex;
  readonly directory: Directory;
  readonly inbox: Inbox;
  readonly net: Store<NetState>;
  readonly user: Account;
  #adapter: TokenAdapter;
  #watched = new Set<string>();
  #serverPeer: PeerId | null = null;
  #serverStorageId: string | null = null;
  #cleanup: (() => void)[] = [];
  #stopped = false;
  #mine: Promise<void> | null = null;
  #mineAgain: Promise<void> | null = null;

  private constructor(
    user: Account,
    index: LocalIndex,
    directory: Directory,
    inbox: Inbox,
    onSignedOut: (closedByServer: boolean) => void,
  ) {
    this.user = user;
    this.index = index;
    this.directory = directory;
    this.inbox = inbox;
    this.net = new Store<NetState>({ browserOnline: navigator.onLine, connected: false, sessionEnded: false });
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.#adapter = new TokenAdapter(`${scheme}//${location.host}/sync`, (closedByServer) => {
      this.net.set({ ...this.net.get(), sessionEnded: true, connected: false });
      onSignedOut(closedByServer);
    });
    this.repo = new Repo({
      storage: new IndexedDBStorageAdapter(`duyan-docs-${user.id}`),
      network: [this.#adapter],
      // Stock is 100 ms: a change made just before the page is closed or reloaded could be
      // lost. Writing at once costs little (incremental chunks) and loses nothing.
      saveDebounceRate: SAVE_DELAY_MS,
    });
    this.#listen();
  }

  /** Starts the client of `user`: loads the index, reopens records with unsynced changes. */
  static async start(user: Account, onSignedOut: (closedByServer: boolean) => void): Promise<SyncClient> {
    const db = await openDatabase(`duyan-index-${user.id}`, ["records", "meta"]);
    const index = new LocalIndex(keyValueStore<IndexEntry>(db, "records"));
    await index.load();
    const directory = new Directory(keyValueStore(db, "meta"));
    await directory.load();
    const inbox = new Inbox(keyValueStore(db, "meta"));
    await inbox.load();
    const client = new SyncClient(user, index, directory, inbox, onSignedOut);
    // Changes made here and not yet on the server must reach it without anyone opening the
    // record again: load those documents so the repo syncs them as soon as it connects.
    for (const entry of index.getSnapshot()) {
      if (!isSynced(entry) && !entry.unavailable) void client.open(entry.id).catch(() => undefined);
    }
    return client;
  }

  #listen(): void {
    const network = this.repo.networkSubsystem;
    const onPeer = ({ peerId, peerMetadata }: { peerId: PeerId; peerMetadata?: { storageId?: string; isEphemeral?: boolean } }) => {
      if (peerMetadata?.isEphemeral === false && peerMetadata.storageId) {
        this.#serverPeer = peerId;
        this.#serverStorageId = peerMetadata.storageId;
        this.net.set({ ...this.net.get(), connected: true, sessionEnded: false });
        void this.directory.refresh();
        void this.refreshMine();
        void this.inbox.refresh();
      }
    };
    const onPeerGone = ({ peerId }: { peerId: PeerId }) => {
      if (peerId === this.#serverPeer) {
        this.#serverPeer = null;
        this.net.set({ ...this.net.get(), connected: false });
      }
    };
    network.on("peer", onPeer);
    network.on("peer-disconnected", onPeerGone);
    const online = () => {
      this.net.set({ ...this.net.get(), browserOnline: true });
      this.#adapter.reconnectNow();
    };
    const offline = () => {
      this.net.set({ ...this.net.get(), browserOnline: false });
      this.#adapter.pause();
    };
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    // Leaving the page: write what is pending while the page can still run.
    const poll = setInterval(() => void this.refreshMine(), MINE_POLL_MS);
    // The inbox: polled, and asked again shortly after any record changed here.
    const inboxPoll = setInterval(() => {
      if (this.online) void this.inbox.refresh();
    }, INBOX_POLL_MS);
    let inboxSoon: ReturnType<typeof setTimeout> | null = null;
    const stopWatching = this.index.subscribe(() => {
      if (inboxSoon !== null || !this.online) return;
      inboxSoon = setTimeout(() => {
        inboxSoon = null;
        void this.inbox.refresh();
      }, INBOX_AFTER_CHANGE_MS);
    });
    this.#cleanup.push(
      () => clearInterval(inboxPoll),
      stopWatching,
      () => {
        if (inboxSoon !== null) clearTimeout(inboxSoon);
      },
    );
    // Back in the app after a while: new assignments may be waiting.
    const visible = () => {
      if (document.visibilityState === "visible") {
        void this.refreshMine();
        void this.inbox.refresh();
      }
    };
    document.addEventListener("visibilitychange", visible);
    this.#cleanup.push(
      () => clearInterval(poll),
      () => document.removeEventListener("visibilitychange", visible),
    );
    const hide = () => {
      void this.index.flush();
      void this.repo.flush();
    };
    window.addEventListener("pagehide", hide);
    this.#cleanup.push(
      () => network.off("peer", onPeer),
      () => network.off("peer-disconnected", onPeerGone),
      () => window.removeEventListener("online", online),
      () => window.removeEventListener("offline", offline),
      () => window.removeEventListener("pagehide", hide),
    );
  }

  /**
   * Asks the server for this user's records (theirs and their unit's) and caches them, so new
   * assignments appear in 我的待办 and stay available offline. Calls while one is under way
   * are folded into one more run after it, so none is lost and none piles up. Resolves when
   * the run that covers this call has opened the documents (at once when offline).
   */
  refreshMine(): Promise<void> {
    if (!this.online) return Promise.resolve();
    if (!this.#mine) {
      this.#mine = cacheMine(this).finally(() => {
        this.#mine = null;
      });
      return this.#mine;
    }
    this.#mineAgain ??= this.#mine.catch(() => undefined).then(() => {
      this.#mineAgain = null;
      return this.refreshMine();
    });
    return this.#mineAgain;
  }

  /** Whether the app is connected to the server right now (what the status bar shows). */
  get online(): boolean {
    const { browserOnline, connected } = this.net.get();
    return browserOnline && connected;
  }

  /** Opens a record: from IndexedDB if held here, else from the server (throws if unavailable). */
  async open(id: string): Promise<DocHandle<AnyRecord>> {
    try {
      const handle = await this.repo.find<AnyRecord>(id as AnyDocumentId, {
        signal: AbortSignal.timeout(FIND_TIMEOUT_MS),
      });
      this.#watch(handle);
      return handle;
    } catch (error) {
      if (error instanceof Error && /unavailable/i.test(error.message)) {
        this.index.update(id, (e) => ({ ...e, unavailable: true }));
      }
      throw error;
    }
  }

  /** Marks a record as opened by the user: "the ones opened before" stay available offline. */
  touch(id: string): void {
    this.index.update(id, (e) => ({ ...e, openedAt: Date.now(), unavailable: false }));
  }

  /** Creates a record in one change (the server checks the whole record on creation). */
  create(record: AnyRecord): DocHandle<AnyRecord> {
    const handle = this.repo.create<AnyRecord>(record);
    this.#watch(handle);
    return handle;
  }

  /** Removes a refusal notice (the server already put the refused fields back). */
  dismissRefusal(id: string, refusal: Refusal): void {
    this.index.update(id, (e) => ({ ...e, refusals: e.refusals.filter((r) => r !== refusal) }));
  }

  unsyncedCount(): number {
    return unsyncedCount(this.index.getSnapshot());
  }

  /** Keeps the index entry of a document in step with the document and the server's heads. */
  #watch(handle: DocHandle<AnyRecord>): void {
    const id = handle.documentId as string;
    if (this.#watched.has(id)) return;
    this.#watched.add(id);
    const refresh = () => {
      const doc = handle.doc();
      this.index.update(id, (e) => ({
        ...e,
        summary: summarize(id, doc) ?? e.summary,
        localHeads: handle.heads() ?? [],
        serverHeads: this.#serverHeadsOf(handle) ?? e.serverHeads,
      }));
    };
    // "heads-changed", not "change": a change with an empty patch (a conflict settled by
    // keeping the value shown) still has to reach the server, so it counts as unsynced.
    handle.on("heads-changed", refresh);
    // The first sync may finish before `find` resolves, so the heads are also read from the
    // handle's sync info on every change, not only from this event.
    handle.on("remote-heads", ({ storageId, heads }) => {
      if (this.#serverStorageId === null || storageId === this.#serverStorageId) {
        this.index.update(id, (e) => ({ ...e, serverHeads: [...heads] }));
      }
    });
    handle.on("ephemeral-message", ({ message }) => {
      if (!isRefused(message) || (message.documentId && message.documentId !== id)) return;
      const at = Date.now();
      const refusals: Refusal[] = (message.refusals ?? []).map((r) => ({
        field: String(r.field ?? "*"),
        code: String(r.code ?? "refused"),
        message: String(r.message ?? ""),
        at,
      }));
      this.index.update(id, (e) => ({ ...e, refusals: [...e.refusals, ...refusals] }));
    });
    refresh();
  }

  /** The heads the server last reported for `handle`, if it has in this session. */
  #serverHeadsOf(handle: DocHandle<AnyRecord>): string[] | null {
    if (!this.#serverStorageId) return null;
    const heads = handle.getSyncInfo(this.#serverStorageId as StorageId)?.lastHeads;
    return heads ? [...heads] : null;
  }

  /** Known documents, for tests and diagnostics. */
  get documentIds(): DocumentId[] {
    return Object.keys(this.repo.handles) as DocumentId[];
  }

  /** Stops syncing and writes what is pending; local data stays for the next sign-in. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const undo of this.#cleanup) undo();
    this.#adapter.halt();
    await this.index.flush();
    await this.repo.shutdown();
  }

  /** Allows connections again after the same user signed in anew. */
  resume(): void {
    this.net.set({ ...this.net.get(), sessionEnded: false });
    this.#adapter.resume();
  }
}
