// The sample item of shared/src/samples.rs, as the derived-value port reads it: assigned
// 2026-11-01 09:00, due 2026-11-22 23:59 (Shanghai), in progress, weekly feedback, one progress
// entry at 2026-11-01 15:00.
import type { DubanFacts } from "../src/domain/derived";
import { shanghai } from "../src/domain/time";

export function dubanFacts(): DubanFacts {
  return {
    status: "in_progress",
    deadline: shanghai(2026, 11, 22, 23, 59),
    assigned_at: shanghai(2026, 11, 1, 9, 0),
    feedback_cycle: "weekly",
    progress: [{ id: "p1", at: shanghai(2026, 11, 1, 15, 0) }],
    milestones: [],
    reviews: [],
  };
}

/** `due_on_the_22nd` of derived/tests.rs: only the deadline decides the light. */
export function dueOnThe22nd(): DubanFacts {
  return { ...dubanFacts(), feedback_cycle: "none" };
}
