// Photos on the phone (IndexedDB; fake-indexeddb in Node): stored whole in one transaction,
// bytes as ArrayBuffers, kept until removed, thumbnails bounded without touching queued photos;
// a queue reloaded after the app was closed mid-upload picks the photo up again.
import "fake-indexeddb/auto";

import { describe, expect, test } from "vitest";

import { PhotoQueue } from "../../src/photos/queue";
import { PhotoStore, type Queued } from "../../src/photos/store";

let users = 0;
const open = () => PhotoStore.open(`test-${++users}`);

function entry(sha256: string, overrides: Partial<Queued> = {}): Queued {
  return { sha256, mime: "image/jpeg", size: 3, state: "waiting", sent: 0, attempts: 0, nextAt: 0, error: null, addedAt: 1, ...overrides };
}

const sha = (n: number) => n.toString(16).padStart(64, "0");

describe("PhotoStore", () => {
  test("keeps bytes as ArrayBuffers with their queue entry and thumbnail", async () => {
    const store = await open();
    await store.add(entry(sha(1)), new Uint8Array([1, 2, 3]).buffer, new Uint8Array([9]).buffer);
    const bytes = await store.bytes(sha(1));
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(bytes as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(await store.entries()).toEqual([entry(sha(1))]);
    expect([...new Uint8Array((await store.thumb(sha(1))) as ArrayBuffer)]).toEqual([9]);
  });

  test("a removed photo loses bytes and entry, keeps its thumbnail, and later updates do not revive it", async () => {
    const store = await open();
    await store.add(entry(sha(2)), new Uint8Array([1]).buffer, new Uint8Array([7]).buffer);
    await store.update(entry(sha(2), { state: "sending", sent: 1 }));
    expect((await store.entries())[0]).toMatchObject({ state: "sending", sent: 1 });
    await store.remove(sha(2));
    await store.update(entry(sha(2), { state: "waiting" }));
    expect(await store.entries()).toEqual([]);
    expect(await store.bytes(sha(2))).toBeUndefined();
    expect(await store.thumb(sha(2))).toBeDefined();
  });

  test("fetched thumbnails are bounded, and the thumbnails of queued photos stay", async () => {
    const store = await open();
    await store.add(entry(sha(0)), new Uint8Array([1]).buffer, new Uint8Array([1]).buffer);
    for (let i = 1; i <= 420; i++) await store.putThumb(sha(i), new Uint8Array([i % 256]).buffer);
    expect(await store.thumb(sha(0))).toBeDefined();
    expect(await store.thumb(sha(420))).toBeDefined();
    let kept = 0;
    for (let i = 0; i <= 420; i++) if (await store.thumb(sha(i))) kept += 1;
    expect(kept).toBe(400);
  });
});

describe("PhotoQueue", () => {
  test("a photo left sending by a closed app waits again, due now; failed ones stay failed", async () => {
    const store = await open();
    await store.add(entry(sha(3), { state: "sending", sent: 524_288, nextAt: 5 }), new Uint8Array([1]).buffer, null);
    await store.add(entry(sha(4), { state: "failed", error: { code: "too_large", message: "big" } }), new Uint8Array([1]).buffer, null);
    const queue = new PhotoQueue(store);
    await queue.load();
    expect(queue.photos.get().get(sha(3))).toMatchObject({ state: "waiting", sent: 524_288, nextAt: 0 });
    expect(queue.photos.get().get(sha(4))).toMatchObject({ state: "failed", error: { code: "too_large" } });
  });

  test("discarding a photo forgets it on the phone", async () => {
    const store = await open();
    await store.add(entry(sha(5)), new Uint8Array([1]).buffer, null);
    const queue = new PhotoQueue(store);
    await queue.load();
    await queue.discard(sha(5));
    expect(queue.photos.get().has(sha(5))).toBe(false);
    expect(await store.entries()).toEqual([]);
  });
});
