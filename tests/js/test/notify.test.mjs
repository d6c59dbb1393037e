// Outside notifications against real local HTTP receivers standing in for 企业微信, 钉钉 and
// 飞书 group robots and a generic webhook: a 催办 made with the stock automerge-repo client
// reaches each in its service's documented format, signed as that service checks; two server
// processes on one database deliver each message once; kill -9 during a delivery neither loses
// nor repeats an acknowledged message.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import {
  ADMIN_PASSWORD,
  DuyanServer,
  Fixture,
  TEST_TIMEOUT_MS,
  api,
  castItem,
  signIn,
  str,
  waitFor,
  waitSynced,
} from "./helpers.mjs";

const ALLOW_PRIVATE = ["--notify-allow-private"];

/**
 * A local HTTP server that records every request and answers as the robots do (`errcode: 0`,
 * 飞书 `code: 0`). `hold(entry)` returning true leaves that request unanswered.
 */
async function receiver(t, { hold = () => false, delayMs = 0 } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", chunk => chunks.push(chunk));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const entry = {
        path: req.url,
        headers: req.headers,
        raw,
        json: JSON.parse(raw.toString("utf8")),
        answered: false,
      };
      requests.push(entry);
      if (hold(entry)) return;
      if (delayMs) await sleep(delayMs);
      const answer = req.url.startsWith("/feishu") ? { code: 0, msg: "success" } : { errcode: 0, errmsg: "ok" };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(answer));
      entry.answered = true;
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${server.address().port}`, requests };
}

async function addChannel(server, token, channel) {
  const { status, body } = await api(server, "/api/admin/channels", { method: "POST", token, body: channel });
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

const urgeEntry = (by, message, id = "u-1") => ({
  id: str(id),
  at: Date.now(),
  by: str(by),
  level: str("urge"),
  message: str(message),
});

test("a supervisor's 催办 reaches each robot once, in its format, signed as documented", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const rx = await receiver(t);
  const server = await fx.startServer({ args: ALLOW_PRIVATE });
  const users = await fx.users();
  const admin = await signIn(server, { username: "admin", password: ADMIN_PASSWORD });
  const token = admin.access_token;
  await addChannel(server, token, {
    kind: "wecom",
    name: "二车间企业微信群",
    url: `${rx.url}/wecom/cgi-bin/webhook/send?key=wecom-key`,
    units: ["plant-2"],
  });
  await addChannel(server, token, {
    kind: "dingtalk",
    name: "钉钉群",
    url: `${rx.url}/dingtalk/robot/send?access_token=dt-token`,
    secret: "SECdingtalk-secret",
  });
  await addChannel(server, token, {
    kind: "feishu",
    name: "飞书群",
    url: `${rx.url}/feishu/open-apis/bot/v2/hook/fs-hook`,
    secret: "feishu-secret",
  });
  await addChannel(server, token, {
    kind: "webhook",
    name: "短信网关",
    url: `${rx.url}/webhook/sms`,
    secret: "webhook-secret",
    events: ["urged"],
  });
  // Another unit's group hears nothing of plant-2's item.
  await addChannel(server, token, { kind: "wecom", name: "九号厂区群", url: `${rx.url}/plant-9`, units: ["plant-9"] });

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  item.change(doc => {
    doc.urges.push(urgeEntry(users.li.id, "请本周内反馈整改进展"));
  });
  await waitSynced(item, li.repo);

  const urgesAt = prefix => rx.requests.filter(r => r.path.startsWith(prefix) && JSON.stringify(r.json).includes("催办（催办）"));
  await waitFor("the urge at every robot", () =>
    ["/wecom", "/dingtalk", "/feishu", "/webhook"].every(p => urgesAt(p).length > 0),
  );
  // A few more polls of the outbox: nothing is sent again.
  await sleep(1500);

  // 企业微信: one markdown message naming the item, its 文号, the urge and a link to it.
  const wecom = urgesAt("/wecom");
  assert.equal(wecom.length, 1, "the urge reached 企业微信 once");
  assert.deepEqual(Object.keys(wecom[0].json).sort(), ["markdown", "msgtype"]);
  assert.equal(wecom[0].json.msgtype, "markdown");
  const content = wecom[0].json.markdown.content;
  assert.match(content, /【催办】炼油厂区阀井污水整改/);
  assert.match(content, /文号：督字〔2026〕17号/);
  assert.match(content, /李静催办（催办）：请本周内反馈整改进展/);
  assert.match(content, new RegExp(`/items/${item.documentId}\\)`));
  assert.ok(wecom[0].headers["idempotency-key"], "an idempotency key");

  // 钉钉: markdown, and timestamp + sign in the URL: urlencode(base64(HmacSHA256(secret, ts\nsecret))).
  const [ding] = urgesAt("/dingtalk");
  assert.equal(ding.json.msgtype, "markdown");
  assert.match(ding.json.markdown.title, /炼油厂区阀井污水整改/);
  const dingUrl = new URL(ding.path, rx.url);
  assert.equal(dingUrl.searchParams.get("access_token"), "dt-token");
  const ts = dingUrl.searchParams.get("timestamp");
  assert.ok(Math.abs(Number(ts) - Date.now()) < 60_000, "timestamp in milliseconds, now");
  const expectedDing = createHmac("sha256", "SECdingtalk-secret").update(`${ts}\nSECdingtalk-secret`).digest("base64");
  assert.equal(dingUrl.searchParams.get("sign"), expectedDing, "钉钉 sign verifies");
  assert.ok(!/[+/=]/.test(ding.path.split("sign=")[1]), "the sign is url-encoded");

  // 飞书: text, with timestamp (seconds) and sign = base64(HmacSHA256(key = ts\nsecret, "")).
  const [feishu] = urgesAt("/feishu");
  assert.equal(feishu.json.msg_type, "text");
  assert.match(feishu.json.content.text, /炼油厂区阀井污水整改/);
  const fts = feishu.json.timestamp;
  assert.ok(Math.abs(Number(fts) * 1000 - Date.now()) < 60_000, "timestamp in seconds, now");
  const expectedFeishu = createHmac("sha256", `${fts}\nfeishu-secret`).update("").digest("base64");
  assert.equal(feishu.json.sign, expectedFeishu, "飞书 sign verifies");

  // Webhook: JSON with an HMAC-SHA256 of "<timestamp>.<body>" in a header; only urges (its filter).
  const hooks = rx.requests.filter(r => r.path.startsWith("/webhook"));
  assert.equal(hooks.length, 1, "the webhook's filter lets urges only through");
  const [hook] = hooks;
  const wts = hook.headers["x-duyan-timestamp"];
  const mac = createHmac("sha256", "webhook-secret").update(`${wts}.`).update(hook.raw).digest("hex");
  assert.equal(hook.headers["x-duyan-signature"], `sha256=${mac}`, "webhook HMAC verifies");
  assert.equal(hook.json.kind, "urged");
  assert.equal(hook.json.title, "炼油厂区阀井污水整改");
  assert.equal(hook.json.record_id, item.documentId);
  assert.equal(hook.json.id, hook.headers["idempotency-key"]);

  assert.deepEqual(rx.requests.filter(r => r.path.startsWith("/plant-9")), [], "another unit's group hears nothing");

  // The handler's inbox has it; the delivery log and the counts show it for the admin.
  const zhang = await signIn(server, users.zhang);
  const inbox = await api(server, "/api/inbox", { token: zhang.access_token });
  assert.ok(inbox.body.items.some(i => i.kind === "urged" && i.record_id === item.documentId));
  const channels = await api(server, "/api/admin/channels", { token });
  const wecomChannel = channels.body.find(c => c.name === "二车间企业微信群");
  assert.equal(wecomChannel.pending, 0);
  assert.ok(wecomChannel.sent >= 1);
  const log = await api(server, `/api/admin/channels/${wecomChannel.id}/deliveries`, { token });
  assert.ok(log.body.length >= 1 && log.body.every(d => d.ok && d.http_status === 200));
});

test("two server processes on one database deliver each message exactly once", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  // A slow receiver keeps both processes' workers busy at once.
  const rx = await receiver(t, { delayMs: 30 });
  const a = await fx.startServer({ args: ALLOW_PRIVATE });
  const b = await fx.startServer({ args: ALLOW_PRIVATE });
  const users = await fx.users();
  const admin = await signIn(a, { username: "admin", password: ADMIN_PASSWORD });
  await addChannel(a, admin.access_token, { kind: "webhook", name: "OA", url: `${rx.url}/webhook/oa` });

  const COUNT = 24;
  const li = await fx.client(a, { user: users.li });
  const handles = [];
  for (let n = 0; n < COUNT; n += 1) {
    handles.push(li.repo.create(castItem(users, { title: `督办事项 ${n}` })));
  }
  for (const handle of handles) await waitSynced(handle, li.repo);

  // Each item's 交办, and the reminders its past deadline brings (the reminder job runs in both
  // processes): every message, whichever process sends it, is sent once.
  const keys = () => new Set(rx.requests.map(r => r.headers["idempotency-key"]));
  const assigned = () => rx.requests.filter(r => r.json.kind === "assigned");
  await waitFor(`${COUNT} 交办 messages`, () => assigned().length >= COUNT);
  await sleep(2000);
  assert.equal(assigned().length, COUNT, "one 交办 per item");
  assert.equal(rx.requests.length, keys().size, "no message sent twice");
});

test("kill -9 during a delivery neither loses nor repeats an acknowledged message", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  let held = 0;
  // The first attempt at the second item's message gets no answer: the server dies meanwhile.
  const rx = await receiver(t, {
    hold: entry => entry.json.title === "待送达事项" && (held += 1) === 1,
  });
  const { url: databaseUrl } = await fx.database();
  const first = await fx.startServer({ args: ALLOW_PRIVATE });
  const users = await fx.users();
  const admin = await signIn(first, { username: "admin", password: ADMIN_PASSWORD });
  await addChannel(first, admin.access_token, { kind: "webhook", name: "OA", url: `${rx.url}/webhook/oa` });

  const li = await fx.client(first, { user: users.li });
  const done = li.repo.create(castItem(users, { title: "已送达事项" }));
  await waitSynced(done, li.repo);
  await waitFor("the first message acknowledged", () => rx.requests.some(r => r.json.title === "已送达事项" && r.answered));
  const pending = li.repo.create(castItem(users, { title: "待送达事项" }));
  await waitSynced(pending, li.repo);
  await waitFor("the second message in flight", () => held === 1);
  await first.kill();

  const second = await DuyanServer.start({ databaseUrl, args: ALLOW_PRIVATE });
  t.after(() => second.stop());
  await waitFor("the second message sent again and acknowledged", () =>
    rx.requests.some(r => r.json.title === "待送达事项" && r.answered),
  );
  await sleep(1500);
  // Every message about the first item (its 交办, reminders of its past deadline) was
  // acknowledged before the kill and is sent once; the one in flight is sent again, once.
  const sent = title => rx.requests.filter(r => r.json.title === title);
  const firstKeys = sent("已送达事项").map(r => r.headers["idempotency-key"]);
  assert.ok(firstKeys.length >= 1);
  assert.equal(new Set(firstKeys).size, firstKeys.length, "no acknowledged message is sent again");
  const heldKey = rx.requests.find(r => r.json.title === "待送达事项" && !r.answered).headers["idempotency-key"];
  const attempts = sent("待送达事项").filter(r => r.headers["idempotency-key"] === heldKey);
  assert.equal(attempts.length, 2, "the unacknowledged one is sent again, once");
  assert.equal(attempts[0].headers["idempotency-key"], attempts[1].headers["idempotency-key"], "with the same key");
});
