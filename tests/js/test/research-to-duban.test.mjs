// 成果转化: a researcher turns a finding of a 调研记录 into a draft 督办事项 for the office to
// assign. There is no server endpoint for it: the app writes both documents, and the rules
// (shared/src/rules, server/src/sync/access.rs) decide what stands. The new item's `source_ref`
// points back at the record and finding; the finding's `duban_ref` points forward at the item.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Fixture,
  TEST_TIMEOUT_MS,
  api,
  createUser,
  dubanItem,
  plain,
  refusalsOf,
  shanghai,
  str,
  waitFor,
  waitSynced,
  within,
} from "./helpers.mjs";

/** A 调研记录 in fieldwork, led by `lead` for `unit`, with one finding. */
function researchRecord({ lead, unit, findingId }) {
  return {
    type: str("research"),
    schema_version: 1,
    title: str("炼油厂区环保隐患专题调研"),
    kind: str("thematic"),
    questions: [str("阀井污水从何而来？"), str("整改为何反复？")],
    lead: str(lead),
    members: [],
    unit: str(unit),
    period: { from: shanghai(2026, 11, 2), to: shanghai(2026, 11, 20, 23, 59) },
    status: str("fieldwork"),
    created_by: str(lead),
    created_at: shanghai(2026, 11, 1, 10, 0),
    visits: [],
    findings: [
      {
        id: str(findingId),
        at: shanghai(2026, 11, 3, 11, 0),
        by: str(lead),
        visit_id: null,
        text: str("3号阀井污水外溢，雨污管网混接"),
        category: str("安全环保"),
        severity: str("severe"),
        photos: [],
        geo: null,
        suggestion: str("建议列入督办，限期完成雨污分流改造"),
        duban_ref: null,
      },
    ],
    report: { basic_situation: "", problems: "", cause_analysis: "", countermeasures: "" },
    suggestions: [],
    instructions: [],
  };
}

test("a researcher turns a finding into a draft item that points back, and the finding points forward", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const { url: databaseUrl } = await fx.database();
  const zhou = await createUser(databaseUrl, {
    username: "zhou",
    displayName: "周研",
    role: "researcher",
    unit: "plant-2",
    password: "zhou-password-1",
  });

  const researcher = await fx.client(server, { user: zhou });
  const research = researcher.repo.create(researchRecord({ lead: zhou.id, unit: "plant-2", findingId: "f-1" }));
  const researchRefused = refusalsOf(research);
  await waitSynced(research, researcher.repo);

  // The app's one step: the draft item, then the link on the finding.
  const draft = researcher.repo.create({
    ...dubanItem({
      title: "炼油厂区雨污分流改造",
      source: "research_finding",
      status: "draft",
      lead_unit: "plant-2",
      created_by: zhou.id,
    }),
    source_ref: { record: str(research.documentId), entry_id: str("f-1") },
  });
  const draftRefused = refusalsOf(draft);
  research.change(doc => {
    doc.findings[0].duban_ref = str(draft.documentId);
  });
  await waitSynced(draft, researcher.repo);
  await waitSynced(research, researcher.repo);

  // The office sees both links as written, and nothing was put back.
  const li = await fx.client(server, { user: users.li });
  const item = await within("li's find of the draft", li.repo.find(draft.url));
  assert.equal(String(item.doc().status), "draft");
  assert.deepEqual(plain(item.doc().source_ref), { record: research.documentId, entry_id: "f-1" });
  const record = await within("li's find of the research record", li.repo.find(research.url));
  assert.equal(String(record.doc().findings[0].duban_ref), draft.documentId);
  assert.deepEqual(draftRefused, []);
  assert.deepEqual(researchRefused, []);

  // The draft waits in the office's list of drafts.
  const session = await fx.signIn(server, users.li);
  const drafts = await waitFor("the draft in li's list", async () => {
    const { body } = await api(server, "/api/records?type=duban&status=draft", { token: session.access_token });
    return body.items.some(i => i.id === draft.documentId) && body;
  });
  assert.equal(drafts.items.find(i => i.id === draft.documentId).title, "炼油厂区雨污分流改造");
});

test("a researcher may create an item only as a draft, and a handler not at all", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const { url: databaseUrl } = await fx.database();
  const zhou = await createUser(databaseUrl, {
    username: "zhou",
    displayName: "周研",
    role: "researcher",
    unit: "plant-2",
    password: "zhou-password-1",
  });

  const cases = [
    { name: "a researcher assigning the item at once", user: zhou, status: "assigned" },
    { name: "a handler turning a finding into an item", user: users.zhang, status: "draft" },
  ];
  for (const { name, user, status } of cases) {
    await t.test(name, async () => {
      const author = await fx.client(server, { user });
      const handle = author.repo.create(
        dubanItem({ source: "research_finding", status, lead_unit: "plant-2", created_by: user.id }),
      );
      const refused = refusalsOf(handle);
      await waitFor(`the refusal of ${name}`, () => refused.length > 0);
      assert.deepEqual(refused[0].refusals.map(r => [r.field, r.code]), [["type", "may_not_create"]]);
      await waitFor("the author's copy to be emptied", () => Object.keys(handle.doc()).length === 0);
    });
  }
});

test("a supervisor's 交办 of a draft without a handler is refused and told why; with one it stands", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();

  // The orphan of the issue: a draft from a finding, with a lead unit and nobody else.
  const li = await fx.client(server, { user: users.li });
  const draft = li.repo.create(
    dubanItem({ source: "research_finding", status: "draft", lead_unit: "plant-2", created_by: users.li.id, assigned_at: null }),
  );
  await waitSynced(draft, li.repo);
  const refused = refusalsOf(draft);

  // 交办 as the app would write it, but with no 承办人 and no 督办员.
  draft.change(doc => {
    doc.status = str("assigned");
    doc.assigned_at = shanghai(2026, 11, 5, 9, 0);
  });
  await waitFor("the refusal of the 交办", () => refused.length > 0);
  const [refusal] = refused[0].refusals;
  assert.equal(refusal.field, "status");
  assert.equal(refusal.code, "assign_incomplete");
  assert.match(refusal.message, /handlers/);
  assert.match(refusal.message, /supervisors/);
  await waitFor("the author's copy back in draft", () => String(draft.doc().status) === "draft");
  // Nobody else ever sees it assigned.
  const other = await fx.client(server, { user: users.li, device: "李静的电脑" });
  const seen = await within("the other device's find", other.repo.find(draft.url));
  await waitSynced(seen, other.repo);
  assert.equal(String(seen.doc().status), "draft");

  // Named in the same change that assigns: it stands.
  draft.change(doc => {
    doc.handlers.push(str(users.zhang.id));
    doc.supervisors.push(str(users.li.id));
    doc.status = str("assigned");
  });
  await waitSynced(draft, li.repo);
  await waitFor("the assignment on the other device", () => String(seen.doc().status) === "assigned");
  assert.equal(refused.length, 1);
});
