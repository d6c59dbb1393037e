// A record's paper: the print view lays out the 督办单 from the record on the phone, offline
// too, and downloads the server's Word document once online.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import { castItem, waitSynced } from "../test/helpers.mjs";
import { browserFile, openItem, serviceWorkerControls, setOnline } from "./harness.mjs";

const file = browserFile("browser: documents");

file.test("the 督办单 prints from the phone offline and downloads as Word online", async session => {
  const { users, server, fx } = session;
  const title = "炼油厂区阀井污水整改（公文）";
  const writer = await fx.client(server, { user: users.li, device: "李静的电脑" });
  const item = writer.repo.create(castItem(users, { title }));
  await waitSynced(item, writer.repo);

  const li = await session.signedIn("li", users.li);
  await openItem(li, item.documentId);
  await li.getByTestId("record-title").filter({ hasText: title }).waitFor();
  // Offline, the print view's code and styles come from the service worker's precache.
  await serviceWorkerControls(li);
  await li.getByTestId("record-title").filter({ hasText: title }).waitFor();
  await setOnline(li, false);
  await li.getByTestId("paper-open").click();
  const paper = li.getByTestId("paper");
  await paper.waitFor();
  assert.equal(await li.getByTestId("paper-issuer").innerText(), "办公室");
  const text = await paper.innerText();
  for (const expected of ["督\u3000办\u3000单", title, "现场核查：3号阀井污水外溢", "督办员（签字）："]) {
    assert.ok(text.includes(expected), `${expected} in the paper:\n${text}`);
  }
  await session.screenshot(li, "paper-duban");

  // Back online (the paper has no status bar to wait on: the download itself is the check).
  await li.context().setOffline(false);
  const [download] = await Promise.all([li.waitForEvent("download"), li.getByTestId("paper-word").click()]);
  const bytes = await readFile(await download.path());
  assert.equal(bytes.subarray(0, 2).toString(), "PK", "a .docx is a zip");
  // docx-rs stores the XML parts uncompressed: the server's document names the item.
  assert.ok(bytes.includes(Buffer.from(title)), "the Word document holds the title");
});
