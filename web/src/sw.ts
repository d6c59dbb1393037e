/// <reference lib="webworker" />
// The service worker: precaches the app shell (HTML, JS, CSS), the Automerge wasm and the
// icons at install, so after one online visit the app opens with no network, and answers every
// navigation (a deep link reloaded offline) with the cached index.html. The API and the sync
// socket are never cached: records live in IndexedDB, owned by the app.

import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

declare const self: ServiceWorkerGlobalScope;

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

registerRoute(
  new NavigationRoute(createHandlerBoundToURL("index.html"), {
    denylist: [/^\/api\//, /^\/sync/, /^\/healthz/, /^\/metrics/],
  }),
);

// Web Push (server/src/notify/push.rs): the payload is `{title, body, url, tag}`; a tap opens
// the record in an open window of the app, or in a new one.
interface PushPayload {
  title?: string;
  body?: string;
  url?: string;
  tag?: string;
}

self.addEventListener("push", (event) => {
  let payload: PushPayload;
  try {
    payload = (event.data?.json() ?? {}) as PushPayload;
  } catch {
    payload = { body: event.data?.text() };
  }
  event.waitUntil(
    self.registration.showNotification(payload.title ?? "督研", {
      body: payload.body ?? "",
      tag: payload.tag,
      icon: "/icons/icon-192.png",
      data: { url: payload.url ?? "/inbox" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const raw = (event.notification.data as { url?: string } | null)?.url ?? "/inbox";
  // Only pages of this app: a payload cannot send the user elsewhere.
  const target = new URL(raw, self.location.origin);
  const url = target.origin === self.location.origin ? target.href : new URL("/inbox", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if ("navigate" in client) {
          await client.focus();
          await client.navigate(url);
          return;
        }
      }
      await self.clients.openWindow(url);
    })(),
  );
});

// The update prompt (components/UpdatePrompt.tsx) asks before a new version takes over.
self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});
