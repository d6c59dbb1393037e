// How many outbox messages per second duyan delivers to a webhook: N messages are queued at
// once (events and outbox rows written with SQL, as the projection writes them), one or two
// server processes send them to a local receiver, and the time from the first to the last
// acknowledgement is measured. Every message must arrive exactly once.
//
//   node bench/notify-outbox.mjs [messages=2000] [processes=1]
//
// Needs PostgreSQL on 127.0.0.1:5432 (trust, user postgres), psql, and target/debug/duyan (or
// DUYAN_BIN).

import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const N = Number(process.argv[2] ?? 2000);
const PROCESSES = Number(process.argv[3] ?? 1);
const BIN = process.env.DUYAN_BIN ?? fileURLToPath(new URL("../target/debug/duyan", import.meta.url));
const db = `duyan_bench_notify_${process.pid}`;
const url = `postgres://postgres@127.0.0.1:5432/${db}`;
const psql = sql => execFileSync("psql", ["-q", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql]);

execFileSync("createdb", ["-h", "127.0.0.1", "-U", "postgres", db]);
const seen = new Map();
let first = 0;
let last = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const key = req.headers["idempotency-key"];
    seen.set(key, (seen.get(key) ?? 0) + 1);
    last = performance.now();
    first ||= last;
    res.end('{"errcode":0}');
  });
});
await new Promise(resolve => receiver.listen(0, "127.0.0.1", resolve));

const servers = [];
async function start() {
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--database-url", url, "--notify-allow-private", "--reminder-interval", "1h"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: "warn", DUYAN_ADMIN_PASSWORD: "bench-admin-password" },
  });
  servers.push(child);
  await new Promise(resolve => createInterface({ input: child.stdout }).on("line", line => line.includes("listening") && resolve()));
}
try {
  await start();
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  psql(`insert into notify_channels (kind, name, url) values ('webhook', 'bench', '${hook}')`);
  for (let p = 1; p < PROCESSES; p += 1) await start();
  const started = performance.now();
  psql(`with e as (
          insert into notify_events (key, kind, record_id, record_kind, title, text)
          select 'bench:' || n, 'urged', 'r' || n, 'duban', '督办事项 ' || n, '请尽快反馈'
          from generate_series(1, ${N}) n returning id, key)
        insert into notify_outbox (key, channel_id, event_id)
        select e.key || '@1', (select id from notify_channels limit 1), e.id from e`);
  while (seen.size < N) await new Promise(resolve => setTimeout(resolve, 20));
  await new Promise(resolve => setTimeout(resolve, 1000));
  const repeats = [...seen.values()].filter(n => n > 1).length;
  const seconds = (last - started) / 1000;
  console.log(`${N} messages, ${PROCESSES} process(es): ${seconds.toFixed(2)} s, ${(N / seconds).toFixed(0)} messages/s, repeats: ${repeats}`);
} finally {
  for (const child of servers) child.kill("SIGTERM");
  await new Promise(resolve => setTimeout(resolve, 1000));
  receiver.close();
  execFileSync("dropdb", ["-h", "127.0.0.1", "-U", "postgres", "--force", db]);
}
