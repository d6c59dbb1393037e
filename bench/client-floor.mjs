// The stock client's own cost of scenario (c), with no server in the way. It answers one
// question: how fast could any server make a fresh automerge-repo 2.5 client load the
// 1,000 records of (c) on this machine? (c)'s target is a ratio to the reference, so if this
// floor is more than a fifth of the reference's time, no server can reach 5x.
//
//   node bench/client-floor.mjs [--docs 1000] [--repeats 3] [--chunk <n>] [--window <n>]
//
// The records and, for each, the answer a server gives a client that has nothing (one sync
// message holding the whole document) are made in this process and written to a file; each
// measurement then runs in a fresh Node process that only reads that file, so its heap and
// its wasm memory hold what a bench client's do. Three measurements, each timed as wall time
// and CPU time (all threads, garbage collector included):
//
// - `repo`: a fresh `Repo` loads every record with `Promise.all` of `repo.find`, exactly as
//   the bench's fetch does, through an in-process stand-in for the network that answers each
//   request at once (in its own macrotask, like a socket) with the precomputed answer.
//   `--window n` answers as duyan does (sync/session.rs): at most n requests answered and not
//   yet acknowledged by the client's reply, the others waiting.
// - `sync`: bare Automerge, no Repo: `receiveSyncMessage` of each answer into an empty
//   document. Every client that takes in the answer pays at least this.
// - `load`: bare Automerge `load` of each saved document: the least work that turns the bytes
//   into a document at all.

import { fork } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { next as A } from "@automerge/automerge"
import { NetworkAdapter, Repo, generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo"
import { dubanRecord } from "./lib/records.mjs"

const { values: args } = parseArgs({
  options: {
    docs: { type: "string", default: "1000" },
    repeats: { type: "string", default: "3" },
    chunk: { type: "string" },
    window: { type: "string" },
    child: { type: "string" },
    file: { type: "string" },
  },
})
const count = Number(args.docs)
// A user id of the length duyan's have; the bench's scenario (c) seeds from 2,000,000 too.
const AUTHOR = "00000000-0000-4000-8000-000000000001"

/** The records of (c), and for each the answer a server gives a client that has nothing. */
function workload() {
  const [, request] = A.generateSyncMessage(A.init(), A.initSyncState())
  return Array.from({ length: count }, (_, i) => {
    const created = A.from(dubanRecord(2_000_000 + i, AUTHOR))
    const saved = A.save(created)
    const server = A.load(saved)
    const [, state] = A.receiveSyncMessage(server, A.initSyncState(), request)
    const [, answer] = A.generateSyncMessage(server, state)
    return { url: generateAutomergeUrl(), saved, answer }
  })
}

/** The workload as one file: per record its URL, then the saved bytes and the answer. */
function writeWorkload(docs, file) {
  const parts = []
  for (const d of docs) {
    const url = Buffer.from(d.url)
    const head = Buffer.alloc(12)
    head.writeUInt32LE(url.length, 0)
    head.writeUInt32LE(d.saved.length, 4)
    head.writeUInt32LE(d.answer.length, 8)
    parts.push(head, url, d.saved, d.answer)
  }
  fs.writeFileSync(file, Buffer.concat(parts))
}

function readWorkload(file) {
  const bytes = fs.readFileSync(file)
  const docs = []
  for (let at = 0; at < bytes.length; ) {
    const [u, s, a] = [0, 4, 8].map(o => bytes.readUInt32LE(at + o))
    at += 12
    const url = bytes.subarray(at, (at += u)).toString()
    const saved = new Uint8Array(bytes.subarray(at, (at += s)))
    const answer = new Uint8Array(bytes.subarray(at, (at += a)))
    docs.push({ url, documentId: parseAutomergeUrl(url).documentId, saved, answer })
  }
  return docs
}

/**
 * Answers `request` messages as a sync server would, each in its own macrotask like a socket,
 * at most `window` of them unacknowledged (the client acknowledges with its next sync message).
 */
class InstantServer extends NetworkAdapter {
  constructor(docs, window = Number.POSITIVE_INFINITY) {
    super()
    this.answers = new Map(docs.map(d => [d.documentId, d.answer]))
    this.window = window
    this.waiting = []
    this.open = new Set()
  }
  isReady() {
    return true
  }
  whenReady() {
    return Promise.resolve()
  }
  connect(peerId) {
    this.peerId = peerId
    const peerMetadata = { storageId: "instant-server", isEphemeral: false }
    setImmediate(() => this.emit("peer-candidate", { peerId: "instant-server", peerMetadata }))
  }
  send(message) {
    if (message.type === "request") this.waiting.push(message.documentId)
    else if (message.type === "sync") this.open.delete(message.documentId)
    while (this.waiting.length && this.open.size < this.window) this.#answer(this.waiting.shift())
  }
  #answer(documentId) {
    this.open.add(documentId)
    const data = this.answers.get(documentId)
    setImmediate(() =>
      this.emit("message", { type: "sync", senderId: "instant-server", targetId: this.peerId, documentId, data }),
    )
  }
  disconnect() {}
}

async function measure(mode, docs) {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  if (mode === "repo") {
    const repo = new Repo({ network: [new InstantServer(docs, Number(args.window ?? Number.POSITIVE_INFINITY))] })
    await new Promise(resolve => repo.networkSubsystem.once("peer", resolve))
    const step = Number(args.chunk ?? docs.length)
    for (let i = 0; i < docs.length; i += step) {
      await Promise.all(docs.slice(i, i + step).map(d => repo.find(d.url)))
    }
  } else if (mode === "load") {
    for (const d of docs) A.load(d.saved)
  } else {
    for (const d of docs) A.receiveSyncMessage(A.init(), A.initSyncState(), d.answer)
  }
  const cpu = process.cpuUsage(cpu0)
  return { mode, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 }
}

if (args.child) {
  const docs = readWorkload(args.file)
  globalThis.gc?.()
  process.send(await measure(args.child, docs))
  process.exit(0)
}

const self = fileURLToPath(import.meta.url)
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "client-floor-")), "workload.bin")
writeWorkload(workload(), file)
process.on("exit", () => fs.rmSync(path.dirname(file), { recursive: true, force: true }))
const runChild = mode =>
  new Promise((resolve, reject) => {
    const options = [...(args.chunk ? ["--chunk", args.chunk] : []), ...(args.window ? ["--window", args.window] : [])]
    const child = fork(self, ["--docs", String(count), "--child", mode, "--file", file, ...options], {
      // A clean heap at the start: the set-up's garbage is collected before the clock starts.
      execArgv: [...process.execArgv, "--expose-gc"],
    })
    child.once("message", resolve)
    child.once("exit", code => (code ? reject(new Error(`${mode} run exited with ${code}`)) : undefined))
  })
const fmt = r =>
  `${r.mode.padEnd(5)} wall ${(r.wallMs / 1000).toFixed(2)} s, CPU ${(r.cpuMs / 1000).toFixed(2)} s, ` +
  `${(r.cpuMs / count).toFixed(1)} ms CPU per record`
console.log(
  `${count} records, ${args.chunk ? `${args.chunk} finds at a time` : "all finds at once"}, ` +
    `${args.window ? `at most ${args.window} answers unacknowledged` : "every request answered at once"}`,
)
for (let i = 0; i < Number(args.repeats); i++) {
  for (const mode of ["repo", "load", "sync"]) console.log(fmt(await runChild(mode)))
}
