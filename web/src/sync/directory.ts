// The directory of units and users (`GET /api/directory`), cached in IndexedDB so pickers and
// names work offline. Until the server has the endpoint (404) or while offline, names fall back
// to ids.

import { apiGet } from "../auth/api";
import type { DirectoryAnswer, DirectoryUnit, DirectoryUser } from "../generated/api";
import type { Role } from "../generated/rules";
import type { KeyValueStore } from "./idb";
import { Store } from "./store";

export type Unit = DirectoryUnit;
/** A user as others see them; a disabled one is still named, no longer offered in pickers. */
export type Person = DirectoryUser;
export type DirectoryData = DirectoryAnswer;

const KEY = "directory";

export class Directory {
  readonly data = new Store<DirectoryData>({ units: [], users: [] });
  #store: KeyValueStore<unknown>;

  constructor(store: KeyValueStore<unknown>) {
    this.#store = store;
  }

  async load(): Promise<void> {
    const cached = (await this.#store.get(KEY)) as DirectoryData | undefined;
    if (cached) this.data.set(cached);
  }

  /** Fetches the directory when online; keeps the cached one on any failure. */
  async refresh(): Promise<void> {
    try {
      const fresh = await apiGet<DirectoryData>("/api/directory");
      if (!Array.isArray(fresh.units) || !Array.isArray(fresh.users)) return;
      this.data.set(fresh);
      await this.#store.put(KEY, fresh);
    } catch {
      // Offline, or the endpoint is missing: names fall back to ids.
    }
  }
}

/** The display name of a user id, or the id itself. */
export function personName(data: DirectoryData, id: string | null | undefined): string {
  if (!id) return "";
  return data.users.find((u) => u.id === id)?.display_name ?? id;
}

/** The name of a unit id, or the id itself. */
export function unitName(data: DirectoryData, id: string | null | undefined): string {
  if (!id) return "";
  return data.units.find((u) => u.id === id)?.name ?? id;
}

/** A choice of a picker: an id, its name, and where it sits. */
export interface Choice {
  id: string;
  label: string;
  hint?: string;
}

/**
 * The units to choose from, each with its parent's name, without `except` (e.g. the lead unit
 * among co-units). Ids in `keep` that the directory does not know stay listed, so what a record
 * holds can always be unticked.
 */
export function unitChoices(data: DirectoryData, keep: readonly string[] = [], except: string | null = null): Choice[] {
  const known: Choice[] = data.units.map((u) => ({ id: u.id, label: u.name, hint: u.parent ? unitName(data, u.parent) : undefined }));
  const unknown = keep.filter((id) => !data.units.some((u) => u.id === id)).map((id) => ({ id, label: id }));
  return [...known, ...unknown].filter((c) => c.id !== except);
}

/**
 * The active users holding `role`, those of `firstUnit` first, each with their unit's name;
 * plus whoever `keep` names (a disabled or unknown person on a record can still be removed).
 */
export function peopleChoices(data: DirectoryData, role: Role, keep: readonly string[] = [], firstUnit: string | null = null): Choice[] {
  const chosen = data.users.filter((u) => (u.roles.includes(role) && !u.disabled) || keep.includes(u.id));
  const sorted = [...chosen].sort((a, b) => Number(b.unit === firstUnit) - Number(a.unit === firstUnit));
  const known: Choice[] = sorted.map((u) => ({ id: u.id, label: u.display_name, hint: u.unit ? unitName(data, u.unit) : undefined }));
  const unknown = keep.filter((id) => !data.users.some((u) => u.id === id)).map((id) => ({ id, label: id }));
  return [...known, ...unknown];
}
