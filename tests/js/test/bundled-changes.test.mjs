// A client that comes back with several changes of a record that has some history sends them
// as one bundle chunk (automerge JS packs a run of changes into one chunk when they are a small
// part of the document's history), not as one chunk per change. The server must attribute and
// apply such a message like any other; it once closed the session on it, and the phone then
// retried forever without its offline work ever reaching the server.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  progressEntry,
  refusalsOf,
  waitSynced,
  within,
} from "./helpers.mjs";

test("several offline changes to a record with history sync in one message and are attributed", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  // Some history, one change at a time, as a supervisor's notes accumulate.
  for (let i = 0; i < 12; i++) {
    item.change(doc => {
      doc.progress.push(progressEntry({ id: `p-li-${i}`, by: users.li.id, text: `第${i + 1}次督办记录` }));
    });
    await waitSynced(item, li.repo);
  }

  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("zhang's find", zhang.repo.find(item.url));
  const refused = refusalsOf(atZhang);
  zhang.disconnect();
  for (const [id, text] of [
    ["p-zhang-1", "已清理3号阀井淤泥"],
    ["p-zhang-2", "已封堵混接管口"],
    ["p-zhang-3", "已完成雨污分流改造方案"],
  ]) {
    atZhang.change(doc => {
      doc.progress.push(progressEntry({ id, by: users.zhang.id, text }));
    });
  }
  await zhang.reconnect();
  const closesBefore = zhang.closes.length;
  await waitSynced(atZhang, zhang.repo);
  assert.equal(zhang.closes.length, closesBefore, "the session was not closed");
  assert.doesNotMatch(server.logs(), /closing session/);
  assert.deepEqual(refused, []);

  // The supervisor gets all three, and the history names zhang as their author.
  const ids = () => li.repo.handles[item.documentId].doc().progress.map(p => String(p.id));
  await within(
    "li to receive zhang's entries",
    (async () => {
      while (!ids().includes("p-zhang-3")) await new Promise(r => setTimeout(r, 20));
    })(),
  );
  assert.deepEqual(ids().slice(-3), ["p-zhang-1", "p-zhang-2", "p-zhang-3"]);

  const session = await fx.signIn(server, users.li);
  const response = await fetch(`${server.httpUrl}/api/records/${item.documentId}/history`, {
    headers: { authorization: `Bearer ${session.access_token}` },
  });
  assert.equal(response.status, 200);
  const { changes } = await response.json();
  // Every change is attributed, and the three offline ones (after the last of li's) to zhang.
  assert.ok(changes.every(c => c.user !== null), "no change without its author");
  const last = changes.at(-1);
  assert.equal(last.user.id, users.zhang.id);
  assert.deepEqual(last.fields, ["progress"]);
});
