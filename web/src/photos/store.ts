// Photos on the phone, in IndexedDB (one database per user, like the documents): the bytes of
// each photo not yet confirmed by the server, its place in the upload queue, and thumbnails.
//
// Bytes are stored as ArrayBuffers, never Blobs: iOS Safari has refused Blobs in IndexedDB, and
// a photo taken offline must never be lost. A photo's bytes and queue entry are written in one
// transaction with strict durability, and leave together, only after the server confirmed it,
// or when the person removes a photo the server refuses for good (then a note of it stays).

export type QueueState = "waiting" | "sending" | "failed";

/** Why the last attempt did not finish: the server's error code and message, or ours. */
export interface PhotoError {
  code: string;
  message: string;
}

/** A photo waiting on this phone for the server. */
export interface Queued {
  sha256: string;
  mime: string;
  /** Size of the bytes. */
  size: number;
  state: QueueState;
  /** Bytes the server has confirmed: where the next part starts. */
  sent: number;
  /** Failed attempts in a row (for the backoff). */
  attempts: number;
  /** Not before this instant (ms since the epoch). */
  nextAt: number;
  /** The last failure: shown with the photo; for "failed", why it will not retry by itself. */
  error: PhotoError | null;
  addedAt: number;
}

/**
 * A photo the server refused for good and the person removed from the phone. Records still
 * name it (they are history), so this note stays to show it as never uploaded.
 */
export interface Removed {
  sha256: string;
  removedAt: number;
  /** Why the server refused it. */
  error: PhotoError | null;
}

const QUEUE = "queue";
const BYTES = "bytes";
const THUMBS = "thumbs";
const REMOVED = "removed";
const STORES = [QUEUE, BYTES, THUMBS, REMOVED];
/** 2: the `removed` store. */
const VERSION = 2;
/** Thumbnails of other people's photos kept for offline reading; beyond this, some go. */
const MAX_THUMBS = 400;

const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });

/** Resolves when the transaction has committed (not merely when its requests succeeded). */
const committed = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });

/** Opens (creating or upgrading) the photo database of a user. */
function openPhotos(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, VERSION);
    open.onupgradeneeded = () => {
      for (const store of STORES) {
        if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store);
      }
    };
    open.onsuccess = () => {
      const db = open.result;
      // A newer version of the app in another tab wants to upgrade: let it, this tab's copy
      // is the older code and goes with its next reload.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    open.onerror = () => reject(open.error ?? new Error(`cannot open ${name}`));
  });
}

export class PhotoStore {
  readonly #db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static async open(userId: string): Promise<PhotoStore> {
    return new PhotoStore(await openPhotos(`duyan-photos-${userId}`));
  }

  #tx(stores: string[], mode: IDBTransactionMode): IDBTransaction {
    return this.#db.transaction(stores, mode, { durability: mode === "readwrite" ? "strict" : "default" });
  }

  /**
   * Stores a new photo (its bytes, queue entry and thumbnail) in one transaction. The same
   * photo taken again after it was removed is simply queued again.
   */
  async add(entry: Queued, bytes: ArrayBuffer, thumb: ArrayBuffer | null): Promise<void> {
    const tx = this.#tx([QUEUE, BYTES, THUMBS, REMOVED], "readwrite");
    const done = committed(tx);
    tx.objectStore(BYTES).put(bytes, entry.sha256);
    tx.objectStore(QUEUE).put(entry, entry.sha256);
    tx.objectStore(REMOVED).delete(entry.sha256);
    if (thumb) tx.objectStore(THUMBS).put(thumb, entry.sha256);
    await done;
  }

  async entries(): Promise<Queued[]> {
    return request(this.#tx([QUEUE], "readonly").objectStore(QUEUE).getAll() as IDBRequest<Queued[]>);
  }

  /** Updates a queue entry, unless it is gone (confirmed or removed meanwhile). */
  async update(entry: Queued): Promise<void> {
    const tx = this.#tx([QUEUE], "readwrite");
    const done = committed(tx);
    const store = tx.objectStore(QUEUE);
    const found = store.getKey(entry.sha256);
    found.onsuccess = () => {
      if (found.result !== undefined) store.put(entry, entry.sha256);
    };
    await done;
  }

  async bytes(sha256: string): Promise<ArrayBuffer | undefined> {
    return request(this.#tx([BYTES], "readonly").objectStore(BYTES).get(sha256) as IDBRequest<ArrayBuffer | undefined>);
  }

  /**
   * Forgets a photo's bytes and queue entry: only once the server has it, or when the person
   * took it back before it was used. Its thumbnail stays for showing it offline.
   */
  async remove(sha256: string): Promise<void> {
    const tx = this.#tx([QUEUE, BYTES], "readwrite");
    const done = committed(tx);
    tx.objectStore(BYTES).delete(sha256);
    tx.objectStore(QUEUE).delete(sha256);
    await done;
  }

  /**
   * Removes a photo the server refuses for good: its bytes and queue entry leave, a note that
   * it was removed takes their place (in the same transaction), its thumbnail stays.
   */
  async removeRefused(note: Removed): Promise<void> {
    const tx = this.#tx([QUEUE, BYTES, REMOVED], "readwrite");
    const done = committed(tx);
    tx.objectStore(BYTES).delete(note.sha256);
    tx.objectStore(QUEUE).delete(note.sha256);
    tx.objectStore(REMOVED).put(note, note.sha256);
    await done;
  }

  /** The photos removed from this phone without reaching the server. */
  async removed(): Promise<Removed[]> {
    return request(this.#tx([REMOVED], "readonly").objectStore(REMOVED).getAll() as IDBRequest<Removed[]>);
  }

  async thumb(sha256: string): Promise<ArrayBuffer | undefined> {
    return request(this.#tx([THUMBS], "readonly").objectStore(THUMBS).get(sha256) as IDBRequest<ArrayBuffer | undefined>);
  }

  /** Keeps a thumbnail fetched from the server; past MAX_THUMBS, others (not queued) make room. */
  async putThumb(sha256: string, jpeg: ArrayBuffer): Promise<void> {
    const tx = this.#tx([THUMBS, QUEUE], "readwrite");
    const done = committed(tx);
    const thumbs = tx.objectStore(THUMBS);
    thumbs.put(jpeg, sha256);
    const keys = thumbs.getAllKeys();
    const queued = tx.objectStore(QUEUE).getAllKeys();
    queued.onsuccess = () => {
      const all = keys.result as string[];
      if (all.length <= MAX_THUMBS) return;
      const keep = new Set([...(queued.result as string[]), sha256]);
      // Keys are hashes, so the first ones in key order are a random choice: no bookkeeping
      // of last use for a cache that refills itself from the server.
      let excess = all.length - MAX_THUMBS;
      for (const key of all) {
        if (excess <= 0) break;
        if (keep.has(key)) continue;
        thumbs.delete(key);
        excess -= 1;
      }
    };
    await done;
  }
}
