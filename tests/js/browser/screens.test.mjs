// The app's main screens, as a person first meets them on a phone: each is saved as a
// screenshot under target/screenshots/ and must speak Chinese, with the labels a Chinese
// office worker expects. The smoke test comes first: the app loads at `/` and asks to sign in.

import assert from "node:assert/strict";

import { createUser, str, waitSynced, within } from "../test/helpers.mjs";
import { CHINESE, bodyText, browserFile, createItem, dateFromToday } from "./harness.mjs";

const file = browserFile("browser: screens");

/** Checks that `page`'s visible text is Chinese and has each of `labels`; saves it as `name`. */
async function chineseScreen(session, page, name, labels) {
  const text = await bodyText(page);
  assert.match(text, CHINESE, `the ${name} screen shows Chinese`);
  for (const label of labels) {
    assert.ok(text.includes(label), `the ${name} screen shows ${label}; it shows:\n${text}`);
  }
  await session.screenshot(page, name);
}

file.test("the app loads at / and asks to sign in, in Chinese", async session => {
  const page = await session.device("anonymous", { path: "/" });
  await page.getByTestId("login-username").waitFor();
  assert.match(new URL(page.url()).pathname, /^\/login/, "an anonymous visitor is sent to the login");
  await chineseScreen(session, page, "01-login", ["登录督研", "用户名", "密码"]);

  // A wrong password is refused with a Chinese message.
  await page.getByTestId("login-username").fill("li");
  await page.getByTestId("login-password").fill("not-the-password");
  await page.getByTestId("login-submit").click();
  assert.equal(await page.getByTestId("login-error").innerText(), "用户名或密码错误");
});

file.test("the main screens are in Chinese", async session => {
  const { users } = session;
  const page = await session.signedIn("li", users.li);

  await page.getByTestId("tab-ledger").click();
  await page.getByTestId("new-item").click();
  await page.getByTestId("item-title").waitFor();
  await chineseScreen(session, page, "05-new-item", ["新建督办事项", "标题", "主办单位", "办结时限", "承办人"]);

  const title = "炼油厂区阀井污水整改";
  await createItem(page, {
    title,
    detail: "3号阀井污水外溢，限期清理并查明来源，建立整改台账。",
    deadline: dateFromToday(30),
    leadUnit: "plant-2",
    handlers: [users.zhang.id],
  });
  await page.getByTestId("timeline").waitFor();
  await chineseScreen(session, page, "04-detail", [
    title,
    "督办事项",
    "办结时限",
    "主办单位",
    "炼油二车间",
    "张伟",
    "办理记录",
  ]);

  await page.getByTestId("tab-todo").click();
  await page.getByTestId("record-row").filter({ hasText: title }).waitFor();
  await chineseScreen(session, page, "02-todo", ["我的待办", title, "台账", "调研", "看板", "设置"]);

  await page.getByTestId("tab-ledger").click();
  await page.getByTestId("ledger-search").waitFor();
  await page.getByTestId("record-row").filter({ hasText: title }).waitFor();
  await chineseScreen(session, page, "03-ledger", ["督办台账", title]);

  await page.getByTestId("tab-dashboard").click();
  await page.getByTestId("dashboard-unit").filter({ hasText: "炼油二车间" }).waitFor();
  await chineseScreen(session, page, "07-dashboard", ["督办看板", "总体情况", "按期办结率", "炼油二车间"]);

  await page.getByTestId("tab-settings").click();
  await page.getByTestId("sign-out").waitFor();
  await chineseScreen(session, page, "08-settings", ["设置", "语言", "已用空间", "退出登录", "李静"]);
});

file.test("the research screens are in Chinese", async session => {
  const { url } = await session.fx.database();
  const zhou = await createUser(url, {
    username: "zhou",
    displayName: "周研",
    role: "researcher",
    unit: "plant-2",
    password: "zhou-password-1",
  });
  const page = await session.signedIn("zhou", zhou);

  await page.getByTestId("tab-research").click();
  await page.getByTestId("new-research").click();
  const title = "基层站点固废处置情况调研";
  await page.getByTestId("research-title").fill(title);
  await page.getByTestId("research-question-0").fill("固废为何未按期处置？");
  await page.getByTestId("research-unit").selectOption("plant-2");
  await page.getByTestId("research-submit").click();
  await page.getByTestId("record-title").filter({ hasText: title }).waitFor();
  await chineseScreen(session, page, "10-research-detail", [title, "关键问题", "固废为何未按期处置？", "周研"]);
  const researchPath = new URL(page.url()).pathname;

  // 立项 is the office's (a supervisor's, here through the stock client); the researcher then
  // starts the fieldwork, and each move asks first.
  const office = await session.fx.client(session.server, { user: session.users.li, device: "李静的电脑" });
  const id = researchPath.split("/").pop();
  const approved = await within("li's find of the research record", office.repo.find(`automerge:${id}`));
  approved.change(doc => void (doc.status = str("approved")));
  await waitSynced(approved, office.repo);
  await page.getByTestId("research-move-fieldwork").click();
  await page.getByTestId("confirm-ok").click();
  await page.getByTestId("record-status").and(page.locator('[data-status="fieldwork"]')).waitFor();

  // A visit records 受访人员, the address and the phone's location, flagged at accuracy 0 as
  // photos are (how mocked locations usually show).
  await page.context().grantPermissions(["geolocation"]);
  await page.context().setGeolocation({ latitude: 30.5, longitude: 114.3, accuracy: 0 });
  await page.getByTestId("visit-add").click();
  await page.getByTestId("visit-place").fill("二号站点固废堆场");
  await page.getByTestId("visit-people-met").fill("站长王强、安全员刘洋");
  await page.getByTestId("visit-address-input").fill("炼油厂区东路18号");
  await page.getByTestId("visit-location").and(page.locator('[data-state="done"]')).waitFor();
  await page.getByTestId("visit-submit").click();
  const visit = page.getByTestId("visit-row").filter({ hasText: "二号站点固废堆场" });
  await visit.getByTestId("visit-people").filter({ hasText: "受访人员：站长王强、安全员刘洋" }).waitFor();
  await visit.getByTestId("visit-address").filter({ hasText: "炼油厂区东路18号" }).waitFor();
  assert.equal(await visit.getByTestId("visit-geo").getAttribute("data-mocked"), "true");

  // A finding is linked to its visit (the latest by default) and becomes a draft with a short,
  // editable title and the researcher's unit suggested as lead unit.
  await page.getByTestId("finding-add").click();
  await page.getByTestId("finding-text").fill("固废堆场未按期清运，雨后渗滤液外流，已拍照取证");
  await page.getByTestId("finding-submit").click();
  const finding = page.getByTestId("finding-row").filter({ hasText: "固废堆场未按期清运" });
  await finding.getByTestId("finding-visit").filter({ hasText: "二号站点固废堆场" }).waitFor();
  await finding.getByTestId("finding-to-duban").click();
  assert.equal(await page.getByTestId("finding-draft-title").inputValue(), "固废堆场未按期清运");
  assert.equal(await page.getByTestId("finding-draft-lead-unit").inputValue(), "plant-2");
  await page.getByTestId("finding-draft-form").scrollIntoViewIfNeeded();
  await chineseScreen(session, page, "11-research-finding-draft", ["受访人员", "地址", "来自走访", "督办事项标题", "建议主办单位"]);
  await page.getByTestId("finding-draft-title").fill("二号站点固废清运整改");
  await page.getByTestId("finding-draft-create").click();
  await page.getByTestId("record-title").filter({ hasText: "二号站点固废清运整改" }).waitFor();
  assert.equal(await page.getByTestId("record-status").getAttribute("data-status"), "draft");

  // The list filters by status.
  await page.getByTestId("tab-research").click();
  await page.getByTestId("record-row").filter({ hasText: title }).waitFor();
  await page.getByTestId("research-status-filter").selectOption("adopted");
  await page.getByTestId("record-row").filter({ hasText: title }).waitFor({ state: "detached" });
  await page.getByTestId("research-status-filter").selectOption("");
  await page.getByTestId("record-row").filter({ hasText: title }).waitFor();
  await chineseScreen(session, page, "06-research", ["调研", "新建课题", title, "全部状态"]);

  // 撰写报告 asks first, then opens the report editor at its first section.
  await page.getByTestId("record-row").filter({ hasText: title }).click();
  await page.getByTestId("research-move-drafting").click();
  await page.getByTestId("confirm-dialog").filter({ hasText: "撰写报告" }).waitFor();
  await page.getByTestId("confirm-ok").click();
  await page.getByTestId("record-status").and(page.locator('[data-status="drafting"]')).waitFor();
  const editor = page.getByTestId("research-section-basic_situation");
  await editor.waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "research-section-basic_situation");
  await editor.fill("二号站点固废堆场共三处，均未按期清运。");
  await page.waitForTimeout(300);
  await chineseScreen(session, page, "12-research-report-editor", ["调研报告", "基本情况"]);
  assert.equal(new URL(page.url()).pathname, researchPath);
});
