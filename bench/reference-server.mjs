// The reference server: the stock automerge-repo 2.x sync server setup
// (automerge-repo-sync-server): a `ws` WebSocketServer fed by an HTTP server's upgrades,
// WebSocketServerAdapter, NodeFSStorageAdapter and a Repo that announces nothing.
//
//   node reference-server.mjs --port 0 --data /tmp/dir
//
// PORT and DATA_DIR are read from the environment when the flags are absent. Once
// listening it prints `reference: listening on http://127.0.0.1:PORT` on stdout.
// SIGTERM or SIGINT shuts down gracefully: sockets closed, every document flushed.

import fs from "node:fs"
import http from "node:http"
import os from "node:os"
import { parseArgs } from "node:util"
import { WebSocketServer } from "ws"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "3030" },
    data: { type: "string", default: process.env.DATA_DIR ?? ".amrg" },
  },
})
const port = Number.parseInt(values.port, 10)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`reference: bad port ${values.port}\n`)
  process.exit(2)
}
fs.mkdirSync(values.data, { recursive: true })

const wss = new WebSocketServer({ noServer: true })
const repo = new Repo({
  network: [new WebSocketServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(values.data),
  peerId: `storage-server-${os.hostname()}`,
  // A sync server only answers: it never offers documents on its own.
  sharePolicy: async () => false,
})

const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" })
  res.end("automerge-repo reference sync server is running\n")
})
server.on("upgrade", (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, ws => wss.emit("connection", ws, request))
})
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`reference: listening on http://127.0.0.1:${server.address().port}\n`)
})

let stopping = false
async function shutdown(signal) {
  if (stopping) return
  stopping = true
  process.stderr.write(`reference: ${signal}, flushing\n`)
  server.close()
  // Repo.shutdown() would flush every cached handle, and throws on the ones a client asked
  // for that never existed; so disconnect, then write only the documents that are loaded.
  repo.networkSubsystem.disconnect()
  wss.close()
  const loaded = Object.values(repo.handles).filter(h => h.isReady()).map(h => h.documentId)
  try {
    await repo.flush(loaded)
  } catch (err) {
    process.stderr.write(`reference: flush failed: ${err?.stack ?? err}\n`)
    process.exitCode = 1
  }
  // flush() skips documents whose save is already under way, so exiting here could cut a
  // file short. Let the event loop drain instead; force the exit only if something hangs.
  setTimeout(() => {
    process.stderr.write("reference: still busy 10 s after flushing, exiting anyway\n")
    process.exit(process.exitCode ?? 1)
  }, 10_000).unref()
}
process.on("SIGTERM", () => void shutdown("SIGTERM"))
process.on("SIGINT", () => void shutdown("SIGINT"))
