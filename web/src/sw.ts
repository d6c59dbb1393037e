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

// The update prompt (components/UpdatePrompt.tsx) asks before a new version takes over.
self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});
