// `duyan backup` of a running server on its embedded database, `duyan restore` into a fresh
// data directory, and a server started on that finds every record and photo: through the
// records list, each photo's bytes, and the documents over sync.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { deflateSync } from "node:zlib";

import {
  Client,
  DUYAN_BIN,
  DuyanServer,
  api,
  dubanItem,
  plain,
  serverStorageId,
  signIn,
  str,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

const run = promisify(execFile);

/** The first start of an embedded database runs initdb, slow on a loaded 2-core machine. */
const EMBEDDED_START_MS = 90_000;

// ---------------------------------------------------------------------------------------------
// Real PNG files of random pixels (so no two are alike and they do not compress)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const rows = Buffer.concat(
    Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 3)])),
  );
  return Buffer.concat([
    Buffer.from("\x89PNG\r\n\x1a\n", "latin1"),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(rows)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

const sha256Of = bytes => createHash("sha256").update(bytes).digest("hex");

// ---------------------------------------------------------------------------------------------

/** Runs `duyan <args>` on the embedded database; resolves with `{code, stdout, stderr}`. */
async function duyan(args) {
  const env = { ...process.env, NO_COLOR: "1" };
  delete env.DATABASE_URL;
  try {
    const { stdout, stderr } = await run(DUYAN_BIN, args, { env, timeout: EMBEDDED_START_MS });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (typeof err.code !== "number") throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function uploadPhoto(server, token, bytes) {
  const sha256 = sha256Of(bytes);
  const response = await within(
    `PUT /api/blobs/${sha256}`,
    fetch(`${server.httpUrl}/api/blobs/${sha256}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "image/png" },
      body: bytes,
    }),
  );
  assert.equal(response.status, 201, await response.text());
  return sha256;
}

async function listRecords(server, token) {
  const { status, body } = await api(server, "/api/records?limit=200", { token });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.next_cursor, null, "every record fits on one page");
  return body.items
    .map(({ id, type, title, status: state, progress_count, updated_at }) => ({
      id,
      type,
      title,
      status: state,
      progress_count,
      updated_at,
    }))
    .sort((x, y) => x.id.localeCompare(y.id));
}

test("a backup of a running server restores into a fresh data directory with every record and photo", { timeout: 300_000 }, async t => {
  const dirs = [];
  const servers = [];
  const clients = [];
  t.after(async () => {
    for (const client of clients) client.close();
    for (const server of servers) await server.stop().catch(() => server.kill());
    if (!t.passed) servers.forEach(s => process.stderr.write(`\n--- duyan output ---\n${s.logs()}\n`));
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "duyan-backup-"));
    // Run as root, the embedded database runs as `postgres`, which must be able to enter it.
    await chmod(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
  const start = async (dir, args = []) => {
    const server = await DuyanServer.start({
      args: ["--data-dir", dir, ...args],
      startTimeout: EMBEDDED_START_MS,
    });
    servers.push(server);
    return server;
  };
  const connect = async (server, token) => {
    const client = new Client(server.syncUrl, { token });
    clients.push(client);
    return client.connected();
  };

  // The demo's records and people, plus a 督办事项 with two photos: one of two storage parts
  // (parts are 512 KiB), one small.
  const original = await dataDir();
  const a = await start(original, ["--demo"]);
  const li = await signIn(a, { username: "lijing", password: "demo1234" });
  const zhang = await signIn(a, { username: "zhangwei", password: "demo1234" });
  const photos = [png(430, 430), png(16, 16)];
  assert.ok(photos[0].length > 512 * 1024);
  for (const bytes of photos) await uploadPhoto(a, li.access_token, bytes);
  const item = dubanItem({
    title: "备份演练：3号阀井整改",
    lead_unit: "refinery",
    handlers: [zhang.user.id],
    supervisors: [li.user.id],
    created_by: li.user.id,
    progress: [{ id: "p-photos", by: li.user.id, text: "现场照片两张" }],
  });
  item.progress[0].photos = photos.map(bytes => ({
    sha256: str(sha256Of(bytes)),
    mime: str("image/png"),
    bytes: bytes.length,
    width: bytes.readUInt32BE(16),
    height: bytes.readUInt32BE(20),
    taken_at: null,
    geo: null,
    caption: null,
    by: str(li.user.id),
  }));
  const writer = await connect(a, li.access_token);
  const handle = writer.repo.create(item);
  await waitSynced(handle, writer.repo);
  const storageId = serverStorageId(writer.repo);

  const admin = await signIn(a, { username: "liuyang", password: "demo1234" });
  const before = await waitFor("the new item in the records list", async () => {
    const records = await listRecords(a, admin.access_token);
    return records.some(r => r.id === handle.documentId) && records;
  });
  assert.ok(before.length > 1, "the demo's records are there too");

  // Backed up while the server runs, through its cluster's postmaster.pid.
  const file = join(await dataDir(), "duyan.dump");
  const backup = await duyan(["backup", file, "--data-dir", original]);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /^backup written to .*duyan\.dump \(\d+ bytes\)$/m);
  assert.ok((await stat(file)).size > photos[0].length, "the photos' bytes are in the backup");
  assert.deepEqual(
    (await readdir(join(file, ".."))).filter(name => name.endsWith(".partial")),
    [],
    "no partial file is left",
  );

  // A restore never goes over an installation: the running one's database is refused.
  const over = await duyan(["restore", file, "--data-dir", original]);
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /already holds \d+ tables/);
  await a.stop();

  const fresh = await dataDir();
  const restore = await duyan(["restore", file, "--data-dir", fresh]);
  assert.equal(restore.code, 0, restore.stderr);
  const b = await start(fresh);

  // The same people (the demo password, still one-time: the restored server runs without
  // --demo, so each sets a new one first), the same records, the same photo bytes.
  const signInRestored = async username => {
    const first = await signIn(b, { username, password: "demo1234" });
    const changed = await api(b, "/api/me/password", {
      method: "POST",
      token: first.access_token,
      body: { current: "demo1234", new: "Restored-2026!" },
    });
    assert.ok(changed.status < 300, JSON.stringify(changed.body));
    return signIn(b, { username, password: "Restored-2026!" });
  };
  const adminB = await signInRestored("liuyang");
  assert.deepEqual(await listRecords(b, adminB.access_token), before);
  for (const bytes of photos) {
    const response = await within(
      "GET a restored photo",
      fetch(`${b.httpUrl}/api/blobs/${sha256Of(bytes)}`, {
        headers: { authorization: `Bearer ${adminB.access_token}` },
      }),
    );
    assert.equal(response.status, 200);
    const got = Buffer.from(await response.arrayBuffer());
    assert.equal(sha256Of(got), sha256Of(bytes));
  }

  // The documents themselves, over sync, from the same storage (clients' "what the server has"
  // stays valid: it is keyed by the storage id).
  const reader = await connect(b, (await signInRestored("lijing")).access_token);
  const restored = await within("find() on the restored server", reader.repo.find(handle.url));
  assert.deepEqual(plain(restored.doc()), plain(handle.doc()));
  assert.equal(serverStorageId(reader.repo), storageId);
});
