// Documents live in PostgreSQL, not in the server process: they outlive a graceful restart,
// and anything the server has acknowledged outlives kill -9.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  plain,
  progressEntry,
  str,
  waitAllSynced,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

test("a document survives a graceful restart (SIGTERM)", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const first = await fx.startServer();
  const users = await fx.users();

  const a = await fx.client(first, { user: users.li });
  const handle = a.repo.create(castItem(users, { status: "closing_requested" }));
  handle.change(doc => {
    doc.status = str("closed");
  });
  await waitSynced(handle, a.repo);

  // A stays connected: shutdown must not wait for clients to leave.
  const exit = await first.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, "a graceful shutdown exits 0");
  await waitFor("client A to see its session end", () => a.disconnects.length > 0);

  // Access tokens die with the process that signed them (no DUYAN_JWT_SECRET here), so the
  // reader signs in again on the new one.
  const second = await fx.startServer();
  const health = await fetch(`${second.httpUrl}/healthz`);
  assert.equal(health.status, 200);

  const b = await fx.client(second, { user: users.wang });
  const found = await within(`find(${handle.url}) after restart`, b.repo.find(handle.url));
  assert.deepEqual(plain(found.doc()), plain(castItem(users, { status: "closed" })));
  assert.deepEqual(found.heads(), handle.heads());
});

test("changes the server acknowledged survive kill -9", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const first = await fx.startServer();
  const users = await fx.users();
  const a = await fx.client(first, { user: users.li });

  // Several documents, each changed in quick succession, so that a server which acknowledges
  // before its write is durable (batching, debouncing) has something in flight when it dies.
  const handles = [];
  for (let i = 0; i < 5; i++) {
    const handle = a.repo.create(castItem(users, { title: `阀井整改 第${i + 1}项` }));
    for (let round = 1; round <= 3; round++) {
      handle.change(doc => {
        doc.progress.push(
          progressEntry({ id: `p-${round}`, by: users.li.id, text: `第${round}次复查` }),
        );
      });
    }
    handles.push(handle);
  }
  await waitAllSynced(handles, a.repo);

  // The acknowledgement is all the client has; nothing may happen between it and the kill.
  // A stays connected: closing its session first could make a server flush, which would
  // hide exactly the bug this test is for.
  const exit = await first.kill();
  assert.equal(exit.signal, "SIGKILL");
  a.close();

  const second = await fx.startServer();
  const b = await fx.client(second, { user: users.zhang });
  for (const [i, handle] of handles.entries()) {
    const found = await within(`find(${handle.url}) after kill -9`, b.repo.find(handle.url));
    assert.deepEqual(found.heads(), handle.heads(), `document ${i} lost acknowledged changes`);
    const doc = plain(found.doc());
    assert.equal(doc.title, `阀井整改 第${i + 1}项`);
    assert.deepEqual(
      doc.progress.map(p => p.text),
      [castItem(users).progress[0].text.val, "第1次复查", "第2次复查", "第3次复查"],
    );
  }
});
