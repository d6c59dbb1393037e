// Ephemeral messages (presence, cursors) are relayed to the other peers of the same
// document only: not back to the sender, not to peers of other documents, and not to or from
// someone who may not read the document.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as Automerge from "@automerge/automerge";

import { Fixture, TEST_TIMEOUT_MS, castItem, cbor, waitFor, waitSynced, within } from "./helpers.mjs";

const ephemeralFor = (client, handle) => client.receivedFor("ephemeral", handle.documentId);

test("ephemeral messages reach only the other peers of the same document", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  // A (the supervisor) and B (the leader) share X; C (the handler) and D (the supervisor on a
  // second device) share Y. D exists to send C a marker (see below).
  const [a, b, c, d] = await Promise.all(
    [users.li, users.wang, users.zhang, users.li].map(user => fx.client(server, { user })),
  );
  const x = a.repo.create(castItem(users, { title: "X：阀井污水整改" }));
  const y = d.repo.create(castItem(users, { title: "Y：储罐区防火堤修复" }));
  await Promise.all([waitSynced(x, a.repo), waitSynced(y, d.repo)]);
  const xAtB = await within("B's find of X", b.repo.find(x.url));
  const yAtC = await within("C's find of Y", c.repo.find(y.url));

  const heardOnX = { a: [], b: [] };
  x.on("ephemeral-message", e => heardOnX.a.push(e));
  xAtB.on("ephemeral-message", e => heardOnX.b.push(e));
  const heardOnYAtC = [];
  yAtC.on("ephemeral-message", e => heardOnYAtC.push(e));

  const cursor = { kind: "cursor", user: "张工", field: "title", offset: 4 };
  x.broadcast(cursor);
  await waitFor("B to hear A's broadcast on X", () => heardOnX.b.length > 0);
  assert.deepEqual(heardOnX.b.map(e => e.message), [cursor]);
  assert.equal(heardOnX.b[0].senderId, a.repo.peerId, "the relay keeps the original sender");

  // Absence cannot be awaited, so each "did not arrive" is checked after a later message on
  // the same connection has arrived: the server queued the stray one (if any) first.
  const reply = { kind: "ack", user: "李主任" };
  xAtB.broadcast(reply);
  await waitFor("A to hear B's reply on X", () => heardOnX.a.length > 0);
  assert.deepEqual(heardOnX.a.map(e => e.message), [reply], "A does not get its own message back");
  assert.equal(heardOnX.a[0].senderId, b.repo.peerId);

  const marker = { kind: "cursor", user: "王工", field: "status", offset: 0 };
  y.broadcast(marker);
  await waitFor("C to hear D's broadcast on Y", () => heardOnYAtC.length > 0);
  assert.deepEqual(heardOnYAtC.map(e => e.message), [marker]);

  assert.deepEqual(ephemeralFor(c, x), [], "C, not a peer of X, got none of X's messages");
  assert.deepEqual(ephemeralFor(b, y), [], "B, not a peer of Y, got none of Y's messages");
  assert.deepEqual(ephemeralFor(a, y), [], "A, not a peer of Y, got none of Y's messages");
});

test("someone who may not read a document neither hears nor sends its ephemeral messages", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  const a = await fx.client(server, { user: users.li });
  const b = await fx.client(server, { user: users.zhang });
  const x = a.repo.create(castItem(users));
  await waitSynced(x, a.repo);
  const xAtB = await within("B's find of X", b.repo.find(x.url));
  const heardAtA = [];
  const heardAtB = [];
  x.on("ephemeral-message", e => heardAtA.push(e.message));
  xAtB.on("ephemeral-message", e => heardAtB.push(e.message));

  // `other` works in plant-9, outside the item's units: its request is answered as for a
  // document that does not exist, and what it says about the document goes nowhere.
  const [outsider, peerMessage] = await fx.rawPeer(server, { user: users.other });
  const [, request] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState());
  const ask = () =>
    outsider.send({
      type: "request",
      senderId: outsider.peerId,
      targetId: peerMessage.senderId,
      documentId: x.documentId,
      data: request,
    });
  const unavailable = () => outsider.messages.filter(m => m.type === "doc-unavailable");
  ask();
  await outsider.nextMessage("doc-unavailable for X", m => m.type === "doc-unavailable");
  outsider.send({
    type: "ephemeral",
    senderId: outsider.peerId,
    targetId: peerMessage.senderId,
    documentId: x.documentId,
    sessionId: "outsider-session",
    count: 1,
    data: cbor.encode({ kind: "cursor", user: "孙强", field: "title", offset: 0 }),
  });
  // The session handles its frames in order, so once this second answer is here the
  // ephemeral message above has been dealt with (and relayed, if it ever would be).
  ask();
  await waitFor("a second doc-unavailable for X", () => unavailable().length >= 2);

  const cursor = { kind: "cursor", user: "李静", field: "deadline", offset: 0 };
  x.broadcast(cursor);
  await waitFor("B to hear A's broadcast", () => heardAtB.length > 0);
  const reply = { kind: "ack", user: "张伟" };
  xAtB.broadcast(reply);
  await waitFor("A to hear B's reply", () => heardAtA.length > 0);
  // Anything relayed to the outsider would be queued before the answer to a later request.
  ask();
  await waitFor("a third doc-unavailable for X", () => unavailable().length >= 3);

  assert.deepEqual(heardAtB, [cursor], "B heard only A, nothing from the outsider");
  assert.deepEqual(heardAtA, [reply], "A heard only B, nothing from the outsider");
  assert.deepEqual(
    outsider.messages.filter(m => m.type !== "doc-unavailable" && m.type !== "peer"),
    [],
    "the outsider got nothing about X but doc-unavailable",
  );
});
