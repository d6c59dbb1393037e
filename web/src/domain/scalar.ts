// Scalar strings in documents. automerge JS 3 stores a plain JS string as collaborative text,
// which the Rust side refuses where a short string is expected, so every id, enum value and
// short text is written as an `ImmutableString` (the generated types call it `Scalar`).

import { ImmutableString } from "@automerge/automerge/slim";

import type { Scalar } from "../generated/records";

/** A scalar string to write into a document. */
export function str<T extends string>(value: T): Scalar<T> {
  return new ImmutableString(value) as unknown as Scalar<T>;
}

/**
 * The string value of a scalar as read from a document. Tolerates a plain string (a document
 * written by an older or foreign client) so that reading never throws.
 */
export function val<T extends string = string>(x: Scalar<T> | string | null | undefined): T | null {
  if (x === null || x === undefined) return null;
  if (typeof x === "string") return x as T;
  return typeof x === "object" && "val" in x ? x.val : (String(x) as T);
}

/** `val` for fields that are always present; an absent one reads as "". */
export function text<T extends string = string>(x: Scalar<T> | string | null | undefined): T {
  return val(x) ?? ("" as T);
}

/** A list of scalars as plain strings. */
export function vals(list: readonly (Scalar | string)[] | null | undefined): string[] {
  return (list ?? []).map((x) => text(x));
}

/** A fresh id for a new entry of a list: unique enough within one record. */
export function newEntryId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
