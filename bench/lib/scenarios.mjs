// The four scenarios. Each gets a fresh server process and fresh storage, drives it only
// through client-worker processes, and returns plain numbers for the report. Every wait
// has a deadline, so a stuck server yields a failure count, not a hung bench.

import fs from "node:fs"
import path from "node:path"
import { ADMIN, BENCH_USER, Session, addBenchUser, referenceIdentity, withToken } from "./auth.mjs"
import { now } from "./clients.mjs"
import { WorkerPool } from "./pool.mjs"
import {
  RssSampler,
  freshStorage,
  readCpuSeconds,
  readMemory,
  readPostgresCpuSeconds,
  reviewDuyanLog,
  startServer,
} from "./servers.mjs"

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const sum = (xs, f) => xs.reduce((s, x) => s + f(x), 0)

export function percentile(sorted, p) {
  if (sorted.length === 0) return null
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** The clients' message counts (`Client.traffic`) of several worker replies, added up. */
function addTraffic(replies) {
  const total = { in: {}, out: {}, dataBytesIn: 0, dataBytesOut: 0 }
  for (const t of replies.map(r => r.traffic).filter(Boolean)) {
    for (const way of ["in", "out"]) {
      for (const [type, count] of Object.entries(t[way])) total[way][type] = (total[way][type] ?? 0) + count
    }
    total.dataBytesIn += t.dataBytesIn
    total.dataBytesOut += t.dataBytesOut
  }
  return total
}

/** Worker replies that failed, reduced to what the report needs. */
function workerFailures(replies) {
  return {
    failedCalls: replies.filter(r => !r.ok).map(r => r.error),
    uncaught: sum(replies, r => r.errors?.count ?? 0),
    uncaughtSamples: replies.flatMap(r => r.errors?.samples ?? []).slice(0, 5),
    clientCpuS: sum(replies, r => r.cpuS ?? 0),
  }
}

/**
 * Signs in on a fresh duyan database: a setup start of the server creates `admin` (first
 * start), `duyan user add` creates the supervisor `bench`, both sign in, and the setup process
 * is stopped. The measured process is started afterwards, so password hashing (Argon2id, about
 * 19 MiB a hash) shows in neither its CPU nor its memory figures; the tokens stay valid
 * because every process of the run signs with the same secret.
 */
async function signInDuyan(ctx, storage, logPath) {
  const setup = await startServer({ kind: "duyan", storage, logPath, duyanBin: ctx.duyanBin, label: "setup: users, sign-in" })
  try {
    const userId = await addBenchUser(ctx.duyanBin, storage.url)
    const bench = await Session.signIn(setup.httpUrl, BENCH_USER)
    const admin = await Session.signIn(setup.httpUrl, ADMIN)
    if (bench.userId !== userId || !bench.roles.includes("supervisor")) {
      throw new Error(`signed in as ${bench.userId} (${bench.roles}), expected the supervisor ${userId}`)
    }
    return { bench, admin }
  } finally {
    await setup.stop()
  }
}

/**
 * Runs `body(live, storage)` against a fresh server of `ctx.kind`; always stops the server
 * and removes its storage. On the handed object: `server`, `restart()` (same storage),
 * `author` (the user id records are created by), `url()` (the WebSocket URL with a fresh
 * access token, for each set of connections) and `adminToken()` (duyan's /metrics).
 *
 * For duyan, the server log is then checked for refused changes: the workload consists of
 * valid records and allowed edits only, so any means the figures measured something else, and
 * the scenario is marked failed.
 */
async function withServer(ctx, label, body) {
  const storage = await freshStorage(ctx.kind, `${ctx.storagePrefix}_${label}`)
  const logPath = path.join(ctx.runDir, `${ctx.kind}-${label}.server.log`)
  const start = () => startServer({ kind: ctx.kind, storage, logPath, duyanBin: ctx.duyanBin })
  let live
  let result
  try {
    const sessions = ctx.kind === "duyan" ? await signInDuyan(ctx, storage, logPath) : null
    const identity = sessions
      ? { userId: sessions.bench.userId, token: () => sessions.bench.token(live.server.httpUrl) }
      : referenceIdentity()
    live = { server: await start(), author: identity.userId }
    live.url = async () => withToken(live.server.wsUrl, await identity.token())
    live.adminToken = async () => sessions?.admin.token(live.server.httpUrl)
    live.restart = async () => {
      const stopped = await live.server.stop()
      live.server = await start()
      return stopped
    }
    result = await body(live, storage)
  } finally {
    if (live?.server.exitStatus && !live.stopping) {
      ctx.note(`${ctx.kind} ${label}: server had exited on its own: ${JSON.stringify(live.server.exitStatus)}`)
    }
    if (live) {
      live.stopping = true
      await live.server.stop()
    }
    await storage.drop().catch(err => ctx.note(`dropping ${ctx.kind} storage failed: ${err.message}`))
  }
  if (ctx.kind === "duyan") {
    const log = reviewDuyanLog(logPath)
    result.serverLog = log
    if (log.refused) {
      result.error =
        `duyan refused ${log.refused} changes (${log.restored} restored, ${log.foreignActor} foreign actor, ` +
        `${log.restoreFailed} failed restores; see ${path.basename(logPath)}): the workload was not all ` +
        "valid records and allowed edits, so these figures are void"
    }
    if (log.tokenExpired || log.signedOut) {
      ctx.note(`duyan ${label}: ${log.tokenExpired} sessions closed for an expired token, ${log.signedOut} for sign-out`)
    }
  }
  return result
}

/** Creates records offline in `workers` processes, connects them all at once, waits for acks. */
async function burst(ctx, url, { workers, clients, docsPerClient, seedBase, author, deadline }) {
  const pool = await WorkerPool.start(workers, path.join(ctx.runDir, `${ctx.kind}-clients.log`))
  try {
    const created = await pool.all("create", w => ({
      author,
      clients: Array.from({ length: Math.ceil((clients - w) / workers) }, (_, k) => {
        const c = w + k * workers
        return { name: `c${c}`, seeds: Array.from({ length: docsPerClient }, (_, j) => seedBase + c * docsPerClient + j) }
      }),
    }))
    const docs = created.flatMap(r => r.docs ?? [])
    ctx.beforeGo?.()
    const goAt = now()
    const replies = await pool.all("connect", () => ({ url, deadline }))
    const perClient = replies.flatMap(r => r.perClient ?? [])
    const finished = perClient.map(c => c.doneAt).filter(at => at !== null)
    const acked = sum(perClient, c => c.acked)
    const total = clients * docsPerClient
    const doneTimes = finished.map(at => at - goAt).sort((a, b) => a - b)
    const lastAcks = perClient.map(c => c.lastAckAt).filter(at => at !== null)
    const unacked = new Set(perClient.flatMap(c => c.unacked ?? []))
    await pool.all("disconnect", () => ({}), 30_000)
    return {
      docs,
      ackedDocs: docs.filter(d => !unacked.has(d.url)),
      result: {
        records: total,
        acked,
        elapsedMs: acked === total && finished.length === clients ? Math.max(...finished) - goAt : null,
        allowedMs: deadline - goAt,
        lastAckMs: lastAcks.length ? Math.max(...lastAcks) - goAt : null,
        clientDoneP50Ms: percentile(doneTimes, 50),
        connects: sum(perClient, c => c.connects),
        drops: sum(perClient, c => c.disconnects),
        serverStorageIds: [...new Set(perClient.map(c => c.serverStorageId))],
        serverEphemeral: [...new Set(perClient.map(c => c.serverEphemeral))],
        ...workerFailures(replies),
      },
    }
  } finally {
    await pool.close()
  }
}

/**
 * Stores `count` records through the protocol in rounds of `perRound`, each round a burst of
 * small clients in fresh worker processes, so no client is busy long enough to miss a ping.
 * Returns the records the server acknowledged.
 */
async function seed(ctx, live, { count, perRound, workers, clientsPerRound, seedBase, deadline }) {
  const t0 = now()
  const docs = []
  const rounds = []
  for (let done = 0; done < count && now() < deadline; done += perRound) {
    const size = Math.min(perRound, count - done)
    const clients = Math.min(clientsPerRound, size)
    // A fresh URL (token) for every round's connections.
    const round = await burst(ctx, await live.url(), {
      workers: Math.min(workers, clients),
      clients,
      docsPerClient: Math.ceil(size / clients),
      seedBase: seedBase + done,
      author: live.author,
      deadline,
    })
    docs.push(...round.ackedDocs)
    const { records, acked, elapsedMs, drops, uncaught, uncaughtSamples, failedCalls } = round.result
    rounds.push({ records, acked, elapsedMs, drops, uncaught, uncaughtSamples, failedCalls })
  }
  return {
    docs,
    summary: {
      records: sum(rounds, r => r.records),
      acked: docs.length,
      drops: sum(rounds, r => r.drops),
      elapsedMs: now() - t0,
      rounds: rounds.filter(r => r.acked < r.records || r.uncaught || r.failedCalls.length),
    },
  }
}

/** A fresh client per worker loads `docs` (split among the workers); tallies the outcome. */
async function fetchAll(ctx, url, docs, { workers = 1, deadline, chunk, keepConnected = false }) {
  const pool = await WorkerPool.start(workers, path.join(ctx.runDir, `${ctx.kind}-clients.log`))
  try {
    const share = w => docs.filter((_, i) => i % workers === w)
    const replies = await pool.all("fetch", w => ({ url, docs: share(w), deadline, chunk }))
    const ok = replies.filter(r => r.connected)
    const tally = key => sum(replies, r => r[key] ?? 0)
    const loaded = tally("loaded")
    const result = {
      docs: docs.length,
      loaded,
      mismatched: tally("mismatched"),
      unavailable: tally("unavailable"),
      failed: tally("failed"),
      timedOut: tally("timedOut"),
      notConnected: replies.length - ok.length,
      drops: tally("disconnects"),
      elapsedMs:
        loaded === docs.length && ok.length === replies.length
          ? Math.max(...ok.map(r => r.lastAt)) - Math.min(...ok.map(r => r.startedAt))
          : null,
      // Until every find had an answer, loaded or not (none may have timed out).
      settledMs:
        ok.length === replies.length && tally("timedOut") === 0
          ? Math.max(...ok.map(r => r.settledAt)) - Math.min(...ok.map(r => r.startedAt))
          : null,
      failureSamples: replies.flatMap(r => r.failures ?? []).slice(0, 3),
      traffic: addTraffic(replies),
      ...workerFailures(replies),
    }
    if (keepConnected) return { result, pool }
    await pool.all("disconnect", () => ({}), 30_000)
    await pool.close()
    return { result }
  } catch (err) {
    await pool.close()
    throw err
  }
}

/** (a) 100 clients with offline records connect at once. */
export async function reconnectBurst(ctx, cfg) {
  return withServer(ctx, "burst", async live => {
    const { server } = live
    const sampler = new RssSampler(server.pid)
    let idle
    let cpu0
    let db0
    const burstCtx = {
      ...ctx,
      beforeGo: () => {
        idle = sampler.mark()
        cpu0 = readCpuSeconds(server.pid)
        db0 = readPostgresCpuSeconds()
      },
    }
    const url = await live.url()
    const deadline = now() + cfg.boundMs
    const { docs, result } = await burst(burstCtx, url, { ...cfg, seedBase: 1_000_000, author: live.author, deadline })
    const mem = readMemory(server.pid)
    result.serverCpuS = readCpuSeconds(server.pid) - cpu0
    result.dbCpuS = ctx.kind === "duyan" ? readPostgresCpuSeconds() - db0 : null
    result.idleRssKiB = idle?.rssKiB ?? null
    result.peakRssKiB = mem?.hwmKiB ?? null
    result.sampledPeakRssKiB = sampler.peakKiB
    sampler.stop()
    // Not timed: a fresh client per worker reads every record back, checking its heads,
    // a few at a time so that no reader is too busy to answer pings.
    const verify = await fetchAll(ctx, await live.url(), docs, {
      workers: cfg.workers,
      chunk: 25,
      deadline: now() + cfg.verifyMs,
    })
    result.verify = verify.result
    return result
  })
}

/** (b) Sequential edits on one document: A changes, B sees it. */
export async function editPropagation(ctx, cfg) {
  return withServer(ctx, "edits", live => measureEdits(ctx, cfg, live, null))
}

/**
 * (e) duyan only: as (b), but A writes through one server process and B reads through a second
 * one on the same database, so each edit crosses PostgreSQL's LISTEN/NOTIFY (ARCHITECTURE.md,
 * "Several processes"). The reference has no second process to compare with; its (b) is the bar.
 */
export async function twoProcessEdits(ctx, cfg) {
  return withServer(ctx, "edits2", async (live, storage) => {
    const logPath = path.join(ctx.runDir, `${ctx.kind}-edits2-second.server.log`)
    const second = await startServer({ kind: ctx.kind, storage, logPath, duyanBin: ctx.duyanBin, label: "second process" })
    try {
      return await measureEdits(ctx, cfg, live, second.wsUrl)
    } finally {
      await second.stop()
    }
  })
}

/** Edit latency from client A (on `live`) to client B (on `otherWsUrl`, else also on `live`). */
async function measureEdits(ctx, cfg, live, otherWsUrl) {
  const pool = await WorkerPool.start(1, path.join(ctx.runDir, `${ctx.kind}-clients.log`))
  try {
    const url = await live.url()
    let urlB
    if (otherWsUrl) {
      // The same access token (every process signs with the run's secret), the other address.
      const b = new URL(url)
      b.host = new URL(otherWsUrl).host
      urlB = b.toString()
    }
    const [reply] = await pool.all("edit", () => ({ ...cfg, url, urlB, author: live.author, deadline: now() + cfg.boundMs }))
    const lat = [...(reply.latencies ?? [])].sort((a, b) => a - b)
    return {
      edits: cfg.edits,
      measured: lat.length,
      timeouts: reply.timeouts ?? cfg.edits,
      p50Ms: percentile(lat, 50),
      p95Ms: percentile(lat, 95),
      maxMs: lat.at(-1) ?? null,
      meanMs: lat.length ? sum(lat, x => x) / lat.length : null,
      // In edit order: a latency that grows with the record's size shows here.
      latenciesMs: reply.latencies ?? [],
      setup: { connected: reply.connected ?? false, seeded: reply.seeded ?? false, found: reply.found ?? false },
      drops: (reply.a?.disconnects ?? 0) + (reply.b?.disconnects ?? 0),
      ...workerFailures([reply]),
    }
  } finally {
    await pool.close()
  }
}

/**
 * (c) Seed, restart gracefully, then one fresh client loads every record at once. The JS
 * client's own cost varies from run to run, so this restarts and loads `repeats` times and
 * reports the median run (by time to the last answer), keeping every run in `runs`.
 */
export async function coldLoad(ctx, cfg) {
  return withServer(ctx, "cold", async live => {
    const seeded = await seed(ctx, live, { ...cfg.seed, seedBase: 2_000_000, deadline: now() + cfg.seedMs })
    const runs = []
    for (let i = 0; i < cfg.repeats; i++) {
      const stop = await live.restart()
      const url = await live.url()
      const sampler = new RssSampler(live.server.pid)
      const cpu0 = readCpuSeconds(live.server.pid)
      const db0 = readPostgresCpuSeconds()
      const { result } = await fetchAll(ctx, url, seeded.docs, { deadline: now() + cfg.loadMs })
      sampler.stop()
      runs.push({
        ...result,
        allowedMs: cfg.loadMs,
        serverCpuS: readCpuSeconds(live.server.pid) - cpu0,
        dbCpuS: ctx.kind === "duyan" ? readPostgresCpuSeconds() - db0 : null,
        stop,
        restartMs: live.server.startMs,
        loadPeakRssKiB: sampler.peakKiB,
      })
    }
    // Unfinished runs sort last; the median is then the middle of what finished, if enough did.
    const key = r => r.settledMs ?? Number.POSITIVE_INFINITY
    const median = [...runs].sort((x, y) => key(x) - key(y))[Math.floor((runs.length - 1) / 2)]
    const failedRuns = runs.filter(r => r.elapsedMs == null).length
    return { ...median, seed: seeded.summary, failedRuns, runs }
  })
}

/**
 * duyan's own gauges from /metrics (documents in memory, open sessions), for explaining RSS
 * figures. /metrics is for admins: `token` is admin's access token. Not part of the contract:
 * null when absent.
 */
async function serverGauges(server, token) {
  try {
    const res = await fetch(`${server.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2_000),
    })
    if (res.status !== 200) return null
    const text = await res.text()
    const gauge = name => {
      const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.e+-]+)\\s*$`, "m"))
      return m ? Number(m[1]) : null
    }
    return {
      documentsLoaded: gauge("duyan_documents_loaded"),
      sessionsOpen: gauge("duyan_sessions_open"),
      // jemalloc's split of the heap: what is held, the pages holding it, its own bookkeeping.
      heap: {
        allocated: gauge("duyan_heap_allocated_bytes"),
        active: gauge("duyan_heap_active_bytes"),
        metadata: gauge("duyan_heap_metadata_bytes"),
        resident: gauge("duyan_heap_resident_bytes"),
      },
    }
  } catch {
    return null
  }
}

/**
 * With BENCH_SMAPS=1, keeps the server's memory map (/proc/<pid>/smaps) as
 * `duyan-memory-<label>.smaps` in the run's directory, to see which mappings hold what.
 */
function saveMemoryMap(ctx, pid, label) {
  if (!process.env.BENCH_SMAPS) return
  fs.writeFileSync(path.join(ctx.runDir, `duyan-memory-${label}.smaps`), fs.readFileSync(`/proc/${pid}/smaps`))
}

/** (d) duyan only: RSS before and after one client reads 10,000 documents and leaves. */
export async function boundedMemory(ctx, cfg) {
  return withServer(ctx, "memory", async live => {
    const seeded = await seed(ctx, live, { ...cfg.seed, seedBase: 3_000_000, deadline: now() + cfg.seedMs })
    const { docs, summary } = seeded
    if (docs.length < cfg.seed.count) {
      return { seed: summary, error: `only ${docs.length} of ${cfg.seed.count} records were stored while seeding` }
    }

    const stopped = await live.restart()
    const pid = live.server.pid
    // Tokens for the whole measurement, taken before it (each has 10 minutes or more left).
    const url = await live.url()
    const adminToken = await live.adminToken()
    const warm = await fetchAll(ctx, url, docs.slice(0, 1), { deadline: now() + 30_000 })
    await sleep(cfg.idleWaitMs)
    const before = readMemory(pid)
    saveMemoryMap(ctx, pid, "before")
    const gaugesBefore = await serverGauges(live.server, adminToken)
    const sampler = new RssSampler(pid)
    sampler.mark()
    const fetched = await fetchAll(ctx, url, docs, {
      workers: cfg.fetchWorkers,
      chunk: cfg.fetchChunk,
      deadline: now() + cfg.fetchMs,
      keepConnected: true,
    })
    const loadedRss = readMemory(pid)
    const gaugesLoaded = await serverGauges(live.server, adminToken)
    await fetched.pool.all("disconnect", () => ({}), 30_000)
    await fetched.pool.close()
    const leftAt = now()
    const trace = []
    while (now() - leftAt < cfg.idleWaitMs) {
      await sleep(1_000)
      trace.push({ afterMs: Math.round(now() - leftAt), rssKiB: readMemory(pid)?.rssKiB ?? null })
    }
    const after = readMemory(pid)
    saveMemoryMap(ctx, pid, "after")
    const gaugesAfter = await serverGauges(live.server, adminToken)
    // Informational only: whether memory still comes back later than the measured point.
    while (now() - leftAt < cfg.lateMs) {
      await sleep(1_000)
      trace.push({ afterMs: Math.round(now() - leftAt), rssKiB: readMemory(pid)?.rssKiB ?? null })
    }
    const late = readMemory(pid)
    const gaugesLate = await serverGauges(live.server, adminToken)
    sampler.stop()
    return {
      seed: summary,
      stop: stopped,
      warmup: { loaded: warm.result.loaded },
      fetch: fetched.result,
      beforeRssKiB: before?.rssKiB ?? null,
      loadedRssKiB: loadedRss?.rssKiB ?? null,
      peakRssKiB: after?.hwmKiB ?? sampler.peakKiB,
      afterRssKiB: after?.rssKiB ?? null,
      ratio: before && after ? after.rssKiB / before.rssKiB : null,
      // RSS split into heap (anonymous) and the binary's pages (file), threads counted.
      memory: { before, loaded: loadedRss, after, late },
      lateRssKiB: late?.rssKiB ?? null,
      lateAfterMs: cfg.lateMs,
      gauges: { before: gaugesBefore, loaded: gaugesLoaded, after: gaugesAfter, late: gaugesLate },
      trace,
      serverAlive: !live.server.exitStatus,
    }
  })
}
