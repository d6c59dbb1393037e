// Requests to the server's JSON API with the access token, refreshing it when it has expired.
// Errors come back as `ApiFailure` with the server's stable code, so views can say what went
// wrong without parsing text.

import { sessions, sessionFrom, type TokenAnswer } from "./session";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when the request could not reach the server at all. */
export class Offline extends Error {
  constructor() {
    super("offline");
  }
}

async function failure(response: Response): Promise<ApiFailure> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiFailure(response.status, body.error?.code ?? "http", body.error?.message ?? response.statusText);
  } catch {
    return new ApiFailure(response.status, "http", response.statusText);
  }
}

async function send(path: string, init: RequestInit, token: string | null): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  try {
    return await fetch(path, { ...init, headers });
  } catch {
    throw new Offline();
  }
}

/** An authenticated request; one refresh and retry when the token turns out expired. */
export async function apiResponse(path: string, init: RequestInit = {}): Promise<Response> {
  let token = sessions.freshAccessToken();
  if (!token) {
    const outcome = await sessions.refresh();
    if (outcome === "offline") throw new Offline();
    if (outcome === "ended") throw new ApiFailure(401, "session_ended", "session ended");
    token = sessions.freshAccessToken();
  }
  let response = await send(path, init, token);
  if (response.status === 401) {
    sessions.markAccessExpired();
    const outcome = await sessions.refresh();
    if (outcome !== "ok") throw await failure(response);
    response = await send(path, init, sessions.freshAccessToken());
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** An authenticated JSON GET. */
export async function apiGet<T>(path: string): Promise<T> {
  const response = await apiResponse(path);
  return (await response.json()) as T;
}

/** An authenticated request with a JSON body (if any), answered with JSON. */
export async function apiJson<T>(path: string, method: "POST" | "PATCH" | "PUT", body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const response = await apiResponse(path, init);
  return (await response.json()) as T;
}

/**
 * Downloads a file the API answers (an Excel workbook): fetched with the access token, which a
 * plain link could not carry, then handed to the browser as `filename`.
 */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const response = await apiResponse(path);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has started reading it by now; the URL only has to outlive the click.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Signs in; stores and returns the session. */
export async function login(username: string, password: string, device: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password, device }),
    });
  } catch {
    throw new Offline();
  }
  if (!response.ok) throw await failure(response);
  sessions.set(sessionFrom((await response.json()) as TokenAnswer));
}

/** Ends this device's session on the server if reachable; local state is cleared by the caller. */
export async function logout(): Promise<void> {
  const token = sessions.freshAccessToken();
  if (!token) return;
  try {
    await fetch("/api/auth/logout", { method: "POST", headers: { authorization: `Bearer ${token}` } });
  } catch {
    // Offline: the session expires on the server by itself; the device forgets it now.
  }
}

/** A label for this device's session, as the server lists sessions per device. */
export function deviceLabel(): string {
  const ua = navigator.userAgent;
  const os = /Android/i.test(ua) ? "Android" : /iPhone|iPad/i.test(ua) ? "iOS" : /Windows/i.test(ua) ? "Windows" : /Mac/i.test(ua) ? "macOS" : /Linux/i.test(ua) ? "Linux" : "";
  return `督研 PWA${os ? ` (${os})` : ""}`;
}
