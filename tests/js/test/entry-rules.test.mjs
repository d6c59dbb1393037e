// Every entry is a trace (痕迹管理): what a person wrote stays as they wrote it, in their name.
// The server decides each change entry by entry (rules::ENTRY_RULES) and checks every field that
// names a person (rules::forged_authors); these tests push the forbidden changes through the
// stock automerge-repo client, each in one message with an allowed change, and check that the
// forbidden part never reaches another reader, the author is told which field and why, and the
// allowed part stands.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  plain,
  refusalsOf,
  sameHeads,
  shanghai,
  str,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

const request = (id, by, reason) => ({
  id: str(id),
  at: shanghai(2026, 11, 10, 9, 0),
  by: str(by),
  new_deadline: shanghai(2026, 12, 15, 23, 59),
  reason: str(reason),
  decision: null,
});

const urge = (id, by) => ({
  id: str(id),
  at: shanghai(2026, 11, 11, 9, 0),
  by: str(by),
  level: str("urge"),
  message: str("请本周内反馈整改进展"),
});

/** Every state `handle` shows from now on, as plain objects. */
function statesOf(handle) {
  const states = [plain(handle.doc())];
  handle.on("change", ({ doc }) => states.push(plain(doc)));
  return states;
}

/**
 * The standard item, created by the supervisor li, with the handler zhang's two pending
 * extension requests on it; and the leader wang reading along.
 */
async function itemWithRequests(t) {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);

  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));
  const zhangRefused = refusalsOf(atZhang);
  atZhang.change(doc => {
    doc.extension_requests.push(request("x-1", users.zhang.id, "处置单位年底前才能接收"));
    doc.extension_requests.push(request("x-2", users.zhang.id, "需等待环评批复"));
  });
  await waitSynced(atZhang, zhang.repo);
  await waitFor("the supervisor to see both requests", () => item.doc().extension_requests.length === 2);
  assert.deepEqual(zhangRefused, [], "filing a request is the handler's to do");

  const wang = await fx.client(server, { user: users.wang });
  const atWang = await within("the leader's find", wang.repo.find(item.url));
  return { fx, server, users, li, item, zhang, atZhang, wang, atWang };
}

test("a supervisor can neither rewrite nor delete a handler's extension request, but decides it", { timeout: TEST_TIMEOUT_MS }, async t => {
  const { users, li, item, atZhang, atWang } = await itemWithRequests(t);
  const seenByZhang = statesOf(atZhang);
  const seenByWang = statesOf(atWang);
  const refused = refusalsOf(item);

  // One change: x-1's reason rewritten and x-2 deleted (forbidden), x-1 decided and an urge
  // sent (allowed).
  item.change(doc => {
    const [first] = doc.extension_requests;
    first.reason = str("督办员改写的理由");
    first.decision = { verdict: str("rejected"), at: shanghai(2026, 11, 12, 9, 0), by: str(users.li.id), comment: str("理由不充分") };
    doc.extension_requests.splice(1, 1);
    doc.urges.push(urge("u-1", users.li.id));
  });

  await waitFor("the refusal", () => refused.length > 0);
  const told = refused.flatMap(r => r.refusals);
  assert.deepEqual(
    told.map(r => [r.field, r.code]).sort(),
    [
      ["extension_requests", "entries_altered"],
      ["extension_requests", "entry_removed"],
    ],
  );
  assert.match(told.find(r => r.code === "entries_altered").message, /`reason` of entry "x-1"/);
  assert.match(told.find(r => r.code === "entry_removed").message, /"x-2"/);

  await waitFor("the supervisor's copy to be put back", () => item.doc().extension_requests.length === 2 && String(item.doc().extension_requests[0].reason) === "处置单位年底前才能接收");
  await waitSynced(item, li.repo);
  await waitFor("the handler to follow", () => sameHeads(item, atZhang));
  await waitFor("the leader to follow", () => sameHeads(item, atWang));
  for (const doc of [item.doc(), atZhang.doc(), atWang.doc()]) {
    const requests = plain(doc).extension_requests;
    assert.deepEqual(requests.map(x => [x.id, x.reason]), [
      ["x-1", "处置单位年底前才能接收"],
      ["x-2", "需等待环评批复"],
    ]);
    assert.equal(requests[0].decision.by, users.li.id, "the decision, the supervisor's to make, stands");
    assert.equal(requests[0].decision.verdict, "rejected");
    assert.deepEqual(plain(doc).urges.map(u => u.id), ["u-1"], "the urge stands");
  }
  for (const state of [...seenByZhang, ...seenByWang]) {
    assert.ok(
      !state.extension_requests.some(x => x.reason === "督办员改写的理由"),
      "no other reader ever saw the rewritten reason",
    );
    assert.equal(state.extension_requests.length, 2, "no other reader ever saw a request deleted");
  }
});

test("only a handler of the item files an extension request", { timeout: TEST_TIMEOUT_MS }, async t => {
  const { users, li, item, atZhang, atWang, wang } = await itemWithRequests(t);
  const seenByZhang = statesOf(atZhang);
  const liRefused = refusalsOf(item);
  const wangRefused = refusalsOf(atWang);

  item.change(doc => {
    doc.extension_requests.push(request("x-li", users.li.id, "督办员代为申请延期"));
    doc.urges.push(urge("u-li", users.li.id));
  });
  atWang.change(doc => {
    doc.extension_requests.push(request("x-wang", users.wang.id, "领导代为申请延期"));
    doc.instructions.push({ id: str("i-wang"), at: shanghai(2026, 11, 12, 9, 0), by: str(users.wang.id), text: str("抓紧落实") });
  });

  await waitFor("both refusals", () => liRefused.length > 0 && wangRefused.length > 0);
  for (const [refused, id] of [[liRefused, "x-li"], [wangRefused, "x-wang"]]) {
    const told = refused.flatMap(r => r.refusals);
    assert.deepEqual(told.map(r => [r.field, r.code]), [["extension_requests", "may_not_append"]]);
    assert.match(told[0].message, new RegExp(`"${id}"`));
  }
  await waitSynced(item, li.repo);
  await waitSynced(atWang, wang.repo);
  await waitFor("everyone to converge", () => sameHeads(item, atZhang) && sameHeads(atWang, atZhang));
  for (const doc of [item.doc(), atZhang.doc(), atWang.doc()]) {
    assert.deepEqual(plain(doc).extension_requests.map(x => x.id), ["x-1", "x-2"]);
    assert.deepEqual(plain(doc).urges.map(u => u.id), ["u-li"], "the supervisor's urge stands");
    assert.deepEqual(plain(doc).instructions.map(i => i.id), ["i-wang"], "the leader's instruction stands");
  }
  for (const state of seenByZhang) {
    assert.ok(!state.extension_requests.some(x => x.id === "x-li" || x.id === "x-wang"), "the handler never saw them");
  }
});

test("nobody decides or evaluates in another's name", { timeout: TEST_TIMEOUT_MS }, async t => {
  const { users, li, item, atZhang, atWang } = await itemWithRequests(t);
  const seenByZhang = statesOf(atZhang);
  const seenByWang = statesOf(atWang);
  const refused = refusalsOf(item);

  // One change: an evaluation in the leader's name, x-1 decided in the leader's name (both
  // forged), x-2 decided in her own name and the urgency raised (allowed).
  item.change(doc => {
    doc.evaluation = { at: shanghai(2026, 11, 25, 9, 0), by: str(users.wang.id), score: 55, rating: str("adequate"), comment: str("一般") };
    doc.extension_requests[0].decision = { verdict: str("approved"), at: shanghai(2026, 11, 12, 9, 0), by: str(users.wang.id), comment: null };
    doc.extension_requests[1].decision = { verdict: str("rejected"), at: shanghai(2026, 11, 12, 9, 0), by: str(users.li.id), comment: null };
    doc.urgency = str("urgent");
  });

  await waitFor("the refusal", () => refused.length > 0);
  const told = refused.flatMap(r => r.refusals);
  assert.deepEqual(
    told.map(r => [r.field, r.code]).sort(),
    [
      ["evaluation", "forged_author"],
      ["extension_requests", "forged_author"],
    ],
  );
  assert.match(told.find(r => r.field === "evaluation").message, /`evaluation\.by`/);
  assert.match(told.find(r => r.field === "extension_requests").message, /`decision\.by` of entry "x-1"/);

  await waitFor("the supervisor's copy to be put back", () => item.doc().evaluation === null && !item.doc().extension_requests[0].decision);
  await waitSynced(item, li.repo);
  await waitFor("the others to follow", () => sameHeads(item, atZhang) && sameHeads(item, atWang));
  for (const doc of [item.doc(), atZhang.doc(), atWang.doc()]) {
    const state = plain(doc);
    assert.equal(state.evaluation, null);
    assert.equal(state.extension_requests[0].decision ?? null, null);
    assert.equal(state.extension_requests[1].decision.by, users.li.id, "the decision in her own name stands");
    assert.equal(state.urgency, "urgent", "the allowed edit stands");
  }
  for (const state of [...seenByZhang, ...seenByWang]) {
    assert.ok(!state.evaluation, "no other reader ever saw the forged evaluation");
    assert.ok(!state.extension_requests[0].decision, "nor the forged decision");
  }
});
