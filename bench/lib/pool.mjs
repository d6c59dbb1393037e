// A set of client-worker child processes and a request/reply call over IPC.

import { fork } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { NativePool, killNativeWorkers } from "./native.mjs"

const workerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "client-worker.mjs")
const live = new Set()
// Extra Node options for the client processes, e.g. BENCH_CLIENT_NODE_ARGS="--cpu-prof
// --cpu-prof-dir=/tmp/prof" to profile them (Node refuses --cpu-prof in NODE_OPTIONS).
const clientNodeArgs = [...process.execArgv, ...(process.env.BENCH_CLIENT_NODE_ARGS?.split(" ").filter(Boolean) ?? [])]

/** Kills every worker still running; bench.mjs calls it on any exit. */
export function killAllWorkers() {
  for (const child of live) child.kill("SIGKILL")
  killNativeWorkers()
}

/** Which clients run: the stock automerge-repo client (default) or `native` (bench/native). */
export const CLIENTS = process.env.BENCH_CLIENTS === "native" ? "native" : "stock"

export class WorkerPool {
  static async start(count, logPath) {
    if (CLIENTS === "native") return NativePool.start(count, logPath)
    const log = fs.openSync(logPath, "a")
    const workers = await Promise.all(
      Array.from({ length: count }, () => {
        const child = fork(workerPath, [], { stdio: ["ignore", log, log, "ipc"], execArgv: clientNodeArgs })
        live.add(child)
        child.on("exit", () => live.delete(child))
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("client worker did not start in 30 s")), 30_000)
          child.once("message", msg => {
            clearTimeout(timer)
            if (msg?.ready) resolve(child)
            else reject(new Error(`client worker said ${JSON.stringify(msg)}`))
          })
          child.once("exit", code => reject(new Error(`client worker exited with ${code}`)))
        })
      }),
    )
    return new WorkerPool(workers)
  }

  constructor(workers) {
    this.workers = workers
    this.nextId = 1
    this.pending = new Map()
    for (const child of workers) {
      child.on("message", msg => {
        const waiter = this.pending.get(msg?.id)
        if (waiter) {
          this.pending.delete(msg.id)
          waiter.resolve(msg)
        }
      })
      child.on("exit", (code, signal) => {
        for (const [id, waiter] of this.pending) {
          if (waiter.child === child) {
            this.pending.delete(id)
            waiter.resolve({ id, ok: false, error: `worker exited (${code ?? signal})` })
          }
        }
      })
    }
  }

  get size() {
    return this.workers.length
  }

  /** Sends one command to worker `i`; resolves its reply, or an error reply after `timeoutMs`. */
  call(i, cmd, args = {}, timeoutMs = 600_000) {
    const child = this.workers[i]
    const id = this.nextId++
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve({ id, ok: false, error: `no reply to ${cmd} within ${timeoutMs} ms` })
      }, timeoutMs)
      this.pending.set(id, {
        child,
        resolve: msg => {
          clearTimeout(timer)
          resolve(msg)
        },
      })
      child.send({ id, cmd, ...args })
    })
  }

  /** The same command to every worker at once; `argsFor(i)` gives each its arguments. */
  all(cmd, argsFor = () => ({}), timeoutMs) {
    return Promise.all(this.workers.map((_, i) => this.call(i, cmd, argsFor(i), timeoutMs)))
  }

  async close() {
    await Promise.all(
      this.workers.map(
        child =>
          new Promise(resolve => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
            child.once("exit", () => {
              clearTimeout(timer)
              resolve()
            })
            child.kill("SIGTERM")
          }),
      ),
    )
  }
}
