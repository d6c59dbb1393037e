// A document written by one stock automerge-repo client is served, intact, to another.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  plain,
  progressEntry,
  str,
  waitSynced,
  within,
} from "./helpers.mjs";

test("a fresh client finds a document another client created and changed", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  // The supervisor creates the item assigned and moves it on; both are hers to do.
  const a = await fx.client(server, { user: users.li });
  const handle = a.repo.create(castItem(users, { status: "assigned" }));
  const note = {
    id: "p-li-2",
    by: users.li.id,
    text: "已安排清淤，污水改排至污水处理场",
    percent: 30,
  };
  handle.change(doc => {
    doc.status = str("in_progress");
    doc.progress.push(progressEntry(note));
  });
  const expected = plain({
    ...castItem(users),
    progress: [...castItem(users).progress, progressEntry(note)],
  });
  assert.deepEqual(plain(handle.doc()), expected);
  await waitSynced(handle, a.repo);

  // B, the handler, has no storage and has never seen the document: everything it gets
  // comes from duyan, and it reads the item because it is named as its handler.
  const b = await fx.client(server, { user: users.zhang });
  const found = await within(`find(${handle.url}) on a fresh client`, b.repo.find(handle.url));
  assert.deepEqual(plain(found.doc()), expected);
  assert.deepEqual(found.heads(), handle.heads());
  assert.equal(b.receivedFor("ephemeral", handle.documentId).length, 0, "no refusal for anyone");
  assert.equal(a.receivedFor("ephemeral", handle.documentId).length, 0, "no refusal for anyone");
});
