// The local index: summaries of real Automerge documents, lists computed from them, synced
// marks from heads, and persistence in IndexedDB (fake-indexeddb in Node).
import "fake-indexeddb/auto";

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, test } from "vitest";
import * as Automerge from "@automerge/automerge/slim";

import { newDubanItem, newResearchRecord, progressEntry } from "../src/domain/factories";
import { ledgerRows, todoRows } from "../src/domain/lists";
import { summarize } from "../src/domain/summary";
import { shanghai } from "../src/domain/time";
import { keyValueStore, openDatabase } from "../src/sync/idb";
import { isSynced, LocalIndex, unsyncedCount, type IndexEntry } from "../src/sync/localIndex";
import type { DubanItem } from "../src/generated/records";

const require = createRequire(import.meta.url);

beforeAll(async () => {
  await Automerge.initializeWasm(readFileSync(require.resolve("@automerge/automerge/automerge.wasm")));
});

const NOW = shanghai(2026, 11, 20, 9, 0);

function item(title: string, overrides: Partial<Parameters<typeof newDubanItem>[0]> = {}) {
  return newDubanItem(
    {
      title,
      detail: "清理二号仓库消防通道堆放物",
      doc_no: null,
      source: "key_work",
      level: "office",
      category: "安全",
      urgency: "normal",
      is_major: false,
      lead_unit: "plant-2",
      co_units: [],
      handlers: ["u-zhang"],
      supervisors: ["u-li"],
      deadline: shanghai(2026, 11, 22, 23, 59),
      feedback_cycle: "none",
      assign: true,
      ...overrides,
    },
    "u-li",
    shanghai(2026, 11, 1, 9, 0),
  );
}

describe("summaries of documents", () => {
  test("a 督办事项 document is summarized with its lights' inputs, as written by the app", () => {
    let doc = Automerge.from(item("阀井污水整改") as unknown as Record<string, unknown>) as unknown as Automerge.Doc<DubanItem>;
    doc = Automerge.change(doc, (d) => {
      d.progress.push(progressEntry("u-zhang", shanghai(2026, 11, 2, 8, 0), "已清理一半", 50, null));
    });
    const summary = summarize("doc-1", doc);
    expect(summary).toMatchObject({
      kind: "duban",
      title: "阀井污水整改",
      status: "assigned",
      unit: "plant-2",
      deadline: shanghai(2026, 11, 22, 23, 59),
    });
    expect(summary?.facts?.progress).toHaveLength(1);
    expect(summary?.search).toContain("已清理一半");
    // The document stores scalars, not text: what the server requires.
    expect(Automerge.isImmutableString((doc as unknown as { title: unknown }).title)).toBe(true);
  });

  test("an empty document or an unknown kind is not a record", () => {
    expect(summarize("x", {})).toBeNull();
    expect(summarize("x", { type: new Automerge.ImmutableString("other") })).toBeNull();
  });

  test("我的待办 lists the handler's open items, red first; the ledger filters and searches", () => {
    const soon = summarize("a", Automerge.from(item("三天内到期") as unknown as Record<string, unknown>))!;
    const late = summarize("b", Automerge.from(item("已超期", { deadline: shanghai(2026, 11, 19, 23, 59) }) as unknown as Record<string, unknown>))!;
    const elsewhere = summarize("c", Automerge.from(item("别的单位", { lead_unit: "plant-9", handlers: [] }) as unknown as Record<string, unknown>))!;
    const research = summarize("d", Automerge.from(newResearchRecord({ title: "调研", kind: "thematic", questions: ["问题"], unit: "office", members: [], period: null }, "u-chen", NOW) as unknown as Record<string, unknown>))!;
    const all = [soon, late, elsewhere, research];
    const handler = { id: "u-zhang", roles: ["handler" as const], unit: "plant-2" };
    const todo = todoRows(all, handler, NOW);
    expect(todo.map((r) => [r.summary.title, r.light])).toEqual([
      ["已超期", "red"],
      ["三天内到期", "yellow"],
    ]);
    expect(ledgerRows(all, { q: "超期" }, NOW).map((r) => r.summary.id)).toEqual(["b"]);
    expect(ledgerRows(all, { light: "yellow" }, NOW).map((r) => r.summary.id)).toEqual(["a", "c"]);
    expect(ledgerRows(all, { unit: "plant-9" }, NOW).map((r) => r.summary.id)).toEqual(["c"]);
  });
});

describe("the index", () => {
  test("synced means the server's heads include every local head", () => {
    const entry = (local: string[], server: string[] | null): IndexEntry => ({
      id: "x",
      summary: null,
      localHeads: local,
      serverHeads: server,
      refusals: [],
      openedAt: null,
      unavailable: false,
    });
    expect(isSynced(entry(["h1"], null))).toBe(false);
    expect(isSynced(entry(["h1"], ["h1"]))).toBe(true);
    expect(isSynced(entry(["h1", "h2"], ["h1"]))).toBe(false);
    expect(isSynced(entry([], null))).toBe(true);
  });

  test("entries survive a reload from IndexedDB, and unsynced ones are counted", async () => {
    const db = await openDatabase("test-index", ["records"]);
    const index = new LocalIndex(keyValueStore<IndexEntry>(db, "records"));
    await index.load();
    const summary = summarize("a", Automerge.from(item("离线新建") as unknown as Record<string, unknown>));
    index.update("a", (e) => ({ ...e, summary, localHeads: ["h1"] }));
    index.update("b", (e) => ({ ...e, summary, localHeads: ["h2"], serverHeads: ["h2"] }));
    expect(unsyncedCount(index.getSnapshot())).toBe(1);
    await index.flush();

    const reloaded = new LocalIndex(keyValueStore<IndexEntry>(db, "records"));
    await reloaded.load();
    expect(reloaded.get("a")?.summary?.title).toBe("离线新建");
    expect(unsyncedCount(reloaded.getSnapshot())).toBe(1);
    reloaded.update("a", (e) => ({ ...e, serverHeads: ["h1"] }));
    expect(unsyncedCount(reloaded.getSnapshot())).toBe(0);
  });
});
