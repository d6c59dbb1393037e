// Offline first, as a person meets it: a phone loses the network, the app still opens from its
// service worker's cache and shows the records from IndexedDB, takes new progress, and sends it
// when the network is back, where another phone that stayed open sees it without reloading.
// And two phones editing the same record offline (different fields, and the same text) both
// end up with everything either of them wrote.

import assert from "node:assert/strict";

import {
  addProgress,
  bodyText,
  browserFile,
  createItem,
  dateFromToday,
  openItem,
  recordRow,
  secondSupervisor,
  serviceWorkerControls,
  setOnline,
  storedLocally,
  timelineEntry,
  until,
} from "./harness.mjs";

const file = browserFile("browser: offline");

/** Resolves once the open item's page says whether the server holds all of it. */
function synced(page, value) {
  return page.getByTestId("synced-mark").and(page.locator(`[data-synced="${value}"]`)).waitFor();
}

const OFFLINE = "offline: the app opens with its records; progress made offline syncs once online";
file.test(OFFLINE, async session => {
  const { users } = session;
  const title = "三号阀井污水外溢整改";
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, {
    title,
    detail: "3号阀井污水外溢，限期清理并查明来源。",
    deadline: dateFromToday(30),
    leadUnit: "plant-2",
    handlers: [users.zhang.id],
  });
  await synced(li, true);

  // The handler's phone, while it still has the network: the app is installed (a service worker
  // controls it) and the item, opened once, is stored in the browser.
  const zhang = await session.signedIn("zhang", users.zhang);
  await serviceWorkerControls(zhang);
  await recordRow(zhang, title).click();
  await zhang.getByTestId("record-title").filter({ hasText: title }).waitFor();
  await storedLocally(zhang, id);

  await setOnline(zhang, false);
  await zhang.goto("/");
  await zhang.reload();
  // The app opened without the network, shows that it is offline and lists the item.
  await zhang.getByTestId("net-status").and(zhang.locator('[data-online="false"]')).waitFor();
  await recordRow(zhang, title).waitFor();
  const text = await bodyText(zhang);
  assert.ok(text.includes("离线") && text.includes("我的待办"), `the offline 我的待办 says so:\n${text}`);
  await session.screenshot(zhang, "09-offline-todo");
  await recordRow(zhang, title).click();
  await zhang.getByTestId("record-title").filter({ hasText: title }).waitFor();

  const report = "离线反馈：已清理阀井淤泥，污水来源为二号泵房渗漏。";
  await addProgress(zhang, report);
  await synced(zhang, false);

  await setOnline(zhang, true);
  await synced(zhang, true);
  // li's page has stayed open on the item all along: the entry arrives without a reload.
  await timelineEntry(li, report).waitFor();
});

const MERGE = "two phones edit the same record offline: back online both show all of both edits";
file.test(MERGE, async session => {
  const { users } = session;
  const qian = await secondSupervisor(session.fx);
  const title = "固废临时堆放点清运";
  const first = "现场固废未按期处置。";
  const second = "要求本周内清运完毕。";
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, {
    title,
    detail: first + second,
    deadline: dateFromToday(30),
    leadUnit: "plant-2",
    handlers: [users.zhang.id],
  });
  await synced(li, true);
  const other = await session.signedIn("qian", qian);

  for (const page of [li, other]) {
    await serviceWorkerControls(page);
    await openItem(page, id);
    await storedLocally(page, id);
  }
  await setOnline(li, false);
  await setOnline(other, false);

  // Different fields: li retitles the item, qian reports progress.
  const newTitle = `${title}（限本周）`;
  await li.getByTestId("title-input").fill(newTitle);
  await li.getByTestId("title-input").press("Enter");
  await li.getByTestId("record-title").filter({ hasText: newTitle }).waitFor();
  const report = "钱芳：已联系处置单位，周四进场清运。";
  await addProgress(other, report);

  // The same text: li writes at its start, qian at its end.
  const liNote = "【李静补充】";
  const qianNote = "【钱芳补充】";
  await typeInto(li, "detail-text", 0, liNote);
  await typeInto(other, "detail-text", null, qianNote);
  const detailOf = page => () => page.getByTestId("detail-text").inputValue();
  await until("li's own edit of the detail", detailOf(li), v => v === liNote + first + second);
  await until("qian's own edit of the detail", detailOf(other), v => v === first + second + qianNote);
  await synced(li, false);
  await synced(other, false);

  await setOnline(li, true);
  await setOnline(other, true);
  const merged = liNote + first + second + qianNote;
  for (const [name, page] of [["li", li], ["qian", other]]) {
    await until(`the merged detail on ${name}'s phone`, detailOf(page), v => v === merged);
    await page.getByTestId("record-title").filter({ hasText: newTitle }).waitFor();
    await timelineEntry(page, report).waitFor();
    // And each phone knows the server holds it.
    await synced(page, true);
  }

  // The server holds the merge: a leader's phone that never saw the record gets all of it.
  const wang = await session.signedIn("wang", users.wang);
  await openItem(wang, id);
  await wang.getByTestId("record-title").filter({ hasText: newTitle }).waitFor();
  await timelineEntry(wang, report).waitFor();
  // A leader may not edit the detail: it is shown as text, not in a text area.
  const detail = wang.getByTestId("detail-text").or(wang.getByTestId("detail-view"));
  const shown = () => detail.evaluate(el => (el.value ?? el.textContent).trim());
  await until("the merged detail on wang's phone", shown, v => v === merged);
});

/**
 * Types `text` into the text area `testId` with the caret at `position` (null: the end), the
 * way a person does: click, place the caret, type.
 */
async function typeInto(page, testId, position, text) {
  const area = page.getByTestId(testId);
  await area.click();
  await area.evaluate((el, at) => {
    const caret = at ?? el.value.length;
    el.setSelectionRange(caret, caret);
  }, position);
  await page.keyboard.insertText(text);
}
