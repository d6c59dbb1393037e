// Who may edit which field of a 督办事项, and the checks the new item form and the detail's
// editors share.
import { describe, expect, test } from "vitest";

import {
  checkAssignedAt,
  checkDeadline,
  checkMilestone,
  DUBAN_FIELDS,
  editableFields,
  fromLocalInput,
  toLocalInput,
  validateDubanForm,
  type DubanForm,
} from "../src/domain/dubanFields";
import { lateMarks } from "../src/domain/late";
import { rolesOn, type Actor } from "../src/domain/permissions";
import { shanghai } from "../src/domain/time";
import { FIELD_RULES, type Role } from "../src/generated/rules";

const item = { kind: "duban" as const, handlers: ["u-zhang"], lead_unit: "plant-2", co_units: ["safety"] };
const person = (id: string, roles: Role[], unit: string | null = null): Actor => ({ id, roles, unit });
const NOW = shanghai(2026, 11, 10, 9, 30);

describe("editable fields", () => {
  test("a supervisor edits every field they own, on any item", () => {
    const roles = rolesOn(item, person("u-li", ["supervisor"], "office"));
    expect([...editableFields(roles, "in_progress")]).toEqual([...DUBAN_FIELDS]);
  });

  test("the fields offered are exactly those FIELD_RULES lets supervisors edit", () => {
    const owned = FIELD_RULES.filter((r) => r.kind === "duban" && r.access.type === "edit" && r.access.roles.includes("supervisor"))
      .map((r) => r.field)
      // Long texts and entries have their own editors (the detail text, the actions).
      .filter((f) => !["detail", "source_ref", "evaluation"].includes(f));
    expect([...DUBAN_FIELDS].sort()).toEqual([...owned].sort());
  });

  test("handlers, leaders, viewers and admins see the fields read-only", () => {
    const people = [
      person("u-zhang", ["handler"], "plant-2"),
      person("u-wang", ["leader"]),
      person("u-view", ["viewer"], "plant-2"),
      person("u-admin", ["admin"]),
    ];
    for (const p of people) {
      expect([...editableFields(rolesOn(item, p), "in_progress")], p.id).toEqual([]);
    }
  });

  test("a supervisor who is also a handler keeps the supervisor's fields", () => {
    const roles = rolesOn(item, person("u-x", ["handler", "supervisor"], "plant-2"));
    expect(editableFields(roles, "assigned").has("deadline")).toBe(true);
  });

  test("the assignment time of a draft is set by 交办, not edited", () => {
    const roles: Role[] = ["supervisor"];
    expect(editableFields(roles, "draft").has("assigned_at")).toBe(false);
    expect(editableFields(roles, "draft").has("deadline")).toBe(true);
    expect(editableFields(roles, "closed").has("assigned_at")).toBe(true);
  });
});

describe("checks", () => {
  test("deadlines: required once assigned, a real day, not before today", () => {
    expect(checkDeadline("", "2026-11-10", true)).toBe("form.required");
    expect(checkDeadline("", "2026-11-10", false)).toBeNull();
    expect(checkDeadline("2026-02-30", "2026-01-10", true)).toBe("form.bad_date");
    expect(checkDeadline("2026-11-09", "2026-11-10", true)).toBe("form.date_past");
    expect(checkDeadline("2026-11-10", "2026-11-10", true)).toBeNull();
  });

  test("assignment times: not in the future, not after the deadline", () => {
    expect(checkAssignedAt("2026-11-10T09:00", NOW, null)).toBeNull();
    // A few minutes of clock drift are still "now".
    expect(checkAssignedAt("2026-11-10T09:33", NOW, null)).toBeNull();
    expect(checkAssignedAt("2026-11-10T10:30", NOW, null)).toBe("form.assigned_future");
    expect(checkAssignedAt("2026-11-08T09:00", NOW, shanghai(2026, 11, 7, 23, 59))).toBe("form.assigned_after_deadline");
    expect(checkAssignedAt("2026-11-31T09:00", NOW, null)).toBe("form.bad_date");
    expect(checkAssignedAt("", NOW, null)).toBe("form.required");
  });

  test("milestones: a title, a day from today up to the deadline", () => {
    const deadline = shanghai(2026, 11, 22, 23, 59);
    expect(checkMilestone("清运", "2026-11-15", "2026-11-10", deadline)).toBeNull();
    expect(checkMilestone(" ", "2026-11-15", "2026-11-10", deadline)).toBe("form.milestone_title");
    expect(checkMilestone("清运", "", "2026-11-10", deadline)).toBe("form.milestone_due");
    expect(checkMilestone("清运", "2026-11-09", "2026-11-10", deadline)).toBe("form.day_past");
    expect(checkMilestone("清运", "2026-11-23", "2026-11-10", deadline)).toBe("form.milestone_after_deadline");
    expect(checkMilestone("清运", "2026-11-22", "2026-11-10", deadline)).toBeNull();
  });

  test("datetime-local values are Shanghai wall-clock times", () => {
    expect(toLocalInput(shanghai(2026, 11, 10, 9, 5))).toBe("2026-11-10T09:05");
    expect(fromLocalInput("2026-11-10T09:05")).toBe(shanghai(2026, 11, 10, 9, 5));
    expect(fromLocalInput("2026-11-10 09:05")).toBeNull();
    expect(fromLocalInput("2026-11-10T25:00")).toBeNull();
  });
});

describe("the new item form", () => {
  const form = (patch: Partial<DubanForm> = {}): DubanForm => ({
    title: "阀井污水整改",
    detail: "",
    doc_no: "",
    source: "key_work",
    level: "office",
    category: "",
    urgency: "normal",
    is_major: false,
    lead_unit: "plant-2",
    co_units: [],
    handlers: ["u-zhang"],
    supervisors: ["u-li"],
    draft: false,
    assigned_at: "",
    deadline: "2026-11-22",
    feedback_cycle: "weekly",
    milestones: [],
    ...patch,
  });

  test("a complete form has nothing wrong", () => {
    expect(validateDubanForm(form(), NOW)).toEqual({});
  });

  test("each problem is named on its field", () => {
    const errors = validateDubanForm(
      form({
        title: " ",
        doc_no: "号".repeat(101),
        category: "类".repeat(51),
        lead_unit: "",
        co_units: [],
        handlers: [],
        supervisors: [],
        deadline: "2026-11-01",
        assigned_at: "2026-11-12T09:00",
      }),
      NOW,
    );
    expect(errors).toEqual({
      title: "form.required",
      doc_no: "form.too_long",
      category: "form.too_long",
      lead_unit: "form.required",
      supervisors: "form.supervisor_required",
      handlers: "form.handler_required",
      deadline: "form.date_past",
      assigned_at: "form.assigned_future",
    });
  });

  test("the lead unit is not a co-operating unit too", () => {
    expect(validateDubanForm(form({ co_units: ["plant-2"] }), NOW)).toEqual({ co_units: "form.co_unit_is_lead" });
  });

  test("a draft needs only a title", () => {
    expect(validateDubanForm(form({ draft: true, lead_unit: "", deadline: "" }), NOW)).toEqual({});
    expect(validateDubanForm(form({ draft: true, title: "" }), NOW)).toEqual({ title: "form.required" });
  });

  test("milestones must stay within a deadline moved after they were added", () => {
    const step = { id: "m1", title: "清运", due: shanghai(2026, 11, 20, 23, 59), done_at: null };
    expect(validateDubanForm(form({ milestones: [step] }), NOW)).toEqual({});
    expect(validateDubanForm(form({ milestones: [step], deadline: "2026-11-18" }), NOW)).toEqual({ milestones: "form.milestone_after_deadline" });
  });
});

describe("late progress marks", () => {
  test("the server's answer when there is one; the phone's own otherwise", () => {
    expect([...lateMarks(null, ["p2"], true)]).toEqual(["p2"]);
    expect([...lateMarks(["p1"], ["p2"], true)]).toEqual(["p1"]);
    expect([...lateMarks([], ["p2"], true)]).toEqual([]);
  });

  test("entries not on the server yet keep the phone's mark", () => {
    expect([...lateMarks(["p1"], ["p1", "p3"], false)].sort()).toEqual(["p1", "p3"]);
  });
});
