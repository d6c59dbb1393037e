// The workflow's truth on the phone: what 交办 lacks, why an action is unavailable, how a closed
// item ended, a finding's short title, and who wrote each value of a true conflict (on real
// Automerge documents).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, test } from "vitest";
import * as Automerge from "@automerge/automerge/slim";

import { opOrigins } from "../src/domain/authorship";
import { conflictsOf } from "../src/domain/conflicts";
import type { DubanFacts } from "../src/domain/derived";
import { shanghai } from "../src/domain/time";
import { leadUnitSuggestions, missingForAssignment, outcomeOf, shortTitle, unavailableActions } from "../src/domain/workflow";

const require = createRequire(import.meta.url);

beforeAll(async () => {
  await Automerge.initializeWasm(readFileSync(require.resolve("@automerge/automerge/automerge.wasm")));
});

const DEADLINE = shanghai(2026, 11, 22, 23, 59);

function facts(over: Partial<DubanFacts>): DubanFacts {
  return { status: "in_progress", deadline: DEADLINE, assigned_at: null, feedback_cycle: "none", progress: [], milestones: [], reviews: [], ...over };
}

describe("交办 and unavailable actions", () => {
  test("交办 needs a lead unit, a handler and a supervisor", () => {
    expect(missingForAssignment({ lead_unit: null, handlers: [], supervisors: [] })).toEqual(["lead_unit", "handlers", "supervisors"]);
    expect(missingForAssignment({ lead_unit: "plant-2", handlers: [" "], supervisors: ["u-li"] })).toEqual(["handlers"]);
    expect(missingForAssignment({ lead_unit: "plant-2", handlers: ["u-zhang"], supervisors: ["u-li"] })).toEqual([]);
  });

  test("a handler past the deadline is told why 延期申请 is not available", () => {
    const before = unavailableActions("in_progress", ["handler"], DEADLINE, DEADLINE - 1);
    expect(before.has("extension")).toBe(false);
    expect(unavailableActions("in_progress", ["handler"], DEADLINE, DEADLINE + 1).get("extension")?.key).toBe("why.extension_after_deadline");
    // A supervisor does not file extensions: nothing to explain.
    expect(unavailableActions("in_progress", ["supervisor"], DEADLINE, DEADLINE + 1).size).toBe(0);
    expect(unavailableActions("assigned", ["handler"], DEADLINE, DEADLINE - 1).get("request_close")?.key).toBe("why.request_close_not_accepted");
  });
});

describe("outcomes", () => {
  test("a closed item shows whether it closed on time, an evaluated one its score", () => {
    const pass = (at: number) => [{ verdict: "pass" as const, at }];
    expect(outcomeOf(facts({}))).toBeNull();
    expect(outcomeOf(facts({ status: "suspended" }))).toBeNull();
    expect(outcomeOf(facts({ status: "closed", reviews: pass(DEADLINE - 1) }))).toEqual({ closing: "on_time", score: null });
    expect(outcomeOf(facts({ status: "evaluated", reviews: pass(DEADLINE + 1), score: 85 }))).toEqual({ closing: "late", score: 85 });
  });
});

describe("a finding's draft", () => {
  test("its title is the finding's first clause, at most 30 characters", () => {
    expect(shortTitle("3号阀井污水外溢，周边有异味，已拍照取证")).toBe("3号阀井污水外溢");
    expect(shortTitle("  一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五  ")).toHaveLength(30);
    expect(leadUnitSuggestions("plant-2", "office")).toEqual(["plant-2", "office"]);
    expect(leadUnitSuggestions(null, "office")).toEqual(["office"]);
  });
});

describe("conflict authors", () => {
  test("each value of a true conflict names the actor and time of the change that wrote it", () => {
    const base = Automerge.from({ title: "阀井污水整改" }, { actor: "00".repeat(16) });
    const a = Automerge.change(Automerge.clone(base, { actor: "aa".repeat(16) }), { time: 1_800_000_000 }, (d) => void (d.title = "甲"));
    const b = Automerge.change(Automerge.clone(base, { actor: "bb".repeat(16) }), { time: 1_800_000_060 }, (d) => void (d.title = "乙"));
    const merged = Automerge.merge(a, b);
    const [conflict] = conflictsOf(merged, ["title"]);
    expect(conflict?.values.length).toBe(2);
    const byValue = new Map(conflict!.values.map((v, i) => [v, opOrigins(merged, conflict!.ops[i]!)]));
    expect([...byValue.get("甲")!.values()]).toEqual([{ actor: "aa".repeat(16), at: 1_800_000_000_000 }]);
    expect([...byValue.get("乙")!.values()]).toEqual([{ actor: "bb".repeat(16), at: 1_800_000_060_000 }]);
  });
});
