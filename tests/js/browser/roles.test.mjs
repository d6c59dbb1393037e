// What a person may do decides what they are shown: a handler (承办人) sees the buttons for
// reporting progress, requesting closing and requesting an extension on an item they handle,
// and none of the supervisor's or leader's actions; the supervisor, on the same item, does.
// The item is made by the stock automerge-repo client, as another device of the supervisor's
// would, so this also shows the app reading a record it did not write.

import assert from "node:assert/strict";

import { castItem, waitSynced } from "../test/helpers.mjs";
import { browserFile, openItem, recordRow } from "./harness.mjs";

const file = browserFile("browser: roles");

const HANDLER_MAY = ["progress-add", "action-request-close", "action-extension"];
const HANDLER_MAY_NOT = [
  "action-urge",
  "action-review",
  "action-evaluate",
  "action-instruct",
  "action-assign",
];

/** True when the page offers a way to edit the title. */
async function titleEditable(page) {
  const input = page.getByTestId("title-input");
  return (await input.count()) > 0 && (await input.isEditable());
}

file.test("a handler sees only the actions their role may take", async session => {
  const { users, server, fx } = session;
  const title = "炼油厂区阀井污水整改（角色）";
  const writer = await fx.client(server, { user: users.li, device: "李静的电脑" });
  // A deadline a month ahead of today: 延期 may only be asked for before the deadline, so the
  // fixture's fixed one would hide that button once the calendar passes it.
  const deadline = Math.floor((Date.now() + 30 * 24 * 3600 * 1000) / 60_000) * 60_000;
  const item = writer.repo.create(castItem(users, { title, deadline }));
  await waitSynced(item, writer.repo);

  const zhang = await session.signedIn("zhang", users.zhang);
  // 我的待办 lists what zhang handles.
  const row = recordRow(zhang, title);
  await row.waitFor();
  await row.click();
  await zhang.getByTestId("record-title").filter({ hasText: title }).waitFor();
  for (const id of HANDLER_MAY) {
    await zhang.getByTestId(id).waitFor();
  }
  for (const id of HANDLER_MAY_NOT) {
    assert.equal(await zhang.getByTestId(id).count(), 0, `the handler is not offered ${id}`);
  }
  assert.equal(await titleEditable(zhang), false, "the handler cannot edit the title");

  // The same screen for the supervisor: 催办 is there and the title is editable, so their
  // absence above is the role's doing, not a screen that lacks them. (审核 and 评价 wait for a
  // request to close and for the closing, for everyone.)
  const li = await session.signedIn("li", users.li);
  await openItem(li, item.documentId);
  await li.getByTestId("action-urge").waitFor();
  assert.equal(await titleEditable(li), true, "the supervisor can edit the title");

  // A viewer of plant-2 reads the item and is offered nothing to do.
  const view = await session.signedIn("view", users.view);
  await openItem(view, item.documentId);
  await view.getByTestId("record-title").filter({ hasText: title }).waitFor();
  for (const id of [...HANDLER_MAY, ...HANDLER_MAY_NOT]) {
    assert.equal(await view.getByTestId(id).count(), 0, `the viewer is not offered ${id}`);
  }
  assert.equal(await titleEditable(view), false, "the viewer cannot edit the title");
});
