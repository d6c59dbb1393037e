import { describe, expect, it } from "vitest";

import { dispositionEntry, dubanFromDecision, decisionEntry, effectiveDisposition, newMeeting } from "../src/domain/meetings";
import { summarize } from "../src/domain/summary";
import { text, val } from "../src/domain/scalar";

const at = Date.UTC(2026, 10, 20, 1, 0);
const agenda = [
  { id: "doc-a", title: "阀井污水整改", lead_unit: "plant-2", status: "in_progress" as const, light: "red" as const, deadline: at, latest_progress: "已抽排" },
  { id: "doc-b", title: "固废清运", lead_unit: null, status: "assigned" as const, light: null, deadline: null, latest_progress: null },
];

describe("meetings", () => {
  it("opens a 周会 with the list as its agenda snapshot, chaired by whoever starts it", () => {
    const m = newMeeting("weekly", "督办周会", agenda, "u-li", "office", at);
    expect(text(m.status)).toBe("open");
    expect(text(m.chair)).toBe("u-li");
    expect(m.agenda.map((a) => [text(a.record), text(a.status), val(a.light), val(a.latest_progress)])).toEqual([
      ["doc-a", "in_progress", "red", "已抽排"],
      ["doc-b", "assigned", null, null],
    ]);
    const summary = summarize("m-1", m);
    expect(summary?.kind).toBe("meeting");
    expect(summary?.people).toContain("u-li");
    expect(summary?.search).toContain("阀井污水整改");
  });

  it("counts the latest disposition of an entry, ties by id, as the server does", () => {
    const m = newMeeting("weekly", "督办周会", agenda, "u-li", "office", at);
    const agendaId = text(m.agenda[0]!.id);
    const first = { ...dispositionEntry(agendaId, "close", null, "u-li", at + 1), id: text("d-2") as never };
    const tie = { ...dispositionEntry(agendaId, "escalate", null, "u-wang", at + 1), id: text("d-1") as never };
    const earlier = dispositionEntry(agendaId, "continue", null, "u-li", at);
    m.dispositions.push(earlier, tie, first);
    expect(text(effectiveDisposition(m, agendaId)!.kind)).toBe("close");
    expect(effectiveDisposition(m, "other")).toBeNull();
    // A new deadline only travels with 调整时限.
    expect(dispositionEntry(agendaId, "escalate", at, "u-li", at).new_deadline).toBeNull();
    expect(dispositionEntry(agendaId, "reschedule", at, "u-li", at).new_deadline).toBe(at);
  });

  it("turns a decision into a draft item that names the meeting and the entry", () => {
    const decision = decisionEntry("各单位本周内完成阀井排查", "u-wang", at);
    const item = dubanFromDecision("m-1", decision, "u-li", at);
    expect(text(item.status)).toBe("draft");
    expect(text(item.source)).toBe("meeting_decision");
    expect(item.source_ref && [text(item.source_ref.record), val(item.source_ref.entry_id)]).toEqual(["m-1", text(decision.id)]);
  });
});
