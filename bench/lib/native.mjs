// Native clients (BENCH_CLIENTS=native): the same commands as client-worker.mjs, answered by
// `duyan-loadgen` (bench/native), a Rust process that speaks the automerge-repo protocol with
// the `automerge` crate. The stock client's CPU caps what a 2-core machine can show of either
// server (see BENCHMARKS.md, "The stock client's floor"); this one spends a small fraction of it.
//
// What is computed here, before any clock starts: the records (the same generator as the
// stock clients, `records.mjs`, through Automerge JS's `from` as `repo.create` does) and, for
// (b), every edit's change bytes and the heads it leads to. Only the protocol runs natively.

import { spawn } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as A from "@automerge/automerge"
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo"
import { dubanRecord, progressEntry, rng } from "./records.mjs"

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const LOADGEN_BIN = process.env.BENCH_LOADGEN ?? path.join(repoDir, "target/release/duyan-loadgen")

const b64 = bytes => Buffer.from(bytes).toString("base64")
const live = new Set()

/** Kills every native worker still running (bench.mjs's exit path). */
export function killNativeWorkers() {
  for (const child of live) child.kill("SIGKILL")
}

/** A record as `repo.create(dubanRecord(seed, author))` makes it: its URL, bytes and heads. */
function makeRecord(seed, author) {
  const url = generateAutomergeUrl()
  const doc = A.from(dubanRecord(seed, author))
  return { url, id: parseAutomergeUrl(url).documentId, bytes: b64(A.save(doc)), heads: A.getHeads(doc), doc }
}

/** The edit scenario's record and its `count` progress entries, each as a change and its heads. */
function makeEdits(author, count) {
  const record = makeRecord(7_000_001, author)
  const rand = rng(99)
  let doc = record.doc
  const changes = []
  for (let seq = 0; seq < count; seq++) {
    const entry = progressEntry(rand, `e-${seq}`, author, { percent: 1 + (seq % 99) })
    doc = A.change(doc, d => {
      d.progress.push(entry)
    })
    changes.push({ bytes: b64(A.getLastLocalChange(doc)), heads: A.getHeads(doc) })
  }
  return { doc: { id: record.id, bytes: record.bytes }, changes }
}

export class NativePool {
  static async start(count, logPath) {
    if (!fs.existsSync(LOADGEN_BIN)) {
      throw new Error(`no ${LOADGEN_BIN}: build it with cargo build --release -p duyan-loadgen`)
    }
    const log = fs.openSync(logPath, "a")
    const workers = await Promise.all(
      Array.from({ length: count }, async () => {
        const child = spawn(LOADGEN_BIN, [], { stdio: ["pipe", "pipe", log] })
        live.add(child)
        child.on("exit", () => live.delete(child))
        const lines = readline.createInterface({ input: child.stdout })
        const first = await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("native worker did not start in 30 s")), 30_000)
          lines.once("line", line => {
            clearTimeout(timer)
            resolve(JSON.parse(line))
          })
          child.once("exit", code => reject(new Error(`native worker exited with ${code}`)))
        })
        if (!first.ready) throw new Error(`native worker said ${JSON.stringify(first)}`)
        return { child, lines }
      }),
    )
    return new NativePool(workers)
  }

  constructor(workers) {
    this.workers = workers
    this.nextId = 1
    this.pending = new Map()
    for (const { child, lines } of workers) {
      lines.on("line", line => {
        const msg = JSON.parse(line)
        const waiter = this.pending.get(msg.id)
        if (waiter) {
          this.pending.delete(msg.id)
          waiter(msg)
        }
      })
      child.on("exit", code => {
        for (const [id, waiter] of this.pending) waiter({ id, ok: false, error: `native worker exited (${code})` })
        this.pending.clear()
      })
    }
  }

  get size() {
    return this.workers.length
  }

  /** As WorkerPool.call; `create` and `edit` are given their bytes here. */
  call(i, cmd, args = {}, timeoutMs = 600_000) {
    let sent = args
    let docs = null
    if (cmd === "create") {
      docs = []
      sent = {
        clients: args.clients.map(spec => ({
          name: spec.name,
          docs: spec.seeds.map(seed => {
            const record = makeRecord(seed, args.author)
            docs.push({ url: record.url, heads: record.heads, client: spec.name })
            return { id: record.id, bytes: record.bytes }
          }),
        })),
      }
    } else if (cmd === "edit") {
      sent = { ...args, ...makeEdits(args.author, args.warmup + args.edits) }
    }
    const id = this.nextId++
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve({ id, ok: false, error: `no reply to ${cmd} within ${timeoutMs} ms` })
      }, timeoutMs)
      this.pending.set(id, msg => {
        clearTimeout(timer)
        resolve(docs ? { ...msg, docs } : msg)
      })
      this.workers[i].child.stdin.write(`${JSON.stringify({ id, cmd, ...sent })}\n`)
    })
  }

  all(cmd, argsFor = () => ({}), timeoutMs) {
    return Promise.all(this.workers.map((_, i) => this.call(i, cmd, argsFor(i), timeoutMs)))
  }

  async close() {
    await Promise.all(
      this.workers.map(
        ({ child }) =>
          new Promise(resolve => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
            child.once("exit", () => {
              clearTimeout(timer)
              resolve()
            })
            child.stdin.end()
          }),
      ),
    )
  }
}
