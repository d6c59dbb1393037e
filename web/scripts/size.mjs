// Build-size check: the JavaScript and CSS of the first load, gzipped, must stay under the
// budget. The first load is what dist/index.html references (the entry script, its
// modulepreloads and stylesheets) plus every chunk those import statically; lazily loaded
// screens and the Automerge wasm (loaded once, cached by the service worker) are not counted.
import { readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET = 300 * 1024;
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");

const referenced = [
  ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
  ...html.matchAll(/<link[^>]+href="([^"]+\.(?:js|css))"/g),
].map((m) => m[1].replace(/^\//, ""));

// Follow static imports (`import ... from "./x.js"` and bare `import "./x.js"`) of each JS
// file; dynamic `import("...")` is a lazy screen and is skipped.
const seen = new Set();
const queue = [...referenced];
while (queue.length > 0) {
  const file = queue.shift();
  if (seen.has(file) || file.endsWith(".wasm")) continue;
  seen.add(file);
  if (!file.endsWith(".js")) continue;
  const code = readFileSync(join(dist, file), "utf8");
  for (const m of code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*${}\s,]+from\s*)?["']([^"']+\.js)["']/g)) {
    const target = posix.normalize(posix.join(posix.dirname(file), m[1]));
    queue.push(target.replace(/^\//, ""));
  }
}

let total = 0;
for (const file of [...seen].sort()) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`${(size / 1024).toFixed(1).padStart(8)} KB  ${file}`);
}
const verdict = total <= BUDGET ? "within" : "OVER";
console.log(`${(total / 1024).toFixed(1).padStart(8)} KB  first load, gzipped (${verdict} the budget of ${BUDGET / 1024} KB)`);
if (total > BUDGET) process.exit(1);
