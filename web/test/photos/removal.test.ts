// A photo the server refuses for good can be removed from the phone: bytes and queue entry go,
// a note stays (records still name the photo), only failed photos qualify; and the count of
// photos not yet on the server, which the status bar shows, follows the queue live, per user.
import "fake-indexeddb/auto";

import { describe, expect, test } from "vitest";

import { pendingPhotos } from "../../src/photos/pending";
import { PhotoQueue, photoQueue } from "../../src/photos/queue";
import { PhotoStore, type Queued } from "../../src/photos/store";

let users = 0;
const user = () => `removal-${++users}`;

function entry(sha256: string, overrides: Partial<Queued> = {}): Queued {
  return { sha256, mime: "image/jpeg", size: 1, state: "waiting", sent: 0, attempts: 0, nextAt: 0, error: null, addedAt: 1, ...overrides };
}

const sha = (n: number) => n.toString(16).padStart(64, "0");
const bytes = () => new Uint8Array([1]).buffer;
const tooLarge = { code: "too_large", message: "the photo exceeds 15 MiB" };

describe("removing a refused photo", () => {
  test("its bytes and queue entry leave, its thumbnail and a note with the reason stay, also after a reload", async () => {
    const id = user();
    const store = await PhotoStore.open(id);
    await store.add(entry(sha(1), { state: "failed", error: tooLarge }), bytes(), new Uint8Array([7]).buffer);
    const queue = new PhotoQueue(store);
    await queue.load();

    expect(await queue.removeRefused(sha(1))).toBe(true);
    expect(queue.photos.get().has(sha(1))).toBe(false);
    expect(queue.removed.get().get(sha(1))).toMatchObject({ sha256: sha(1), error: tooLarge });
    expect(await store.entries()).toEqual([]);
    expect(await store.bytes(sha(1))).toBeUndefined();
    expect(await store.thumb(sha(1))).toBeDefined();

    const reloaded = new PhotoQueue(await PhotoStore.open(id));
    await reloaded.load();
    expect(reloaded.photos.get().size).toBe(0);
    expect([...reloaded.removed.get().keys()]).toEqual([sha(1)]);
  });

  test("a photo that may still upload (waiting or sending) is never removed this way", async () => {
    const store = await PhotoStore.open(user());
    await store.add(entry(sha(2)), bytes(), null);
    await store.add(entry(sha(3), { state: "sending", sent: 1 }), bytes(), null);
    const queue = new PhotoQueue(store);
    await queue.load();
    expect(await queue.removeRefused(sha(2))).toBe(false);
    expect(await queue.removeRefused(sha(3))).toBe(false);
    expect(await queue.removeRefused(sha(99))).toBe(false);
    expect(queue.photos.get().size).toBe(2);
    expect(queue.removed.get().size).toBe(0);
    expect(await store.bytes(sha(2))).toBeDefined();
    expect(await store.bytes(sha(3))).toBeDefined();
  });

  test("the same photo added again is queued again and no longer noted as removed", async () => {
    const id = user();
    const store = await PhotoStore.open(id);
    await store.add(entry(sha(4), { state: "failed", error: tooLarge }), bytes(), null);
    const queue = new PhotoQueue(store);
    await queue.load();
    await queue.removeRefused(sha(4));
    expect(await queue.add(entry(sha(4)), bytes(), null)).toBe(true);
    expect(queue.removed.get().has(sha(4))).toBe(false);
    expect(await store.removed()).toEqual([]);
    expect(queue.photos.get().get(sha(4))).toMatchObject({ state: "waiting" });
  });

  test("a photo database of the first version is upgraded with its queue intact", async () => {
    const name = `duyan-photos-${user()}`;
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => {
        for (const store of ["queue", "bytes", "thumbs"]) open.result.createObjectStore(store);
      };
      open.onsuccess = () => {
        const tx = open.result.transaction(["queue", "bytes"], "readwrite");
        tx.objectStore("queue").put(entry(sha(5)), sha(5));
        tx.objectStore("bytes").put(bytes(), sha(5));
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
      open.onerror = () => reject(open.error);
    });
    const store = await PhotoStore.open(name.slice("duyan-photos-".length));
    expect(await store.entries()).toEqual([entry(sha(5))]);
    expect(await store.removed()).toEqual([]);
  });
});

describe("photos not yet on the server", () => {
  test("are counted live per user: waiting, sending and failed count; confirmed, discarded and removed do not", async () => {
    const id = user();
    const other = user();
    const store = await PhotoStore.open(id);
    await store.add(entry(sha(6), { state: "failed", error: tooLarge }), bytes(), null);
    await store.add(entry(sha(7), { state: "sending", sent: 0 }), bytes(), null);
    const count = pendingPhotos(id);
    expect(count.get()).toBe(0);

    const queue = await photoQueue(id);
    expect(count.get()).toBe(2);
    const seen: number[] = [];
    const unsubscribe = count.subscribe(() => seen.push(count.get()));

    await queue.add(entry(sha(8)), bytes(), null);
    expect(count.get()).toBe(3);
    await queue.discard(sha(8));
    expect(count.get()).toBe(2);
    await queue.removeRefused(sha(6));
    expect(count.get()).toBe(1);
    unsubscribe();
    expect(seen).toContain(3);
    expect(pendingPhotos(other).get()).toBe(0);
  });
});
