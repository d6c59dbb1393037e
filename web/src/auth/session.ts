// The signed-in session: tokens and user, kept in localStorage so the app opens offline after
// one online sign-in. Access tokens live 15 minutes; the refresh token (30 days, single use)
// gets a new pair. A refresh token presented twice ends the session on the server, so at most
// one refresh runs at a time across tabs (Web Locks), and a tab re-reads the stored session
// inside the lock in case another tab already rotated it.

import type { Account as ApiAccount, Tokens } from "../generated/api";

/** The user as `/api/auth/login` and `/api/me` answer. */
export type Account = ApiAccount;

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch, device clock). */
  accessExpiresAt: number;
  /** How long access tokens live, as the server said (ms). */
  accessTtlMs: number;
  user: Account;
  /**
   * Set when the server refused our refresh token (signed out elsewhere, disabled, expired
   * after 30 days offline). The app keeps working on local data and asks to sign in again.
   */
  ended?: boolean;
}

/** The answer of login and refresh. */
export type TokenAnswer = Tokens;

const KEY = "duyan.session";
/**
 * Refresh this long before expiry, so a request does not race the token's end; a quarter of
 * the lifetime for short-lived tokens.
 */
const EARLY_MS = 30_000;

export type RefreshOutcome = "ok" | "offline" | "ended";

type Listener = () => void;

function readStored(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

export function sessionFrom(answer: TokenAnswer, now = Date.now()): StoredSession {
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    accessExpiresAt: now + answer.expires_in * 1000,
    accessTtlMs: answer.expires_in * 1000,
    user: answer.user,
  };
}

class SessionStore {
  #session: StoredSession | null = readStored();
  #listeners = new Set<Listener>();
  #refreshing: Promise<RefreshOutcome> | null = null;

  get current(): StoredSession | null {
    return this.#session;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): StoredSession | null => this.#session;

  set(session: StoredSession | null): void {
    this.#session = session;
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
    for (const listener of this.#listeners) listener();
  }

  /** The access token if it is still good for a while; null when it needs a refresh. */
  freshAccessToken(now = Date.now()): string | null {
    const s = this.#session;
    if (!s || s.ended) return null;
    const early = Math.min(EARLY_MS, (s.accessTtlMs ?? 0) / 4);
    return s.accessExpiresAt - early > now ? s.accessToken : null;
  }

  /** Marks the session as ended by the server; the user and local data stay. */
  markEnded(): void {
    if (this.#session && !this.#session.ended) this.set({ ...this.#session, ended: true });
  }

  /** Forces the next use to refresh (the server said the token expired). */
  markAccessExpired(): void {
    if (this.#session) this.set({ ...this.#session, accessExpiresAt: 0 });
  }

  /**
   * Exchanges the refresh token for a new pair. One at a time, across tabs. "offline" when
   * the server could not be reached (try again later with the same token), "ended" when it
   * refused the token.
   */
  refresh(): Promise<RefreshOutcome> {
    this.#refreshing ??= withLock("duyan-auth-refresh", () => this.#refreshLocked()).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refreshLocked(): Promise<RefreshOutcome> {
    const mine = this.#session;
    if (!mine || mine.ended) return "ended";
    // Another tab may have rotated the token while we waited for the lock.
    const stored = readStored();
    if (stored && stored.user.id === mine.user.id && stored.refreshToken !== mine.refreshToken) {
      this.set(stored);
      if (stored.ended) return "ended";
      if (this.freshAccessToken()) return "ok";
    }
    const refreshToken = this.#session?.refreshToken ?? mine.refreshToken;
    let response: Response;
    try {
      response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
    } catch {
      // Most likely offline: nothing reached the server, so the same token stays good.
      return "offline";
    }
    if (response.ok) {
      const answer = (await response.json()) as TokenAnswer;
      this.set(sessionFrom(answer));
      return "ok";
    }
    if (response.status === 401) {
      this.markEnded();
      return "ended";
    }
    return "offline";
  }
}

async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? locks.request(name, fn) : fn();
}

export const sessions = new SessionStore();
