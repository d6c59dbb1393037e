// How many photos of each user wait on this phone for the server (waiting, sending or failed):
// published by the upload queue, read by the status bar. The queue loads on demand, the status
// bar is in the first load, so this file stays tiny and imports none of the photo code.

import { Store } from "../sync/store";

const counts = new Map<string, Store<number>>();

/** The live count for `userId`; 0 until that user's queue has loaded in this page. */
export function pendingPhotos(userId: string): Store<number> {
  let count = counts.get(userId);
  if (!count) {
    count = new Store(0);
    counts.set(userId, count);
  }
  return count;
}
