// Every change is attributed to the person and device that made it (痕迹管理), and nobody can
// make changes in another's name: an Automerge actor id belongs to the first user whose change
// carried it, and changes made with an actor bound to someone else are refused whole. The
// history endpoint (`GET /api/records/{id}/history`) is the audit trail built on that.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as Automerge from "@automerge/automerge";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  api,
  castItem,
  plain,
  progressEntry,
  refusalsOf,
  sameHeads,
  str,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

const historyPath = handle => `/api/records/${handle.documentId}/history`;

/**
 * The handler's client takes the supervisor's actor id (as anyone can: it is in every change of
 * the document) and makes a change with it: a progress report in the supervisor's name. Returns
 * the forged change's hash. The change is merged into the handle, so the stock client pushes
 * it to the server like any other.
 */
function forgeAs(handle, actor, entry) {
  const forged = Automerge.change(Automerge.clone(handle.doc(), { actor }), doc => {
    doc.progress.push(progressEntry(entry));
  });
  const change = Automerge.decodeChange(Automerge.getLastLocalChange(forged));
  assert.equal(change.actor, actor, "the forged change carries the borrowed actor id");
  handle.update(doc => Automerge.merge(doc, forged));
  return change.hash;
}

test("a change made with another user's actor id is refused and reaches no one", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const liActor = Automerge.getActorId(item.doc());
  const seenByLi = [];
  item.on("change", ({ doc }) => seenByLi.push(plain(doc)));

  const wang = await fx.client(server, { user: users.wang });
  const atWang = await within("the leader's find", wang.repo.find(item.url));
  const seenByWang = [];
  atWang.on("change", ({ doc }) => seenByWang.push(plain(doc)));

  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));
  const refused = refusalsOf(atZhang);
  const forgedHash = forgeAs(atZhang, liActor, {
    id: "p-forged",
    by: users.li.id,
    text: "（伪造）督办员确认已整改完毕",
  });

  await waitFor("the foreign_actor refusal", () => refused.length > 0);
  assert.deepEqual(refused[0].documentId, item.documentId);
  assert.deepEqual(refused[0].refusals.map(r => [r.field, r.code]), [["*", "foreign_actor"]]);
  assert.match(refused[0].refusals[0].message, new RegExp(liActor));
  // The server stopped syncing this document with the forger; its part is over.
  zhang.close();

  // The supervisor makes a change of her own and the leader follows it: by then the leader
  // has everything the server accepted, and the forged report is not among it.
  item.change(doc => {
    doc.urgency = str("urgent");
  });
  await waitSynced(item, li.repo);
  await waitFor("the leader to follow the supervisor", () => sameHeads(item, atWang));
  for (const state of [...seenByLi, ...seenByWang, plain(item.doc()), plain(atWang.doc())]) {
    assert.ok(!state.progress.some(p => p.id === "p-forged"), "no reader ever saw the forged report");
  }
  assert.ok(!Automerge.getAllChanges(atWang.doc()).some(c => Automerge.decodeChange(c).hash === forgedHash));
  // Nor did the server store it: a newcomer gets exactly the supervisor's document.
  const newcomer = await fx.client(server, { user: users.view });
  const found = await within("the viewer's find", newcomer.repo.find(item.url));
  assert.deepEqual(found.heads(), item.heads());
  const history = await api(server, historyPath(item), { token: li.session.access_token });
  assert.equal(history.status, 200);
  assert.ok(history.body.changes.every(c => c.user?.id === users.li.id), "every stored change is the supervisor's");
});

test(
  "after refusing a foreign-actor change the sync between client and server settles",
  {
    timeout: TEST_TIMEOUT_MS,
  },
  async t => {
    const fx = new Fixture(t);
    const server = await fx.startServer();
    const users = await fx.users();

    const li = await fx.client(server, { user: users.li });
    const item = li.repo.create(castItem(users));
    await waitSynced(item, li.repo);
    const zhang = await fx.client(server, { user: users.zhang });
    const atZhang = await within("the handler's find", zhang.repo.find(item.url));
    const refused = refusalsOf(atZhang);
    forgeAs(atZhang, Automerge.getActorId(item.doc()), {
      id: "p-forged",
      by: users.li.id,
      text: "（伪造）督办员确认已整改完毕",
    });
    await waitFor("the foreign_actor refusal", () => refused.length > 0);

    // The exchange should settle: some one-second window in which the server sends the
    // handler hardly anything (a settled sync sends nothing at all).
    const sent = () => zhang.receivedFor("sync", item.documentId).length;
    let window = { from: Date.now(), count: sent() };
    let rate;
    await waitFor(
      "a second in which the server sends the handler at most 5 sync messages",
      () => {
        if (Date.now() - window.from < 1_000) return false;
        rate = sent() - window.count;
        window = { from: Date.now(), count: sent() };
        return rate <= 5;
      },
      { timeout: 5_000, interval: 50 },
    ).catch(err => {
      err.message += ` (the last second: ${rate} sync messages)`;
      throw err;
    });
  },
);

test("the history names the user, device and fields of every change", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  const li = await fx.client(server, { user: users.li, device: "李静的办公电脑" });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);

  const zhang = await fx.client(server, { user: users.zhang, device: "张伟的手机 (Android)" });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));
  atZhang.change(doc => {
    doc.progress.push(progressEntry({ id: "p-zhang", by: users.zhang.id, text: "现场已清淤，拍照留痕" }));
  });
  await waitSynced(atZhang, zhang.repo);

  // A refused edit leaves a trace too: the viewer's change, then the server's restoring one.
  const view = await fx.client(server, { user: users.view, device: "赵敏的平板" });
  const atView = await within("the viewer's find", view.repo.find(item.url));
  const refused = refusalsOf(atView);
  atView.change(doc => {
    doc.title = str("查看者改的标题");
  });
  await waitFor("the viewer's refusal", () => refused.length > 0);
  await waitFor("the viewer's copy to be put back", () => String(atView.doc().title) === castItem(users).title.val);
  await waitSynced(atView, view.repo);

  const { status, body } = await api(server, historyPath(item), { token: li.session.access_token });
  assert.equal(status, 200);
  assert.equal(body.document_id, item.documentId);
  assert.equal(body.truncated, false);
  const summary = body.changes.map(c => ({
    user: c.user?.username,
    display_name: c.user?.display_name,
    device: c.device?.label ?? null,
    by_server: c.by_server,
    fields: c.fields,
  }));
  assert.deepEqual(summary, [
    {
      user: "li",
      display_name: "李静",
      device: "李静的办公电脑",
      by_server: false,
      fields: Object.keys(castItem(users)).sort(),
    },
    { user: "zhang", display_name: "张伟", device: "张伟的手机 (Android)", by_server: false, fields: ["progress"] },
    { user: "view", display_name: "赵敏", device: "赵敏的平板", by_server: false, fields: ["title"] },
    { user: "system", display_name: summary[3]?.display_name, device: null, by_server: true, fields: ["title"] },
  ]);
  const [created, reported, edited, restored] = body.changes;
  assert.equal(created.user.id, users.li.id);
  assert.ok(created.device.session_id.length > 0);
  assert.equal(created.actor, Automerge.getActorId(item.doc()));
  assert.equal(reported.user.id, users.zhang.id);
  assert.equal(reported.actor, Automerge.getActorId(atZhang.doc()));
  assert.notEqual(reported.device.session_id, created.device.session_id, "each sign-in is its own device");
  assert.equal(edited.actor, Automerge.getActorId(atView.doc()));
  assert.match(restored.message, /restored title/);
  assert.deepEqual(
    body.changes.map(c => c.hash).sort(),
    Automerge.getAllChanges(item.doc()).map(c => Automerge.decodeChange(c).hash).sort(),
    "the history lists exactly the document's changes",
  );

  // Only those who may read the record see its history; others get the 404 of a missing one.
  const other = await fx.signIn(server, users.other);
  const refusedHistory = await api(server, historyPath(item), { token: other.access_token });
  assert.equal(refusedHistory.status, 404);
  assert.equal(refusedHistory.body.error.code, "not_found");
  const unsigned = await api(server, historyPath(item));
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.body.error.code, "unauthorized");
  const viewer = await fx.signIn(server, users.view);
  assert.equal((await api(server, historyPath(item), { token: viewer.access_token })).status, 200);
  assert.ok(body.changes.every(c => Number.isInteger(c.at) && c.at > 0), "every change has a time");
  assert.deepEqual(body.changes.map(c => c.seq), [1, 1, 1, 1]);
});

test(
  "the history gives every change's time in milliseconds since the epoch",
  {
    timeout: TEST_TIMEOUT_MS,
  },
  async t => {
    const fx = new Fixture(t);
    const server = await fx.startServer();
    const users = await fx.users();
    const started = Date.now();

    const li = await fx.client(server, { user: users.li });
    const item = li.repo.create(castItem(users));
    await waitSynced(item, li.repo);
    const view = await fx.client(server, { user: users.view });
    const atView = await within("the viewer's find", view.repo.find(item.url));
    const refused = refusalsOf(atView);
    atView.change(doc => {
      doc.title = str("查看者改的标题");
    });
    await waitFor("the viewer's refusal", () => refused.length > 0);
    await waitSynced(atView, view.repo);

    const { body } = await api(server, historyPath(item), { token: li.session.access_token });
    assert.equal(body.changes.length, 3);
    // The same clock made every change within the last seconds (automerge JS rounds down to a
    // whole second, hence the slack before `started`).
    const finished = Date.now();
    for (const change of body.changes) {
      assert.ok(
        change.at >= started - 1_000 && change.at <= finished,
        `${change.by_server ? "the server's" : `${change.user.username}'s`} change is dated ` +
          `${change.at} (${new Date(change.at).toISOString()}), not between ${started} and ${finished}`,
      );
    }
  },
);
