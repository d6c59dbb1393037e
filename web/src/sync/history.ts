// A record's full history (痕迹管理) from `GET /api/records/{id}/history`, and the last answer for
// each record kept in IndexedDB, so the history of what the phone has seen reads offline too.
// The actors it names also tell the timeline who made each status change.

import { apiGet } from "../auth/api";
import { keyValueStore, memoryStore, openDatabase, type KeyValueStore } from "./idb";

// The server's `api::records::History` (not yet among the generated REST types).
export interface HistoryPerson {
  id: string;
  username: string | null;
  display_name: string | null;
}

export interface HistoryChange {
  hash: string;
  actor: string;
  seq: number;
  at: number | null;
  user: HistoryPerson | null;
  device: { session_id: string; label: string | null } | null;
  by_server: boolean;
  message: string | null;
  fields: string[];
}

export interface RecordHistory {
  document_id: string;
  changes: HistoryChange[];
  truncated: boolean;
}

/** A cached answer and when the phone got it. */
export interface CachedHistory {
  history: RecordHistory;
  fetched_at: number;
}

/** The user id of every actor the history names. */
export function actorUsers(history: RecordHistory | null | undefined): Map<string, string> {
  const users = new Map<string, string>();
  for (const c of history?.changes ?? []) if (c.user) users.set(c.actor, c.user.id);
  return users;
}

function isHistory(x: unknown): x is RecordHistory {
  const h = x as RecordHistory | null;
  return typeof h === "object" && h !== null && Array.isArray(h.changes);
}

/** Fetches the history of `id` and keeps it; falls back to the kept one when that fails. */
export async function loadHistory(
  id: string,
  store: KeyValueStore<CachedHistory>,
  fetch: (path: string) => Promise<unknown> = apiGet,
  now: () => number = Date.now,
): Promise<{ answer: CachedHistory | null; fresh: boolean }> {
  try {
    const history = await fetch(`/api/records/${encodeURIComponent(id)}/history`);
    if (!isHistory(history)) throw new Error("not a history");
    const answer = { history, fetched_at: now() };
    await store.put(id, answer).catch(() => undefined);
    return { answer, fresh: true };
  } catch {
    return { answer: (await store.get(id).catch(() => undefined)) ?? null, fresh: false };
  }
}

let shared: Promise<KeyValueStore<CachedHistory>> | null = null;

/** The phone's store of history answers (in memory where IndexedDB is unavailable). */
export function historyStore(): Promise<KeyValueStore<CachedHistory>> {
  shared ??= openDatabase("duyan-history", ["answers"]).then(
    (db) => keyValueStore<CachedHistory>(db, "answers"),
    () => memoryStore<CachedHistory>(),
  );
  return shared;
}
