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

/** Plain JSON-shaped copy of an Automerge document, for deepEqual against literals. */
export const plain = doc => Automerge.toJS(doc);

/**
 * A 督办事项 (supervised work item) as the web app stores it: Chinese free text, a status and
 * a progress log that several people append to.
 */
export function dubanRecord() {
  return {
    type: "duban",
    title: "炼油厂区阀井污水整改",
    source: "安全环保专项督查",
    department: "炼油二部",
    status: "待整改",
    deadline: "2024-06-30",
    progress: [{ date: "2024-05-06", by: "张工", note: "现场核查：3号阀井污水外溢，已拍照取证" }],
  };
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
   * `args` are extra command-line flags, e.g. ["--max-message-bytes", "65536"].
   */
  static async start({ databaseUrl, args = [] }) {
    const server = new DuyanServer();
    await server.#spawn(databaseUrl, args);
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

  async #spawn(databaseUrl, args) {
    const argv = [
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--database-url",
      databaseUrl,
      "--doc-idle-timeout",
      "2s",
      ...args,
    ];
    this.child = spawn(DUYAN_BIN, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      // NO_COLOR: the logs end up in test output, where escape codes are noise.
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info", NO_COLOR: "1" },
    });
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
      await within("duyan's listening line", listening);
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

/** A Repo with no storage and one WebSocket adapter pointed at a duyan server. */
export class Client {
  repo;
  adapter;
  serverPeerId;
  /** Peer ids the adapter reported as disconnected, in order. */
  disconnects = [];
  /** Every repo message (not `peer`/`error`) the adapter received, as decoded. */
  received = [];
  /** Socket-level errors (e.g. ECONNRESET when a server is killed), recorded not thrown. */
  socketErrors = [];

  constructor(syncUrl) {
    this.adapter = new WebSocketClientAdapter(syncUrl);
    // The stock handler rethrows every socket error but ECONNREFUSED from inside an event
    // listener, so a reset from a killed server would crash the whole test file. Replacing it
    // before the repo first calls connect() (which registers it) keeps such errors observable.
    this.adapter.onError = event => this.socketErrors.push(event.error ?? event);
    this.adapter.on("peer-disconnected", ({ peerId }) => this.disconnects.push(peerId));
    this.adapter.on("message", message => this.received.push(message));
    this.repo = new Repo({ network: [this.adapter] });
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

  close() {
    // When the server closes a socket, the adapter arms a reconnect timer it keeps no handle
    // to; making connect() inert is the only way to stop it from keeping this process alive.
    this.adapter.connect = () => {};
    if (this.adapter.socket) this.adapter.disconnect();
  }
}

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

  constructor(syncUrl) {
    // No permessage-deflate: the frame sizes we send must be the sizes on the wire.
    this.ws = new WebSocket(syncUrl, { perMessageDeflate: false });
    this.ws.on("message", data => {
      try {
        this.messages.push(cbor.decode(data));
      } catch {
        this.messages.push({ undecodable: Buffer.from(data) });
      }
    });
    this.ws.on("error", err => this.errors.push(err));
    this.closed = new Promise(resolve => this.ws.once("close", code => resolve({ code })));
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
 * Owns everything one test starts: a fresh database, servers, clients, raw peers. Teardown
 * (registered on `t`) closes clients before servers, so no client is left retrying, stops
 * servers gracefully, drops the database, and prints the servers' logs if the test failed.
 */
export class Fixture {
  #t;
  #db;
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

  /** Starts a server on this test's database (the same one on every call). */
  async startServer({ args = [] } = {}) {
    const { url } = await this.database();
    const server = await DuyanServer.start({ databaseUrl: url, args });
    this.#servers.push(server);
    return server;
  }

  /** A fresh, connected client: new Repo, no storage. */
  async client(server) {
    const client = new Client(server.syncUrl);
    this.#clients.push(client);
    return client.connected();
  }

  /** A raw peer that has completed the join handshake; resolves with [peer, peerMessage]. */
  async rawPeer(server) {
    const peer = new RawPeer(server.syncUrl);
    this.#rawPeers.push(peer);
    const peerMessage = await peer.join();
    return [peer, peerMessage];
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
