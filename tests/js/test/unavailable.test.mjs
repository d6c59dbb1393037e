// Asking for a document the server has never seen ends quickly with "unavailable", rather
// than after the client's own 60 s timeout.

import assert from "node:assert/strict";
import { test } from "node:test";

import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";

import { Fixture, TEST_TIMEOUT_MS, within } from "./helpers.mjs";

// automerge-repo itself gives up after 60 s; a server answer must come far sooner.
const PROMPT_MS = 5_000;

test("an unknown document id is reported unavailable promptly", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const url = generateAutomergeUrl();
  const { documentId } = parseAutomergeUrl(url);

  // The supervisor reads everything there is; still, there is nothing to read.
  const a = await fx.client(server, { user: users.li });
  const started = performance.now();
  await assert.rejects(within(`find(${url})`, a.repo.find(url)), /is unavailable/);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < PROMPT_MS, `unavailable after ${Math.round(elapsed)} ms`);
  assert.equal(a.receivedFor("doc-unavailable", documentId).length, 1, "the server sent doc-unavailable once");
  assert.equal(a.repo.handles[documentId].state, "unavailable");
  assert.deepEqual(a.disconnects, [], "the session survives the miss");

  // The request must not have created an empty document as a side effect.
  const b = await fx.client(server, { user: users.zhang });
  await assert.rejects(within(`second find(${url})`, b.repo.find(url)), /is unavailable/);
});
