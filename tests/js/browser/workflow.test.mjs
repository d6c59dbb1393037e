// The workflow tells the truth, as a supervisor and a handler meet it on 360x640 phones:
// - 交办 of a draft without a 承办人 is disabled in the app and says why (the server refuses it
//   too: test/research-to-duban.test.mjs);
// - status moves ask first, and 退回重办 and 中止 ask for a reason that the timeline shows;
//   恢复办理 returns the item to where it was suspended from;
// - the handler sees the urge and the return with its reason marked in 我的待办 and as a banner
//   on the item, online and after an offline reload;
// - the record's full history is one tap away (saved as a screenshot);
// - the chooser of a true conflict names who wrote each value and when.

import assert from "node:assert/strict";

import { castItem, dubanItem, sameHeads, str, waitFor, waitSynced, within } from "../test/helpers.mjs";
import {
  bodyText,
  browserFile,
  openItem,
  recordRow,
  secondSupervisor,
  serviceWorkerControls,
  setOnline,
  storedLocally,
  timelineEntry,
} from "./harness.mjs";

const file = browserFile("browser: workflow");

/** Lets an opening dialog or popup finish its animation before a screenshot. */
const settle = page => page.waitForTimeout(500);

/** Confirms the dialog a status move opens. */
async function confirm(page) {
  await page.getByTestId("confirm-dialog").waitFor();
  await page.getByTestId("confirm-ok").click();
  await page.getByTestId("confirm-dialog").waitFor({ state: "detached" });
}

file.test("交办 needs a handler; moves confirm and keep their reasons; the handler is told, online and offline", async session => {
  const { users, server, fx } = session;
  const writer = await fx.client(server, { user: users.li, device: "李静的电脑" });

  // A draft with a lead unit and nobody else, as a finding's draft arrives at the office.
  const orphanTitle = "雨污管网混接整改（草稿）";
  const orphan = writer.repo.create(
    dubanItem({ title: orphanTitle, status: "draft", lead_unit: "plant-2", created_by: users.li.id, assigned_at: null }),
  );
  await waitSynced(orphan, writer.repo);
  const li = await session.signedIn("li", users.li);
  await openItem(li, orphan.documentId);
  const assign = li.getByTestId("action-assign");
  await assign.waitFor();
  assert.equal(await assign.isDisabled(), true, "交办 is disabled without a handler");
  const why = await li.getByTestId("why-assign").innerText();
  assert.match(why, /承办人/);
  assert.match(why, /督办员/);
  assert.doesNotMatch(why, /主办单位/);
  await li.getByTestId("why-assign").scrollIntoViewIfNeeded();
  await session.screenshot(li, "40-assign-needs-handler");

  // An item waiting for its closing review, handled by 张伟.
  const title = "三号阀井污水外溢整改（审核）";
  const deadline = Math.floor((Date.now() + 30 * 24 * 3600 * 1000) / 60_000) * 60_000;
  const item = writer.repo.create(castItem(users, { title, deadline, status: "closing_requested" }));
  await waitSynced(item, writer.repo);

  const zhang = await session.signedIn("zhang", users.zhang);
  await serviceWorkerControls(zhang);
  await recordRow(zhang, title).waitFor();
  await storedLocally(zhang, item.documentId);

  // 退回重办 asks for its reason, then confirms; the timeline shows the reason.
  const reason = "整改照片未覆盖3号阀井出水口，请补充整改后照片";
  await openItem(li, item.documentId);
  await li.getByTestId("action-review").click();
  await li.getByTestId("review-return").click();
  await li.getByTestId("action-error").filter({ hasText: "请填写理由" }).waitFor();
  await li.getByTestId("action-text").fill(reason);
  await li.getByTestId("review-return").click();
  await li.getByTestId("confirm-dialog").filter({ hasText: "退回重办" }).waitFor();
  await settle(li);
  await session.screenshot(li, "41-confirm-return");
  await confirm(li);
  await li.getByTestId("record-status").and(li.locator('[data-status="in_progress"]')).waitFor();
  await timelineEntry(li, reason).filter({ hasText: "退回重办" }).waitFor();

  // And an urge.
  const urge = "请本周五前补报整改后照片";
  await li.getByTestId("action-urge").click();
  await li.getByTestId("action-text").fill(urge);
  await li.getByTestId("action-submit").click();
  await timelineEntry(li, urge).waitFor();

  // 中止 asks for its reason and confirms; the timeline shows it; 恢复办理 returns to 办理中.
  const suspendReason = "上级要求暂缓，待管网改造方案批复";
  await li.getByTestId("action-suspend").click();
  await li.getByTestId("action-submit").click();
  await li.getByTestId("action-error").filter({ hasText: "请填写理由" }).waitFor();
  await li.getByTestId("action-text").fill(suspendReason);
  await li.getByTestId("action-submit").click();
  await confirm(li);
  await li.getByTestId("record-status").and(li.locator('[data-status="suspended"]')).waitFor();
  await timelineEntry(li, suspendReason).filter({ hasText: "中止" }).waitFor();
  // A suspended item is not "超期" and has no light.
  assert.equal(await li.getByTestId("record-light").count(), 0);
  assert.equal(await li.getByTestId("action-resume").getAttribute("data-to"), "in_progress");
  await li.getByTestId("action-resume").click();
  await li.getByTestId("confirm-dialog").filter({ hasText: "办理中" }).waitFor();
  await confirm(li);
  await li.getByTestId("record-status").and(li.locator('[data-status="in_progress"]')).waitFor();

  // A 延期申请 from the handler's phone: the decision asks for its reason, confirms, moves the
  // deadline and shows the reason in the timeline.
  const handlerClient = await fx.client(server, { user: users.zhang, device: "张伟的平板" });
  const handlers = await within("张伟's find", handlerClient.repo.find(item.url));
  const wanted = deadline + 7 * 24 * 3600 * 1000;
  handlers.change(doc => {
    doc.extension_requests.push({
      id: str("x-1"),
      at: Date.now(),
      by: str(users.zhang.id),
      new_deadline: wanted,
      reason: str("管网改造材料到货延迟"),
      decision: null,
    });
  });
  await waitSynced(handlers, handlerClient.repo);
  await li.getByTestId("extension-pending").waitFor();
  await li.getByTestId("extension-approve").click();
  await li.getByTestId("decision-submit").click();
  await li.getByTestId("form-decision").getByText("请填写理由").waitFor();
  const decision = "材料到货时间有供货单为证，同意延期一周";
  await li.getByTestId("decision-reason").fill(decision);
  await li.getByTestId("decision-submit").click();
  await li.getByTestId("confirm-dialog").filter({ hasText: "同意延期" }).waitFor();
  await confirm(li);
  await timelineEntry(li, decision).waitFor();
  assert.equal(await li.getByTestId("extension-pending").count(), 0);

  await timelineEntry(li, reason).scrollIntoViewIfNeeded();
  await session.screenshot(li, "42-timeline-reasons");

  // The record's full history, one tap away.
  await li.getByTestId("history-open").click();
  await li.getByTestId("history-entry").first().waitFor();
  assert.ok((await li.getByTestId("history-entry").count()) >= 3);
  assert.match(await li.getByTestId("history").innerText(), /李静/);
  await settle(li);
  await session.screenshot(li, "43-history");
  await li.getByTestId("history-close").click();

  // The handler: 我的待办 marks the item; the item shows the return with its reason.
  await zhang.getByTestId("tab-todo").click();
  await recordRow(zhang, title).getByTestId("attention-mark").waitFor();
  await recordRow(zhang, title).click();
  const banner = zhang.getByTestId("attention-banner");
  await banner.filter({ hasText: reason }).waitFor();
  await banner.filter({ hasText: urge }).waitFor();
  await session.screenshot(zhang, "44-handler-return-banner");

  // State shown right: an item past its deadline tells its handler why 延期申请 is not available;
  // an evaluated one shows its outcome and score instead of a light and days left.
  const late = writer.repo.create(castItem(users, { title: "逾期事项（延期）" }));
  const evaluated = writer.repo.create({
    ...castItem(users, { title: "已评价事项（结果）", status: "evaluated" }),
    reviews: [{ id: str("r-1"), at: Date.UTC(2026, 10, 20, 2), by: str(users.li.id), verdict: str("pass"), opinion: str("同意办结") }],
    evaluation: { at: Date.UTC(2026, 10, 21, 2), by: str(users.li.id), score: 92, rating: str("excellent"), comment: str("按期高质量完成") },
  });
  await waitSynced(late, writer.repo);
  await waitSynced(evaluated, writer.repo);
  await openItem(zhang, late.documentId);
  assert.equal(await zhang.getByTestId("action-extension").isDisabled(), true);
  assert.match(await zhang.getByTestId("why-extension").innerText(), /办结时限前/);
  await openItem(zhang, evaluated.documentId);
  assert.equal(await zhang.getByTestId("record-outcome").innerText(), "按期办结 · 92 分");
  assert.equal(await zhang.getByTestId("record-light").count(), 0);
  assert.equal(await zhang.getByTestId("days-left").count(), 0);
  await openItem(zhang, item.documentId);

  // Offline, reloaded: the mark and the banner come from the inbox the phone kept.
  await setOnline(zhang, false);
  await zhang.goto("/");
  await zhang.reload();
  await zhang.getByTestId("net-status").and(zhang.locator('[data-online="false"]')).waitFor();
  await recordRow(zhang, title).getByTestId("attention-mark").waitFor();
  await recordRow(zhang, title).click();
  await banner.filter({ hasText: reason }).waitFor();
  const text = await bodyText(zhang);
  assert.ok(text.includes("退回重办"), text);
  await session.screenshot(zhang, "45-handler-banner-offline");

  // Two supervisors retitle one item offline: the chooser names who wrote each title.
  const qian = await secondSupervisor(fx);
  const other = await fx.client(server, { user: qian, device: "钱芳的手机" });
  const shared = writer.repo.create(castItem(users, { title: "阀井加盖（冲突）", deadline }));
  await waitSynced(shared, writer.repo);
  const theirs = await within("钱芳's find", other.repo.find(shared.url));
  writer.disconnect();
  other.disconnect();
  shared.change(doc => void (doc.title = str("三号阀井加盖并设警示")));
  theirs.change(doc => void (doc.title = str("阀井加盖（本周完成）")));
  await Promise.all([writer.reconnect(), other.reconnect()]);
  await waitFor("both devices to converge", () => sameHeads(shared, theirs));
  await waitSynced(shared, writer.repo);
  await openItem(li, shared.documentId);
  const box = li.getByTestId("conflict-title");
  await box.waitFor();
  await box.getByTestId("conflict-author").filter({ hasText: "李静" }).waitFor();
  await box.getByTestId("conflict-author").filter({ hasText: "钱芳" }).waitFor();
  assert.match(await box.innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
  await box.scrollIntoViewIfNeeded();
  await session.screenshot(li, "46-conflict-authors");
});
