// Client side of the bench: stock automerge-repo Repos talking over WebSocketClientAdapter,
// identical for both servers. Clients keep no storage (ephemeral peers), so neither server
// is asked to persist per-client sync state.

import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now()

export const sameHeads = (a, b) =>
  Array.isArray(a) && Array.isArray(b) && a.length === b.length && [...a].sort().join() === [...b].sort().join()

/**
 * One client: a Repo that may start offline and connect later. It counts connections and
 * drops, and learns the server's storage id from the server's peer message.
 */
export class Client {
  constructor(name) {
    this.name = name
    this.repo = new Repo({ network: [] })
    this.connects = 0
    this.disconnects = 0
    this.serverPeerId = undefined
    this.serverStorageId = undefined
    this.serverEphemeral = undefined
    this.firstConnectAt = undefined
    // What crossed the wire, by message type: how many messages (and bytes of their `data`)
    // a server needs per document, each of which the client pays for.
    this.traffic = { in: {}, out: {}, dataBytesIn: 0, dataBytesOut: 0 }
  }

  #onPeer = []

  connect(url) {
    const adapter = new WebSocketClientAdapter(url)
    adapter.on("peer-candidate", ({ peerId, peerMetadata }) => {
      this.connects += 1
      this.firstConnectAt ??= now()
      this.serverPeerId = peerId
      this.serverStorageId = peerMetadata?.storageId
      this.serverEphemeral = peerMetadata?.isEphemeral
      for (const fn of this.#onPeer.splice(0)) fn()
    })
    adapter.on("peer-disconnected", () => {
      this.disconnects += 1
    })
    adapter.on("message", message => {
      this.traffic.in[message.type] = (this.traffic.in[message.type] ?? 0) + 1
      this.traffic.dataBytesIn += message.data?.byteLength ?? 0
    })
    const send = adapter.send.bind(adapter)
    adapter.send = message => {
      this.traffic.out[message.type] = (this.traffic.out[message.type] ?? 0) + 1
      this.traffic.dataBytesOut += message.data?.byteLength ?? 0
      return send(message)
    }
    this.adapter = adapter
    this.repo.networkSubsystem.addNetworkAdapter(adapter)
  }

  /** Resolves true once the server's peer message arrived, false at the deadline. */
  whenConnected(deadline) {
    if (this.serverPeerId) return Promise.resolve(true)
    return new Promise(resolve => {
      const timer = setTimeout(() => resolve(false), Math.max(0, deadline - now()))
      this.#onPeer.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  /**
   * Resolves with the time the server acknowledged `handle`'s current heads (its heads as
   * reported through the sync protocol for the server's storage id), or undefined at the
   * deadline.
   */
  whenAcked(handle, deadline) {
    const acked = () =>
      this.serverStorageId !== undefined &&
      sameHeads(handle.getSyncInfo(this.serverStorageId)?.lastHeads, handle.heads())
    if (acked()) return Promise.resolve(now())
    return new Promise(resolve => {
      const done = at => {
        clearTimeout(timer)
        handle.off("remote-heads", check)
        resolve(at)
      }
      const check = () => {
        if (acked()) done(now())
      }
      const timer = setTimeout(() => done(undefined), Math.max(0, deadline - now()))
      handle.on("remote-heads", check)
    })
  }

  disconnect() {
    if (this.adapter) this.repo.networkSubsystem.removeNetworkAdapter(this.adapter)
    this.adapter = undefined
  }

  stats() {
    return {
      name: this.name,
      connects: this.connects,
      disconnects: this.disconnects,
      serverStorageId: this.serverStorageId ?? null,
      serverEphemeral: this.serverEphemeral ?? null,
      traffic: this.traffic,
    }
  }
}

/** Rejects nothing: resolves `fallback` if `promise` has not settled by the deadline. */
export function byDeadline(promise, deadline, fallback) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise(resolve => {
      timer = setTimeout(() => resolve(fallback), Math.max(0, deadline - now()))
    }),
  ])
}
