// Build of the PWA. The output goes to dist/, which the server serves at `/` with a fallback to
// index.html for every other path (so client routes survive a reload).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// The dev server proxies the API and the sync socket to a local `duyan serve`.
const DEV_SERVER = process.env.DUYAN_DEV_SERVER ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      // Our own service worker (src/sw.ts): precache the shell, the wasm and the icons, and
      // answer navigations with index.html so deep links open offline.
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      registerType: "prompt",
      injectRegister: false,
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,wasm,png,svg,webmanifest}"],
        // The Automerge wasm is about 3.6 MB; it must be precached or the app cannot start
        // offline.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      },
      manifest: {
        id: "/",
        name: "督研 · 督办与调研",
        short_name: "督研",
        description: "督办事项与调研记录，离线可用，联网自动同步",
        lang: "zh-CN",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        background_color: "#ffffff",
        theme_color: "#c8161d",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "/icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
    }),
  ],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // A PWA for recent mobile browsers; keeps the output small.
    target: "es2022",
    // The wasm must stay a separate file (fetched once, cached by the service worker), never
    // inlined as base64 into JS.
    assetsInlineLimit: (file) => (file.endsWith(".wasm") ? false : undefined),
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      "/api": DEV_SERVER,
      "/sync": { target: DEV_SERVER.replace(/^http/, "ws"), ws: true },
    },
  },
});
