// Running an office from the app: the admin's first sign-in with a one-time password lands on
// the password form; after setting their own they open 用户管理, add a user (reading the
// one-time password the server answers once) and a unit in 单位管理, move a unit in the tree;
// the new user's first sign-in lands on the same form.

import assert from "node:assert/strict";

import { duyanCli } from "../test/helpers.mjs";
import { CHINESE, bodyText, browserFile } from "./harness.mjs";

const file = browserFile("browser: administration and one-time passwords");

/** Signs in and waits for the forced password form; resolves with the page. */
async function firstSignIn(page, username, password) {
  await page.goto("/login");
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("password-forced").waitFor();
  // Nothing of the app behind it: no tabs, so nothing the server would refuse.
  assert.equal(await page.getByTestId("tab-todo").count(), 0);
}

async function setPassword(page, current, next) {
  await page.getByTestId("password-current").fill(current);
  await page.getByTestId("password-new").fill(next);
  await page.getByTestId("password-again").fill(next);
  await page.getByTestId("password-submit").click();
  await page.getByTestId("tab-todo").waitFor();
}

file.test("a one-time password leads to the password form, then to administration", async session => {
  const { url } = await session.fx.database();
  // `duyan user passwd` without --password-stdin: a one-time password, as on a first start.
  const printed = await duyanCli(url, ["user", "passwd", "admin"]);
  const oneTime = /one-time password for admin: (\S+)/.exec(printed)?.[1];
  assert.ok(oneTime, printed);

  const admin = await session.device("admin");
  await firstSignIn(admin, "admin", oneTime);
  const form = await bodyText(admin);
  assert.match(form, /一次性密码/);
  await session.screenshot(admin, "admin-password-form");
  // The server's rule, told in Chinese: the username may not be in the password.
  await admin.getByTestId("password-current").fill(oneTime);
  await admin.getByTestId("password-new").fill("my-admin-pass-1");
  await admin.getByTestId("password-again").fill("my-admin-pass-1");
  await admin.getByTestId("password-submit").click();
  await admin.getByTestId("password-error").filter({ hasText: "用户名" }).waitFor();
  await setPassword(admin, oneTime, "督办-Office-2026");

  // 用户管理: add 王芳, a handler of 炼油二车间.
  await admin.getByTestId("tab-settings").click();
  await admin.getByTestId("settings-users").click();
  await admin.getByTestId("admin-user-admin").waitFor();
  await admin.getByTestId("admin-user-add").click();
  await admin.getByTestId("admin-username").fill("wangfang");
  await admin.getByTestId("admin-display-name").fill("王芳");
  await admin.getByTestId("admin-role-handler").check();
  await admin.getByTestId("admin-unit").selectOption("plant-2");
  await admin.getByTestId("admin-user-save").click();
  const shown = admin.getByTestId("one-time-password");
  await shown.waitFor();
  const given = (await shown.innerText()).trim();
  assert.match(given, /^[A-Za-z0-9]{12}$/);
  await session.screenshot(admin, "admin-user-one-time-password");
  await admin.getByRole("button", { name: "确定" }).click();
  await shown.waitFor({ state: "detached" });
  const row = admin.getByTestId("admin-user-wangfang");
  await row.filter({ hasText: "王芳" }).waitFor();
  assert.match(await row.innerText(), /承办人/);
  assert.match(await row.innerText(), /炼油二车间/);
  assert.match(await row.innerText(), /待改密/);
  await admin.evaluate(() => window.scrollTo(0, 0));
  await session.screenshot(admin, "admin-users");

  // 单位管理: add 炼油三车间 below 炼油厂, then move 九号厂区 below it.
  await admin.goBack();
  await admin.getByTestId("settings-units").click();
  await admin.getByTestId("admin-unit-refinery").waitFor();
  await admin.getByTestId("admin-unit-add").click();
  await admin.getByTestId("admin-unit-id").fill("plant-3");
  await admin.getByTestId("admin-unit-name").fill("炼油三车间");
  await admin.getByTestId("admin-unit-parent").selectOption("refinery");
  await admin.getByTestId("admin-unit-save").click();
  await admin.getByTestId("admin-unit-plant-3").waitFor();
  await admin.getByTestId("admin-unit-plant-9").click();
  // A unit cannot be moved below itself: it is not offered.
  const parents = await admin.getByTestId("admin-unit-parent").locator("option").allInnerTexts();
  assert.ok(!parents.some(p => p.includes("九号厂区")), parents.join("|"));
  await admin.getByTestId("admin-unit-parent").selectOption("plant-3");
  await admin.getByTestId("admin-unit-save").click();
  const moved = admin.getByTestId("admin-unit-plant-9");
  await moved.filter({ hasText: "上级单位: 炼油三车间" }).waitFor();
  await session.screenshot(admin, "admin-units");
  const units = await bodyText(admin);
  assert.match(units, CHINESE);
  // In tree order: 炼油厂, then below it 炼油三车间, then 九号厂区 below that.
  assert.ok(units.indexOf("炼油三车间") < units.indexOf("九号厂区"), units);

  // 通知渠道: the admin points 炼油二车间's events at its 企业微信 group robot. Nothing is sent
  // from this test (no event happens); the robot's URL is what the admin typed.
  await admin.goBack();
  await admin.getByTestId("channels-entry").click();
  await admin.getByTestId("channel-add").click();
  await admin.getByTestId("channel-form").getByText("企业微信").click();
  await admin.getByTestId("channel-name").fill("二车间工作群");
  await admin.getByTestId("channel-url").fill("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=browser-test");
  await admin.getByTestId("channel-form").getByText("炼油二车间", { exact: true }).click();
  await admin.getByTestId("channel-save").click();
  const channel = admin.getByTestId("channel").filter({ hasText: "二车间工作群" });
  await channel.waitFor();
  assert.match(await channel.innerText(), /企业微信/);
  assert.match(await channel.innerText(), /炼油二车间/);
  await session.screenshot(admin, "admin-channels");

  // 王芳's first sign-in: the password form too, then the app; no administration for her.
  const wang = await session.device("wangfang");
  await firstSignIn(wang, "wangfang", given);
  await setPassword(wang, given, "王芳的新密码2026");
  await wang.getByTestId("tab-settings").click();
  await wang.getByTestId("settings-password").waitFor();
  assert.equal(await wang.getByTestId("settings-users").count(), 0);
  assert.equal(await wang.getByTestId("channels-entry").count(), 0);

  // Her notification settings: quiet hours on, kept by the server across a reload.
  const settings = wang.getByTestId("notify-settings");
  await settings.scrollIntoViewIfNeeded();
  await wang.getByTestId("quiet-switch").click();
  await wang.getByTestId("quiet-from").fill("22:00");
  await wang.getByTestId("quiet-to").fill("07:30");
  await wang.getByTestId("notify-save").click();
  await wang.getByTestId("notify-save").and(wang.locator("[disabled]")).waitFor();
  await wang.reload();
  await wang.getByTestId("quiet-from").waitFor();
  assert.equal(await wang.getByTestId("quiet-from").inputValue(), "22:00");
  // The quiet hours and the push button, above the tab bar.
  await wang.getByTestId("push-toggle").evaluate(el => el.scrollIntoView({ block: "center" }));
  await session.screenshot(wang, "notify-settings");
});
