// A child process holding some of the bench's clients, driven over IPC by bench.mjs.
// Several of these run at once so the client side is not one event loop.
//
// Commands (each answered with { id, ok, ...result }):
//   create     { clients: [{ name, seeds }], author }  offline repos, one record per seed,
//              created by user id `author`
//   connect    { url, deadline }                    connect all; wait until every record is acked
//   fetch      { url, docs: [{ url, heads }], deadline, chunk }  a fresh client loads every
//              doc, `chunk` at a time (default: all at once)
//   edit       { url, urlB?, author, edits, warmup, gapMs, perEditMs, deadline }  edit latency
//              between two clients (B on `urlB` if given), each edit a progress entry by `author`
//   disconnect {}                                   close every connection this process holds
//
// `url` is the server's WebSocket URL with the access token as `?token=` (the reference
// server ignores it); the driver hands out a fresh one for every command that connects.

import { Client, byDeadline, now, sameHeads } from "./clients.mjs"
import { dubanRecord, progressEntry, rng } from "./records.mjs"

const clients = []
const errors = { count: 0, samples: [] }
const noteError = err => {
  errors.count += 1
  if (errors.samples.length < 5) errors.samples.push(String(err?.stack ?? err).slice(0, 400))
}
// WebSocketClientAdapter rethrows socket errors other than ECONNREFUSED from its listener;
// a dropped connection must count as a failure, not end the bench.
process.on("uncaughtException", noteError)
process.on("unhandledRejection", noteError)
process.on("disconnect", () => process.exit(1))
// An orderly exit when the pool closes, so that --cpu-prof (BENCH_CLIENT_NODE_ARGS) is written.
process.on("SIGTERM", () => process.exit(0))

const commands = {
  async create({ clients: specs, author }) {
    const docs = []
    for (const spec of specs) {
      const client = new Client(spec.name)
      client.handles = spec.seeds.map(seed => client.repo.create(dubanRecord(seed, author)))
      for (const h of client.handles) docs.push({ url: h.url, heads: h.heads(), client: spec.name })
      clients.push(client)
    }
    return { docs }
  },

  async connect({ url, deadline }) {
    const receivedAt = now()
    for (const client of clients) client.connect(url)
    const perClient = await Promise.all(
      clients.map(async client => {
        const acks = await Promise.all(
          client.handles.map(async h => {
            await client.whenConnected(deadline)
            return client.whenAcked(h, deadline)
          }),
        )
        const done = acks.filter(at => at !== undefined)
        return {
          ...client.stats(),
          firstConnectAt: client.firstConnectAt ?? null,
          acked: done.length,
          total: acks.length,
          doneAt: done.length === acks.length ? Math.max(...done) : null,
          lastAckAt: done.length ? Math.max(...done) : null,
          unacked: client.handles.filter((_, i) => acks[i] === undefined).map(h => h.url),
        }
      }),
    )
    return { receivedAt, perClient }
  },

  async fetch({ url, docs, deadline, chunk = docs.length }) {
    const client = new Client(`fetch-${process.pid}`)
    clients.push(client)
    client.connect(url)
    if (!(await client.whenConnected(deadline))) {
      return { connected: false, ...client.stats(), loaded: 0, unavailable: 0, failed: 0, timedOut: docs.length }
    }
    const startedAt = now()
    const tally = { loaded: 0, mismatched: 0, unavailable: 0, failed: 0, timedOut: 0 }
    const failures = []
    let lastAt = startedAt
    let settledAt = startedAt
    const loadOne = async doc => {
      const found = client.repo.find(doc.url).then(
        handle => ({ handle }),
        err => ({ err }),
      )
      const result = await byDeadline(found, deadline, { timedOut: true })
      if (!result.timedOut) settledAt = Math.max(settledAt, now())
      if (result.timedOut) {
        tally.timedOut += 1
      } else if (result.err) {
        const message = String(result.err?.message ?? result.err)
        tally[/unavailable/i.test(message) ? "unavailable" : "failed"] += 1
        if (failures.length < 5) failures.push(message.slice(0, 300))
      } else {
        tally.loaded += 1
        if (doc.heads && !sameHeads(result.handle.heads(), doc.heads)) tally.mismatched += 1
        lastAt = Math.max(lastAt, now())
      }
    }
    const step = Math.max(1, chunk)
    for (let i = 0; i < docs.length; i += step) await Promise.all(docs.slice(i, i + step).map(loadOne))
    return { connected: true, startedAt, lastAt, settledAt, ...tally, failures, ...client.stats() }
  },

  async edit({ url, urlB, author, edits, warmup, gapMs, perEditMs, deadline }) {
    const a = new Client("editor-a")
    const b = new Client("editor-b")
    clients.push(a, b)
    a.connect(url)
    b.connect(urlB ?? url)
    if (!(await a.whenConnected(deadline)) || !(await b.whenConnected(deadline))) {
      return { connected: false, latencies: [], timeouts: edits }
    }
    const handleA = a.repo.create(dubanRecord(7_000_001, author))
    if ((await a.whenAcked(handleA, deadline)) === undefined) {
      return { connected: true, seeded: false, latencies: [], timeouts: edits, a: a.stats() }
    }
    const handleB = await byDeadline(b.repo.find(handleA.url), deadline, undefined).catch(noteError)
    if (!handleB) return { connected: true, seeded: true, found: false, latencies: [], timeouts: edits }

    const rand = rng(99)
    const latencies = []
    let timeouts = 0
    for (let seq = 0; seq < warmup + edits && now() < deadline; seq++) {
      const id = `e-${seq}`
      const seen = new Promise(resolve => {
        const timer = setTimeout(() => finish(undefined), perEditMs)
        const finish = at => {
          clearTimeout(timer)
          handleB.off("change", onChange)
          resolve(at)
        }
        // Entry ids are ImmutableStrings in the document.
        const onChange = ({ doc }) => {
          if (String(doc.progress?.at(-1)?.id) === id) finish(now())
        }
        handleB.on("change", onChange)
      })
      // An allowed change for a supervisor: appending a progress entry of their own.
      // Percent from 1 to 99: a literal 0 would be stored as a float (see records.mjs).
      const entry = progressEntry(rand, id, author, { percent: 1 + (seq % 99) })
      const t0 = now()
      handleA.change(d => {
        d.progress.push(entry)
      })
      const at = await seen
      // A pause longer than automerge-repo's 100 ms sync throttle, so each edit is sent at
      // once rather than waiting out the throttle window the previous edit opened.
      await new Promise(resolve => setTimeout(resolve, gapMs))
      if (seq < warmup) continue
      if (at === undefined) timeouts += 1
      else latencies.push(at - t0)
    }
    return { connected: true, seeded: true, found: true, latencies, timeouts, a: a.stats(), b: b.stats() }
  },

  async disconnect() {
    for (const client of clients) client.disconnect()
    return { clients: clients.map(c => c.stats()) }
  },
}

process.on("message", async msg => {
  const run = commands[msg.cmd]
  let reply
  try {
    if (!run) throw new Error(`unknown command ${msg.cmd}`)
    const cpu0 = process.cpuUsage()
    reply = { id: msg.id, ok: true, ...(await run(msg)) }
    const cpu = process.cpuUsage(cpu0)
    reply.cpuS = (cpu.user + cpu.system) / 1e6
  } catch (err) {
    noteError(err)
    reply = { id: msg.id, ok: false, error: String(err?.stack ?? err).slice(0, 800) }
  }
  reply.errors = { count: errors.count, samples: errors.samples }
  process.send(reply)
})
process.send({ ready: true, pid: process.pid })
