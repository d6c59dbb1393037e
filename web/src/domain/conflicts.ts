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

/** The distinct values of `field` in `doc` when there is a true conflict; null otherwise. */
export function conflictOf(doc: object, field: string): ConflictValue[] | null {
  if (!(field in doc)) return null;
  const conflicts = getConflicts<unknown>(doc, field);
  if (!conflicts) return null;
  const seen = new Map<string, ConflictValue>();
  for (const value of Object.values(conflicts)) {
    const v = plain(value);
    if (v !== undefined && !seen.has(JSON.stringify(v))) seen.set(JSON.stringify(v), v);
  }
  return seen.size > 1 ? [...seen.values()] : null;
}

/** Every field of `fields` with a true conflict in `doc`, in the order of `fields`. */
export function conflictsOf(doc: object, fields: readonly string[]): FieldConflict[] {
  return fields.flatMap((field) => {
    const values = conflictOf(doc, field);
    return values ? [{ field, values }] : [];
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
