// 消息 as a handler meets it on a 360x640 phone: the supervisor urges, the handler's tab bar
// shows a badge and 我的待办 marks the item; the inbox opens the item, whose banner shows the
// urge until it is acknowledged; and after an offline reload the inbox and the reminder the
// phone computes for the item's near deadline are still there.

import assert from "node:assert/strict";

import {
  bodyText,
  browserFile,
  createItem,
  dateFromToday,
  recordRow,
  serviceWorkerControls,
  setOnline,
  storedLocally,
} from "./harness.mjs";

const file = browserFile("browser: inbox");

file.test("an urge reaches the handler's inbox; the inbox and a deadline reminder work offline", async session => {
  const { users } = session;
  const title = "二号泵房渗漏整改";
  const li = await session.signedIn("li", users.li);
  const id = await createItem(li, {
    title,
    detail: "二号泵房管道渗漏，限期修复。",
    // Two days ahead: the phone reminds of it ("deadline in 3 days or fewer").
    deadline: dateFromToday(2),
    leadUnit: "plant-2",
    handlers: [users.zhang.id],
  });

  const zhang = await session.signedIn("zhang", users.zhang);
  await serviceWorkerControls(zhang);
  await recordRow(zhang, title).waitFor();
  await storedLocally(zhang, id);

  // The supervisor urges.
  const urge = "请今天下班前反馈修复进展";
  await li.getByTestId("action-urge").click();
  await li.getByTestId("action-text").fill(urge);
  await li.getByTestId("action-submit").click();

  // The handler's tab bar shows the badge, and 我的待办 marks the item.
  await zhang.getByTestId("inbox-badge").waitFor();
  await recordRow(zhang, title).getByTestId("attention-mark").waitFor();
  await session.screenshot(zhang, "30-inbox-badge-todo");

  await zhang.getByTestId("tab-inbox").click();
  const entry = zhang.getByTestId("inbox-entry").filter({ hasText: urge });
  await entry.waitFor();
  assert.equal(await entry.getAttribute("data-kind"), "urged");
  assert.equal(await entry.getAttribute("data-read"), "false");
  await zhang.getByTestId("local-reminder").and(zhang.locator('[data-kind="reminder_deadline_soon"]')).filter({ hasText: title }).waitFor();
  await session.screenshot(zhang, "31-inbox");

  // The inbox opens the item, which shows the urge until the handler has read it.
  await entry.click();
  await zhang.waitForURL(url => url.pathname === `/items/${id}`);
  const banner = zhang.getByTestId("attention-banner");
  await banner.filter({ hasText: urge }).waitFor();
  await session.screenshot(zhang, "32-item-urge-banner");

  // Offline, reloaded: the inbox still lists the urge, and the phone still reminds of the
  // deadline, computed from the record it holds.
  await setOnline(zhang, false);
  await zhang.goto("/inbox");
  await zhang.reload();
  await zhang.getByTestId("net-status").and(zhang.locator('[data-online="false"]')).waitFor();
  await zhang.getByTestId("inbox-entry").filter({ hasText: urge }).waitFor();
  const reminder = zhang.getByTestId("local-reminder").filter({ hasText: title });
  await reminder.waitFor();
  assert.match(await reminder.innerText(), /距办理期限还有 2 天/);
  const text = await bodyText(zhang);
  assert.ok(text.includes("离线"), `the inbox says it is offline:\n${text}`);
  await session.screenshot(zhang, "33-inbox-offline");

  // Back online, the handler acknowledges the banner: the banner and the mark in 我的待办 go,
  // and the urge is read on every device. (The badge stays for the 交办 and reminders.)
  await setOnline(zhang, true);
  await zhang.getByTestId("inbox-entry").filter({ hasText: urge }).click();
  await zhang.getByTestId("attention-read").click();
  await banner.waitFor({ state: "detached" });
  await zhang.getByTestId("tab-todo").click();
  await recordRow(zhang, title).waitFor();
  assert.equal(await recordRow(zhang, title).getByTestId("attention-mark").count(), 0);
  const elsewhere = await session.signedIn("zhang-2", users.zhang);
  await elsewhere.getByTestId("tab-inbox").click();
  await elsewhere.getByTestId("inbox-entry").and(elsewhere.locator('[data-read="true"]')).filter({ hasText: urge }).waitFor();
});
