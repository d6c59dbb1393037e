// The app's main screens, as a person first meets them on a phone: each is saved as a
// screenshot under target/screenshots/ and must speak Chinese, with the labels a Chinese
// office worker expects. The smoke test comes first: the app loads at `/` and asks to sign in.

import assert from "node:assert/strict";

import { createUser } from "../test/helpers.mjs";
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

  await page.getByTestId("tab-research").click();
  await page.getByTestId("record-row").filter({ hasText: title }).waitFor();
  await chineseScreen(session, page, "06-research", ["调研", "新建课题", title]);
});
