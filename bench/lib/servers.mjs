// Starting, watching and stopping the two servers under test, plus their storage:
// a temporary directory for the reference server, a scratch PostgreSQL database for duyan.

import { spawn, execFile, execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { promisify } from "node:util"
import { fileURLToPath } from "node:url"
import { ADMIN, JWT_SECRET } from "./auth.mjs"

const run = promisify(execFile)
const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// BENCH_PG_PORT points duyan at another local cluster, e.g. one with pg_stat_statements
// loaded to see where PostgreSQL's share of the CPU goes.
export const PG = { host: "127.0.0.1", port: process.env.BENCH_PG_PORT ?? "5432", user: "postgres" }
const pgArgs = ["-h", PG.host, "-p", PG.port, "-U", PG.user]

// Everything started or created here, so an interrupted run can still clean up.
const liveServers = new Set()
const liveStorage = new Set()

/** Kills every server still running and drops every scratch database or directory. */
export function emergencyCleanup() {
  for (const child of liveServers) child.kill("SIGKILL")
  for (const storage of liveStorage) {
    try {
      if (storage.dir) fs.rmSync(storage.dir, { recursive: true, force: true })
      else execFileSync("dropdb", [...pgArgs, "--if-exists", "--force", storage.database], { stdio: "ignore" })
    } catch {
      // Best effort on the way out.
    }
  }
}

/** Where a server keeps its data for one scenario; `drop()` removes it. */
export async function freshStorage(kind, name) {
  let storage
  if (kind === "reference") {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), `${name}-`))
    storage = { kind, dir, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) }
  } else {
    await run("createdb", [...pgArgs, name])
    storage = {
      kind,
      database: name,
      url: `postgres://${PG.user}@${PG.host}:${PG.port}/${name}`,
      drop: () => run("dropdb", [...pgArgs, "--if-exists", "--force", name]),
    }
  }
  liveStorage.add(storage)
  const drop = storage.drop
  storage.drop = async () => {
    await drop()
    liveStorage.delete(storage)
  }
  return storage
}

/** Reads VmRSS/VmHWM (KiB) from /proc; undefined once the process is gone. */
export function readMemory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const field = name => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1])
    // RssAnon is the heap (what unloading should give back); RssFile is the binary's code
    // and libraries paged in, which stays once touched.
    return {
      rssKiB: field("VmRSS"),
      hwmKiB: field("VmHWM"),
      anonKiB: field("RssAnon"),
      fileKiB: field("RssFile"),
      threads: Number(status.match(/^Threads:\s+(\d+)/m)?.[1]),
    }
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a process has used so far; undefined once it is gone. */
export function readCpuSeconds(pid, ticksPerSecond = 100) {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return undefined
  }
}

/**
 * CPU seconds used so far by the PostgreSQL processes of the cluster the bench uses (the
 * postmaster listening on `PG.port` and its children), or by every PostgreSQL process on the
 * machine when that cluster cannot be told (its data directory unreadable). duyan's storage
 * work happens there, so its CPU counts towards duyan's cost; on a machine whose other users
 * also use PostgreSQL, a private cluster (`BENCH_PG_PORT`) keeps their work out of the figure.
 * Backends that exited are missed, hence readings are taken while duyan still holds its pool.
 */
export function readPostgresCpuSeconds() {
  const processes = []
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "postgres") continue
      // The parent's pid is the field after the command, which is in parentheses.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]
      processes.push({ pid: entry, ppid })
    } catch {
      // The process ended while being read.
    }
  }
  const postmaster = processes.find(p => postmasterPort(p.pid) === String(PG.port))
  let total = 0
  for (const { pid, ppid } of processes) {
    if (postmaster && pid !== postmaster.pid && ppid !== postmaster.pid) continue
    try {
      total += readCpuSeconds(pid) ?? 0
    } catch {
      // The process ended while being read.
    }
  }
  return total
}

/** The port of the postmaster `pid` (its data directory's `postmaster.pid`), if it is one. */
function postmasterPort(pid) {
  try {
    const lines = fs.readFileSync(`${fs.readlinkSync(`/proc/${pid}/cwd`)}/postmaster.pid`, "utf8").split("\n")
    return lines[0].trim() === pid ? lines[3]?.trim() : undefined
  } catch {
    return undefined
  }
}

/**
 * Samples a process's VmRSS every `everyMs`. `mark()` starts a new window: its peak and the
 * kernel's VmHWM are reset, so phases can be measured separately in one process.
 */
export class RssSampler {
  constructor(pid, everyMs = 50) {
    this.pid = pid
    this.samples = 0
    this.peakKiB = 0
    this.timer = setInterval(() => this.sample(), everyMs)
    this.timer.unref()
    this.sample()
  }

  sample() {
    const m = readMemory(this.pid)
    if (!m) return undefined
    this.samples += 1
    this.peakKiB = Math.max(this.peakKiB, m.rssKiB)
    return m
  }

  mark() {
    this.peakKiB = 0
    try {
      // "5" resets the peak resident set size (VmHWM) of the process.
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, "5")
    } catch {
      // Not permitted here: VmHWM then covers the whole process lifetime.
    }
    return this.sample()
  }

  stop() {
    clearInterval(this.timer)
  }
}

/**
 * Starts one server and waits until it serves. Returns { kind, pid, wsUrl, startMs, stop }.
 * stdout and stderr go to `logPath` (appended, so restarts share one file). `label` marks the
 * start in the log.
 *
 * duyan gets `DUYAN_ADMIN_PASSWORD` (its first start on a fresh database creates `admin`), the
 * run's `DUYAN_JWT_SECRET` (tokens stay valid across restarts) and `RUST_LOG=info`, its default,
 * set explicitly because the bench reads refused changes from its info lines.
 */
export async function startServer({ kind, storage, logPath, duyanBin, label = "", readyTimeoutMs = 60_000 }) {
  const log = fs.openSync(logPath, "a")
  fs.writeSync(log, `\n=== ${new Date().toISOString()} start ${kind}${label ? ` (${label})` : ""}\n`)
  const started = performance.now()
  const child =
    kind === "reference"
      ? spawn(process.execPath, [path.join(benchDir, "reference-server.mjs"), "--port", "0", "--data", storage.dir], {
          stdio: ["ignore", "pipe", log],
        })
      : spawn(
          duyanBin,
          ["serve", "--listen", "127.0.0.1:0", "--database-url", storage.url, "--doc-idle-timeout", "2s"],
          // From the repository root, where its relative defaults (web/dist, data) point.
          {
            stdio: ["ignore", "pipe", log],
            cwd: path.dirname(benchDir),
            env: {
              ...process.env,
              DUYAN_ADMIN_PASSWORD: ADMIN.password,
              DUYAN_JWT_SECRET: JWT_SECRET,
              RUST_LOG: "info",
              NO_COLOR: "1",
            },
          },
        )
  liveServers.add(child)
  const exited = new Promise(resolve =>
    child.on("exit", (code, signal) => {
      liveServers.delete(child)
      resolve({ code, signal })
    }),
  )
  const server = { kind, pid: child.pid, child, exited, exitStatus: undefined }
  exited.then(status => {
    server.exitStatus = status
    fs.writeSync(log, `=== ${new Date().toISOString()} exit ${JSON.stringify(status)}\n`)
  })

  const listening = new Promise((resolve, reject) => {
    let buffered = ""
    child.stdout.on("data", chunk => {
      fs.writeSync(log, chunk)
      buffered += chunk.toString()
      const m = buffered.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/)
      if (m) resolve(m[1])
    })
    child.on("error", reject)
    exited.then(status => reject(new Error(`${kind} exited before listening: ${JSON.stringify(status)}`)))
    setTimeout(() => reject(new Error(`${kind} did not print its listening line in ${readyTimeoutMs} ms`)), readyTimeoutMs)
  })
  let httpUrl
  try {
    httpUrl = await listening
    if (kind === "duyan") await waitHealthy(`${httpUrl}/healthz`, performance.now() + readyTimeoutMs)
  } catch (err) {
    child.kill("SIGKILL")
    throw err
  }
  server.httpUrl = httpUrl
  // Without the token: clients get `withToken(wsUrl, token)` (see scenarios.mjs).
  server.wsUrl = kind === "reference" ? httpUrl.replace("http:", "ws:") + "/" : httpUrl.replace("http:", "ws:") + "/sync"
  server.startMs = performance.now() - started
  server.stop = (graceMs = 30_000) => stopServer(server, graceMs)
  return server
}

async function waitHealthy(url, until) {
  let last
  while (performance.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      if (res.status === 200) return
      last = `status ${res.status}`
    } catch (err) {
      last = String(err?.message ?? err)
    }
    await sleep(100)
  }
  throw new Error(`${url} never answered 200 (${last})`)
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves { graceful, ms, code, signal }. */
async function stopServer(server, graceMs) {
  const t0 = performance.now()
  if (server.exitStatus) return { graceful: false, alreadyExited: true, ms: 0, ...server.exitStatus }
  server.child.kill("SIGTERM")
  const timer = setTimeout(() => server.child.kill("SIGKILL"), graceMs)
  const status = await server.exited
  clearTimeout(timer)
  return { graceful: status.signal === null && status.code === 0, ms: performance.now() - t0, ...status }
}

/** What a duyan server log says about refused changes and closed sessions. */
const LOG_SIGNS = {
  // The server put back part of a client's change (sync/doc.rs): the workload was not valid.
  restored: /restored fields the user may not change/,
  foreignActor: /refused changes made with another user's actor id/,
  restoreFailed: /could not restore refused fields/,
  // A connection outlived its access token (the bench should hand out fresh ones).
  tokenExpired: /closing session: access token expired/,
  signedOut: /closing session: signed out or disabled/,
}

/**
 * Counts the lines of a duyan log that mean changes were refused (`restored`, `foreignActor`,
 * `restoreFailed`: the bench's records or edits were not accepted as they are) or sessions
 * were cut by sign-in (`tokenExpired`, `signedOut`), with up to 3 sample lines of each.
 */
export function reviewDuyanLog(logPath) {
  const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, "utf8") : ""
  const review = { refused: 0, samples: [] }
  for (const key of Object.keys(LOG_SIGNS)) review[key] = 0
  for (const line of text.split("\n")) {
    for (const [key, sign] of Object.entries(LOG_SIGNS)) {
      if (!sign.test(line)) continue
      review[key] += 1
      if (review.samples.filter(s => s.key === key).length < 3) review.samples.push({ key, line: line.slice(0, 400) })
    }
  }
  review.refused = review.restored + review.foreignActor + review.restoreFailed
  return review
}
