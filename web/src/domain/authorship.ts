// Who wrote an operation, and when: an operation id is `counter@actor`; the change that holds it
// is the actor's change with the greatest start op not above the counter, and the change carries
// its device time. The actor's user comes from the server's history (sync/history.ts), as it
// does for the timeline's status steps.

import { decodeChange, getAllChanges, type Doc } from "@automerge/automerge/slim";

import { changeTimeMs } from "./steps";

export interface OpOrigin {
  actor: string;
  /** When the author's device made the change (ms); null if unknown. */
  at: number | null;
}

/** Where each of `opIds` came from, by op id; ids not found in `doc` are left out. */
export function opOrigins(doc: Doc<unknown>, opIds: readonly string[]): Map<string, OpOrigin> {
  const wanted = opIds.flatMap((id) => {
    const at = id.indexOf("@");
    const counter = Number(id.slice(0, at));
    return at > 0 && Number.isFinite(counter) ? [{ id, actor: id.slice(at + 1), counter }] : [];
  });
  const found = new Map<string, OpOrigin & { start: number }>();
  if (wanted.length === 0) return new Map();
  for (const bytes of getAllChanges(doc)) {
    const change = decodeChange(bytes);
    for (const w of wanted) {
      const best = found.get(w.id);
      if (change.actor === w.actor && change.startOp <= w.counter && (!best || change.startOp > best.start)) {
        found.set(w.id, { actor: change.actor, at: changeTimeMs(change.time), start: change.startOp });
      }
    }
  }
  return new Map([...found].map(([id, { actor, at }]) => [id, { actor, at }]));
}
