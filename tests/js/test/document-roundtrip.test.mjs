// A document written by one stock automerge-repo client is served, intact, to another.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Fixture, TEST_TIMEOUT_MS, dubanRecord, plain, waitSynced, within } from "./helpers.mjs";

test("a fresh client finds a document another client created and changed", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();

  const a = await fx.client(server);
  const handle = a.repo.create(dubanRecord());
  handle.change(doc => {
    doc.status = "整改中";
    doc.progress.push({ date: "2024-05-08", by: "李主任", note: "已安排清淤，污水改排至污水处理场" });
  });
  const expected = {
    ...dubanRecord(),
    status: "整改中",
    progress: [
      ...dubanRecord().progress,
      { date: "2024-05-08", by: "李主任", note: "已安排清淤，污水改排至污水处理场" },
    ],
  };
  assert.deepEqual(plain(handle.doc()), expected);
  await waitSynced(handle, a.repo);

  // B has no storage and has never seen the document: everything it gets comes from duyan.
  const b = await fx.client(server);
  const found = await within(`find(${handle.url}) on a fresh client`, b.repo.find(handle.url));
  assert.deepEqual(plain(found.doc()), expected);
  assert.deepEqual(found.heads(), handle.heads());
});
