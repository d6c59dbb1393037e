// True conflicts on real Automerge documents: two phones set the same field offline to
// different values; the merged record shows both, and writing the picked one resolves it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, test } from "vitest";
import * as Automerge from "@automerge/automerge/slim";

import { conflictOf, conflictsOf, revive } from "../src/domain/conflicts";
import { DUBAN_FIELDS, setListInPlace } from "../src/domain/dubanFields";
import { newDubanItem } from "../src/domain/factories";
import { str, text, val, vals } from "../src/domain/scalar";
import { shanghai } from "../src/domain/time";
import type { DubanItem, Scalar } from "../src/generated/records";

const require = createRequire(import.meta.url);

beforeAll(async () => {
  await Automerge.initializeWasm(readFileSync(require.resolve("@automerge/automerge/automerge.wasm")));
});

const NOW = shanghai(2026, 11, 10, 9, 0);
const DUE_A = shanghai(2026, 11, 22, 23, 59);
const DUE_B = shanghai(2026, 11, 29, 23, 59);

/** The item on the server, and two phones that took a copy of it. */
function twoPhones(): [Automerge.Doc<DubanItem>, Automerge.Doc<DubanItem>] {
  const item = newDubanItem(
    {
      title: "阀井污水整改",
      detail: "",
      doc_no: null,
      source: "key_work",
      level: "office",
      category: "",
      urgency: "normal",
      is_major: false,
      lead_unit: "plant-2",
      co_units: [],
      handlers: ["u-zhang"],
      supervisors: ["u-li"],
      deadline: DUE_A,
      feedback_cycle: "weekly",
      assign: true,
    },
    "u-li",
    NOW,
  );
  const base = Automerge.from(item as unknown as Record<string, unknown>, { actor: "00".repeat(16) }) as unknown as Automerge.Doc<DubanItem>;
  return [Automerge.clone(base, { actor: "aa".repeat(16) }), Automerge.clone(base, { actor: "bb".repeat(16) })];
}

const edit = (doc: Automerge.Doc<DubanItem>, fn: (d: DubanItem) => void) => Automerge.change(doc, fn);

describe("conflicts of a 督办事项's fields", () => {
  test("two different deadlines set offline are a conflict with both values", () => {
    const [a, b] = twoPhones();
    const merged = Automerge.merge(edit(a, (d) => void (d.deadline = DUE_B)), edit(b, (d) => void (d.deadline = DUE_A + 1)));
    expect(conflictOf(merged, "deadline")?.toSorted()).toEqual([DUE_A + 1, DUE_B].toSorted());
    expect(conflictsOf(merged, DUBAN_FIELDS).map((c) => c.field)).toEqual(["deadline"]);
  });

  test("the same value written on both phones is no conflict", () => {
    const [a, b] = twoPhones();
    const merged = Automerge.merge(edit(a, (d) => void (d.deadline = DUE_B)), edit(b, (d) => void (d.deadline = DUE_B)));
    expect(conflictOf(merged, "deadline")).toBeNull();
    expect(conflictsOf(merged, DUBAN_FIELDS)).toEqual([]);
  });

  test("scalar strings come back as strings, and picking one resolves the conflict", () => {
    const [a, b] = twoPhones();
    let merged = Automerge.merge(
      edit(a, (d) => void (d.title = str("阀井污水整改（本周）"))),
      edit(b, (d) => void (d.title = str("三号阀井污水整改"))),
    );
    const values = conflictOf(merged, "title");
    expect(values?.toSorted()).toEqual(["三号阀井污水整改", "阀井污水整改（本周）"].toSorted());
    merged = edit(merged, (d) => void ((d as unknown as Record<string, unknown>).title = revive("三号阀井污水整改")));
    expect(conflictOf(merged, "title")).toBeNull();
    // Still a scalar string, as the server expects, not Automerge text.
    expect(merged.title).toBeInstanceOf(Automerge.ImmutableString);
    expect(text(merged.title)).toBe("三号阀井污水整改");
  });

  test("lists edited in place merge: one phone adds a handler, the other removes one", () => {
    const [a, b] = twoPhones();
    const ids = (x: Scalar) => text(x);
    const merged = Automerge.merge(
      edit(a, (d) => setListInPlace(d.handlers, ["u-zhang", "u-wu"], ids, (id) => str(id))),
      edit(b, (d) => setListInPlace(d.handlers, [], ids, (id) => str(id))),
    );
    expect(conflictOf(merged, "handlers")).toBeNull();
    expect(vals(merged.handlers)).toEqual(["u-wu"]);
  });

  test("two whole lists written offline conflict, and the picked list is written back as scalars", () => {
    const [a, b] = twoPhones();
    let merged = Automerge.merge(
      edit(a, (d) => void (d.co_units = [str("safety")])),
      edit(b, (d) => void (d.co_units = [str("office"), str("plant-1")])),
    );
    const values = conflictOf(merged, "co_units");
    expect(values?.map((v) => JSON.stringify(v)).toSorted()).toEqual([JSON.stringify(["office", "plant-1"]), JSON.stringify(["safety"])].toSorted());
    merged = edit(merged, (d) => void ((d as unknown as Record<string, unknown>).co_units = revive(["office", "plant-1"])));
    expect(conflictOf(merged, "co_units")).toBeNull();
    expect(merged.co_units.map((u) => val(u))).toEqual(["office", "plant-1"]);
    expect(merged.co_units[0]).toBeInstanceOf(Automerge.ImmutableString);
  });

  test("a conflicting milestone list shows its entries as plain objects", () => {
    const [a, b] = twoPhones();
    const step = (title: string) => ({ id: str(`m-${title}`), title: str(title), due: DUE_A, done_at: null });
    const merged = Automerge.merge(
      edit(a, (d) => void (d.milestones = [step("清运")])),
      edit(b, (d) => void (d.milestones = [step("查明来源")])),
    );
    const values = conflictOf(merged, "milestones") ?? [];
    expect(values).toHaveLength(2);
    expect(values).toContainEqual([{ id: "m-清运", title: "清运", due: DUE_A, done_at: null }]);
  });

  test("fields absent from the document have no conflicts", () => {
    const [a] = twoPhones();
    expect(conflictOf(a, "no_such_field")).toBeNull();
  });
});

describe("setListInPlace", () => {
  test("keeps what stays, removes what goes, appends what is new, drops duplicates", () => {
    const list = ["a", "b", "a", "c"];
    setListInPlace(list, ["c", "a", "d"], (x) => x, (x) => x);
    expect(list.toSorted()).toEqual(["a", "c", "d"]);
    expect(list[list.length - 1]).toBe("d");
  });
});
