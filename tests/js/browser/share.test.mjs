// A supervisor signs in on one phone and creates a 督办事项 with the app's form; another
// supervisor, signed in on a second phone, finds it in the 督办台账 and opens it.

import assert from "node:assert/strict";

import { browserFile, createItem, dateFromToday, recordRow, secondSupervisor } from "./harness.mjs";

const file = browserFile("browser: create and share");

file.test("a 督办事项 created on one phone appears in another supervisor's ledger", async session => {
  const { users } = session;
  const qian = await secondSupervisor(session.fx);
  const li = await session.signedIn("li", users.li);
  const other = await session.signedIn("qian", qian);

  const title = "二号装置区杂草清理";
  const detail = "装置区围墙内杂草未清理，存在火灾隐患，限期清除并建立巡查制度。";
  const id = await createItem(li, {
    title,
    detail,
    deadline: dateFromToday(30),
    leadUnit: "plant-2",
    handlers: [users.zhang.id],
  });
  // The server holds it (the app's synced mark rests on the server's acknowledgement).
  await li.getByTestId("synced-mark").and(li.locator('[data-synced="true"]')).waitFor();

  await other.getByTestId("tab-ledger").click();
  const row = recordRow(other, title);
  await row.waitFor();
  assert.equal(await row.getAttribute("data-id"), id, "the row is the item li created");

  await row.click();
  await other.getByTestId("record-title").filter({ hasText: title }).waitFor();
  assert.equal(await other.getByTestId("detail-text").inputValue(), detail);
});
