// A client that opens a thousand documents at once (a phone catching up after a week
// offline) gets every one, over one session that stays up, even when the server has just
// restarted and must load them all from storage and check the reader's access to each.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Fixture, WAIT_MS, castItem, plain, waitAllSynced, within } from "./helpers.mjs";

const COUNT = 1_000;
const BULK_WAIT_MS = 6 * WAIT_MS;

test(`a fresh client finding ${COUNT} documents at once gets all of them`, { timeout: 3 * BULK_WAIT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const itemFor = seq => castItem(users, { title: `督办事项 第${seq}号`, doc_no: `督字〔2026〕${seq}号` });

  // The supervisor creates them all (each is a valid record in its first change).
  const seeder = await fx.client(server, { user: users.li });
  const seeded = Array.from({ length: COUNT }, (_, seq) => seeder.repo.create(itemFor(seq)));
  await waitAllSynced(seeded, seeder.repo, { timeout: BULK_WAIT_MS });
  // With the seeder gone, duyan is the only place these documents exist; after a restart,
  // every one of them has to be loaded from PostgreSQL while the reader waits.
  seeder.close();
  await server.stop();
  const restarted = await fx.startServer();

  // The reader is the items' handler, signed in on the new process (tokens die with the
  // process that signed them); the server decides access for each document as it loads it.
  const reader = await fx.client(restarted, { user: users.zhang });
  const results = await within(
    `${COUNT} concurrent finds`,
    Promise.allSettled(seeded.map(handle => reader.repo.find(handle.url))),
    BULK_WAIT_MS,
  );

  const failed = results.flatMap((r, seq) => (r.status === "rejected" ? [`#${seq}: ${r.reason.message}`] : []));
  assert.deepEqual(failed, [], `${failed.length} of ${COUNT} finds failed`);
  for (const [seq, result] of results.entries()) {
    assert.deepEqual(plain(result.value.doc()), plain(itemFor(seq)));
  }
  assert.deepEqual(reader.disconnects, [], "the session was not dropped during the burst");
  assert.deepEqual(reader.socketErrors, []);
  assert.deepEqual(reader.received.filter(m => m.type === "ephemeral"), [], "nothing was refused");
  assert.ok(reader.repo.peers.includes(reader.serverPeerId), "the server is still a connected peer");
});
