// Turns a run's results into the comparison table (plain text for the terminal, Markdown
// for BENCHMARKS.md) and gathers the facts about the machine it ran on.

import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"

const sh = (cmd, args) => {
  try {
    // trimEnd only: `free -h` aligns its header with leading spaces.
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trimEnd()
  } catch {
    return "unknown"
  }
}

export function machineInfo() {
  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown"
  return {
    nproc: sh("nproc", []),
    free: sh("free", ["-h"]),
    cpu,
    kernel: os.release(),
    node: process.version,
    date: new Date().toISOString(),
  }
}

/** The commit the duyan sources were at, with "-dirty" when the work tree had changes. */
export function sourceRevision(repoDir) {
  const head = sh("git", ["-C", repoDir, "rev-parse", "--short", "HEAD"])
  const dirty = sh("git", ["-C", repoDir, "status", "--porcelain", "--untracked-files=no"])
  return dirty && dirty !== "unknown" ? `${head}-dirty` : head
}

const secs = ms => (ms == null ? "—" : `${(ms / 1000).toFixed(2)} s`)
const cpu = s => (s == null ? "—" : `${s.toFixed(1)} s`)
const millis = ms => (ms == null ? "—" : `${ms.toFixed(1)} ms`)
const mib = kib => (kib == null ? "—" : `${(kib / 1024).toFixed(0)} MiB`)
const times = (a, b) => (a == null || b == null || b === 0 ? null : a / b)
const fmtRatio = r => (r == null ? "—" : `${r.toFixed(2)}x`)

/** Problems a side had in one scenario, as a short phrase ("" when none). */
function failures(r) {
  if (!r) return "not run"
  if (r.error) return `error: ${r.error}`
  const parts = []
  const add = (n, what) => n && parts.push(`${n} ${what}`)
  if (r.records !== undefined) add(r.records - r.acked, "not acked")
  if (r.docs !== undefined) {
    add(r.unavailable, "unavailable")
    add(r.failed, "failed")
    add(r.timedOut, "timed out")
    add(r.mismatched, "heads differ")
  }
  add(r.timeouts, "edits not seen")
  add(r.drops, "connection drops")
  add(r.uncaught, "client errors")
  add(r.failedCalls?.length, "failed client calls")
  if (r.seed && r.seed.acked < r.seed.records) parts.push(`seed: ${r.seed.records - r.seed.acked} not acked`)
  if (r.stop && !r.stop.graceful) parts.push(`stop not graceful (${r.stop.code ?? r.stop.signal})`)
  if (r.runs) {
    const bad = r.runs.filter(x => x.elapsedMs == null).length
    if (bad) parts.push(`${bad} of ${r.runs.length} loads incomplete`)
    const rough = r.runs.filter(x => x.stop && !x.stop.graceful).length
    if (rough) parts.push(`${rough} stops not graceful`)
  }
  if (r.verify) {
    const v = r.verify
    const bad = v.docs - v.loaded + v.mismatched
    if (bad) parts.push(`read-back: ${bad} of ${v.docs} missing or differing`)
  }
  return parts.join(", ") || "none"
}

/**
 * A timed result that may be incomplete. Complete: its time. Every request answered but some
 * failed: the time until the last answer, marked partial. Otherwise: "> bound", which a
 * ratio may use as the least it took.
 */
function timed(r, count, total) {
  if (!r || r.error) return { text: "—", ms: null }
  if (r.elapsedMs != null) return { text: secs(r.elapsedMs), ms: r.elapsedMs }
  if (r.settledMs != null) {
    return { text: `${secs(r.settledMs)}, only ${count(r)} of ${total(r)}`, ms: r.settledMs, partial: true }
  }
  const bound = r.allowedMs ?? null
  return { text: `> ${secs(bound)}, ${count(r)} of ${total(r)}`, ms: null, lowerMs: bound }
}

/** reference/duyan for two timed results, qualified when either side is incomplete. */
function speedup(ref, duyan) {
  if (duyan.ms == null) return { value: null, text: "—" }
  if (ref.ms != null) {
    const value = ref.ms / duyan.ms
    const partial = ref.partial || duyan.partial
    return { value: partial ? null : value, text: fmtRatio(value) + (partial ? " (partial)" : "") }
  }
  if (ref.lowerMs != null && !duyan.partial) {
    return { value: ref.lowerMs / duyan.ms, text: `> ${fmtRatio(ref.lowerMs / duyan.ms)}` }
  }
  return { value: null, text: "—" }
}

/** A server's CPU seconds, PostgreSQL's share included where there is one. */
function serverCpu(r) {
  if (r?.serverCpuS == null) return { text: "—", total: null }
  if (r.dbCpuS == null) return { text: cpu(r.serverCpuS), total: r.serverCpuS }
  const total = r.serverCpuS + r.dbCpuS
  return { text: `${cpu(total)} (${cpu(r.serverCpuS)} + ${cpu(r.dbCpuS)} PostgreSQL)`, total }
}

/** Whether a ≥ `factor` speed-up target is met; a duyan run that did not complete misses it. */
function metSpeedup(duyanResult, duyan, s, factor) {
  if (!duyanResult) return null
  if (duyan.ms == null || duyan.partial) return false
  return s.value == null ? null : s.value >= factor
}

/**
 * The least wall time any server could give a scenario on this machine: the clients' own CPU
 * time spread over every core, as if the server took none. A target ratio above reference /
 * floor cannot be met here with these clients, whatever the server does.
 */
function clientFloor(r, cores) {
  if (r?.clientCpuS == null) return { text: "—", ms: null }
  const ms = (r.clientCpuS / cores) * 1000
  return { text: `${secs(ms)} (${cpu(r.clientCpuS)} / ${cores})`, ms }
}

/** Rows: [scenario, metric, reference, duyan, ratio, target, met]. */
export function rows(results, cores = os.availableParallelism()) {
  const a = results.burst ?? {}
  const b = results.edits ?? {}
  const c = results.cold ?? {}
  const d = results.memory?.duyan
  const out = []
  const add = (scenario, metric, ref, duyan, ratio, target, met) =>
    out.push([
      scenario,
      metric,
      ref,
      duyan,
      typeof ratio === "string" ? ratio : fmtRatio(ratio),
      target,
      met == null ? "—" : met ? "yes" : "no",
    ])

  const n = x => (x == null ? "?" : x.toLocaleString("en-US"))
  const acked = [r => r.acked, r => r.records]
  const burstRef = timed(a.reference, ...acked)
  const burstDuyan = timed(a.duyan, ...acked)
  let s = speedup(burstRef, burstDuyan)
  add("(a) reconnect burst", `all ${n(a.reference?.records ?? a.duyan?.records)} records acked by server`, burstRef.text, burstDuyan.text, s.text,
    "≥ 5x faster", metSpeedup(a.duyan, burstDuyan, s, 5))
  let r = times(a.duyan?.peakRssKiB, a.reference?.peakRssKiB)
  add("(a) reconnect burst", "server peak RSS (VmHWM)", mib(a.reference?.peakRssKiB), mib(a.duyan?.peakRssKiB),
    r, "≤ 0.5x", r == null ? null : r <= 0.5)
  const burstCpu = [serverCpu(a.reference), serverCpu(a.duyan)]
  add("(a) reconnect burst", "server CPU time", burstCpu[0].text, burstCpu[1].text,
    times(burstCpu[0].total, burstCpu[1].total), "—", null)
  add("(a) reconnect burst", "client CPU time", cpu(a.reference?.clientCpuS), cpu(a.duyan?.clientCpuS), null, "—", null)
  let floor = clientFloor(a.duyan, cores)
  add("(a) reconnect burst", `clients' floor: client CPU / ${cores} cores`, "—", floor.text,
    floor.ms == null || burstRef.ms == null ? "—" : `≤ ${fmtRatio(burstRef.ms / floor.ms)} possible`, "—", null)
  add("(a) reconnect burst", "failures", failures(a.reference), failures(a.duyan), null, "none", null)

  r = times(b.reference?.p50Ms, b.duyan?.p50Ms)
  add("(b) edit propagation", `p50 latency, ${n(b.reference?.edits ?? b.duyan?.edits)} edits`, millis(b.reference?.p50Ms), millis(b.duyan?.p50Ms), r, "—", null)
  r = times(b.reference?.p95Ms, b.duyan?.p95Ms)
  add("(b) edit propagation", "p95 latency", millis(b.reference?.p95Ms), millis(b.duyan?.p95Ms), r, "≥ 1x (no worse)",
    r == null ? null : r >= 1)
  add("(b) edit propagation", "failures", failures(b.reference), failures(b.duyan), null, "none", null)

  // (e) has no reference of its own: duyan across two processes against the reference's (b).
  const e = results.edits2?.duyan
  if (e) {
    add("(e) edits across 2 processes", `p50 latency, ${n(e.edits)} edits (reference: its (b))`, millis(b.reference?.p50Ms), millis(e.p50Ms),
      times(b.reference?.p50Ms, e.p50Ms), "—", null)
    r = times(b.reference?.p95Ms, e.p95Ms)
    add("(e) edits across 2 processes", "p95 latency (reference: its (b))", millis(b.reference?.p95Ms), millis(e.p95Ms), r,
      "≥ 1x (no worse)", r == null ? null : r >= 1)
    add("(e) edits across 2 processes", "failures", "n/a", failures(e), null, "none", null)
  }

  const loaded = [r => r.loaded, r => r.docs]
  const coldRef = timed(c.reference, ...loaded)
  const coldDuyan = timed(c.duyan, ...loaded)
  s = speedup(coldRef, coldDuyan)
  add("(c) cold load", `fresh client loads ${n(c.reference?.docs ?? c.duyan?.docs)} after restart (median of ${n(c.reference?.runs?.length ?? c.duyan?.runs?.length)})`, coldRef.text, coldDuyan.text, s.text,
    "≥ 5x faster", metSpeedup(c.duyan, coldDuyan, s, 5))
  const coldCpu = [serverCpu(c.reference), serverCpu(c.duyan)]
  add("(c) cold load", "server CPU time during the load", coldCpu[0].text, coldCpu[1].text,
    times(coldCpu[0].total, coldCpu[1].total), "—", null)
  add("(c) cold load", "client CPU time during the load", cpu(c.reference?.clientCpuS), cpu(c.duyan?.clientCpuS),
    null, "—", null)
  floor = clientFloor(c.duyan, cores)
  add("(c) cold load", `clients' floor: client CPU / ${cores} cores`, "—", floor.text,
    floor.ms == null || coldRef.ms == null ? "—" : `≤ ${fmtRatio(coldRef.ms / floor.ms)} possible`, "—", null)
  add("(c) cold load", "failures", failures(c.reference), failures(c.duyan), null, "none", null)

  if (d) {
    add("(d) bounded memory", "RSS before (1 doc warmed up)", "n/a", mib(d.beforeRssKiB), null, "—", null)
    add("(d) bounded memory", `RSS with ${n(d.fetch?.docs)} docs loaded`, "n/a", mib(d.loadedRssKiB), null, "—", null)
    add("(d) bounded memory", "RSS 7 s after the client left", "n/a", mib(d.afterRssKiB), null, "—", null)
    add("(d) bounded memory", "after / before", "n/a", fmtRatio(d.ratio), null, "≤ 1.5x",
      d.ratio == null ? null : d.ratio <= 1.5)
    const heap = h => (h?.allocated == null ? "—" : [h.allocated, h.active, h.metadata].map(b => `${(b / 1048576).toFixed(1)}`).join(" / "))
    if (d.gauges?.before?.heap || d.gauges?.after?.heap) {
      add("(d) bounded memory", "heap MiB before → after: allocated / active / allocator metadata", "n/a",
        `${heap(d.gauges?.before?.heap)} → ${heap(d.gauges?.after?.heap)}`, null, "—", null)
    }
    if (d.lateRssKiB != null) {
      add("(d) bounded memory", `RSS ${d.lateAfterMs / 1000} s after (informational)`, "n/a", mib(d.lateRssKiB),
        null, "—", null)
    }
    add("(d) bounded memory", "failures", "n/a", failures(d.error ? d : d.fetch ?? d), null, "none", null)
  }
  return out
}

const HEADER = ["Scenario", "Metric", "Reference", "duyan", "Ratio", "Target", "Met"]

export function textTable(results) {
  const all = [HEADER, ...rows(results)]
  const widths = HEADER.map((_, i) => Math.min(48, Math.max(...all.map(row => [...row[i]].length))))
  const cell = (s, w) => {
    const chars = [...s]
    return chars.length > w ? chars.slice(0, w - 1).join("") + "…" : s + " ".repeat(w - chars.length)
  }
  const line = row => row.map((s, i) => cell(s, widths[i])).join("  ")
  return [line(all[0]), widths.map(w => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n")
}

export function markdownTable(results) {
  const esc = s => s.replaceAll("|", "\\|")
  return [
    `| ${HEADER.join(" | ")} |`,
    `| ${HEADER.map(() => "---").join(" | ")} |`,
    ...rows(results).map(row => `| ${row.map(esc).join(" | ")} |`),
  ].join("\n")
}
