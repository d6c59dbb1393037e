// Ephemeral messages (presence, cursors) are relayed to the other peers of the same
// document only: not back to the sender, not to peers of other documents.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Fixture, TEST_TIMEOUT_MS, dubanRecord, waitFor, waitSynced, within } from "./helpers.mjs";

const ephemeralFor = (client, handle) =>
  client.received.filter(m => m.type === "ephemeral" && m.documentId === handle.documentId);

test("ephemeral messages reach only the other peers of the same document", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();

  // A and B share X; C and D share Y. D exists to send C a marker (see below).
  const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => fx.client(server)));
  const x = a.repo.create({ ...dubanRecord(), title: "X：阀井污水整改" });
  const y = d.repo.create({ ...dubanRecord(), title: "Y：储罐区防火堤修复" });
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
