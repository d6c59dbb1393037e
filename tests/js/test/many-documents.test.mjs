// A client that opens a thousand documents at once (a phone catching up after a week
// offline) gets every one, over one session that stays up, even when the server has just
// restarted and must load them all from storage.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Fixture, WAIT_MS, plain, waitAllSynced, within } from "./helpers.mjs";

const COUNT = 1_000;
const BULK_WAIT_MS = 6 * WAIT_MS;

const itemFor = seq => ({ type: "duban", seq, title: `督办事项 第${seq}号`, status: "待整改" });

test(`a fresh client finding ${COUNT} documents at once gets all of them`, { timeout: 3 * BULK_WAIT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();

  const seeder = await fx.client(server);
  const seeded = Array.from({ length: COUNT }, (_, seq) => seeder.repo.create(itemFor(seq)));
  await waitAllSynced(seeded, seeder.repo, { timeout: BULK_WAIT_MS });
  // With the seeder gone, duyan is the only place these documents exist; after a restart,
  // every one of them has to be loaded from PostgreSQL while the reader waits.
  seeder.close();
  await server.stop();
  const restarted = await fx.startServer();

  const reader = await fx.client(restarted);
  const results = await within(
    `${COUNT} concurrent finds`,
    Promise.allSettled(seeded.map(handle => reader.repo.find(handle.url))),
    BULK_WAIT_MS,
  );

  const failed = results.flatMap((r, seq) => (r.status === "rejected" ? [`#${seq}: ${r.reason.message}`] : []));
  assert.deepEqual(failed, [], `${failed.length} of ${COUNT} finds failed`);
  for (const [seq, result] of results.entries()) {
    assert.deepEqual(plain(result.value.doc()), itemFor(seq));
  }
  assert.deepEqual(reader.disconnects, [], "the session was not dropped during the burst");
  assert.deepEqual(reader.socketErrors, []);
  assert.ok(reader.repo.peers.includes(reader.serverPeerId), "the server is still a connected peer");
});
