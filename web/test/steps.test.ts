// Status steps read from a real Automerge document's history, and the timeline built from them:
// 签收, 中止 with its reason, 恢复办理 and 申请办结 (with its note, not as "反馈进展 (100%)").
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, expect, test } from "vitest";
import * as Automerge from "@automerge/automerge/slim";

import { statusSteps, suspendedFrom } from "../src/domain/steps";
import { progressEntry } from "../src/domain/factories";
import { str } from "../src/domain/scalar";
import { translate } from "../src/i18n";
import { actorUsers, loadHistory, type CachedHistory } from "../src/sync/history";
import { memoryStore } from "../src/sync/idb";
import { timelineEvents } from "../src/records/timelineEvents";
import type { DubanItem } from "../src/generated/records";

const require = createRequire(import.meta.url);
beforeAll(async () => {
  await Automerge.initializeWasm(readFileSync(require.resolve("@automerge/automerge/automerge.wasm")));
});

const t = (k: Parameters<typeof translate>[1], v?: Record<string, string | number>) => translate("zh-CN", k, v);

function item(): Automerge.Doc<DubanItem> {
  return Automerge.from<Record<string, unknown>>({
    type: str("duban"), title: str("x"), status: str("draft"), created_by: str("sup"), created_at: 1_000_000,
    progress: [], urges: [], extension_requests: [], reviews: [], instructions: [], site_checks: [],
  }) as unknown as Automerge.Doc<DubanItem>;
}

test("every status step has its author, time and reason; the closing note is 申请办结", () => {
  let d = item();
  const at = (s: number) => ({ time: s });
  d = Automerge.change(d, at(2000), (x) => void (x.status = str("assigned")));
  d = Automerge.change(d, at(3000), (x) => void (x.status = str("in_progress")));
  d = Automerge.change(d, { time: 4000, message: "等待上级批复" }, (x) => void (x.status = str("suspended")));
  expect(suspendedFrom(statusSteps(d))).toBe("in_progress");
  d = Automerge.change(d, at(5000), (x) => void (x.status = str("in_progress")));
  d = Automerge.change(d, at(6000), (x) => {
    x.progress.push(progressEntry("h1", 6_000_300, "已全部整改", 100, null));
    x.status = str("closing_requested");
  });
  const steps = statusSteps(d);
  expect(steps.map((s) => s.to)).toEqual(["draft", "assigned", "in_progress", "suspended", "in_progress", "closing_requested"]);
  const users = new Map([[steps[1]!.actor, "sup"]]);
  const events = timelineEvents(d, t, new Set(), { steps, users });
  expect(events.map((e) => e.what)).toEqual(["创建", "交办", "签收办理", "中止", "恢复办理", "申请办结"]);
  expect(events.find((e) => e.what === "中止")).toMatchObject({ body: "等待上级批复", at: 4_000_000, by: "sup" });
  expect(events.at(-1)).toMatchObject({ body: "已全部整改" });
  expect(events.some((e) => e.what.startsWith("反馈进展"))).toBe(false);
});

test("the history is kept per record and read back when the server cannot answer", async () => {
  const store = memoryStore<CachedHistory>();
  const answer = { document_id: "d1", truncated: false, changes: [{ hash: "h", actor: "a1", seq: 1, at: 1, user: { id: "u1", username: "u", display_name: "U" }, device: null, by_server: false, message: null, fields: ["status"] }] };
  const online = await loadHistory("d1", store, async () => answer, () => 42);
  expect(online).toMatchObject({ fresh: true, answer: { fetched_at: 42 } });
  const offline = await loadHistory("d1", store, async () => { throw new Error("offline"); });
  expect(offline.fresh).toBe(false);
  expect(actorUsers(offline.answer?.history).get("a1")).toBe("u1");
  expect((await loadHistory("d2", store, async () => { throw new Error("offline"); })).answer).toBeNull();
});
