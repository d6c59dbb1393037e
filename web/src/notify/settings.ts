// The user's notification settings (`/api/me/notifications`): which kinds reach them outside
// the app, quiet hours, and this device's Web Push subscription (`/api/me/push-subscriptions`).
// The inbox in the app shows every entry whatever is set here.

import { apiGet, apiResponse } from "../auth/api";

export interface QuietHours {
  /** `HH:MM`, Asia/Shanghai. */
  from: string;
  to: string;
}

export interface NotifySettings {
  events: string[];
  quiet_hours: QuietHours | null;
  kinds: { kind: string; label: string }[];
  /** The server's VAPID key; null when the server has no Web Push. */
  push_public_key: string | null;
}

export function loadSettings(): Promise<NotifySettings> {
  return apiGet<NotifySettings>("/api/me/notifications");
}

export async function saveSettings(events: string[], quiet: QuietHours | null): Promise<NotifySettings> {
  const response = await apiResponse("/api/me/notifications", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ events, quiet_hours: quiet }),
  });
  return (await response.json()) as NotifySettings;
}

/** Whether this browser can receive Web Push at all. */
export function pushSupported(): boolean {
  return typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** This device's subscription, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

/**
 * Asks for permission (call only from a user's tap: browsers refuse or remember a prompt that
 * comes unasked), subscribes this device with the server's key and registers it. Returns the
 * permission the user gave.
 */
export async function enablePush(publicKey: string): Promise<NotificationPermission> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission;
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(publicKey),
  });
  await apiResponse("/api/me/push-subscriptions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(subscription.toJSON()),
  });
  return permission;
}

/** Stops Web Push on this device, here and on the server. */
export async function disablePush(): Promise<void> {
  const subscription = await currentSubscription();
  if (!subscription) return;
  await apiResponse("/api/me/push-subscriptions", {
    method: "DELETE",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ endpoint: subscription.endpoint }),
  }).catch((error: unknown) => {
    // Already gone on the server: unsubscribing here is all that is left.
    if ((error as { status?: number }).status !== 404) throw error;
  });
  await subscription.unsubscribe();
}
