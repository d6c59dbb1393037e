// Two server processes on one database: a change made through one reaches the clients of the
// other without anyone reconnecting, and a sign-in lockout on one holds on the other.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  api,
  castItem,
  plain,
  progressEntry,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

test("an edit through process A reaches a client of process B without reconnecting", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const a = await fx.startServer();
  const b = await fx.startServer();
  const users = await fx.users();

  const writer = await fx.client(a, { user: users.li });
  const handle = writer.repo.create(castItem(users));
  await waitSynced(handle, writer.repo);

  const reader = await fx.client(b, { user: users.zhang });
  const seen = await within(`find(${handle.url}) on B`, reader.repo.find(handle.url));
  assert.deepEqual(plain(seen.doc()), plain(handle.doc()));

  for (let i = 1; i <= 3; i++) {
    handle.change(doc => {
      doc.progress.push(progressEntry({ id: `p-a-${i}`, by: users.li.id, text: `经A第${i}次进展` }));
    });
    await waitFor(`B's client to see edit ${i} made through A`, () =>
      seen.doc().progress.some(p => p.id.val === `p-a-${i}` || p.id === `p-a-${i}`),
    );
  }
  assert.equal(reader.disconnects.length, 0, "B's client never reconnected");
  assert.equal(writer.disconnects.length, 0);
});

test("a user locked out on process A is locked out on process B", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const a = await fx.startServer();
  const b = await fx.startServer();
  const users = await fx.users();
  for (let i = 0; i < 5; i++) {
    const { status } = await api(a, "/api/auth/login", {
      method: "POST",
      body: { username: users.wang.username, password: "wrong-guess" },
    });
    assert.equal(status, 401);
  }
  const { status, body } = await api(b, "/api/auth/login", {
    method: "POST",
    body: { username: users.wang.username, password: users.wang.password },
  });
  assert.equal(status, 429, JSON.stringify(body));
  assert.equal(body.error.code, "too_many_attempts");
});
