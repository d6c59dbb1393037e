// Harness of the browser tests: the built web app served by the real `duyan` binary on a fresh
// PostgreSQL database (the interop tests' Fixture), driven in Debian's headless Chromium by
// playwright-core, at a phone's viewport and in Chinese.
//
// One server, one database, one cast of users and one browser per test file (`browserFile`);
// each test opens its own browser contexts, i.e. its own devices, with empty storage. Every
// wait is a condition with a deadline, never a fixed sleep. When a test fails, each of its pages
// is saved as a screenshot under target/screenshots/failed/ with its console output, and the
// file's server log is printed.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { Fixture, createUser, waitFor, within } from "../test/helpers.mjs";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** Debian's Chromium; playwright-core never downloads a browser of its own. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The built web app the server serves (`npm --prefix web run build`). */
export const WEB_DIR = process.env.DUYAN_WEB_DIR ?? join(REPO, "web", "dist");

/** Where the run leaves its screenshots (not committed: target/ is ignored). */
export const SCREENSHOTS = join(REPO, "target", "screenshots");

/** A small phone. */
export const VIEWPORT = { width: 360, height: 640 };

/**
 * Deadline for one UI condition (an element shows, a change arrives from another device).
 * Generous: Chromium, the server and PostgreSQL share a loaded 2-core machine, and a client
 * that lost its socket may wait for its next reconnection attempt.
 */
export const UI_MS = 30_000;

/** node:test timeout of one browser test; well above UI_MS so our own errors name the wait. */
export const BROWSER_TEST_MS = 300_000;

/** Any CJK ideograph: proof that a screen speaks Chinese. */
export const CHINESE = /[\u4e00-\u9fff]/;

/**
 * Sets up the file's server, users and browser (in `before`) and returns them with `test`, which
 * registers a browser test: `file.test(name, async session => ...)`. The Fixture's teardown (and
 * so the server log on failure) runs once, after the file's last test.
 */
export function browserFile(title) {
  let failed = false;
  const teardowns = [];
  // Fixture wants a node:test context; this one lives as long as the file.
  const fileContext = {
    name: title,
    get passed() {
      return !failed;
    },
    after: fn => teardowns.push(fn),
  };
  const file = {
    fx: null,
    server: null,
    users: null,
    browser: null,
    test(name, fn) {
      test(name, { timeout: BROWSER_TEST_MS }, async t => {
        const session = new BrowserSession(file, t.name);
        try {
          await fn(session, t);
        } catch (err) {
          failed = true;
          await session.recordFailure();
          throw err;
        } finally {
          await session.close();
        }
      });
    },
  };

  before(async () => {
    try {
      if (!existsSync(join(WEB_DIR, "index.html"))) {
        throw new Error(`no built web app in ${WEB_DIR}: run npm --prefix web run build`);
      }
      if (!existsSync(CHROMIUM)) {
        throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (or set CHROMIUM)`);
      }
      file.fx = new Fixture(fileContext);
      file.server = await file.fx.startServer({ args: ["--web-dir", WEB_DIR] });
      file.users = await file.fx.users();
      file.browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        // The contexts' `locale` sets what pages are told; the browser's own parts of a page
        // (a date field's 年/月/日, form validation bubbles) follow the browser's language,
        // which Chromium on Linux takes from LANGUAGE (with Debian's chromium-l10n installed).
        args: ["--lang=zh-CN"],
        env: { ...process.env, LANGUAGE: "zh_CN", LANG: "zh_CN.UTF-8" },
      });
    } catch (err) {
      failed = true;
      throw err;
    }
  });
  after(async () => {
    await file.browser?.close();
    for (const teardown of teardowns) await teardown();
  });
  return file;
}

/** The devices (browser contexts) of one test, closed when it ends. */
export class BrowserSession {
  #file;
  #name;
  #devices = [];

  constructor(file, name) {
    this.#file = file;
    this.#name = name;
  }

  get server() {
    return this.#file.server;
  }

  get users() {
    return this.#file.users;
  }

  get fx() {
    return this.#file.fx;
  }

  /**
   * A new device: a browser context with its own storage (IndexedDB, service worker), at the
   * phone viewport, in zh-CN and Asia/Shanghai. Resolves with its page, at `path` if given.
   * `label` names it in failure screenshots.
   */
  async device(label, { path } = {}) {
    const context = await this.#file.browser.newContext({
      baseURL: this.server.httpUrl,
      viewport: VIEWPORT,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
      serviceWorkers: "allow",
    });
    context.setDefaultTimeout(UI_MS);
    await context.addInitScript(trackWebSockets);
    const page = await context.newPage();
    const device = { label, context, page, console: [] };
    page.on("console", message => {
      if (message.type() === "error" || message.type() === "warning") {
        device.console.push(`[${message.type()}] ${message.text()}`);
      }
    });
    page.on("pageerror", err => device.console.push(`[pageerror] ${err.stack ?? err.message}`));
    this.#devices.push(device);
    if (path !== undefined) await page.goto(path);
    return page;
  }

  /** A new device on which `user` has signed in; resolves with its page, at 我的待办. */
  async signedIn(label, user) {
    const page = await this.device(label, { path: "/login" });
    await signIn(page, user);
    return page;
  }

  /** Saves `page` as target/screenshots/<name>.png. */
  async screenshot(page, name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: false });
    return path;
  }

  /** On failure: every page's screenshot, URL and console errors, for the one who reads the log. */
  async recordFailure() {
    const dir = join(SCREENSHOTS, "failed");
    mkdirSync(dir, { recursive: true });
    const slug = this.#name.replace(/[^\p{L}\p{N}]+/gu, "-").slice(0, 80);
    for (const device of this.#devices) {
      const path = join(dir, `${slug}--${device.label}.png`);
      let shot = path;
      try {
        await device.page.screenshot({ path, timeout: 5_000 });
      } catch (err) {
        shot = `no screenshot (${err.message.split("\n")[0]})`;
      }
      process.stderr.write(
        `\n--- device "${device.label}" of "${this.#name}": ${device.page.url()}\n` +
          `screenshot: ${shot}\n${device.console.join("\n") || "(no console errors)"}\n`,
      );
    }
  }

  async close() {
    for (const device of this.#devices) await device.context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// What a person does

const secondSupervisors = new WeakMap();

/**
 * 钱芳, a second supervisor of the office (the cast has one): created once per file's database.
 * Resolves with the user, as `Fixture.users` gives them.
 */
export function secondSupervisor(fx) {
  if (!secondSupervisors.has(fx)) {
    secondSupervisors.set(
      fx,
      fx.database().then(({ url }) =>
        createUser(url, {
          username: "qian",
          displayName: "钱芳",
          role: "supervisor",
          unit: "office",
          password: "qian-password-1",
        }),
      ),
    );
  }
  return secondSupervisors.get(fx);
}

/** Signs `user` in on the login screen of `page` and waits for the app's shell. */
export async function signIn(page, user) {
  if (!new URL(page.url()).pathname.startsWith("/login")) await page.goto("/login");
  await page.getByTestId("login-username").fill(user.username);
  await page.getByTestId("login-password").fill(user.password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("tab-todo").waitFor();
}

/**
 * Resolves once a service worker controls `page`, so that a reload while offline is served from
 * its cache. `ready` means a worker is active (its install, the precache, has finished); a page
 * loaded before that is controlled only from its next load, unless the worker claims it, so
 * one reload settles it either way.
 */
export async function serviceWorkerControls(page) {
  // page.evaluate has no deadline of its own, and `ready` never settles if nothing registers.
  const ready = () =>
    within(
      "an active service worker (navigator.serviceWorker.ready)",
      page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined)),
      UI_MS,
    );
  await ready();
  const controlled = () => page.evaluate(() => navigator.serviceWorker.controller !== null);
  if (!(await controlled())) {
    await page.reload();
    await ready();
  }
  if (!(await controlled())) throw new Error("no service worker controls the page after a reload");
}

/**
 * Resolves once the browser's IndexedDB holds a stored chunk of document `documentId`
 * (automerge-repo's IndexedDB storage keys them `[documentId, "snapshot" | "incremental", hash]`;
 * its `sync-state` entries, which hold no content, fall outside the range), so a reload can
 * show it without the network.
 */
export async function storedLocally(page, documentId) {
  await waitFor(
    `document ${documentId} in the browser's IndexedDB`,
    () =>
      page.evaluate(async id => {
        const names = (await indexedDB.databases()).map(db => db.name);
        for (const name of names) {
          const db = await new Promise((resolve, reject) => {
            const open = indexedDB.open(name);
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error);
          });
          try {
            for (const store of db.objectStoreNames) {
              const count = await new Promise((resolve, reject) => {
                const request = db
                  .transaction(store, "readonly")
                  .objectStore(store)
                  .count(IDBKeyRange.bound([id, "incremental"], [id, "snapshot", []]));
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
              });
              if (count > 0) return true;
            }
          } catch {
            // A store whose keys are not arrays: not automerge-repo's.
          } finally {
            db.close();
          }
        }
        return false;
      }, documentId),
    { timeout: UI_MS, interval: 100 },
  );
}

/**
 * Goes offline (or back online) and waits for the app to say so (`net-status`). Going offline
 * also waits until none of the page's WebSockets is open: Chromium's offline emulation fails
 * new connections but leaves an open socket working, so an app that kept its sync socket would
 * go on syncing and the test would not be offline at all. The app must close it itself when the
 * browser says it is offline (as a phone that lost its network would find it dead); the socket
 * then stays "closing" until the network returns, which is as good as closed: nothing more is
 * sent or read on it.
 */
export async function setOnline(page, online) {
  await page.context().setOffline(!online);
  await page.getByTestId("net-status").and(page.locator(`[data-online="${online}"]`)).waitFor({
    state: "attached",
  });
  if (!online) {
    await page.waitForFunction(() =>
      window.__duyanTestSockets.every(socket => socket.readyState >= WebSocket.CLOSING),
    );
  }
}

/**
 * Runs in every page before the app: keeps each WebSocket the page opens in
 * `window.__duyanTestSockets`, so a test can see whether the app closed its sync socket.
 */
function trackWebSockets() {
  const Native = window.WebSocket;
  const sockets = [];
  window.__duyanTestSockets = sockets;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  };
}

/**
 * The calendar date `days` from today in Asia/Shanghai, as a date input takes it (YYYY-MM-DD):
 * deadlines must lie ahead of the day the test runs, whenever that is.
 */
export function dateFromToday(days) {
  const shanghai = new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000);
  return shanghai.toISOString().slice(0, 10);
}

/** The documentId of the record page `page` shows (`/items/<id>`). */
export function itemIdOf(page) {
  const match = /\/items\/([^/?#]+)/.exec(new URL(page.url()).pathname);
  if (!match || match[1] === "new") throw new Error(`not on an item's page: ${page.url()}`);
  return decodeURIComponent(match[1]);
}

/**
 * Fills the new item form (`/items/new`) and submits it; resolves with the new item's id once
 * its page shows it. `deadline` is `YYYY-MM-DD`; `handlers` are user ids.
 */
export async function createItem(page, { title, detail = "", deadline, leadUnit, handlers = [] }) {
  await page.goto("/items/new");
  await page.getByTestId("item-title").fill(title);
  if (detail) await page.getByTestId("item-detail").fill(detail);
  if (deadline) await page.getByTestId("item-deadline").fill(deadline);
  if (leadUnit) await page.getByTestId("item-lead-unit").selectOption(leadUnit);
  for (const id of handlers) await page.getByTestId(`item-handler-${id}`).click();
  await page.getByTestId("item-submit").click();
  await page.waitForURL(url => /\/items\/(?!new)[^/]+$/.test(url.pathname));
  await page.getByTestId("record-title").filter({ hasText: title }).waitFor();
  return itemIdOf(page);
}

/** Opens an item's page and waits until it shows its title. */
export async function openItem(page, id) {
  await page.goto(`/items/${encodeURIComponent(id)}`);
  await page.getByTestId("record-title").waitFor();
}

/** Adds a progress entry on the open item's page; resolves once its timeline shows it. */
export async function addProgress(page, text) {
  await page.getByTestId("progress-add").click();
  await page.getByTestId("progress-text").fill(text);
  await page.getByTestId("progress-submit").click();
  await timelineEntry(page, text).waitFor();
}

/** The timeline entry of the open item's page that contains `text`. */
export function timelineEntry(page, text) {
  return page.getByTestId("timeline").getByTestId("timeline-entry").filter({ hasText: text });
}

/** The row of the item titled `title` in the list on screen (我的待办, 台账). */
export function recordRow(page, title) {
  return page.getByTestId("record-row").filter({ hasText: title });
}

/** Polls `read` (e.g. a locator's value) until `accept` holds; resolves with the last value. */
export async function until(what, read, accept, { timeout = UI_MS } = {}) {
  let last;
  try {
    await waitFor(
      what,
      async () => {
        last = await read();
        return accept(last);
      },
      { timeout, interval: 100 },
    );
  } catch (err) {
    err.message += `; last seen: ${JSON.stringify(last)}`;
    throw err;
  }
  return last;
}

/** The visible text of the whole page. */
export const bodyText = page => page.innerText("body");
