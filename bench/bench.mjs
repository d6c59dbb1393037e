// The bench driver: runs every scenario against the reference server and duyan with the
// same client code, prints the comparison table and writes bench/results/. run.sh calls it.
//
//   node bench.mjs [--servers reference,duyan] [--scenarios burst,edits,cold,memory] [--quick]
//
// DUYAN_BIN names the duyan binary (default ../target/release/duyan). --quick shrinks every
// workload for trying the harness out; its numbers are not the benchmark.

import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { parseArgs } from "node:util"
import { fileURLToPath } from "node:url"
import { CLIENTS, killAllWorkers } from "./lib/pool.mjs"
import { machineInfo, markdownTable, sourceRevision, textTable } from "./lib/report.mjs"
import { boundedMemory, coldLoad, editPropagation, reconnectBurst, twoProcessEdits } from "./lib/scenarios.mjs"
import { emergencyCleanup } from "./lib/servers.mjs"

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    servers: { type: "string", default: "reference,duyan" },
    scenarios: { type: "string", default: "burst,edits,edits2,cold,memory" },
    quick: { type: "boolean", default: false },
  },
})
const q = (full, quick) => (args.quick ? quick : full)
const workers = Number(process.env.BENCH_WORKERS ?? 4)

// Workload sizes and time bounds (ms). Each bound ends its scenario whatever the servers do.
const config = {
  burst: { workers, clients: q(100, 20), docsPerClient: 10, boundMs: 180_000, verifyMs: 120_000, limitMs: 420_000 },
  edits: { edits: q(200, 30), warmup: 5, gapMs: 200, perEditMs: 5_000, boundMs: 150_000, limitMs: 200_000 },
  edits2: { edits: q(200, 30), warmup: 5, gapMs: 200, perEditMs: 5_000, boundMs: 150_000, limitMs: 200_000 },
  cold: {
    seed: { count: q(1_000, 200), perRound: 250, workers: 2, clientsPerRound: 10 },
    seedMs: 240_000,
    loadMs: 120_000,
    repeats: 3,
    limitMs: 900_000,
  },
  memory: {
    seed: { count: q(10_000, 1_000), perRound: 500, workers: 2, clientsPerRound: 20 },
    seedMs: 900_000,
    fetchWorkers: q(4, 2),
    fetchChunk: 100,
    fetchMs: 600_000,
    idleWaitMs: 7_000,
    lateMs: 30_000,
    limitMs: 1_500_000,
  },
}
const scenarios = {
  burst: { run: reconnectBurst, servers: ["reference", "duyan"] },
  edits: { run: editPropagation, servers: ["reference", "duyan"] },
  edits2: { run: twoProcessEdits, servers: ["duyan"] },
  cold: { run: coldLoad, servers: ["reference", "duyan"] },
  memory: { run: boundedMemory, servers: ["duyan"] },
}

const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "_")
const runDir = path.join(benchDir, "results", stamp)
fs.mkdirSync(runDir, { recursive: true })
const notes = []
const note = msg => {
  notes.push(msg)
  process.stderr.write(`bench: ${msg}\n`)
}

function cleanupAndExit(code) {
  killAllWorkers()
  emergencyCleanup()
  process.exit(code)
}
process.on("SIGINT", () => cleanupAndExit(130))
process.on("SIGTERM", () => cleanupAndExit(143))
process.on("exit", () => {
  killAllWorkers()
  emergencyCleanup()
})

const duyanBin = process.env.DUYAN_BIN ?? path.resolve(benchDir, "..", "target", "release", "duyan")
const servers = args.servers.split(",").filter(Boolean)
const wanted = args.scenarios.split(",").filter(Boolean)
for (const name of wanted) if (!scenarios[name]) throw new Error(`unknown scenario ${name}`)
if (servers.includes("duyan") && !fs.existsSync(duyanBin)) throw new Error(`duyan binary not found at ${duyanBin}`)

const results = {}
const meta = {
  command: "bash bench/run.sh",
  args: process.argv.slice(2),
  quick: args.quick,
  machine: machineInfo(),
  duyanBin: servers.includes("duyan") ? duyanBin : null,
  duyanBinModified: servers.includes("duyan") ? fs.statSync(duyanBin).mtime.toISOString() : null,
  sourceRevision: sourceRevision(path.resolve(benchDir, "..")),
  config,
  clientWorkers: workers,
  // stock: automerge-repo 2.5.6 in Node workers; native: bench/native (BENCH_CLIENTS=native).
  clients: CLIENTS,
}

function save() {
  const doc = { meta, results, notes }
  fs.writeFileSync(path.join(runDir, "results.json"), JSON.stringify(doc, null, 2))
  const md = [
    `# duyan bench ${stamp}${args.quick ? " (quick mode: not the benchmark)" : ""}, ${CLIENTS} clients`,
    "",
    markdownTable(results),
    "",
    `Machine: ${meta.machine.nproc} cores, ${meta.machine.cpu}, node ${meta.machine.node}, ${meta.machine.date}; ` +
      `sources at ${meta.sourceRevision}, duyan binary built ${meta.duyanBinModified ?? "n/a"}`,
    "",
    "```",
    meta.machine.free,
    "```",
    "",
    ...notes.map(n => `- ${n}`),
  ].join("\n")
  fs.writeFileSync(path.join(runDir, "summary.md"), md + "\n")
  for (const [from, to] of [["results.json", "latest.json"], ["summary.md", "latest.md"]]) {
    fs.copyFileSync(path.join(runDir, from), path.join(benchDir, "results", to))
  }
}

const started = performance.now()
for (const name of wanted) {
  const { run, servers: applicable } = scenarios[name]
  results[name] = {}
  for (const kind of applicable.filter(k => servers.includes(k))) {
    const t0 = performance.now()
    // The machine has two cores: anything else busy (a compiler, say) skews every figure.
    const loadAtStart = os.loadavg()[0]
    process.stderr.write(`bench: ${name} on ${kind} ...\n`)
    const ctx = { kind, runDir, duyanBin, note, storagePrefix: `duyan_bench_${stamp}`.toLowerCase() }
    let timer
    const limit = new Promise(resolve => {
      timer = setTimeout(() => resolve({ error: `time bound of ${config[name].limitMs / 1000} s exceeded` }), config[name].limitMs)
    })
    try {
      results[name][kind] = await Promise.race([run(ctx, config[name]), limit])
      if (results[name][kind].error) note(`${name} on ${kind}: ${results[name][kind].error}`)
      // Past its bound the scenario is abandoned: its server and storage go with it.
      if (results[name][kind].error?.startsWith("time bound")) emergencyCleanup()
    } catch (err) {
      results[name][kind] = { error: String(err?.message ?? err) }
      note(`${name} on ${kind} failed: ${err?.stack ?? err}`)
    } finally {
      clearTimeout(timer)
      // A scenario that hit its bound may leave clients behind; none may leak into the next.
      killAllWorkers()
    }
    results[name][kind].wallMs = performance.now() - t0
    results[name][kind].loadAvg1m = { start: loadAtStart, end: os.loadavg()[0] }
    process.stderr.write(`bench: ${name} on ${kind} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
    save()
  }
}
meta.totalMs = performance.now() - started
save()
process.stdout.write(`\n${textTable(results)}\n\nresults: ${path.relative(process.cwd(), runDir)}/results.json\n`)
// duyan puts back changes its rules refuse, with a change of its own; the workload is meant
// to hold none (valid records, allowed edits), so any refusal voids the run.
const refused = Object.entries(results).filter(([, byServer]) => byServer.duyan?.serverLog?.refused)
if (refused.length) {
  process.stderr.write(
    `\nbench: FAILED: duyan refused changes of the workload in ${refused.map(([name]) => name).join(", ")} ` +
      `(its logs say "restored fields the user may not change"); see the server logs in ${path.relative(process.cwd(), runDir)}/\n`,
  )
  cleanupAndExit(1)
}
cleanupAndExit(0)
