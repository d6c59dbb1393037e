// Shared harness for the interop tests: a real duyan process on a fresh PostgreSQL database,
// stock automerge-repo clients, and a raw WebSocket peer for protocol-level probes.
//
// Every wait is a condition with a deadline (WAIT_MS), never a fixed sleep, so the suite is
// as fast as the server allows and fails with a message that names what never happened.

import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import * as Automerge from "@automerge/automerge";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { Encoder } from "cbor-x";
import WebSocket from "ws";

const run = promisify(execFile);

export const DUYAN_BIN =
  process.env.DUYAN_BIN ??
  fileURLToPath(new URL("../../../target/debug/duyan", import.meta.url));

const PG_BASE = process.env.DUYAN_TEST_PG ?? "postgres://postgres@127.0.0.1:5432";

/** Deadline for any single awaited condition. Generous: the machine may be a loaded 2-core box. */
export const WAIT_MS = 20_000;

/** node:test timeout for a whole test; larger than WAIT_MS so our own, clearer errors win. */
export const TEST_TIMEOUT_MS = 120_000;

// The same encoder settings as automerge-repo's own helpers/cbor.js, so raw frames we build
// by hand are byte-for-byte what a real client would send.
export const cbor = new Encoder({ tagUint8Array: false, useRecords: false });

/**
 * A plain JSON copy of an Automerge document (or of a record literal built with the factories
 * below): `ImmutableString`s become strings, text becomes a string. For deepEqual.
 */
export const plain = doc => JSON.parse(JSON.stringify(doc));

// ---------------------------------------------------------------------------------------------
// Records, in the exact shape the domain crate reads (shared/src/records)
//
// Short strings (title, enums, ids) must be Automerge scalar strings: automerge JS 3 stores a
// plain JS string as collaborative text, which the server refuses where a string is expected.
// Only `detail` (and, in research records, visit notes and report sections) is text.
// Instants are integer milliseconds since the epoch.

/** A scalar (non-collaborative) Automerge string. */
export const str = value => new Automerge.ImmutableString(value);

/** Milliseconds since the epoch of a wall-clock time in Asia/Shanghai (UTC+8, no DST). */
export const shanghai = (y, m, d, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);

const PERCENT_MAX = 100;

/** A 反馈 / 进展 entry of a 督办事项's `progress` list. `by` is a user id. */
export function progressEntry({
  id = `p-${randomBytes(4).toString("hex")}`,
  at = shanghai(2026, 11, 3, 9, 0),
  by,
  text = "已完成固废清运方案，正在联系处置单位。",
  percent = null,
  problems = null,
} = {}) {
  if (typeof by !== "string") throw new Error("progressEntry needs `by`, a user id");
  if (percent !== null && !(Number.isInteger(percent) && percent >= 0 && percent <= PERCENT_MAX)) {
    throw new Error(`percent must be an integer from 0 to 100, not ${percent}`);
  }
  return {
    id: str(id),
    at,
    by: str(by),
    percent,
    text: str(text),
    problems: problems === null ? null : str(problems),
    photos: [],
    geo: null,
  };
}

/**
 * A valid 督办事项 (`type = "duban"`, schema version 1). Fields are given as plain values and
 * wrapped as the server expects: ids, enums and short strings as scalar strings, `detail` as
 * text, `progress` entries built with `progressEntry` (pass their options). `created_by` must be
 * the id of the supervisor who creates it.
 */
export function dubanItem({
  doc_no = "督字〔2026〕17号",
  title = "炼油厂区阀井污水整改",
  detail = "3号阀井污水外溢，限期清理并查明来源，建立整改台账。",
  source = "meeting_decision",
  level = "company",
  category = "安全环保",
  urgency = "normal",
  is_major = false,
  lead_unit = null,
  co_units = [],
  handlers = [],
  supervisors = [],
  created_by,
  created_at = shanghai(2026, 10, 31, 16, 0),
  assigned_at = shanghai(2026, 11, 1, 9, 0),
  deadline = shanghai(2026, 11, 22, 23, 59),
  feedback_cycle = "weekly",
  status = "in_progress",
  progress = [],
} = {}) {
  if (typeof created_by !== "string") throw new Error("dubanItem needs `created_by`, a user id");
  const ids = list => list.map(str);
  return {
    type: str("duban"),
    schema_version: 1,
    doc_no: doc_no === null ? null : str(doc_no),
    title: str(title),
    detail,
    source: str(source),
    source_ref: null,
    level: str(level),
    category: str(category),
    urgency: str(urgency),
    is_major,
    lead_unit: lead_unit === null ? null : str(lead_unit),
    co_units: ids(co_units),
    handlers: ids(handlers),
    supervisors: ids(supervisors),
    created_by: str(created_by),
    created_at,
    assigned_at,
    deadline,
    feedback_cycle: str(feedback_cycle),
    milestones: [],
    status: str(status),
    progress: progress.map(entry => progressEntry(entry)),
    urges: [],
    extension_requests: [],
    reviews: [],
    instructions: [],
    site_checks: [],
    evaluation: null,
  };
}

/**
 * The standard item of the standard cast (see `Fixture.users`): created and supervised by `li`,
 * handled by `zhang`, led by plant-2, with one progress entry from the site check.
 */
export function castItem(users, overrides = {}) {
  return dubanItem({
    lead_unit: "plant-2",
    handlers: [users.zhang.id],
    supervisors: [users.li.id],
    created_by: users.li.id,
    progress: [
      {
        id: "p-site",
        at: shanghai(2026, 11, 1, 15, 0),
        by: users.li.id,
        text: "现场核查：3号阀井污水外溢，已拍照取证",
      },
    ],
    ...overrides,
  });
}

// ---------------------------------------------------------------------------------------------
// Waiting

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or `timeout` ms pass.
 * `what` completes the sentence "timed out waiting for ...".
 */
export async function waitFor(what, predicate, { timeout = WAIT_MS, interval = 20 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    }
    await sleep(interval);
  }
}

/** Rejects if `promise` has not settled within `timeout` ms; otherwise settles like it. */
export async function within(what, promise, timeout = WAIT_MS) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${timeout} ms`)),
      timeout,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function pgConnection() {
  const url = new URL(PG_BASE);
  const args = ["-h", url.hostname, "-p", url.port || "5432"];
  if (url.username) args.push("-U", decodeURIComponent(url.username));
  const env = { ...process.env };
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  return { args, env };
}

/** Creates an empty database with a random name; returns its name and connection URL. */
export async function createDatabase() {
  const name = `duyan_js_${randomBytes(6).toString("hex")}`;
  const { args, env } = pgConnection();
  await run("createdb", [...args, name], { env });
  const url = new URL(PG_BASE);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function dropDatabase(name) {
  const { args, env } = pgConnection();
  // --force: a server we SIGKILLed may leave backends that PostgreSQL has not reaped yet.
  await run("dropdb", ["--force", ...args, name], { env });
}

// ---------------------------------------------------------------------------------------------
// Users, units and signing in

/** Password of `admin`, whom every test server creates on its first start. */
export const ADMIN_PASSWORD = "admin-password-for-tests";

/** How long one CLI command may take (it connects, checks migrations, maybe hashes a password). */
const CLI_MS = WAIT_MS;

/**
 * Runs `duyan <args> --database-url <databaseUrl>`: the `user` / `unit` commands work directly on
 * the database, also while servers run on it (they pick changes up within a second). Resolves
 * with stdout; rejects with stderr on a non-zero exit.
 */
export async function duyanCli(databaseUrl, args, { input = "" } = {}) {
  const child = spawn(DUYAN_BIN, [...args, "--database-url", databaseUrl], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "warn", NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", chunk => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", chunk => (stderr += chunk));
  child.stdin.end(input);
  const exit = new Promise((resolve, reject) => {
    child.once("error", err => reject(new Error(`cannot run ${DUYAN_BIN}: ${err.message}`)));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let result;
  try {
    result = await within(`duyan ${args.join(" ")}`, exit, CLI_MS);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  if (result.code !== 0) {
    throw new Error(`duyan ${args.join(" ")} exited with ${JSON.stringify(result)}:\n${stderr}`);
  }
  return stdout;
}

export async function createUnit(databaseUrl, { id, name, parent }) {
  const args = ["unit", "add", "--id", id, "--name", name];
  if (parent) args.push("--parent", parent);
  await duyanCli(databaseUrl, args);
}

/**
 * Creates a user with a known password; resolves with `{id, username, password, displayName,
 * role, unit}`. `duyan user add` prints the new id as its first line.
 */
export async function createUser(databaseUrl, { username, displayName, role, unit = null, password }) {
  const args = ["user", "add", "--username", username, "--display-name", displayName, "--role", role];
  if (unit) args.push("--unit", unit);
  args.push("--password-stdin");
  const stdout = await duyanCli(databaseUrl, args, { input: `${password}\n` });
  const id = stdout.split("\n")[0].trim();
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`duyan user add printed no user id: ${stdout}`);
  return { id, username, password, displayName, role, unit };
}

/** The units of the standard cast: office; refinery > plant-2; plant-9 on its own. */
export const CAST_UNITS = [
  { id: "office", name: "党委办公室" },
  { id: "refinery", name: "炼油厂" },
  { id: "plant-2", name: "炼油二车间", parent: "refinery" },
  { id: "plant-9", name: "九号厂区" },
];

/** The people of the standard cast, by the name tests use for them. */
export const CAST_USERS = {
  li: { username: "li", displayName: "李静", role: "supervisor", unit: "office" },
  zhang: { username: "zhang", displayName: "张伟", role: "handler", unit: "plant-2" },
  view: { username: "view", displayName: "赵敏", role: "viewer", unit: "plant-2" },
  other: { username: "other", displayName: "孙强", role: "handler", unit: "plant-9" },
  wang: { username: "wang", displayName: "王总", role: "leader", unit: null },
};

/**
 * `POST /api/auth/login`. Resolves with the body (`access_token`, `refresh_token`,
 * `expires_in`, `user`); rejects naming the status and error code otherwise.
 */
export async function signIn(server, { username, password }, { device } = {}) {
  const { status, body } = await api(server, "/api/auth/login", {
    method: "POST",
    body: { username, password, ...(device === undefined ? {} : { device }) },
  });
  if (status !== 200) {
    throw new Error(`sign-in of ${username} answered ${status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/** A JSON request to the server's API; resolves with `{status, body}` (body null if empty). */
export async function api(server, path, { method = "GET", token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await within(
    `${method} ${path}`,
    fetch(`${server.httpUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The sync URL with an access token, as the app connects. */
export const syncUrlWith = (server, token) =>
  token === undefined ? server.syncUrl : `${server.syncUrl}?token=${encodeURIComponent(token)}`;

/**
 * Tries a WebSocket upgrade of `url`. Resolves with `{status, body}`: the HTTP status and JSON
 * body of a refused upgrade, or status 101 (no body) if the socket opened; it is closed again.
 */
export async function upgradeStatus(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const outcome = new Promise(resolve => {
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", chunk => (text += chunk));
      res.on("end", () => {
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: keep the text for the assertion message.
        }
        resolve({ status: res.statusCode, body });
      });
    });
    ws.once("open", () => resolve({ status: 101, body: null }));
    ws.on("error", () => {});
  });
  try {
    return await within(`the upgrade of ${url.replace(/token=[^&]*/, "token=…")}`, outcome);
  } finally {
    ws.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// The server process

const LISTENING = /^duyan: listening on http:\/\/127\.0\.0\.1:(\d+)\s*$/;
const LOG_LIMIT = 512 * 1024;
const liveServers = new Set();

// Last line of defence: if the test process dies without running its hooks, do not leave
// servers holding ports and database connections.
process.on("exit", () => {
  for (const server of liveServers) server.child.kill("SIGKILL");
});

export class DuyanServer {
  child;
  port;
  /** Set when the process ended without us asking it to. */
  unexpectedExit = null;
  #log = "";
  #stopping = false;
  #exit;

  /**
   * Spawns `duyan serve` on an ephemeral port and resolves once it prints its listening line.
   * `args` are extra command-line flags, e.g. ["--max-message-bytes", "65536"]. With no
   * `databaseUrl` the server runs its embedded database (pass `--data-dir`), whose first start
   * (initdb) may take longer than `WAIT_MS`: hence `startTimeout`.
   */
  static async start({ databaseUrl, args = [], startTimeout = WAIT_MS }) {
    const server = new DuyanServer();
    await server.#spawn(databaseUrl, args, startTimeout);
    return server;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get syncUrl() {
    return `ws://127.0.0.1:${this.port}/sync`;
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the server wrote to stderr (and stdout after the listening line), possibly trimmed. */
  logs() {
    return this.#log;
  }

  #append(text) {
    this.#log += text;
    if (this.#log.length > LOG_LIMIT) {
      this.#log = `[... earlier output trimmed ...]\n${this.#log.slice(-LOG_LIMIT)}`;
    }
  }

  async #spawn(databaseUrl, args, startTimeout) {
    const argv = [
      "serve",
      "--listen",
      "127.0.0.1:0",
      ...(databaseUrl ? ["--database-url", databaseUrl] : []),
      "--doc-idle-timeout",
      "2s",
      ...args,
    ];
    // NO_COLOR: the logs end up in test output, where escape codes are noise.
    const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info", NO_COLOR: "1" };
    if (!databaseUrl) delete env.DATABASE_URL;
    this.child = spawn(DUYAN_BIN, argv, { stdio: ["ignore", "pipe", "pipe"], env });
    liveServers.add(this);
    this.#exit = new Promise(resolve => {
      this.child.once("exit", (code, signal) => {
        liveServers.delete(this);
        if (!this.#stopping) this.unexpectedExit = { code, signal };
        resolve({ code, signal });
      });
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", chunk => this.#append(chunk));

    const listening = new Promise((resolve, reject) => {
      this.child.once("error", err =>
        reject(new Error(`cannot run ${DUYAN_BIN} (set DUYAN_BIN or cargo build -p duyan): ${err.message}`)),
      );
      this.#exit.then(({ code, signal }) =>
        reject(new Error(`duyan exited before listening (code ${code}, signal ${signal})`)),
      );
      const lines = createInterface({ input: this.child.stdout });
      lines.on("line", line => {
        const match = LISTENING.exec(line);
        if (match && this.port === undefined) {
          this.port = Number(match[1]);
          resolve();
        } else {
          this.#append(`[stdout] ${line}\n`);
        }
      });
    });
    try {
      await within("duyan's listening line", listening, startTimeout);
    } catch (err) {
      await this.kill();
      err.message += `\n--- duyan output ---\n${this.#log}`;
      throw err;
    }
  }

  /**
   * Graceful stop: SIGTERM, then wait. Resolves with the exit {code, signal}. If the server is
   * still running after `timeout` ms it is SIGKILLed and this rejects, since a graceful
   * shutdown that hangs is a bug.
   */
  async stop({ timeout = WAIT_MS } = {}) {
    if (!this.running) return this.#exit;
    this.#stopping = true;
    this.child.kill("SIGTERM");
    try {
      return await within("duyan's exit after SIGTERM", this.#exit, timeout);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  /** kill -9: no chance to flush anything. Resolves with the exit {code, signal}. */
  async kill() {
    if (!this.running) return this.#exit;
    this.#stopping = true;
    this.child.kill("SIGKILL");
    return this.#exit;
  }
}

// ---------------------------------------------------------------------------------------------
// automerge-repo clients

/** The connected server's peer id: the peer that announced itself as a storage peer. */
function serverPeerIdOf(repo) {
  return repo.peers.find(peerId => {
    const meta = repo.peerMetadataByPeerId[peerId];
    return meta?.isEphemeral === false && typeof meta.storageId === "string";
  });
}

/** The storageId the server announced in its `peer` message. */
export function serverStorageId(repo) {
  const meta = Object.values(repo.peerMetadataByPeerId).find(
    m => m?.isEphemeral === false && typeof m.storageId === "string",
  );
  if (!meta) throw new Error("this repo has not seen a storage peer (the server) yet");
  return meta.storageId;
}

/** True when the heads the server last reported for this document include all local heads. */
export function serverHasHeads(handle, storageId) {
  const remote = handle.getSyncInfo(storageId)?.lastHeads;
  return remote !== undefined && handle.heads().every(head => remote.includes(head));
}

/**
 * Resolves once the server has acknowledged every local change of `handle`: the heads it
 * reports back (automerge-repo records them per storageId) include our current heads.
 */
export async function waitSynced(handle, repo, options) {
  const storageId = serverStorageId(repo);
  await waitFor(
    `the server to acknowledge the heads of ${handle.url}`,
    () => serverHasHeads(handle, storageId),
    options,
  );
}

/** waitSynced for many handles with one poll loop. */
export async function waitAllSynced(handles, repo, options) {
  const storageId = serverStorageId(repo);
  await waitFor(
    `the server to acknowledge ${handles.length} documents`,
    () => handles.every(handle => serverHasHeads(handle, storageId)),
    { interval: 100, ...options },
  );
}

/**
 * A Repo with no storage and one WebSocket adapter pointed at a duyan server, signed in with an
 * access token (`?token=`, as the app connects). The token can be replaced (`setToken`); every
 * later (re)connection uses the current one, as the app does after refreshing.
 */
export class Client {
  repo;
  adapter;
  serverPeerId;
  /** The signed-in user and the login answer, when the fixture signed in for this client. */
  user;
  session;
  token;
  /** Peer ids the adapter reported as disconnected, in order. */
  disconnects = [];
  /** How each of the adapter's sockets closed: `{code, reason}`, in order. */
  closes = [];
  /** Every socket the adapter opened: `{token, opened, close}`, in order. */
  sockets = [];
  /** Every repo message (not `peer`/`error`) the adapter received, as decoded. */
  received = [];
  /** Socket-level errors (e.g. ECONNRESET when a server is killed), recorded not thrown. */
  socketErrors = [];
  #syncUrl;

  constructor(syncUrl, { token, retryInterval } = {}) {
    this.#syncUrl = syncUrl;
    this.token = token;
    this.adapter = new WebSocketClientAdapter(this.#url(), retryInterval);
    // The stock handler rethrows every socket error but ECONNREFUSED from inside an event
    // listener, so a reset from a killed server would crash the whole test file. Replacing it
    // before the repo first calls connect() (which registers it) keeps such errors observable.
    this.adapter.onError = event => this.socketErrors.push(event.error ?? event);
    // The adapter reconnects through `this.connect` (its retry timers too), so wrapping it here
    // makes every socket use the current token and lets us see how each one closed.
    const connect = this.adapter.connect.bind(this.adapter);
    this.adapter.connect = (peerId, peerMetadata) => {
      this.adapter.url = this.#url();
      connect(peerId, peerMetadata);
      const record = { token: this.token, opened: false, close: null };
      this.sockets.push(record);
      const socket = this.adapter.socket;
      socket?.addEventListener("open", () => (record.opened = true));
      socket?.addEventListener("close", event => {
        record.close = { code: event.code, reason: String(event.reason ?? "") };
        this.closes.push(record.close);
      });
    };
    this.adapter.on("peer-disconnected", ({ peerId }) => this.disconnects.push(peerId));
    this.adapter.on("message", message => this.received.push(message));
    this.repo = new Repo({ network: [this.adapter] });
  }

  #url() {
    return this.token === undefined
      ? this.#syncUrl
      : `${this.#syncUrl}?token=${encodeURIComponent(this.token)}`;
  }

  /** Uses `token` for every later connection (the current socket is left as it is). */
  setToken(token) {
    this.token = token;
  }

  /** Resolves once the server's `peer` message has been processed by the repo. */
  async connected() {
    this.serverPeerId = await waitFor("the server's peer message", () => serverPeerIdOf(this.repo));
    return this;
  }

  /** Goes offline the way the adapter itself supports: closes the socket, no retries. */
  disconnect() {
    this.adapter.disconnect();
  }

  /** Comes back online with the same peer id and metadata, and waits for the server. */
  async reconnect() {
    this.adapter.connect(this.adapter.peerId, this.adapter.peerMetadata);
    await waitFor("the server's peer message after reconnecting", () =>
      this.repo.peers.includes(this.serverPeerId),
    );
  }

  /** Messages of `type` about `documentId` that the server sent this client. */
  receivedFor(type, documentId) {
    return this.received.filter(m => m.type === type && m.documentId === documentId);
  }

  close() {
    // When the server closes a socket, the adapter arms a reconnect timer it keeps no handle
    // to; making connect() inert is the only way to stop it from keeping this process alive.
    this.adapter.connect = () => {};
    if (this.adapter.socket) this.adapter.disconnect();
  }
}

/**
 * Collects the `duyan/refused` ephemeral messages the server sends the author of a refused
 * change about `handle`'s document (the stock client emits them as `ephemeral-message`).
 */
export function refusalsOf(handle) {
  const refused = [];
  handle.on("ephemeral-message", ({ message }) => {
    if (message?.type === "duyan/refused") refused.push(message);
  });
  return refused;
}

export const sameHeads = (x, y) =>
  JSON.stringify([...x.heads()].sort()) === JSON.stringify([...y.heads()].sort());

// ---------------------------------------------------------------------------------------------
// A hand-driven protocol peer

/** A bare `ws` connection that speaks the automerge-repo wire format by hand. */
export class RawPeer {
  ws;
  peerId = `raw-${randomBytes(4).toString("hex")}`;
  /** Decoded frames from the server, in arrival order. */
  messages = [];
  /** Socket errors (e.g. a reset after the server closes); recorded so they are not thrown. */
  errors = [];
  closed;

  /** `url` is the sync URL, with `?token=` for a signed-in peer (see `syncUrlWith`). */
  constructor(url) {
    // No permessage-deflate: the frame sizes we send must be the sizes on the wire.
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on("message", data => {
      try {
        this.messages.push(cbor.decode(data));
      } catch {
        this.messages.push({ undecodable: Buffer.from(data) });
      }
    });
    this.ws.on("error", err => this.errors.push(err));
    this.closed = new Promise(resolve =>
      this.ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens the socket, sends `join`, and resolves with the server's `peer` reply. */
  async join() {
    await within("the raw WebSocket to open", once(this.ws, "open"));
    this.send({
      type: "join",
      senderId: this.peerId,
      peerMetadata: { isEphemeral: true },
      supportedProtocolVersions: ["1"],
    });
    return this.nextMessage("the server's peer message", m => m.type === "peer");
  }

  send(message) {
    this.sendBytes(cbor.encode(message));
  }

  sendBytes(bytes) {
    this.ws.send(bytes, { binary: true });
  }

  nextMessage(what, predicate, timeout = WAIT_MS) {
    return waitFor(what, () => this.messages.find(predicate), { timeout });
  }

  terminate() {
    this.ws.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Per-test fixture

/**
 * Owns everything one test starts: a fresh database, its users, servers, clients, raw peers.
 * Teardown (registered on `t`) closes clients before servers, so no client is left retrying,
 * stops servers gracefully, drops the database, and prints the servers' logs if the test failed.
 */
export class Fixture {
  #t;
  #db;
  #users;
  #servers = [];
  #clients = [];
  #rawPeers = [];

  constructor(t) {
    this.#t = t;
    t.after(() => this.#teardown());
  }

  async database() {
    this.#db ??= await createDatabase();
    return this.#db;
  }

  /**
   * Starts a server on this test's database (the same one on every call). Its first start
   * creates `admin` with ADMIN_PASSWORD.
   */
  async startServer({ args = [] } = {}) {
    const { url } = await this.database();
    const server = await DuyanServer.start({
      databaseUrl: url,
      args: ["--admin-password", ADMIN_PASSWORD, ...args],
    });
    this.#servers.push(server);
    return server;
  }

  /**
   * The standard cast, created once per test with the CLI on this test's database (servers
   * running on it see them within a second; sign-in does not wait for that):
   * units office; refinery > plant-2; plant-9, and the users
   * - `li`: supervisor, office; creates and supervises the items;
   * - `zhang`: handler, plant-2; `view`: viewer, plant-2;
   * - `other`: handler, plant-9 (outside plant-2's items); `wang`: leader, no unit.
   * Resolves with `{li, zhang, view, other, wang}`, each `{id, username, password, ...}`.
   */
  async users() {
    this.#users ??= (async () => {
      const { url } = await this.database();
      // The CLI migrates the database itself, so this works before any server has started.
      for (const unit of CAST_UNITS) await createUnit(url, unit);
      const users = {};
      for (const [key, person] of Object.entries(CAST_USERS)) {
        users[key] = await createUser(url, { ...person, password: `${person.username}-password-1` });
      }
      return users;
    })();
    return this.#users;
  }

  /** Signs `user` in on `server`; resolves with the login answer. */
  signIn(server, user, { device = `${user.username} 的测试设备` } = {}) {
    return signIn(server, user, { device });
  }

  /**
   * A fresh, connected client: new Repo, no storage. Signed in as `user` (with `device` as the
   * session's label), or connecting with `token` as given.
   */
  async client(server, { user, device, token, retryInterval } = {}) {
    let session;
    if (token === undefined) {
      if (!user) throw new Error("fx.client needs a user to sign in as, or a token");
      session = await this.signIn(server, user, { device });
      token = session.access_token;
    }
    const client = new Client(server.syncUrl, { token, retryInterval });
    client.user = user;
    client.session = session;
    this.#clients.push(client);
    return client.connected();
  }

  /**
   * A raw peer signed in as `user` (or with `token`) that has completed the join handshake;
   * resolves with [peer, peerMessage].
   */
  async rawPeer(server, { user, device, token } = {}) {
    const peer = await this.rawSocket(server, { user, device, token });
    const peerMessage = await peer.join();
    return [peer, peerMessage];
  }

  /** A raw peer's socket, signed in as `user` (or with `token`), not yet joined. */
  async rawSocket(server, { user, device, token } = {}) {
    if (token === undefined) {
      if (!user) throw new Error("fx.rawPeer needs a user to sign in as, or a token");
      token = (await this.signIn(server, user, { device })).access_token;
    }
    const peer = new RawPeer(syncUrlWith(server, token));
    this.#rawPeers.push(peer);
    return peer;
  }

  async #teardown() {
    const problems = [];
    for (const client of this.#clients) client.close();
    for (const peer of this.#rawPeers) peer.terminate();
    for (const server of this.#servers) {
      if (server.unexpectedExit) {
        const { code, signal } = server.unexpectedExit;
        problems.push(`duyan on port ${server.port} exited on its own (code ${code}, signal ${signal})`);
      }
      try {
        await server.stop();
      } catch (err) {
        problems.push(err.message);
      }
    }
    if (this.#db) {
      try {
        await dropDatabase(this.#db.name);
      } catch (err) {
        problems.push(`dropdb ${this.#db.name}: ${err.message}`);
      }
    }
    if (!this.#t.passed || problems.length > 0) {
      this.#servers.forEach((server, i) => {
        process.stderr.write(
          `\n--- duyan #${i + 1} (port ${server.port}) output for "${this.#t.name}" ---\n${server.logs()}\n`,
        );
      });
    }
    if (problems.length > 0) throw new Error(problems.join("\n"));
  }
}
