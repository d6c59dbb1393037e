// Photo upload benchmark: N photos of S bytes from C concurrent clients, in 512 KiB parts
// (`PUT /api/blobs/{sha256}` with Content-Range, as the app uploads), against the release
// server on a scratch PostgreSQL database. Reports throughput and the server's resident memory
// (VmRSS sampled from /proc every 20 ms) at idle and at its peak during the uploads: uploads
// stream a part at a time, so the peak must not grow with the photos' size or number.
//
//   node photos.mjs [--photos 100] [--bytes 2000000] [--clients 10] [--part 524288]
//
// Run through photos.sh, which builds the binary. DUYAN_BIN names another binary. Each client
// is its own user (a user runs at most 4 uploads at once), created with the binary's CLI. The
// photos are a JPEG header and random bytes: the server checks magic bytes and the SHA-256,
// never decodes on upload. Writes bench/results/photos-<time>.json and the server log.

import { spawn } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { parseArgs } from "node:util"
import { fileURLToPath } from "node:url"
import {
  RssSampler,
  emergencyCleanup,
  freshStorage,
  readCpuSeconds,
  readMemory,
  readPostgresCpuSeconds,
  startServer,
} from "./lib/servers.mjs"

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    photos: { type: "string", default: "100" },
    bytes: { type: "string", default: "2000000" },
    clients: { type: "string", default: "10" },
    part: { type: "string", default: String(512 * 1024) },
  },
})
const PHOTOS = Number(args.photos)
const BYTES = Number(args.bytes)
const CLIENTS = Number(args.clients)
const PART = Number(args.part)
const duyanBin = process.env.DUYAN_BIN ?? path.join(benchDir, "..", "target", "release", "duyan")
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const mib = kib => Math.round((kib / 1024) * 10) / 10

/** `duyan user add` with the password on stdin; resolves when it exits 0. */
function addUser(databaseUrl, username, password) {
  const child = spawn(
    duyanBin,
    ["user", "add", "--database-url", databaseUrl, "--username", username, "--display-name", username, "--role", "handler", "--password-stdin"],
    { stdio: ["pipe", "ignore", "pipe"] },
  )
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", chunk => (stderr += chunk))
  child.stdin.end(`${password}\n`)
  return new Promise((resolve, reject) =>
    child.once("exit", code => (code === 0 ? resolve() : reject(new Error(`user add ${username}: ${stderr.trim()}`)))),
  )
}

async function signIn(httpUrl, username, password) {
  const res = await fetch(`${httpUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password, device: "photo-bench" }),
  })
  if (res.status !== 200) throw new Error(`sign-in of ${username}: ${res.status} ${await res.text()}`)
  return (await res.json()).access_token
}

/** A fake photo: JPEG magic bytes, then random bytes. */
function photo() {
  const bytes = randomBytes(BYTES)
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0)
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") }
}

/** Uploads one photo in parts; throws unless the last part answers 201. */
async function upload(httpUrl, token, { bytes, sha256 }) {
  for (let start = 0; start < bytes.length; start += PART) {
    const end = Math.min(start + PART, bytes.length)
    const res = await fetch(`${httpUrl}/api/blobs/${sha256}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${token}`,
        "content-range": `bytes ${start}-${end - 1}/${bytes.length}`,
      },
      body: bytes.subarray(start, end),
    })
    const expected = end === bytes.length ? 201 : 202
    await res.arrayBuffer()
    if (res.status !== expected) throw new Error(`PUT ${sha256} bytes ${start}-${end - 1}: ${res.status}, expected ${expected}`)
  }
}

async function main() {
  if (!fs.existsSync(duyanBin)) throw new Error(`no binary at ${duyanBin} (run photos.sh, or set DUYAN_BIN)`)
  const resultsDir = path.join(benchDir, "results")
  fs.mkdirSync(resultsDir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "_")
  const logPath = path.join(resultsDir, `photos-${stamp}.log`)
  const storage = await freshStorage("duyan", `duyan_photos_${process.pid}`)
  let server
  try {
    server = await startServer({ kind: "duyan", storage, logPath, duyanBin })
    const users = Array.from({ length: CLIENTS }, (_, i) => ({ username: `photo${i}`, password: `photo-bench-${i}-password` }))
    for (const u of users) await addUser(storage.url, u.username, u.password)
    // Users added by the CLI reach the running server's directory within about a second.
    await sleep(1_500)
    const tokens = []
    for (const u of users) tokens.push(await signIn(server.httpUrl, u.username, u.password))
    console.log(`generating ${PHOTOS} photos of ${BYTES} bytes`)
    const photos = Array.from({ length: PHOTOS }, photo)

    await sleep(2_000)
    const idle = readMemory(server.pid)
    const sampler = new RssSampler(server.pid, 20)
    sampler.mark()
    const cpu0 = readCpuSeconds(server.pid)
    const pgCpu0 = readPostgresCpuSeconds()
    console.log(`uploading from ${CLIENTS} clients in parts of ${PART} bytes`)
    const t0 = performance.now()
    await Promise.all(
      tokens.map(async (token, client) => {
        for (let n = client; n < photos.length; n += CLIENTS) await upload(server.httpUrl, token, photos[n])
      }),
    )
    const seconds = (performance.now() - t0) / 1000
    const during = sampler.sample()
    sampler.stop()
    const cpu = readCpuSeconds(server.pid) - cpu0
    const pgCpu = readPostgresCpuSeconds() - pgCpu0

    // Every photo is there, whole.
    for (const [n, p] of photos.entries()) {
      const res = await fetch(`${server.httpUrl}/api/blobs/${p.sha256}`, { method: "HEAD", headers: { authorization: `Bearer ${tokens[n % CLIENTS]}` } })
      if (res.headers.get("x-upload-complete") !== "true" || Number(res.headers.get("upload-offset")) !== BYTES) {
        throw new Error(`photo ${n} is not complete on the server`)
      }
    }

    const totalMB = (PHOTOS * BYTES) / 1e6
    const result = {
      photos: PHOTOS,
      bytesPerPhoto: BYTES,
      clients: CLIENTS,
      partBytes: PART,
      seconds: Math.round(seconds * 100) / 100,
      megabytes: totalMB,
      mbPerSecond: Math.round((totalMB / seconds) * 10) / 10,
      photosPerSecond: Math.round((PHOTOS / seconds) * 10) / 10,
      rssIdleMiB: mib(idle.rssKiB),
      rssPeakMiB: mib(Math.max(sampler.peakKiB, during?.hwmKiB ?? 0)),
      rssSamples: sampler.samples,
      serverCpuSeconds: Math.round(cpu * 100) / 100,
      postgresCpuSeconds: Math.round(pgCpu * 100) / 100,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    }
    fs.writeFileSync(path.join(resultsDir, `photos-${stamp}.json`), JSON.stringify(result, null, 2))
    console.log(JSON.stringify(result, null, 2))
    console.log(
      `${PHOTOS} photos x ${BYTES} bytes from ${CLIENTS} clients: ${result.seconds} s, ${result.mbPerSecond} MB/s; ` +
        `server RSS ${result.rssIdleMiB} MiB idle, ${result.rssPeakMiB} MiB peak`,
    )
  } finally {
    if (server) await server.stop()
    await storage.drop()
  }
}

main().catch(err => {
  console.error(err)
  emergencyCleanup()
  process.exit(1)
})
