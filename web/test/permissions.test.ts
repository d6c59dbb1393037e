// Which actions the detail view offers, per role and status, from the generated rules.
import { describe, expect, test } from "vitest";

import {
  dubanActions,
  mayAppend,
  mayCreate,
  mayEditEntryField,
  mayWithdraw,
  researchMoves,
  rolesOn,
  type Actor,
  type DubanAction,
} from "../src/domain/permissions";
import { TRANSITIONS, type Role } from "../src/generated/rules";
import type { DubanStatus } from "../src/generated/records";
import { shanghai } from "../src/domain/time";

const DEADLINE = shanghai(2026, 11, 22, 23, 59);
const BEFORE = shanghai(2026, 11, 10, 9, 0);
const AFTER = shanghai(2026, 11, 23, 9, 0);

const item = { kind: "duban" as const, handlers: ["u-zhang"], lead_unit: "plant-2", co_units: ["safety"] };
const person = (id: string, roles: Role[], unit: string | null = null): Actor => ({ id, roles, unit });

const offered = (actor: Actor, status: DubanStatus, now = BEFORE) =>
  [...dubanActions(status, rolesOn(item, actor), DEADLINE, now)].sort();

const MOVES: DubanAction[] = ["request_close", "review", "evaluate", "assign", "accept", "suspend", "resume"];

describe("a 督办事项's actions", () => {
  const handler = person("u-zhang", ["handler"], "plant-2");
  const supervisor = person("u-li", ["supervisor"], "office");
  const leader = person("u-wang", ["leader"]);

  test("the handler reports, asks for more time and asks to close", () => {
    expect(offered(handler, "in_progress")).toEqual(["extension", "progress", "request_close"]);
    expect(offered(handler, "assigned")).toEqual(["accept", "extension", "progress"]);
    expect(offered(handler, "closing_requested")).toEqual(["extension", "progress"]);
    expect(offered(handler, "closed")).toEqual([]);
  });

  test("an extension is offered only before the deadline", () => {
    expect(offered(handler, "in_progress", AFTER)).not.toContain("extension");
  });

  test("a handler acts through their unit, and not on other units' items", () => {
    expect(offered(person("u-other", ["handler"], "safety"), "in_progress")).toContain("request_close");
    expect(offered(person("u-far", ["handler"], "plant-9"), "in_progress")).toEqual([]);
  });

  test("the supervisor urges, edits, reviews, evaluates and assigns", () => {
    expect(offered(supervisor, "draft")).toEqual(
      ["approve_extension", "assign", "decide_extension", "edit_detail", "edit_title"].sort(),
    );
    const inProgress = offered(supervisor, "in_progress");
    for (const a of ["progress", "urge", "suspend", "edit_title", "edit_detail"] as const) expect(inProgress).toContain(a);
    for (const a of ["request_close", "review", "evaluate", "instruct", "assign"] as const) expect(inProgress).not.toContain(a);
    expect(offered(supervisor, "closing_requested")).toContain("review");
    expect(offered(supervisor, "closed")).toContain("evaluate");
    expect(offered(supervisor, "suspended")).toContain("resume");
  });

  test("the leader instructs, reviews and evaluates, and edits nothing", () => {
    expect(offered(leader, "in_progress")).toEqual(["decide_extension", "instruct"]);
    expect(offered(leader, "closing_requested")).toEqual(["decide_extension", "instruct", "review"]);
    expect(offered(leader, "closed")).toEqual(["decide_extension", "evaluate", "instruct"]);
    expect(offered(leader, "draft")).toEqual(["decide_extension"]);
  });

  test("viewers and admins may do nothing", () => {
    for (const status of ["draft", "assigned", "in_progress", "closing_requested", "closed"] as const) {
      expect(offered(person("u-v", ["viewer"], "plant-2"), status)).toEqual([]);
      expect(offered(person("u-a", ["admin"]), status)).toEqual([]);
    }
  });

  test("every offered status move is in the generated TRANSITIONS for that role", () => {
    const targets: Partial<Record<DubanAction, DubanStatus>> = {
      request_close: "closing_requested",
      evaluate: "evaluated",
      assign: "assigned",
      accept: "in_progress",
      suspend: "suspended",
      resume: "in_progress",
      review: "closed",
    };
    for (const actor of [handler, supervisor, leader]) {
      for (const from of ["draft", "assigned", "in_progress", "closing_requested", "closed", "evaluated", "suspended"] as const) {
        const roles = rolesOn(item, actor);
        for (const action of dubanActions(from, roles, DEADLINE, BEFORE)) {
          if (!MOVES.includes(action)) continue;
          const to = targets[action];
          const allowed = TRANSITIONS.some(
            (t) => t.kind === "duban" && t.from === from && t.to === to && t.roles.some((r) => roles.includes(r)),
          );
          expect(allowed, `${actor.id} ${action} from ${from}`).toBe(true);
        }
      }
    }
  });
});

describe("research and creation", () => {
  test("researchers move their own research; leaders approve and adopt", () => {
    const research = { kind: "research" as const, lead: "u-chen", members: ["u-zhao"] };
    const chen = rolesOn(research, person("u-chen", ["researcher"]));
    const stranger = rolesOn(research, person("u-x", ["researcher"]));
    expect(researchMoves("approved", chen).map((m) => m.to)).toEqual(["fieldwork"]);
    expect(researchMoves("approved", stranger)).toEqual([]);
    expect(researchMoves("submitted", ["leader"]).map((m) => m.to)).toEqual(["adopted", "archived", "drafting"]);
  });

  test("who may create", () => {
    expect(mayCreate("duban", ["supervisor"])).toBe(true);
    expect(mayCreate("duban", ["handler", "leader"])).toBe(false);
    expect(mayCreate("research", ["researcher"])).toBe(true);
  });
});

describe("entries, from the generated ENTRY_RULES", () => {
  test("only a handler files an extension request; the office decides it, once", () => {
    expect(mayAppend("duban", "extension_requests", ["handler"])).toBe(true);
    expect(mayAppend("duban", "extension_requests", ["supervisor", "leader"])).toBe(false);
    expect(mayEditEntryField("duban", "extension_requests", "decision", ["leader"])).toBe(true);
    expect(mayEditEntryField("duban", "extension_requests", "decision", ["leader"], true)).toBe(false);
    expect(mayEditEntryField("duban", "extension_requests", "reason", ["supervisor"])).toBe(false);
    expect(mayEditEntryField("duban", "extension_requests", "decision", ["handler"])).toBe(false);
  });

  test("only the author withdraws, once, while they may still add to the list", () => {
    const own = { by: "u-zhang", withdrawn: false };
    expect(mayWithdraw("duban", "progress", own, "u-zhang", ["handler"])).toBe(true);
    expect(mayWithdraw("duban", "progress", own, "u-li", ["supervisor"])).toBe(false);
    expect(mayWithdraw("duban", "progress", { ...own, withdrawn: true }, "u-zhang", ["handler"])).toBe(false);
    expect(mayWithdraw("duban", "progress", own, "u-zhang", [])).toBe(false);
  });

  test("researchers share a visit's notes; a finding's link is written by a researcher", () => {
    expect(mayEditEntryField("research", "visits", "notes", ["researcher"])).toBe(true);
    expect(mayEditEntryField("research", "findings", "text", ["researcher"])).toBe(false);
    expect(mayEditEntryField("research", "findings", "duban_ref", ["researcher"])).toBe(true);
    expect(mayEditEntryField("research", "suggestions", "status", ["leader"])).toBe(true);
  });
});
