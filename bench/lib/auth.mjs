// Who the bench's clients are. duyan requires sign-in on /sync (`?token=<access token>`) and
// accepts only records created by a user allowed to create them, so every duyan scenario gets
// a supervisor `bench`, made with the CLI of the binary under test, and signs in as it. The
// reference server does neither; it gets the same URL shape (a `?token=` it ignores) and the
// same records, with a fixed stand-in user id, so both servers see the same workload.

import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"

/** `admin`'s password: duyan creates `admin` with it on a fresh database's first start. */
export const ADMIN = { username: "admin", password: "bench-admin-password" }
/** The user every client signs in as: a 督办员, who may create 督办事项 and append progress. */
export const BENCH_USER = { username: "bench", displayName: "Bench", role: "supervisor", password: "bench-user-password" }

/**
 * Token signing secret shared by every duyan process of this run, so tokens issued by one
 * process (the setup start, or before a restart) stay valid in the next on the same database.
 */
export const JWT_SECRET = randomBytes(32).toString("hex")

/** The user id records of the reference run name: shaped like a duyan user id (a UUID). */
const REFERENCE_USER_ID = "8d2f4c1e-5b7a-4e39-9c61-2a0f3b5d7e94"
/** What the reference's clients send as `?token=`: about as long as a duyan access token. */
const REFERENCE_TOKEN = randomBytes(180).toString("base64url")

/** `url` with the access token as its query string. */
export const withToken = (url, token) => `${url}?token=${encodeURIComponent(token)}`

/**
 * Runs `duyan user add` for `BENCH_USER` against `databaseUrl`, the password on stdin. Resolves
 * with the new user's id (the first line `user add` prints).
 */
export async function addBenchUser(duyanBin, databaseUrl, timeoutMs = 60_000) {
  const u = BENCH_USER
  const args = ["user", "add", "--database-url", databaseUrl, "--username", u.username, "--display-name", u.displayName]
  args.push("--role", u.role, "--password-stdin")
  const child = spawn(duyanBin, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", chunk => (stdout += chunk))
  child.stderr.setEncoding("utf8").on("data", chunk => (stderr += chunk))
  child.stdin.end(`${u.password}\n`)
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
  const status = await new Promise((resolve, reject) => {
    child.once("error", reject)
    child.once("exit", (code, signal) => resolve({ code, signal }))
  }).finally(() => clearTimeout(timer))
  const id = stdout.split("\n")[0].trim()
  if (status.code !== 0 || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new Error(`duyan user add exited with ${JSON.stringify(status)}: ${stderr.trim() || stdout.trim()}`)
  }
  return id
}

async function postJson(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`POST ${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/**
 * A signed-in user of a duyan server. `token(httpUrl)` gives an access token with at least
 * two thirds of its lifetime left (15 minutes by default), refreshing it with the refresh
 * token when older: connections opened with it outlive every phase of a scenario.
 * `httpUrl` is the server's current address (it changes when the server restarts).
 */
export class Session {
  static async signIn(httpUrl, { username, password }) {
    const body = await postJson(`${httpUrl}/api/auth/login`, { username, password, device: "bench" })
    return new Session(body)
  }

  constructor(body) {
    this.userId = body.user.id
    this.roles = body.user.roles
    this.#take(body)
  }

  #take(body) {
    this.accessToken = body.access_token
    this.refreshToken = body.refresh_token
    this.lifetimeMs = body.expires_in * 1000
    this.issuedAt = Date.now()
    this.refreshes = (this.refreshes ?? -1) + 1
  }

  #refreshing

  async token(httpUrl) {
    // One refresh at a time: a refresh token is single use, and presenting it twice would end
    // the session.
    if (!this.#refreshing && Date.now() - this.issuedAt > this.lifetimeMs / 3) {
      this.#refreshing = postJson(`${httpUrl}/api/auth/refresh`, { refresh_token: this.refreshToken })
        .then(body => this.#take(body))
        .finally(() => (this.#refreshing = undefined))
    }
    await this.#refreshing
    return this.accessToken
  }
}

/** The reference's stand-in for a session: the same user id and URL shape, nothing checked. */
export const referenceIdentity = () => ({
  userId: REFERENCE_USER_ID,
  token: async () => REFERENCE_TOKEN,
})
