// Per-document access on /sync: who may read a record, and what happens to changes someone
// may not make. The rules are the domain's (shared/src/rules, server/src/sync/access.rs):
// supervisors, leaders and admins read everything; others read the items they are named in and
// those of their unit or a unit below it. A forbidden change is accepted and at once undone by
// a change of the server's own, so no other reader ever sees the forbidden value, and its
// author is told why with a `duyan/refused` ephemeral message.

import assert from "node:assert/strict";
import { test } from "node:test";

import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  createUser,
  plain,
  progressEntry,
  refusalsOf,
  sameHeads,
  shanghai,
  str,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

/** Every state `handle`'s document goes through from now on, as plain JSON, current first. */
function statesOf(handle) {
  const states = [plain(handle.doc())];
  handle.on("change", ({ doc }) => states.push(plain(doc)));
  return states;
}

test("a user of another unit gets 'unavailable' for an item, as for one that does not exist", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  // A viewer of the refinery, the unit above plant-2: reads plant-2's items.
  const { url: databaseUrl } = await fx.database();
  const head = await createUser(databaseUrl, {
    username: "head",
    displayName: "周主任",
    role: "viewer",
    unit: "refinery",
    password: "head-password-1",
  });

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);

  const other = await fx.client(server, { user: users.other });
  await assert.rejects(within("other's find", other.repo.find(item.url)), /is unavailable/);
  const missing = generateAutomergeUrl();
  await assert.rejects(within("other's find of a missing id", other.repo.find(missing)), /is unavailable/);
  // The two answers are alike: nothing tells an outsider that the first id exists.
  const [refused] = other.receivedFor("doc-unavailable", item.documentId);
  const [absent] = other.receivedFor("doc-unavailable", parseAutomergeUrl(missing).documentId);
  assert.deepEqual(Object.keys(refused).sort(), Object.keys(absent).sort());
  assert.deepEqual(other.receivedFor("sync", item.documentId), [], "not one sync message about the item");

  // Those the rules let in get it: the viewer of plant-2, the viewer of the unit above it,
  // the leader.
  for (const user of [users.view, head, users.wang]) {
    const reader = await fx.client(server, { user });
    const found = await within(`${user.username}'s find`, reader.repo.find(item.url));
    assert.deepEqual(plain(found.doc()), plain(castItem(users)), `${user.username} reads the item`);
  }

  // The outsider is not subscribed either: later changes do not reach it.
  item.change(doc => {
    doc.progress.push(progressEntry({ id: "p-later", by: users.li.id, text: "复查：已清淤" }));
  });
  await waitSynced(item, li.repo);
  const wang = await fx.client(server, { user: users.wang });
  const atWang = await within("wang's find", wang.repo.find(item.url));
  assert.ok(atWang.doc().progress.some(p => String(p.id) === "p-later"));
  assert.deepEqual(other.receivedFor("sync", item.documentId), [], "still nothing for the outsider");
  assert.deepEqual(other.disconnects, [], "the outsider's session is not dropped either");
});

test("a viewer's edit never reaches another reader, and the viewer is told why", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const seenByLi = statesOf(item);

  const view = await fx.client(server, { user: users.view });
  const atView = await within("the viewer's find", view.repo.find(item.url));
  const refused = refusalsOf(atView);
  atView.change(doc => {
    doc.title = str("标题被查看者改过");
    doc.progress.push(progressEntry({ id: "p-view", by: users.view.id, text: "查看者不该写的进展" }));
  });
  assert.equal(String(atView.doc().title), "标题被查看者改过", "the edit is applied locally first");

  await waitFor("the refusal to reach the viewer", () => refused.length > 0);
  assert.equal(refused.length, 1);
  assert.equal(refused[0].documentId, item.documentId);
  assert.deepEqual(
    refused[0].refusals.map(r => [r.field, r.code]).sort(),
    [
      ["progress", "may_not_append"],
      ["title", "not_permitted"],
    ],
  );
  assert.ok(refused[0].refusals.every(r => typeof r.message === "string" && r.message.length > 0));

  // The viewer's copy converges back to the record as it was, and so does everyone's.
  await waitFor("the viewer's copy and the supervisor's to converge", () => sameHeads(item, atView));
  assert.deepEqual(plain(atView.doc()), plain(castItem(users)));
  assert.deepEqual(plain(item.doc()), plain(castItem(users)));
  assert.ok(seenByLi.length > 1, "the supervisor did receive the changes (edit and restore)");
  for (const state of seenByLi) {
    assert.equal(state.title, castItem(users).title.val, "the supervisor never saw the forbidden title");
    assert.ok(!state.progress.some(p => p.id === "p-view"), "nor the viewer's progress entry");
  }
  assert.deepEqual(li.received.filter(m => m.type === "ephemeral"), [], "only the author is told");

  // What is stored is the restored record.
  await waitSynced(atView, view.repo);
  const wang = await fx.client(server, { user: users.wang });
  const found = await within("wang's find", wang.repo.find(item.url));
  assert.deepEqual(plain(found.doc()), plain(castItem(users)));
});

test("a handler's forbidden fields are put back while the progress in the same change stands", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const original = castItem(users);

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const seenByLi = statesOf(item);

  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));
  const refused = refusalsOf(atZhang);
  const later = shanghai(2026, 12, 31, 23, 59);
  const report = { id: "p-zhang-1", by: users.zhang.id, text: "固废已清运 60%", percent: 60 };
  // One change: a progress report (allowed) with a new deadline and title (not allowed).
  atZhang.change(doc => {
    doc.deadline = later;
    doc.title = str("炼油厂区阀井污水整改（已延期）");
    doc.progress.push(progressEntry(report));
  });

  await waitFor("the refusal to reach the handler", () => refused.length > 0);
  assert.deepEqual(
    refused[0].refusals.map(r => [r.field, r.code]).sort(),
    [
      ["deadline", "not_permitted"],
      ["title", "not_permitted"],
    ],
    "the refusal names exactly the forbidden fields",
  );

  const withReport = plain({ ...original, progress: [...original.progress, progressEntry(report)] });
  await waitFor("the supervisor to see the handler's report", () =>
    item.doc().progress.some(p => String(p.id) === "p-zhang-1"),
  );
  await waitFor("handler and supervisor to converge", () => sameHeads(item, atZhang));
  assert.deepEqual(plain(item.doc()), withReport);
  assert.deepEqual(plain(atZhang.doc()), withReport, "the handler's copy is put back too");
  for (const state of seenByLi) {
    assert.equal(state.deadline, original.deadline, "the supervisor never saw the new deadline");
    assert.equal(state.title, original.title.val, "nor the new title");
  }

  // The handler keeps working: a later report and a closing request (申请办结) are theirs to make.
  const second = { id: "p-zhang-2", by: users.zhang.id, text: "整改完成，申请办结", percent: 100 };
  atZhang.change(doc => {
    doc.progress.push(progressEntry(second));
    doc.status = str("closing_requested");
  });
  await waitSynced(atZhang, zhang.repo);
  await waitFor("the supervisor to see the closing request", () =>
    String(item.doc().status) === "closing_requested",
  );
  assert.deepEqual(plain(item.doc()), {
    ...withReport,
    status: "closing_requested",
    progress: [...withReport.progress, plain(progressEntry(second))],
  });
  assert.equal(refused.length, 1, "the later changes were not refused");
});

test("a handler may append to the log but not rewrite it, nor close the item", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const original = castItem(users);

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const seenByLi = statesOf(item);

  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));
  const refused = refusalsOf(atZhang);
  const report = { id: "p-zhang", by: users.zhang.id, text: "已完成清运", percent: 100 };
  // One change: the supervisor's site-check entry rewritten (a trace must not change), a new
  // report (allowed), and the item closed outright (only a closing request is the handler's).
  atZhang.change(doc => {
    doc.progress[0].text = str("现场核查：未发现问题");
    doc.progress.push(progressEntry(report));
    doc.status = str("closed");
  });

  await waitFor("the refusal", () => refused.length > 0);
  assert.deepEqual(
    refused[0].refusals.map(r => [r.field, r.code]).sort(),
    [
      ["progress", "entries_altered"],
      ["status", "transition"],
    ],
  );
  const expected = plain({ ...original, progress: [...original.progress, progressEntry(report)] });
  await waitFor("handler and supervisor to converge", () => sameHeads(item, atZhang));
  assert.deepEqual(plain(item.doc()), expected, "the earlier entry and the status are back, the report stands");
  assert.deepEqual(plain(atZhang.doc()), expected);
  for (const state of seenByLi) {
    assert.equal(state.status, "in_progress", "the supervisor never saw the item closed");
    assert.equal(state.progress[0].text, original.progress[0].text.val, "nor the entry rewritten");
  }
});

test("only supervisors create items, in their own name, and only valid records", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const wang = await fx.client(server, { user: users.wang });

  const cases = [
    {
      name: "a handler creating an item",
      user: users.zhang,
      record: castItem(users, { created_by: users.zhang.id }),
      refusal: ["type", "may_not_create"],
    },
    {
      name: "a supervisor creating an item in another's name",
      user: users.li,
      record: castItem(users, { created_by: users.wang.id }),
      refusal: ["created_by", "not_creator"],
    },
    {
      name: "a document that is not a record",
      user: users.li,
      record: { type: str("duban"), schema_version: 1, title: "标题是文本，其余全无" },
      refusal: ["*", "malformed"],
    },
  ];
  for (const { name, user, record, refusal } of cases) {
    await t.test(name, async () => {
      const author = await fx.client(server, { user });
      const handle = author.repo.create(record);
      const refused = refusalsOf(handle);
      await waitFor(`the refusal of ${name}`, () => refused.length > 0);
      assert.deepEqual(refused[0].refusals.map(r => [r.field, r.code]), [refusal]);
      // Everything the change wrote is taken out again, for the author and for everyone.
      await waitFor("the author's copy to be emptied", () => Object.keys(handle.doc()).length === 0);
      await waitSynced(handle, author.repo);
      const found = await within("the leader's find", wang.repo.find(handle.url));
      assert.deepEqual(plain(found.doc()), {}, "what is stored holds none of it");
    });
  }
});

test("a handler taken off an item stops receiving it", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));

  // While assigned, the handler follows every edit.
  item.change(doc => {
    doc.urgency = str("urgent");
  });
  await waitFor("the handler to see the raised urgency", () => String(atZhang.doc().urgency) === "urgent");

  // Reassigned to plant-9's handler: zhang is neither named nor in a unit of the item now.
  item.change(doc => {
    doc.handlers = [str(users.other.id)];
    doc.lead_unit = str("plant-9");
    doc.co_units = [];
  });
  await waitSynced(item, li.repo);
  await waitFor("the handler to be told the item is unavailable now", () =>
    zhang.receivedFor("doc-unavailable", item.documentId).length > 0,
  );
  const syncsBefore = zhang.receivedFor("sync", item.documentId).length;
  const headsAtZhang = atZhang.heads();

  // The supervisor goes on editing; the new handler follows, the old one gets none of it.
  const other = await fx.client(server, { user: users.other });
  const atOther = await within("the new handler's find", other.repo.find(item.url));
  for (let round = 1; round <= 3; round++) {
    item.change(doc => {
      doc.progress.push(progressEntry({ id: `p-after-${round}`, by: users.li.id, text: `改派后第${round}次督办` }));
      doc.title = str(`改派后的标题 ${round}`);
    });
  }
  await waitSynced(item, li.repo);
  await waitFor("the new handler to see the supervisor's edits", () => sameHeads(item, atOther));
  // The server answers all peers of a document in one go, so anything it sent the old handler
  // about these edits is queued on that session before the answer to a later request.
  await assert.rejects(
    within("a later request of the old handler", zhang.repo.find(generateAutomergeUrl())),
    /is unavailable/,
  );
  assert.deepEqual(atZhang.heads(), headsAtZhang, "the old handler's copy did not move");
  assert.equal(zhang.receivedFor("sync", item.documentId).length, syncsBefore, "no sync message after the eviction");
  assert.ok(!atZhang.doc().progress.some(p => String(p.id).startsWith("p-after")));
  assert.equal(String(atZhang.doc().title), castItem(users).title.val);
  assert.deepEqual(zhang.disconnects, [], "the handler's session itself stays up");

  // Nor can the old handler still write to it: a report is answered 'unavailable' and never
  // reaches the supervisor.
  atZhang.change(doc => {
    doc.progress.push(progressEntry({ id: "p-stale", by: users.zhang.id, text: "改派后仍在填报" }));
  });
  await waitFor("a second doc-unavailable for the old handler's push", () =>
    zhang.receivedFor("doc-unavailable", item.documentId).length > 1,
  );
  item.change(doc => {
    doc.urgency = str("normal");
  });
  await waitSynced(item, li.repo);
  await waitFor("the new handler to see the last edit", () => sameHeads(item, atOther));
  assert.ok(!item.doc().progress.some(p => String(p.id) === "p-stale"));
});
