// The WebSocket network adapter to the server's /sync, signed in with the current access token.
//
// The stock adapter retries the same URL forever; the server closes a session with 4401 when
// its token expires and 4403 when the device was signed out. So every (re)connect builds the
// URL with the token of that moment, a stale token is refreshed first, and 4403 stops the
// retries until the user signs in again. While the browser says it is offline no connection
// is tried; going online reconnects at once, so sync resumes without a tap.

import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import type { PeerId, PeerMetadata } from "@automerge/automerge-repo/slim";

import { sessions } from "../auth/session";

const TOKEN_EXPIRED = 4401;
const SIGNED_OUT = 4403;
/** How soon a failed connection is tried again. */
const RETRY_MS = 3000;

export class TokenAdapter extends WebSocketClientAdapter {
  #base: string;
  #halted = false;
  #onSignedOut: (closedByServer: boolean) => void;

  /**
   * `onSignedOut(closedByServer)`: the session is over; `closedByServer` when the server closed
   * the connection with 4403 (signed out or disabled), false when it refused the refresh token
   * (the person may still work offline on local data until they sign in again).
   */
  constructor(base: string, onSignedOut: (closedByServer: boolean) => void) {
    super(base, RETRY_MS);
    this.#base = base;
    this.#onSignedOut = onSignedOut;
  }

  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    if (this.#halted) return;
    // The first call always goes through, so the repo learns the network is "ready" (an
    // offline start then finds local documents at once); later ones wait for the network.
    if (this.peerId && !navigator.onLine) return;
    const token = sessions.freshAccessToken();
    if (!token) {
      // Connect with what we have (the server refuses it, and the retry uses the new token)
      // and refresh now; a successful refresh reconnects at once.
      void sessions.refresh().then((outcome) => {
        if (outcome === "ok") this.reconnectNow();
        if (outcome === "ended") this.#signedOut(false);
      });
    }
    // `url` is declared readonly, but the stock adapter reads it on every connect: setting it
    // here is how each connection gets the token of its moment.
    (this as { url: string }).url = `${this.#base}?token=${encodeURIComponent(token ?? sessions.current?.accessToken ?? "")}`;
    super.connect(peerId, peerMetadata);
    this.socket?.addEventListener("close", this.#closed);
  }

  /** Opens a connection now unless one is open or opening. */
  reconnectNow(): void {
    if (this.#halted || !this.peerId) return;
    const state = this.socket?.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) return;
    this.connect(this.peerId, this.peerMetadata);
  }

  /** Drops the connection (the browser went offline); `reconnectNow` brings it back. */
  pause(): void {
    this.disconnect();
  }

  /** Stops for good (sign-out, another user): no reconnects. */
  halt(): void {
    this.#halted = true;
    this.disconnect();
  }

  /** The stock one asserts a socket exists; offline or paused there is none, and that is fine. */
  override disconnect(): void {
    if (this.socket && this.peerId) super.disconnect();
  }

  /** Allows connections again after a new sign-in. */
  resume(): void {
    this.#halted = false;
    this.reconnectNow();
  }

  #closed = (event: CloseEvent): void => {
    if (event.code === TOKEN_EXPIRED) {
      sessions.markAccessExpired();
      void sessions.refresh().then((outcome) => {
        if (outcome === "ok") this.reconnectNow();
        if (outcome === "ended") this.#signedOut(false);
      });
    } else if (event.code === SIGNED_OUT) {
      this.#signedOut(true);
    }
  };

  #signedOut(closedByServer: boolean): void {
    if (this.#halted) return;
    this.#halted = true;
    sessions.markEnded();
    this.disconnect();
    this.#onSignedOut(closedByServer);
  }
}
