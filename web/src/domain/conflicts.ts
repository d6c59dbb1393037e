// True conflicts of a record's fields: a root key that concurrent changes set to different
// values (Automerge keeps them all, shows one, and `getConflicts` lists them). Two phones
// writing the same value is no conflict. Lists edited in place (handlers, co-units) merge and
// never conflict; they conflict only when two changes each replaced the whole list.

import { getConflicts } from "@automerge/automerge/slim";

import { str } from "./scalar";

/** A field's value as `getConflicts` gives it outside a change: plain, frozen data. */
export type ConflictValue =
  | string
  | number
  | boolean
  | null
  | readonly ConflictValue[]
  | { readonly [key: string]: ConflictValue };

export interface FieldConflict {
  field: string;
  /** The distinct values, in the order automerge lists them (its shown value is not marked). */
  values: ConflictValue[];
  /** For each value, the ids (`counter@actor`) of the operations that wrote it: who wrote it. */
  ops: string[][];
}

/** Plain data of a value, with scalar strings (`ImmutableString`) read as strings. */
function plain(value: unknown): ConflictValue | undefined {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) {
    const items = value.map(plain);
    return items.every((x) => x !== undefined) ? (items as ConflictValue[]) : undefined;
  }
  if (typeof value === "object") {
    if ("val" in value && typeof (value as { val: unknown }).val === "string") return (value as { val: string }).val;
    const entries: [string, ConflictValue][] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = plain(v);
      if (p === undefined) return undefined;
      entries.push([k, p]);
    }
    return Object.fromEntries(entries);
  }
  return undefined;
}

/** The distinct values of `field` and the operations that wrote each, when truly conflicting. */
function conflictEntries(doc: object, field: string): { value: ConflictValue; ops: string[] }[] | null {
  if (!(field in doc)) return null;
  const conflicts = getConflicts<unknown>(doc, field);
  if (!conflicts) return null;
  const seen = new Map<string, { value: ConflictValue; ops: string[] }>();
  for (const [op, value] of Object.entries(conflicts)) {
    const v = plain(value);
    if (v === undefined) continue;
    const key = JSON.stringify(v);
    const known = seen.get(key);
    if (known) known.ops.push(op);
    else seen.set(key, { value: v, ops: [op] });
  }
  return seen.size > 1 ? [...seen.values()] : null;
}

/** The distinct values of `field` in `doc` when there is a true conflict; null otherwise. */
export function conflictOf(doc: object, field: string): ConflictValue[] | null {
  return conflictEntries(doc, field)?.map((e) => e.value) ?? null;
}

/** Every field of `fields` with a true conflict in `doc`, in the order of `fields`. */
export function conflictsOf(doc: object, fields: readonly string[]): FieldConflict[] {
  return fields.flatMap((field) => {
    const entries = conflictEntries(doc, field);
    return entries ? [{ field, values: entries.map((e) => e.value), ops: entries.map((e) => e.ops) }] : [];
  });
}

/**
 * A picked value in the shape to write back: strings become scalar strings, as every string of
 * the fields offered for picking is (long texts are Automerge text and are never offered).
 * Writing it to the field makes it the field's only value, which resolves the conflict.
 */
export function revive(value: ConflictValue): unknown {
  if (typeof value === "string") return str(value);
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v as ConflictValue)]));
  }
  return value;
}

/** A stable key of a value, e.g. for React lists and tests. */
export function conflictKey(value: ConflictValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
