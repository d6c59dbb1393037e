// The nginx example (deploy/nginx/duyan.conf) with a self-signed certificate in front of two
// duyan processes on one database: sync over wss:// through it, and kill -9 of one process
// during a stream of acknowledged edits loses none while its clients resume on the other.

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  plain,
  progressEntry,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

const run = promisify(execFile);
// The certificate is self-signed: this process trusts it for the test's own connections.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
const SECRET = "a-jwt-secret-shared-by-both-processes-0123456789";

async function freePort() {
  const server = createServer();
  await new Promise(resolve => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** Runs Debian's nginx with the example config aimed at `ports`; resolves with its https port. */
async function startNginx(t, ports) {
  const dir = await mkdtemp(join(tmpdir(), "duyan-nginx-"));
  await run("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ]);
  const port = await freePort();
  const example = await readFile(new URL("../../../deploy/nginx/duyan.conf", import.meta.url), "utf8");
  const site = example
    .replace("127.0.0.1:8081", `127.0.0.1:${ports[0]}`)
    .replace("127.0.0.1:8082", `127.0.0.1:${ports[1]}`)
    .replace("/etc/duyan/tls/fullchain.pem", join(dir, "cert.pem"))
    .replace("/etc/duyan/tls/privkey.pem", join(dir, "key.pem"))
    .replace("listen 443 ssl http2;", `listen 127.0.0.1:${port} ssl http2;`)
    .replace("listen 80;", `listen 127.0.0.1:${await freePort()};`);
  await writeFile(join(dir, "site.conf"), site);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map(name => `${name}_temp_path ${join(dir, name)};`)
    .join("\n  ");
  await writeFile(
    join(dir, "nginx.conf"),
    `${process.getuid() === 0 ? "user root;\n" : ""}pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")};
events {}
http {
  access_log off;
  ${temp}
  include ${join(dir, "site.conf")};
}
`,
  );
  const child = spawn("nginx", ["-c", join(dir, "nginx.conf"), "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", chunk => (stderr += chunk));
  t.after(async () => {
    child.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  });
  await waitFor("nginx to answer over TLS", async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      return (await fetch(`https://127.0.0.1:${port}/healthz`)).status === 200;
    } catch {
      return false;
    }
  });
  return { httpUrl: `https://127.0.0.1:${port}`, syncUrl: `wss://127.0.0.1:${port}/sync` };
}

test("sync through nginx over wss://, and kill -9 of one process loses no acknowledged edit", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const args = ["--jwt-secret", SECRET, "--trusted-proxies", "127.0.0.1"];
  const a = await fx.startServer({ args });
  const b = await fx.startServer({ args });
  const users = await fx.users();
  const proxy = await startNginx(t, [a.port, b.port]);

  // The smoke test: one client writes, a fresh one reads, both through the proxy.
  const writer = await fx.client(proxy, { user: users.li, retryInterval: 200 });
  const handle = writer.repo.create(castItem(users));
  await waitSynced(handle, writer.repo);
  const reader = await fx.client(proxy, { user: users.zhang });
  const found = await within(`find(${handle.url}) through nginx`, reader.repo.find(handle.url));
  assert.deepEqual(plain(found.doc()), plain(handle.doc()));

  // Which process the proxy gave the writer: its peer id is that process's.
  const onA = (await fx.client(a, { user: users.view })).serverPeerId === writer.serverPeerId;
  const [doomed, survivor] = onA ? [a, b] : [b, a];

  // A stream of edits, each acknowledged; the writer's process dies in the middle, and the
  // writer goes on through the other without anything but its adapter's own reconnect.
  const acknowledged = [];
  for (let i = 1; i <= 12; i++) {
    if (i === 6) await doomed.kill();
    handle.change(doc => {
      doc.progress.push(progressEntry({ id: `p-${i}`, by: users.li.id, text: `第${i}条` }));
    });
    await waitSynced(handle, writer.repo);
    acknowledged.push(`p-${i}`);
  }
  assert.ok(writer.disconnects.length > 0, "the writer lost its process");
  assert.notEqual(writer.serverPeerId, undefined);
  const fresh = await fx.client(survivor, { user: users.wang });
  const stored = await within("find on the survivor", fresh.repo.find(handle.url));
  await waitFor("every acknowledged edit on the survivor", () => {
    const ids = stored.doc().progress.map(p => String(p.id.val ?? p.id));
    return acknowledged.every(id => ids.includes(id));
  });
});
