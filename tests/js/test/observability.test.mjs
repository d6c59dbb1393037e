// What an operator's log collector and Prometheus see: `--log-format json` writes one JSON
// access-log line per request carrying its request id (echoed as X-Request-Id), and
// `--metrics-listen` serves /metrics without a token on its own address while the main address
// still wants the metrics token.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Fixture, TEST_TIMEOUT_MS, waitFor, within } from "./helpers.mjs";

const METRICS_TOKEN = "scraper-token-for-tests-0123456789";

/** The server's stderr as JSON objects; any line that is not JSON fails the test. */
function jsonLines(server) {
  return server
    .logs()
    .split("\n")
    .filter(line => line.trim() !== "" && !line.startsWith("[stdout]"))
    .map(line => {
      try {
        return JSON.parse(line);
      } catch {
        assert.fail(`a log line that is not JSON: ${line}`);
      }
    });
}

const accessLines = server => jsonLines(server).filter(l => l.target === "duyan::access");

async function get(url, headers = {}) {
  const response = await within(`GET ${url}`, fetch(url, { headers }));
  return { status: response.status, id: response.headers.get("x-request-id"), text: await response.text() };
}

test("JSON logs: one access line per request with its request id; /metrics on its own address", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer({
    args: [
      "--log-format",
      "json",
      "--metrics-listen",
      "127.0.0.1:0",
      "--metrics-token",
      METRICS_TOKEN,
      // The test is the proxy: its X-Request-Id is taken over.
      "--trusted-proxies",
      "127.0.0.1",
    ],
  });

  // Made here, and sent back.
  const made = await get(`${server.httpUrl}/api/me`);
  assert.equal(made.status, 401);
  assert.match(made.id, /^[0-9a-f]{16}$/);
  // A trusted proxy's id is kept, so its log and ours name the same request.
  const given = await get(`${server.httpUrl}/api/me?token=secret-in-the-query`, {
    "x-request-id": "proxy-req-42",
  });
  assert.equal(given.id, "proxy-req-42");
  const health = await get(`${server.httpUrl}/healthz`);
  assert.notEqual(health.id, made.id);

  const requests = [
    { id: made.id, path: "/api/me", status: 401 },
    { id: given.id, path: "/api/me", status: 401 },
    { id: health.id, path: "/healthz", status: health.status },
  ];
  await waitFor("an access line for each request", () =>
    requests.every(r => accessLines(server).some(l => l.span?.id === r.id)),
  );
  for (const request of requests) {
    const lines = accessLines(server).filter(l => l.span?.id === request.id);
    assert.equal(lines.length, 1, `one access line for ${request.id}`);
    const [line] = lines;
    assert.equal(line.level, "INFO");
    assert.equal(line.fields.method, "GET");
    assert.equal(line.fields.path, request.path, "the path, without the query string");
    assert.equal(line.fields.status, request.status);
    assert.equal(line.fields.client, "127.0.0.1");
  }
  assert.ok(!server.logs().includes("secret-in-the-query"), "query strings (tokens) are not logged");

  // The scraper's own address: /metrics with no token, and nothing else.
  const serving = await waitFor("the metrics listener's log line", () =>
    jsonLines(server).find(l => l.fields?.message === "serving /metrics"),
  );
  const metricsUrl = `http://${serving.fields.address}`;
  assert.notEqual(new URL(metricsUrl).port, String(server.port));
  const scraped = await get(`${metricsUrl}/metrics`);
  assert.equal(scraped.status, 200);
  assert.match(scraped.text, /^# TYPE duyan_\w+ /m);
  assert.equal((await get(`${metricsUrl}/api/me`)).status, 404);

  // The main address: the token, or nothing.
  assert.equal((await get(`${server.httpUrl}/metrics`)).status, 401);
  assert.equal(
    (await get(`${server.httpUrl}/metrics`, { authorization: "Bearer not-the-token-at-all-0123456789" })).status,
    401,
  );
  const withToken = await get(`${server.httpUrl}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
  assert.equal(withToken.status, 200);
  assert.match(withToken.text, /^# TYPE duyan_\w+ /m);
});
