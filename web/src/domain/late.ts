// Which progress entries to mark 办结后补报 (reported after the item was closed). The server's
// answer (`late_progress` of `GET /api/records/{id}`) is the word of record: it judges the
// document every phone's changes have reached. Offline, or before it answers, the phone's own
// computation (`progressAfterClosing`) stands in. Entries made here and not on the server yet
// are outside the server's answer, so while the record is not synced the phone's own marks are
// added to it.

/**
 * The ids to mark late: `server` (null when there is no answer for this record), `local` the
 * phone's computation, `synced` whether the server holds every change made here.
 */
export function lateMarks(server: readonly string[] | null, local: readonly string[], synced: boolean): Set<string> {
  if (server === null) return new Set(local);
  return new Set(synced ? server : [...server, ...local]);
}
