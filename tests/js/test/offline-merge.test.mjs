// Two clients edit the same document while offline; once back online, the server brings
// both to the same merged state and stores it.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Fixture, TEST_TIMEOUT_MS, dubanRecord, plain, waitFor, waitSynced, within } from "./helpers.mjs";

const sameHeads = (x, y) => JSON.stringify([...x.heads()].sort()) === JSON.stringify([...y.heads()].sort());

test("concurrent offline edits from two clients merge", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();

  const a = await fx.client(server);
  const b = await fx.client(server);
  const handleA = a.repo.create(dubanRecord());
  await waitSynced(handleA, a.repo);
  const handleB = await within("B's find", b.repo.find(handleA.url));

  a.disconnect();
  b.disconnect();

  const noteA = { date: "2024-05-09", by: "A", note: "阀井加盖并设置警示标识" };
  const noteB = { date: "2024-05-09", by: "B", note: "污水管线疏通完毕" };
  handleA.change(doc => {
    doc.status = "整改中";
    doc.progress.push(noteA);
  });
  handleB.change(doc => {
    doc.department = "炼油二部 / 储运部";
    doc.progress.push(noteB);
  });
  assert.ok(!sameHeads(handleA, handleB), "the offline edits have diverged");

  await Promise.all([a.reconnect(), b.reconnect()]);
  await waitFor("A and B to converge", () => sameHeads(handleA, handleB));

  const merged = plain(handleA.doc());
  assert.deepEqual(plain(handleB.doc()), merged);
  assert.equal(merged.status, "整改中");
  assert.equal(merged.department, "炼油二部 / 储运部");
  // Both pushes survive; their relative order is Automerge's (actor ids), not ours to assert.
  assert.equal(merged.progress.length, 3);
  assert.deepEqual(merged.progress[0], dubanRecord().progress[0]);
  const pushed = merged.progress.slice(1).sort((p, q) => p.by.localeCompare(q.by));
  assert.deepEqual(pushed, [noteA, noteB]);

  // The merge is on the server too, not only in the two clients.
  await waitSynced(handleA, a.repo);
  const c = await fx.client(server);
  const found = await within("C's find", c.repo.find(handleA.url));
  assert.deepEqual(plain(found.doc()), merged);
});
