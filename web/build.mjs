// Placeholder build: copies the static page to dist/, where the server serves the web app
// from. The PWA (Vite) replaces this script and keeps the same output directory.
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync(new URL("./dist/", import.meta.url), { recursive: true });
copyFileSync(new URL("./index.html", import.meta.url), new URL("./dist/index.html", import.meta.url));
