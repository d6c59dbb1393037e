// Signing in to /sync: a connection needs a valid access token (`?token=`), and a session
// ends when its token does (close code 4401: refresh and reconnect) or when it is signed out or
// its user disabled (4403: sign in again).

import assert from "node:assert/strict";
import { test } from "node:test";

import * as Automerge from "@automerge/automerge";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  api,
  castItem,
  duyanCli,
  progressEntry,
  syncUrlWith,
  upgradeStatus,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

const TOKEN_EXPIRED = 4401;
const SIGNED_OUT = 4403;

/** How long after a change of users or sessions every server has noticed it (poll: 1 s). */
const DIRECTORY_MS = 5_000;

test("/sync refuses a connection without a valid access token (HTTP 401)", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const session = await fx.signIn(server, users.li);

  const [header, payload] = session.access_token.split(".");
  const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`;
  const refused = {
    "no token": server.syncUrl,
    "an empty token": syncUrlWith(server, ""),
    "a garbage token": syncUrlWith(server, "garbage"),
    "a forged signature": syncUrlWith(server, `${header}.${payload}.${"A".repeat(43)}`),
    "alg: none": syncUrlWith(server, unsigned),
    "a refresh token": syncUrlWith(server, session.refresh_token),
  };
  for (const [what, url] of Object.entries(refused)) {
    const { status, body } = await upgradeStatus(url);
    assert.equal(status, 401, `${what}: HTTP ${status}`);
    assert.equal(body?.error?.code, "unauthorized", `${what}: the API's JSON error, got ${JSON.stringify(body)}`);
  }

  // The real token opens it, in the query as the app sends it, and a stock client syncs.
  assert.equal((await upgradeStatus(syncUrlWith(server, session.access_token))).status, 101);
  const li = await fx.client(server, { token: session.access_token });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
});

test("a session ends with 4401 when its token expires, and a fresh token syncs again", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer({ args: ["--access-token-ttl", "3s"] });
  const users = await fx.users();

  // A raw socket sees the close code and reason exactly as the server sends them.
  const signedInAt = Date.now();
  const raw = await fx.signIn(server, users.li);
  assert.equal(raw.expires_in, 3);
  const [peer] = await fx.rawPeer(server, { token: raw.access_token });
  const closed = await within("the expired session's close", peer.closed, 10_000);
  const lasted = Date.now() - signedInAt;
  assert.deepEqual(closed, { code: TOKEN_EXPIRED, reason: "token expired" });
  // JWT times are whole seconds: a 3 s token lives between 2 and 3 s.
  assert.ok(lasted >= 1_900 && lasted < 5_000, `the session closed ${lasted} ms after sign-in`);

  // The stock client's session ends the same way. Like the app, it then refreshes its token
  // (same device, new access token) and reconnects with it; its retries use the new one.
  const li = await fx.client(server, { user: users.li, retryInterval: 200 });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  await waitFor("the client's session to end with 4401", () =>
    li.closes.some(c => c.code === TOKEN_EXPIRED && c.reason === "token expired"),
  );
  const refreshed = await api(server, "/api/auth/refresh", {
    method: "POST",
    body: { refresh_token: li.session.refresh_token },
  });
  assert.equal(refreshed.status, 200);
  const fresh = refreshed.body.access_token;
  assert.notEqual(fresh, li.token);
  li.setToken(fresh);
  await waitFor("a connection with the fresh token", () =>
    li.sockets.some(s => s.token === fresh && s.opened && !s.close) && li.repo.peers.includes(li.serverPeerId),
  );
  const entry = { id: "p-after-refresh", by: users.li.id, text: "换新令牌后继续督办" };
  item.change(doc => {
    doc.progress.push(progressEntry(entry));
  });
  await waitSynced(item, li.repo);
  assert.ok(li.adapter.url.endsWith(encodeURIComponent(fresh)), "the change went over the new session");
  // It is really stored: a reader signed in now finds it.
  const wang = await fx.client(server, { user: users.wang });
  const found = await within("the leader's find", wang.repo.find(item.url));
  assert.ok(found.doc().progress.some(p => String(p.id) === entry.id));
});

test("signing out closes that device's sessions with 4403, and only those", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  // The supervisor on two devices: a phone (raw socket, to see the close) and a laptop.
  const phone = await fx.signIn(server, users.li, { device: "李静的手机" });
  const [peer] = await fx.rawPeer(server, { token: phone.access_token });
  const laptop = await fx.client(server, { user: users.li, device: "李静的笔记本" });
  const item = laptop.repo.create(castItem(users));
  await waitSynced(item, laptop.repo);

  const loggedOut = await api(server, "/api/auth/logout", { method: "POST", token: phone.access_token });
  assert.equal(loggedOut.status, 204);
  const closed = await within("the phone's session to close", peer.closed, DIRECTORY_MS);
  assert.deepEqual(closed, { code: SIGNED_OUT, reason: "signed out" });

  // The token is dead for a new connection too, though it has not expired.
  assert.equal((await upgradeStatus(syncUrlWith(server, phone.access_token))).status, 401);
  // The laptop is another session: it stays up and keeps syncing.
  item.change(doc => {
    doc.progress.push(progressEntry({ id: "p-laptop", by: users.li.id, text: "手机退出后在电脑上继续" }));
  });
  await waitSynced(item, laptop.repo);
  assert.deepEqual(laptop.closes, [], "the laptop's session was not touched");
});

test("disabling a user closes their open sessions with 4403", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const { url: databaseUrl } = await fx.database();

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const zhang = await fx.client(server, { user: users.zhang });
  const atZhang = await within("the handler's find", zhang.repo.find(item.url));

  // `duyan user disable` writes to the database; the running server notices within a second.
  await duyanCli(databaseUrl, ["user", "disable", "zhang"]);
  await waitFor("the handler's session to close with 4403", () => zhang.closes.some(c => c.code === SIGNED_OUT), {
    timeout: DIRECTORY_MS,
  });
  // The stock client retries; every retry is refused, so later edits never reach it.
  item.change(doc => {
    doc.progress.push(progressEntry({ id: "p-disabled", by: users.li.id, text: "停用后的督办" }));
  });
  await waitSynced(item, li.repo);
  const disabledLogin = await api(server, "/api/auth/login", {
    method: "POST",
    body: { username: "zhang", password: users.zhang.password },
  });
  assert.equal(disabledLogin.status, 403);
  assert.equal(disabledLogin.body.error.code, "account_disabled");
  assert.equal((await upgradeStatus(syncUrlWith(server, zhang.token))).status, 401);
  assert.ok(!atZhang.doc().progress.some(p => String(p.id) === "p-disabled"));
  assert.ok(!zhang.repo.peers.includes(zhang.serverPeerId), "the server is no longer the handler's peer");
});

test(
  "a just-expired token is refused at the upgrade, so nothing is served on it",
  { timeout: TEST_TIMEOUT_MS },
  async t => {
    const fx = new Fixture(t);
    const server = await fx.startServer({ args: ["--access-token-ttl", "3s"] });
    const users = await fx.users();

    // A token that expired a moment ago, as a phone has when it comes back online: within the
    // verification's clock-skew leeway, but a session on it would end at once.
    const { access_token: token } = await fx.signIn(server, users.li);
    const exp = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp;
    await waitFor("the token to expire", () => Date.now() > exp * 1000 + 300, { timeout: 10_000 });

    const answer = await upgradeStatus(syncUrlWith(server, token));
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error.message, "token expired");
  },
);
