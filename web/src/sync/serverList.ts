// The server's list API (`GET /api/records`), used when online: its rows are shown at once,
// and each returned document is opened through the repo so that it is cached in IndexedDB and
// indexed locally ("mine, my unit's" stay available offline).

import { apiGet } from "../auth/api";
import type { ListItem, ListPage } from "../generated/api";
import type { SyncClient } from "./client";

/** A row of the list, as the server answers it. */
export type ServerRow = ListItem;

/** Documents opened at once in the background; more would crowd the socket on a slow link. */
const OPEN_CONCURRENCY = 4;

/** One page of the list for `params`; opens the returned documents in the background. */
export async function fetchServerRows(client: SyncClient, params: Record<string, string>): Promise<ServerRow[]> {
  const rows = await listPage(params);
  void cacheDocuments(client, rows.map((row) => row.id));
  return rows;
}

async function listPage(params: Record<string, string>): Promise<ServerRow[]> {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ""));
  const page = await apiGet<ListPage>(`/api/records?${query.toString()}`);
  return page.items.filter((row) => !row.damaged);
}

async function cacheDocuments(client: SyncClient, ids: string[]): Promise<void> {
  // Also those held already: opening one syncs it, so the offline copy is the latest.
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      await client.open(id).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
}

/**
 * Refreshes what this user should have offline: their items and their unit's (mine=true), and
 * resolves once those documents are open here, i.e. listed by 我的待办.
 */
export async function cacheMine(client: SyncClient): Promise<void> {
  const lists: Record<string, string>[] = [{ mine: "true", limit: "200" }];
  if (client.user.unit) lists.push({ unit: client.user.unit, limit: "200" });
  const ids = new Set<string>();
  for (const params of lists) {
    for (const row of await listPage(params).catch(() => [])) ids.add(row.id);
  }
  await cacheDocuments(client, [...ids]);
}
