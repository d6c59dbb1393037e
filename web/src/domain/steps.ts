// The status steps of a record, read from its Automerge history: the record type keeps only the
// current status, but every change that set it is in the document, with its author's device
// (actor), its time and its message. Who the actor is comes from the server's history
// (records/history), cached on the phone; the phone's own actor is the signed-in user.

import { decodeChange, getAllChanges, type Doc } from "@automerge/automerge/slim";

export interface StatusStep {
  /** The change that set the status. */
  hash: string;
  actor: string;
  /** When the author's device made it (ms); null if the change carries no time. */
  at: number | null;
  /** The status before, as this phone saw the history; null for the first one. */
  from: string | null;
  to: string;
  /** The change's message: the reason given for it (e.g. for 中止). */
  reason: string | null;
}

/**
 * A change's own timestamp in milliseconds: automerge JS stamps seconds; a value too large to be
 * seconds was stamped in milliseconds (the server reads it the same way).
 */
export function changeTimeMs(stamp: number): number | null {
  if (!stamp) return null;
  return stamp > 100_000_000_000 ? stamp : stamp * 1000;
}

/** Every change of the root `status`, in causal order; a change that keeps the value is skipped. */
export function statusSteps(doc: Doc<unknown>): StatusStep[] {
  const steps: StatusStep[] = [];
  let current: string | null = null;
  for (const bytes of getAllChanges(doc)) {
    const change = decodeChange(bytes);
    for (const op of change.ops) {
      if (op.obj !== "_root" || op.key !== "status" || op.action !== "set") continue;
      const to = typeof op.value === "string" ? op.value : String(op.value);
      if (to === current) continue;
      steps.push({
        hash: change.hash ?? "",
        actor: change.actor,
        at: changeTimeMs(change.time),
        from: current,
        to,
        reason: change.message || null,
      });
      current = to;
    }
  }
  return steps;
}

/** The status a suspended record was suspended from; null if it is not suspended or unknown. */
export function suspendedFrom(steps: readonly StatusStep[]): string | null {
  const last = steps[steps.length - 1];
  return last && last.to === "suspended" ? last.from : null;
}
