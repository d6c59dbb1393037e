// A few promise helpers over IndexedDB for the app's own stores (the local index, the cached
// directory). Documents themselves are stored by automerge-repo's IndexedDB adapter.

export interface KeyValueStore<T> {
  get(key: string): Promise<T | undefined>;
  getAll(): Promise<T[]>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });

/** Opens (creating if needed) a database with the given object stores (out-of-line keys). */
export function openDatabase(name: string, stores: readonly string[]): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => {
      for (const store of stores) {
        if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store);
      }
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error ?? new Error(`cannot open ${name}`));
  });
}

/** A key-value view of one object store. */
export function keyValueStore<T>(db: IDBDatabase, store: string): KeyValueStore<T> {
  const tx = (mode: IDBTransactionMode) => db.transaction(store, mode).objectStore(store);
  return {
    get: (key) => request(tx("readonly").get(key) as IDBRequest<T | undefined>),
    getAll: () => request(tx("readonly").getAll() as IDBRequest<T[]>),
    put: async (key, value) => {
      await request(tx("readwrite").put(value, key));
    },
    delete: async (key) => {
      await request(tx("readwrite").delete(key));
    },
  };
}

/** An in-memory store with the same interface (tests, and when IndexedDB is unavailable). */
export function memoryStore<T>(): KeyValueStore<T> {
  const map = new Map<string, T>();
  return {
    get: async (key) => map.get(key),
    getAll: async () => [...map.values()],
    put: async (key, value) => {
      map.set(key, value);
    },
    delete: async (key) => {
      map.delete(key);
    },
  };
}
