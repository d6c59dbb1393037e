import { describe, expect, it } from "vitest";

import { unitAndBelow, unitTree, type AdminUnit } from "../src/sync/admin";

const units: AdminUnit[] = [
  { id: "refinery", name: "炼油厂", parent: null },
  { id: "plant-2", name: "炼油二车间", parent: "refinery" },
  { id: "team", name: "班组", parent: "plant-2" },
  { id: "office", name: "办公室", parent: null },
  { id: "lost", name: "无主单位", parent: "gone" },
];

describe("the unit tree", () => {
  it("lists parents before their children, with depth", () => {
    const tree = unitTree(units).map(({ unit, depth }) => `${depth}:${unit.id}`);
    expect(tree.indexOf("0:refinery")).toBeLessThan(tree.indexOf("1:plant-2"));
    expect(tree.indexOf("1:plant-2")).toBeLessThan(tree.indexOf("2:team"));
    // A unit whose parent is unknown is shown at the top rather than lost.
    expect(tree).toContain("0:lost");
    expect(tree).toHaveLength(units.length);
  });

  it("survives a loop without hanging or dropping the units outside it", () => {
    const loop: AdminUnit[] = [
      { id: "a", name: "a", parent: "b" },
      { id: "b", name: "b", parent: "a" },
      { id: "c", name: "c", parent: null },
    ];
    expect(unitTree(loop).map((e) => e.unit.id)).toEqual(["c"]);
    expect(unitAndBelow(loop, "a")).toEqual(new Set(["a", "b"]));
  });

  it("bars a unit from moving below itself or its descendants", () => {
    expect(unitAndBelow(units, "refinery")).toEqual(new Set(["refinery", "plant-2", "team"]));
    expect(unitAndBelow(units, "office")).toEqual(new Set(["office"]));
  });
});
