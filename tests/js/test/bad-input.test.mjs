// Each kind of malformed input gets an `error` message and costs the sender its connection,
// and nothing else: other sessions on the same document keep syncing throughout.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  cbor,
  plain,
  progressEntry,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

const MAX_MESSAGE_BYTES = 65_536;

// The refusal is immediate server-side; a short deadline keeps a server that never answers
// from eating the whole test budget one case at a time.
const REFUSAL_MS = 5_000;

// Each case builds the frame a misbehaving peer sends after a correct join handshake.
const cases = [
  {
    name: "a frame over --max-message-bytes",
    // A well-formed message whose only fault is its size; random bytes so no layer can
    // compress it under the limit.
    frame: ({ peer, serverPeerId, documentId }) =>
      cbor.encode({
        type: "ephemeral",
        senderId: peer.peerId,
        targetId: serverPeerId,
        documentId,
        sessionId: "raw",
        count: 1,
        data: randomBytes(2 * MAX_MESSAGE_BYTES),
      }),
  },
  {
    name: "bytes that are not CBOR (reserved initial bytes)",
    frame: () => Buffer.from([0xff, 0xfe, 0xfd, 0xfc]),
  },
  {
    name: "bytes that are not CBOR (byte string truncated after a 4 GiB length)",
    frame: () => Buffer.from([0x5a, 0xff, 0xff, 0xff, 0xff, 0x01]),
  },
  {
    name: "valid CBOR of the wrong shape (documentId a number)",
    frame: ({ peer, serverPeerId }) =>
      cbor.encode({ type: "sync", senderId: peer.peerId, targetId: serverPeerId, documentId: 42, data: new Uint8Array(1) }),
    says: /valid CBOR but not a protocol message: `documentId` is an integer, expected a string/,
  },
  {
    name: "an unknown message type",
    frame: ({ peer, serverPeerId, documentId }) =>
      cbor.encode({ type: "frobnicate", senderId: peer.peerId, targetId: serverPeerId, documentId }),
  },
  {
    name: "a sync message whose data is not an Automerge sync message",
    frame: ({ peer, serverPeerId, documentId }) =>
      cbor.encode({
        type: "sync",
        senderId: peer.peerId,
        targetId: serverPeerId,
        documentId,
        data: new TextEncoder().encode("not an automerge sync message"),
      }),
  },
  {
    name: "a sync message with the sync-message tag and a corrupt body",
    frame: ({ peer, serverPeerId, documentId }) =>
      cbor.encode({
        type: "sync",
        senderId: peer.peerId,
        targetId: serverPeerId,
        documentId,
        data: Uint8Array.from([0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07]),
      }),
  },
];

test("bad input is refused per connection while other clients keep syncing", { timeout: 2 * TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer({ args: ["--max-message-bytes", String(MAX_MESSAGE_BYTES)] });
  const users = await fx.users();

  // The bystanders: A (the supervisor) edits, B (the leader) watches, both on the document
  // the bad frames target. The bad frames come from the item's handler, who may read it.
  const a = await fx.client(server, { user: users.li });
  const b = await fx.client(server, { user: users.wang });
  const handleA = a.repo.create(castItem(users));
  await waitSynced(handleA, a.repo);
  const handleB = await within("B's find", b.repo.find(handleA.url));
  const roundEntry = round => ({ id: `round-${round}`, by: users.li.id, text: `第${round}轮复查` });

  for (const [i, badCase] of cases.entries()) {
    const round = i + 1;
    await t.test(badCase.name, async () => {
      const [peer, peerMessage] = await fx.rawPeer(server, { user: users.zhang });
      assert.equal(peerMessage.targetId, peer.peerId);
      assert.equal(peerMessage.selectedProtocolVersion, "1");
      assert.equal(peerMessage.peerMetadata?.isEphemeral, false);
      assert.equal(typeof peerMessage.peerMetadata?.storageId, "string");

      // A's edit is in flight while the server deals with the bad frame.
      handleA.change(doc => {
        doc.progress.push(progressEntry(roundEntry(round)));
      });
      peer.sendBytes(
        badCase.frame({ peer, serverPeerId: peerMessage.senderId, documentId: handleA.documentId }),
      );

      const error = await peer.nextMessage("an error message", m => m.type === "error", REFUSAL_MS);
      assert.equal(typeof error.message, "string");
      assert.ok(error.message.length > 0, "the error says what was wrong");
      if (badCase.says) assert.match(error.message, badCase.says);
      await within("the server to close the offending socket", peer.closed, REFUSAL_MS);

      await waitFor(`B to see round ${round}`, () =>
        handleB.doc().progress.some(p => String(p.id) === `round-${round}`),
      );
    });
  }

  assert.deepEqual(a.disconnects, [], "A's session was never dropped");
  assert.deepEqual(b.disconnects, [], "B's session was never dropped");

  // None of the bad frames touched the stored document: a newcomer gets A's exact state.
  await waitSynced(handleA, a.repo);
  const c = await fx.client(server, { user: users.zhang });
  const found = await within("C's find", c.repo.find(handleA.url));
  const expected = castItem(users);
  expected.progress.push(...cases.map((_, i) => progressEntry(roundEntry(i + 1))));
  assert.deepEqual(plain(found.doc()), plain(expected));
  assert.deepEqual(found.heads(), handleA.heads());
});
