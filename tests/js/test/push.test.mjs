// Web Push against a real local HTTP server standing in for a browser's push service, checked
// with Node's own crypto (an implementation independent of the server's): a supervisor's 催办
// made with the stock automerge-repo client reaches the handler's subscribed device as an
// RFC 8291 aes128gcm message that decrypts with the device's key, under an RFC 8292 VAPID JWT
// whose ES256 signature verifies with the server's public key.

import assert from "node:assert/strict";
import { createECDH, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, verify, createDecipheriv } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { test } from "node:test";

import { Fixture, TEST_TIMEOUT_MS, api, castItem, signIn, str, waitFor, waitSynced } from "./helpers.mjs";

async function pushService(t) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", chunk => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = 201;
      res.end();
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

/** RFC 8291 from the browser's side. */
function decrypt(device, body) {
  const salt = body.subarray(0, 16);
  assert.equal(body.readUInt32BE(16), 4096, "record size");
  const idLength = body[20];
  const sender = body.subarray(21, 21 + idLength);
  const sealed = body.subarray(21 + idLength);
  const shared = device.ecdh.computeSecret(sender);
  const info = Buffer.concat([Buffer.from("WebPush: info\0"), device.ecdh.getPublicKey(), sender]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, device.auth, info, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  assert.equal(plain[plain.length - 1], 2, "a single, last record");
  return JSON.parse(plain.subarray(0, plain.length - 1).toString("utf8"));
}

test("a 催办 reaches the handler's device encrypted, under a VAPID JWT that verifies", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const service = await pushService(t);
  const vapid = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const jwk = vapid.privateKey.export({ format: "jwk" });
  const server = await fx.startServer({
    args: ["--notify-allow-private", "--vapid-private-key", jwk.d, "--vapid-subject", "mailto:office@example.com"],
  });
  const users = await fx.users();
  const zhang = await signIn(server, users.zhang);

  const settings = await api(server, "/api/me/notifications", { token: zhang.access_token });
  const serverKey = Buffer.from(settings.body.push_public_key, "base64url");
  assert.deepEqual(serverKey, Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]), "the public key of the configured private key");

  const device = { ecdh: createECDH("prime256v1"), auth: randomBytes(16) };
  device.ecdh.generateKeys();
  const subscribed = await api(server, "/api/me/push-subscriptions", {
    method: "POST",
    token: zhang.access_token,
    body: {
      endpoint: `${service.url}/push/zhang-phone`,
      expirationTime: null,
      keys: { p256dh: device.ecdh.getPublicKey().toString("base64url"), auth: device.auth.toString("base64url") },
    },
  });
  assert.equal(subscribed.status, 201, JSON.stringify(subscribed.body));

  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  item.change(doc => {
    doc.urges.push({ id: str("u-1"), at: Date.now(), by: str(users.li.id), level: str("urge"), message: str("请本周内反馈整改进展") });
  });
  await waitSynced(item, li.repo);

  const payloads = () => service.requests.map(r => ({ request: r, payload: decrypt(device, r.body) }));
  await waitFor("the urge at the push service", () => payloads().some(p => p.payload.title.startsWith("【催办】")));
  const { request, payload } = payloads().find(p => p.payload.title.startsWith("【催办】"));
  assert.equal(request.path, "/push/zhang-phone");
  assert.equal(payload.title, "【催办】炼油厂区阀井污水整改");
  assert.equal(payload.body, "李静催办（催办）：请本周内反馈整改进展");
  assert.equal(payload.url, `/items/${item.documentId}`);
  assert.equal(request.headers["content-encoding"], "aes128gcm");
  assert.ok(Number(request.headers.ttl) > 0, "a TTL");

  const [, jwt, k] = /^vapid t=([^,]+), k=(.+)$/.exec(request.headers.authorization) ?? [];
  assert.ok(jwt, request.headers.authorization);
  assert.deepEqual(Buffer.from(k, "base64url"), serverKey);
  const [header, claims, signature] = jwt.split(".");
  const publicKey = createPublicKey({ key: vapid.publicKey.export({ format: "jwk" }), format: "jwk" });
  assert.ok(
    verify("sha256", Buffer.from(`${header}.${claims}`), { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url")),
    "the JWT's ES256 signature verifies with the VAPID public key",
  );
  assert.equal(JSON.parse(Buffer.from(header, "base64url")).alg, "ES256");
  const body = JSON.parse(Buffer.from(claims, "base64url"));
  assert.equal(body.aud, service.url);
  assert.equal(body.sub, "mailto:office@example.com");
  assert.ok(body.exp * 1000 > Date.now() && body.exp * 1000 <= Date.now() + 24 * 3600_000);
});
