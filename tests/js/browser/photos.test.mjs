// Photos as a person on site takes them: attached to a progress entry with no network, still
// there after a reload, uploaded by the app itself once the network is back, and shown to the
// supervisor on another device with the time and place the camera wrote into the photo; a PDF
// and a DOCX attached with it go the same way and download byte for byte. And an
// upload cut short goes on from where the server's bytes end; a photo whose EXIF has no
// position takes the phone's, and a position reported with accuracy 0 is flagged.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import {
  browserFile,
  createItem,
  openItem,
  serviceWorkerControls,
  setOnline,
  storedLocally,
  timelineEntry,
  until,
} from "./harness.mjs";

const file = browserFile("browser: photos");

/** A real JPEG with EXIF DateTimeOriginal (+08:00) and GPS; see fixtures/README.md. */
const FIXTURE = new URL("./fixtures/site-photo.jpg", import.meta.url);
const FIXTURE_SHA256 = createHash("sha256").update(readFileSync(FIXTURE)).digest("hex");
/** What the fixture's EXIF says, as the viewer shows it (Asia/Shanghai). */
const EXIF_TIME = "2026-03-14 09:26:53";
const EXIF_PLACE = "31.230417, 121.473700";
/** Files that are not photos (see fixtures/README.md). */
const PDF = new URL("./fixtures/report.pdf", import.meta.url);
const DOCX = new URL("./fixtures/material.docx", import.meta.url);
const PDF_NAME = "整改报告.pdf";
const DOCX_NAME = "汇报材料.docx";
const sha256Of = bytes => createHash("sha256").update(bytes).digest("hex");

/** The attachment named `name` in the timeline entry containing `text`. */
const entryFile = (page, text, name) =>
  timelineEntry(page, text).getByTestId("attachment").filter({ hasText: name });

/** The first thumbnail of the timeline entry containing `text`. */
const entryThumb = (page, text) => timelineEntry(page, text).getByTestId("photo-thumb").first();

/** Resolves once `thumb` shows state `state` with an image the browser has decoded. */
async function shows(thumb, state) {
  await thumb.and(thumb.page().locator(`[data-state="${state}"]`)).waitFor();
  await until(
    `the thumbnail's image to load (state ${state})`,
    () => thumb.locator("img").evaluate(img => img.complete && img.naturalWidth),
    width => width > 0,
  );
}

/** The status bar's count of photos not yet on the server (hidden when there are none). */
async function photosPending(page) {
  const count = page.getByTestId("photos-pending");
  return (await count.count()) === 0 ? 0 : Number(await count.innerText());
}

/** What the photo database of `userId` holds for `sha256` in the page: bytes and queue state. */
function stored(page, userId, sha256) {
  return page.evaluate(
    async ([name, key]) => {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const get = store =>
        new Promise((resolve, reject) => {
          const request = db.transaction(store, "readonly").objectStore(store).get(key);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      try {
        const bytes = await get("bytes");
        const queued = await get("queue");
        const hash = bytes instanceof ArrayBuffer ? await crypto.subtle.digest("SHA-256", bytes) : null;
        return {
          isArrayBuffer: bytes instanceof ArrayBuffer,
          sha256: hash ? Array.from(new Uint8Array(hash), b => b.toString(16).padStart(2, "0")).join("") : null,
          state: queued?.state ?? null,
        };
      } finally {
        db.close();
      }
    },
    [`duyan-photos-${userId}`, sha256],
  );
}

file.test("a photo, a PDF and a DOCX attached offline survive a reload, upload by themselves online; the supervisor sees the photo with its EXIF time and place and downloads the same bytes", async session => {
  const { users } = session;
  const title = "二号泵房阀井污水外溢";
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, {
    title,
    detail: "阀井内积存污水，需拍照留痕并限期清理。",
    deadline: "2026-12-20",
    leadUnit: "plant-2",
    handlers: [users.zhang.id],
  });

  const zhang = await session.signedIn("zhang", users.zhang);
  await serviceWorkerControls(zhang);
  await openItem(zhang, id);
  await storedLocally(zhang, id);
  await setOnline(zhang, false);

  // On site, no network: a progress entry with the photo from the gallery.
  const report = "现场拍照：阀井污水已抽排，待复查。";
  await zhang.getByTestId("progress-add").click();
  await zhang.getByTestId("progress-text").fill(report);
  await zhang.getByTestId("photo-input").setInputFiles(FIXTURE.pathname);
  const picked = zhang.getByTestId("form-progress").getByTestId("photo-thumb");
  await shows(picked, "waiting");
  // The 整改报告 and the 汇报材料, under the names the person's files have.
  await zhang.getByTestId("attachment-input").setInputFiles([
    { name: PDF_NAME, mimeType: "application/pdf", buffer: readFileSync(PDF) },
    { name: DOCX_NAME, mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", buffer: readFileSync(DOCX) },
  ]);
  const files = zhang.getByTestId("form-progress").getByTestId("attachment");
  await files.nth(1).waitFor();
  assert.deepEqual(await files.evaluateAll(items => items.map(i => i.dataset.state)), ["waiting", "waiting"]);
  // A file that is none of the accepted kinds never joins the form.
  await zhang.getByTestId("attachment-input").setInputFiles({ name: "setup.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", "latin1") });
  await zhang.getByTestId("attachment-error").waitFor();
  assert.equal(await files.count(), 2);
  await picked.scrollIntoViewIfNeeded();
  await session.screenshot(zhang, "photo-form-offline");
  const sha256 = await picked.getAttribute("data-sha256");
  assert.match(sha256, /^[0-9a-f]{64}$/);
  // Re-encoded on the phone (JPEG, at most 2560 px), so not the file's own bytes.
  assert.notEqual(sha256, FIXTURE_SHA256);
  await zhang.getByTestId("progress-submit").click();
  await shows(entryThumb(zhang, report), "waiting");

  // Reloaded with no network: the entry and its photo come from IndexedDB, bytes and all.
  await zhang.reload();
  await zhang.getByTestId("net-status").and(zhang.locator('[data-online="false"]')).waitFor();
  await shows(entryThumb(zhang, report), "waiting");
  assert.equal(await entryThumb(zhang, report).getAttribute("data-sha256"), sha256);
  await entryThumb(zhang, report).scrollIntoViewIfNeeded();
  await session.screenshot(zhang, "photo-timeline-offline");
  const waiting = await stored(zhang, users.zhang.id, sha256);
  assert.deepEqual(waiting, { isArrayBuffer: true, sha256, state: "waiting" });
  // The files too: named by their own bytes, waiting with them on the phone.
  for (const [path, name] of [[PDF, PDF_NAME], [DOCX, DOCX_NAME]]) {
    const hash = sha256Of(readFileSync(path));
    const item = entryFile(zhang, report, name);
    await item.and(zhang.locator('[data-state="waiting"]')).waitFor();
    assert.equal(await item.getAttribute("data-sha256"), hash);
    assert.deepEqual(await stored(zhang, users.zhang.id, hash), { isArrayBuffer: true, sha256: hash, state: "waiting" });
  }
  await entryFile(zhang, report, DOCX_NAME).scrollIntoViewIfNeeded();
  await session.screenshot(zhang, "attachments-timeline-offline");

  // Back online: nobody touches anything, the photo goes up, and only then leaves the phone.
  await setOnline(zhang, true);
  await shows(entryThumb(zhang, report), "uploaded");
  assert.deepEqual(await stored(zhang, users.zhang.id, sha256), { isArrayBuffer: false, sha256: null, state: null });
  for (const [path, name] of [[PDF, PDF_NAME], [DOCX, DOCX_NAME]]) {
    await entryFile(zhang, report, name).and(zhang.locator('[data-state="uploaded"]')).waitFor();
    const hash = sha256Of(readFileSync(path));
    assert.deepEqual(await stored(zhang, users.zhang.id, hash), { isArrayBuffer: false, sha256: null, state: null });
  }

  // The supervisor's device shows the thumbnail from the server, and the viewer the photo's
  // own time and place (EXIF), and who took it.
  await openItem(li, id);
  const seen = entryThumb(li, report);
  await shows(seen, "uploaded");
  assert.equal(await seen.getAttribute("data-sha256"), sha256);
  await seen.click();
  const viewer = li.getByTestId("photo-viewer");
  await viewer.waitFor();
  assert.equal(await viewer.getByTestId("photo-viewer-time").innerText(), EXIF_TIME);
  assert.match(await viewer.getByTestId("photo-viewer-place").innerText(), new RegExp(`^${EXIF_PLACE} · 精度 ±6.5 米$`));
  assert.equal(await viewer.getByTestId("photo-viewer-place").getAttribute("data-mocked"), null);
  assert.equal(await viewer.getByTestId("photo-viewer-by").innerText(), users.zhang.displayName);
  await until(
    "the whole photo in the viewer",
    () => viewer.getByTestId("photo-viewer-image").evaluate(img => img.dataset.full === "true" && img.complete && img.naturalWidth),
    width => width === 1600,
  );
  await session.screenshot(li, "photo-viewer");

  // The supervisor downloads both files from the server: the same bytes, under their names.
  await li.getByTestId("photo-viewer-close").click();
  await li.getByTestId("photo-viewer").waitFor({ state: "detached" });
  await entryFile(li, report, DOCX_NAME).scrollIntoViewIfNeeded();
  await session.screenshot(li, "attachments-supervisor");
  // The name the app gives the download (the anchor's `download`): Debian's Chromium reports
  // every blob download in the app's pages as "download" to Playwright, whatever the anchor
  // says (a bare page keeps the name), so the name is read where the app sets it.
  await li.evaluate(() => {
    window.__downloadNames = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
      if (this.download) window.__downloadNames.push(this.download);
      return click.call(this);
    };
  });
  for (const [path, name] of [[PDF, PDF_NAME], [DOCX, DOCX_NAME]]) {
    const [download] = await Promise.all([li.waitForEvent("download"), entryFile(li, report, name).getByTestId("attachment-download").click()]);
    const saved = readFileSync(await download.path());
    assert.equal(sha256Of(saved), sha256Of(readFileSync(path)), `${name}: the same bytes`);
  }
  assert.deepEqual(await li.evaluate(() => window.__downloadNames), [PDF_NAME, DOCX_NAME]);

  // The bytes on the server are exactly the ones named in the record.
  const { access_token: token } = await session.fx.signIn(session.server, users.li);
  const response = await fetch(`${session.server.httpUrl}/api/blobs/${sha256}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  assert.equal(createHash("sha256").update(Buffer.from(await response.arrayBuffer())).digest("hex"), sha256);
});

file.test("an upload cut short goes on from the server's offset; a photo without EXIF GPS takes the phone's location, flagged at accuracy 0", async session => {
  const { users } = session;
  const title = "固废堆场扬尘治理";
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, { title, deadline: "2026-12-21", leadUnit: "plant-2", handlers: [users.zhang.id] });

  const zhang = await session.signedIn("zhang", users.zhang);
  // A mock location app reports no error at all.
  await zhang.context().grantPermissions(["geolocation"]);
  await zhang.context().setGeolocation({ latitude: 30.5, longitude: 114.3, accuracy: 0 });
  await openItem(zhang, id);

  // A photo of several parts (no EXIF), kept as taken: its bytes and name are known here.
  const jpeg = Buffer.from(
    await zhang.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 2000;
      canvas.height = 1500;
      const context = canvas.getContext("2d");
      const pixels = context.createImageData(2000, 1500);
      let seed = 42;
      for (let i = 0; i < pixels.data.length; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        pixels.data[i] = i % 4 === 3 ? 255 : seed >> 23;
      }
      context.putImageData(pixels, 0, 0);
      const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", 0.92));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = "";
      for (const b of bytes) binary += String.fromCharCode(b);
      return btoa(binary);
    }),
    "base64",
  );
  const PART = 512 * 1024;
  assert.ok(jpeg.length > 2 * PART, `the photo should take several parts, has ${jpeg.length} bytes`);
  const sha256 = createHash("sha256").update(jpeg).digest("hex");

  // An earlier attempt from this user got its first part to the server, then the connection
  // dropped.
  const { access_token: token } = await session.fx.signIn(session.server, users.zhang);
  const first = await fetch(`${session.server.httpUrl}/api/blobs/${sha256}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-range": `bytes 0-${PART - 1}/${jpeg.length}` },
    body: jpeg.subarray(0, PART),
  });
  assert.equal(first.status, 202);

  const ranges = [];
  zhang.on("request", request => {
    if (request.method() === "PUT" && request.url().endsWith(`/api/blobs/${sha256}`)) {
      ranges.push(request.headers()["content-range"]);
    }
  });
  const report = "扬尘覆盖网已铺设（原图）。";
  await zhang.getByTestId("progress-add").click();
  await zhang.getByTestId("progress-text").fill(report);
  await zhang.getByTestId("photo-input-keep-original").check();
  await zhang.getByTestId("photo-input").setInputFiles({ name: "dust.jpg", mimeType: "image/jpeg", buffer: jpeg });
  const picked = zhang.getByTestId("form-progress").getByTestId("photo-thumb");
  await picked.waitFor();
  // Kept as taken: named by the file's own bytes.
  assert.equal(await picked.getAttribute("data-sha256"), sha256);
  await zhang.getByTestId("progress-submit").click();
  await shows(entryThumb(zhang, report), "uploaded");

  // Only the missing parts were sent, starting where the server's bytes ended.
  assert.ok(ranges.length >= 1, "the app sent the rest of the photo");
  assert.match(ranges[0], new RegExp(`^bytes ${PART}-`));
  assert.ok(ranges.every(range => !range.startsWith("bytes 0-")), `nothing sent twice: ${ranges.join(", ")}`);

  // No EXIF position: the phone's own, with the mock warning.
  await entryThumb(zhang, report).click();
  const viewer = zhang.getByTestId("photo-viewer");
  const place = viewer.getByTestId("photo-viewer-place");
  assert.match(await place.innerText(), /^30\.500000, 114\.300000 · 疑似模拟定位/);
  assert.equal(await place.getAttribute("data-mocked"), "true");
  assert.equal(await entryThumb(zhang, report).getAttribute("data-mocked"), "true");
  await session.screenshot(zhang, "photo-viewer-mocked");
});

file.test("a site check shows its 整改前 and 整改后 photos side by side, on the handler's phone and the supervisor's", async session => {
  const { users } = session;
  const title = "污水井周边杂草清理";
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, { title, deadline: "2026-12-22", leadUnit: "plant-2", handlers: [users.zhang.id] });
  const zhang = await session.signedIn("zhang", users.zhang);
  await openItem(zhang, id);

  // 整改后: a plain photo made here (no EXIF).
  const after = Buffer.from(
    await zhang.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 800;
      canvas.height = 600;
      const context = canvas.getContext("2d");
      context.fillStyle = "#7a9a5a";
      context.fillRect(0, 0, 800, 600);
      const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", 0.8));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      return btoa(String.fromCharCode(...bytes));
    }),
    "base64",
  );
  await zhang.getByTestId("site-check-add").click();
  await zhang.getByTestId("site-place").fill("二号泵房东侧污水井");
  await zhang.getByTestId("site-findings").fill("井口周边杂草已清除，污水井加盖。");
  await zhang.getByTestId("site-before-input").setInputFiles(FIXTURE.pathname);
  await zhang.getByTestId("site-after-input").setInputFiles({ name: "after.jpg", mimeType: "image/jpeg", buffer: after });
  const form = zhang.getByTestId("form-site-check");
  await until("both photos in the form", () => form.getByTestId("photo-thumb").count(), n => n === 2);
  await zhang.getByTestId("site-submit").click();

  const sideBySide = async (name, page) => {
    const pair = timelineEntry(page, "井口周边杂草已清除").getByTestId("photo-pair");
    await pair.waitFor();
    const [before, afterThumb] = [pair.getByTestId("photo-thumb").nth(0), pair.getByTestId("photo-thumb").nth(1)];
    await shows(before, "uploaded");
    await shows(afterThumb, "uploaded");
    // Side by side: one row, the before photo on the left.
    const [b, a] = [await before.boundingBox(), await afterThumb.boundingBox()];
    assert.ok(Math.abs(b.y - a.y) < 1 && b.x < a.x, `${name}: before ${JSON.stringify(b)}, after ${JSON.stringify(a)}`);
  };
  await sideBySide("zhang", zhang);
  // Opened once both are on the server (before that it would show them as still on zhang's phone).
  await openItem(li, id);
  await sideBySide("li", li);
  await timelineEntry(li, "井口周边杂草已清除").scrollIntoViewIfNeeded();
  await session.screenshot(li, "photo-before-after");
});

file.test("a photo the server refuses stays on the phone, failed with the reason, and a retry asks the server again; removed from the phone, it shows as never uploaded", async session => {
  const { users } = session;
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, { title: "厂区道路破损修复", deadline: "2026-12-23", leadUnit: "plant-2", handlers: [users.zhang.id] });
  const zhang = await session.signedIn("zhang", users.zhang);
  await openItem(zhang, id);

  const report = "路面破损照片（原图，过大）。";
  await zhang.getByTestId("progress-add").click();
  await zhang.getByTestId("progress-text").fill(report);
  await zhang.getByTestId("photo-input-keep-original").check();
  // A JPEG over the server's 15 MiB limit, made in the page and chosen as a file there (so its
  // megabytes need not travel through the test driver).
  const size = await zhang.getByTestId("photo-input").evaluate(async input => {
    const canvas = document.createElement("canvas");
    canvas.width = 3600;
    canvas.height = 2700;
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(canvas.width, canvas.height);
    crypto.getRandomValues(new Uint8Array(pixels.data.buffer, 0, 65536));
    for (let i = 65536; i < pixels.data.length; i += 65536) {
      crypto.getRandomValues(new Uint8Array(pixels.data.buffer, i, Math.min(65536, pixels.data.length - i)));
    }
    context.putImageData(pixels, 0, 0);
    const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", 1));
    const files = new DataTransfer();
    files.items.add(new File([blob], "road.jpg", { type: "image/jpeg" }));
    input.files = files.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return blob.size;
  });
  assert.ok(size > 15 * 1024 * 1024, `the photo should exceed 15 MiB, has ${size} bytes`);
  await zhang.getByTestId("form-progress").getByTestId("photo-thumb").waitFor();
  await zhang.getByTestId("progress-submit").click();

  const entry = timelineEntry(zhang, report);
  await entryThumb(zhang, report).and(zhang.locator('[data-state="failed"]')).waitFor();
  assert.equal(await entry.getByTestId("photo-error").innerText(), "照片过大，服务器不接受");
  const sha256 = await entryThumb(zhang, report).getAttribute("data-sha256");
  // Still on the phone, bytes and all.
  assert.deepEqual(await stored(zhang, users.zhang.id, sha256), { isArrayBuffer: true, sha256, state: "failed" });

  // Retrying asks the server again; it refuses again, and the photo stays.
  const puts = [];
  zhang.on("request", request => {
    if (request.method() === "PUT" && request.url().endsWith(`/api/blobs/${sha256}`)) puts.push(request.url());
  });
  await entry.getByTestId("photo-retry").click();
  await until("the retry to reach the server", () => puts.length, n => n >= 1);
  await entryThumb(zhang, report).and(zhang.locator('[data-state="failed"]')).waitFor();
  assert.equal((await stored(zhang, users.zhang.id, sha256)).state, "failed");
  // The status bar counts it as not yet on the server.
  await until("the status bar to count the failed photo", () => photosPending(zhang), n => n === 1);

  // Removed from the phone (after confirming it will be lost): bytes and queue entry go, the
  // record keeps the photo, shown as never uploaded, here and in the viewer, also after a reload.
  await entry.getByTestId("photo-remove-from-phone").click();
  await zhang.getByTestId("photo-remove-confirm").click();
  await entryThumb(zhang, report).and(zhang.locator('[data-state="removed"]')).waitFor();
  assert.equal(await photosPending(zhang), 0);
  assert.deepEqual(await stored(zhang, users.zhang.id, sha256), { isArrayBuffer: false, sha256: null, state: null });
  await zhang.reload();
  await entryThumb(zhang, report).and(zhang.locator('[data-state="removed"]')).waitFor();
  assert.equal(await photosPending(zhang), 0);
  assert.equal(await entry.getByTestId("photo-thumb").count(), 1);
  await entryThumb(zhang, report).click();
  await zhang.getByTestId("photo-viewer-removed").waitFor();
});
