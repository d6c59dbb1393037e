// 会议 with the stock automerge-repo client: a 周会 whose agenda is a snapshot of the list,
// edited offline on two devices and merged; closing it makes the server apply each disposition
// to its item once, in the chair's name (the items' histories say so, also after a restart);
// and a decision (会议纪要) becomes a 督办事项 linked both ways.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  api,
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

/** The agenda entry for `handle`'s item as the list shows it when the meeting opens. */
function snapshot(id, handle, by) {
  const item = handle.doc();
  const latest = item.progress[item.progress.length - 1];
  return {
    id: str(id),
    at: shanghai(2026, 11, 20, 9, 0),
    by: str(by),
    record: str(handle.documentId),
    title: str(String(item.title)),
    lead_unit: item.lead_unit === null ? null : str(String(item.lead_unit)),
    status: str(String(item.status)),
    light: str("yellow"),
    deadline: item.deadline,
    latest_progress: latest ? str(String(latest.text)) : null,
  };
}

const disposition = ({ id, agenda, kind, by, minute, newDeadline = null }) => ({
  id: str(id),
  at: shanghai(2026, 11, 20, 9, minute),
  by: str(by),
  agenda_id: str(agenda),
  kind: str(kind),
  new_deadline: newDeadline,
  note: null,
});

/** The changes of a record's history made by `userId`. */
async function changesBy(server, token, recordId, userId) {
  const { status, body } = await api(server, `/api/records/${recordId}/history`, { token });
  assert.equal(status, 200);
  return body.changes.filter(c => c.user?.id === userId);
}

test("a 周会 edited offline on two devices merges, its closing is applied once in the chair's name, and a decision becomes an item linked both ways", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  let server = await fx.startServer();
  const users = await fx.users();

  // The list: two items of plant-2, supervised by li.
  const li = await fx.client(server, { user: users.li });
  const itemA = li.repo.create(castItem(users, { title: "炼油厂区阀井污水整改" }));
  const itemB = li.repo.create(castItem(users, { title: "二号厂区固废清运" }));
  await waitSynced(itemA, li.repo);
  await waitSynced(itemB, li.repo);

  // li opens the 周会 chaired by the leader wang, zhang attending, with the agenda snapshot.
  const meeting = li.repo.create({
    type: str("meeting"),
    schema_version: 1,
    kind: str("weekly"),
    title: str("第47周督办周会"),
    held_at: shanghai(2026, 11, 20, 9, 0),
    chair: str(users.wang.id),
    attendees: [str(users.zhang.id)],
    unit: str("office"),
    status: str("open"),
    created_by: str(users.li.id),
    created_at: shanghai(2026, 11, 19, 16, 0),
    agenda: [snapshot("a1", itemA, users.li.id), snapshot("a2", itemB, users.li.id)],
    dispositions: [],
    decisions: [],
    applied: [],
  });
  const liRefused = refusalsOf(meeting);
  await waitSynced(meeting, li.repo);
  const agendaAsOpened = plain(meeting.doc().agenda);

  const wang = await fx.client(server, { user: users.wang });
  const wangMeeting = await within("wang's find of the meeting", wang.repo.find(meeting.url));
  const wangRefused = refusalsOf(wangMeeting);

  // The attending handler reads it; a handler of another unit does not even learn it exists.
  const zhang = await fx.client(server, { user: users.zhang });
  await within("zhang's find of the meeting", zhang.repo.find(meeting.url));
  const other = await fx.client(server, { user: users.other });
  await assert.rejects(within("other's find", other.repo.find(meeting.url)), /is unavailable/);

  // Offline, in the meeting room: li marks 销号 for A and closes; wang marks 升级 for B,
  // records a decision and closes too.
  li.disconnect();
  wang.disconnect();
  meeting.change(doc => {
    doc.dispositions.push(disposition({ id: "d-li", agenda: "a1", kind: "close", by: users.li.id, minute: 30 }));
    doc.status = str("closed");
  });
  wangMeeting.change(doc => {
    doc.dispositions.push(disposition({ id: "d-wang", agenda: "a2", kind: "escalate", by: users.wang.id, minute: 35 }));
    doc.decisions.push({
      id: str("c1"),
      at: shanghai(2026, 11, 20, 9, 50),
      by: str(users.wang.id),
      text: str("各单位本周内完成阀井排查，办公室跟踪督办"),
      owner_unit: str("plant-2"),
      due: shanghai(2026, 11, 27, 18, 0),
      duban_ref: null,
    });
    doc.status = str("closed");
  });
  assert.ok(!sameHeads(meeting, wangMeeting), "the offline edits have diverged");
  await Promise.all([li.reconnect(), wang.reconnect()]);
  await waitFor("the two copies to converge", () => sameHeads(meeting, wangMeeting));

  const merged = plain(meeting.doc());
  assert.equal(merged.status, "closed");
  assert.deepEqual(merged.dispositions.map(d => d.id).sort(), ["d-li", "d-wang"]);
  assert.deepEqual(merged.decisions.map(d => d.id), ["c1"]);
  assert.deepEqual(merged.agenda, agendaAsOpened, "the snapshot is kept as it was");

  // The server applies both dispositions to the items, as the chair, and marks them.
  await waitFor("the meeting's applied marks", () => meeting.doc().applied.length === 2);
  assert.deepEqual(
    plain(meeting.doc().applied).map(a => [a.id, a.disposition_id, a.by]).sort(),
    [["a1", "d-li", users.wang.id], ["a2", "d-wang", users.wang.id]],
  );
  await waitFor("item A closed", () => String(itemA.doc().status) === "closed");
  await waitFor("item B escalated", () => String(itemB.doc().urgency) === "urgent" && itemB.doc().is_major === true);
  const review = plain(itemA.doc().reviews);
  assert.equal(review.length, 1);
  assert.equal(review[0].by, users.wang.id);
  assert.equal(review[0].verdict, "pass");

  const session = await fx.signIn(server, users.li);
  for (const handle of [itemA, itemB]) {
    const byChair = await changesBy(server, session.access_token, handle.documentId, users.wang.id);
    assert.equal(byChair.length, 1, `one change by the chair on ${handle.documentId}`);
    assert.equal(byChair[0].by_server, false);
  }

  // A restart looks at every closed meeting again, and applies nothing twice.
  await server.stop();
  server = await fx.startServer();
  const again = await fx.signIn(server, users.li);
  const { body: list } = await api(server, "/api/records?type=meeting&status=closed", { token: again.access_token });
  assert.deepEqual(list.items.map(i => i.id), [meeting.documentId]);
  for (const handle of [itemA, itemB]) {
    const byChair = await changesBy(server, again.access_token, handle.documentId, users.wang.id);
    assert.equal(byChair.length, 1, `still one change by the chair on ${handle.documentId}`);
  }

  // The decision becomes an item: the item names the meeting and entry, the entry the item.
  const office = await fx.client(server, { user: users.li });
  const closedMeeting = await within("li's find after the restart", office.repo.find(meeting.url));
  const fromDecision = office.repo.create({
    ...castItem(users, { title: "各单位阀井排查", source: "meeting_decision", progress: [] }),
    source_ref: { record: str(meeting.documentId), entry_id: str("c1") },
  });
  const itemRefused = refusalsOf(fromDecision);
  closedMeeting.change(doc => {
    doc.decisions[0].duban_ref = str(fromDecision.documentId);
  });
  await waitSynced(fromDecision, office.repo);
  await waitSynced(closedMeeting, office.repo);

  const reader = await fx.client(server, { user: users.wang });
  const item = await within("wang's find of the new item", reader.repo.find(fromDecision.url));
  assert.equal(String(item.doc().source), "meeting_decision");
  assert.deepEqual(plain(item.doc().source_ref), { record: meeting.documentId, entry_id: "c1" });
  const seen = await within("wang's find of the meeting", reader.repo.find(meeting.url));
  await waitFor("the decision's link", () => String(seen.doc().decisions[0].duban_ref) === fromDecision.documentId);

  assert.deepEqual(liRefused, []);
  assert.deepEqual(wangRefused, []);
  assert.deepEqual(itemRefused, []);
});
