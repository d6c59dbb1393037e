// The directory of units and users (`GET /api/directory`), cached in IndexedDB so pickers and
// names work offline. Until the server has the endpoint (404) or while offline, names fall back
// to ids.

import { apiGet } from "../auth/api";
import type { Role } from "../generated/rules";
import type { KeyValueStore } from "./idb";
import { Store } from "./store";

export interface Unit {
  id: string;
  name: string;
  parent: string | null;
}

export interface Person {
  id: string;
  username: string;
  display_name: string;
  roles: Role[];
  unit: string | null;
}

export interface DirectoryData {
  units: Unit[];
  users: Person[];
}

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
