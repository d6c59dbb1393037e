// Photos by right, not by hash (issue 14): a user who may not read an item writes that item's
// photo hash into a 调研记录 of their own, pushed through the stock client. That reference grants
// nothing: the photo and its thumbnail stay 404 to them and to the readers of their record,
// while the uploader, a reader of the item where the photo was first referenced, and an admin
// get it.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import {
  ADMIN_PASSWORD,
  Fixture,
  TEST_TIMEOUT_MS,
  castItem,
  createUser,
  refusalsOf,
  shanghai,
  signIn,
  str,
  waitSynced,
  within,
} from "./helpers.mjs";

const PHOTO = new URL("../browser/fixtures/site-photo.jpg", import.meta.url);

/** A PhotoRef as the app writes it. */
function photoRef({ sha256, bytes, by }) {
  return {
    sha256: str(sha256),
    mime: str("image/jpeg"),
    bytes,
    width: 1600,
    height: 1200,
    taken_at: null,
    geo: null,
    caption: null,
    by: str(by),
  };
}

/** A 调研记录 led by `lead` for `unit`, whose one visit lists `photos`. */
function researchWithVisit({ lead, unit, photos }) {
  return {
    type: str("research"),
    schema_version: 1,
    title: str("厂区环保隐患专题调研"),
    kind: str("thematic"),
    questions: [str("阀井污水从何而来？")],
    lead: str(lead),
    members: [],
    unit: str(unit),
    period: { from: shanghai(2026, 11, 2), to: shanghai(2026, 11, 20, 23, 59) },
    status: str("fieldwork"),
    created_by: str(lead),
    created_at: shanghai(2026, 11, 1, 10, 0),
    visits: [
      {
        id: str("v-1"),
        at: shanghai(2026, 11, 3, 10, 0),
        by: str(lead),
        place: str("炼油二车间 3号阀井"),
        address: null,
        geo: null,
        method: str("visit"),
        people_met: str("车间主任"),
        notes: "现场查看",
        photos,
      },
    ],
    findings: [],
    report: { basic_situation: "", problems: "", cause_analysis: "", countermeasures: "" },
    suggestions: [],
    instructions: [],
  };
}

/** `GET path` with `token`: the status, and the bytes when 200. */
async function get(server, path, token) {
  const response = await within(
    `GET ${path}`,
    fetch(`${server.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }),
  );
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, bytes };
}

test("a hash written into one's own record grants nothing; the uploader, the item's readers and an admin read the photo", { timeout: TEST_TIMEOUT_MS }, async t => {
  const fx = new Fixture(t);
  const server = await fx.startServer();
  const users = await fx.users();
  const { url: databaseUrl } = await fx.database();
  // A researcher of plant-9: may not read the item (led by plant-2, not naming them).
  const zhou = await createUser(databaseUrl, {
    username: "zhou",
    displayName: "周研",
    role: "researcher",
    unit: "plant-9",
    password: "zhou-password-1",
  });

  const bytes = await readFile(PHOTO);
  const sha256 = createHash("sha256").update(bytes).digest("hex");

  // The supervisor creates the item; the handler records a progress entry with the photo (as
  // a phone does, before the upload), then uploads the bytes.
  const li = await fx.client(server, { user: users.li });
  const item = li.repo.create(castItem(users));
  await waitSynced(item, li.repo);
  const zhang = await fx.client(server, { user: users.zhang });
  const zhangItem = await within("the handler to find the item", zhang.repo.find(item.url));
  const zhangRefused = refusalsOf(zhangItem);
  zhangItem.change(doc => {
    doc.progress.push({
      id: str("p-photo"),
      at: shanghai(2026, 11, 4, 9, 0),
      by: str(users.zhang.id),
      percent: 40,
      text: str("已清理阀井，附现场照片"),
      problems: null,
      photos: [photoRef({ sha256, bytes: bytes.length, by: users.zhang.id })],
      geo: null,
    });
  });
  await waitSynced(zhangItem, zhang.repo);
  assert.deepEqual(zhangRefused, [], "the handler's progress entry stands");
  const upload = await within(
    "the upload",
    fetch(`${server.httpUrl}/api/blobs/${sha256}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${zhang.session.access_token}`,
        "content-type": "image/jpeg",
      },
      body: bytes,
    }),
  );
  assert.equal(upload.status, 201, await upload.text());

  // The exact reproduction: zhou's own record, whose visit lists the item's photo.
  const attacker = await fx.client(server, { user: zhou });
  const own = attacker.repo.create(
    researchWithVisit({
      lead: zhou.id,
      unit: "plant-9",
      photos: [photoRef({ sha256, bytes: bytes.length, by: zhou.id })],
    }),
  );
  const ownRefused = refusalsOf(own);
  await waitSynced(own, attacker.repo);
  // The record itself is theirs to write: nothing is refused, the reference simply grants nothing.
  assert.deepEqual(ownRefused, []);

  const token = async user => (await signIn(server, user)).access_token;
  const admin = await signIn(server, { username: "admin", password: ADMIN_PASSWORD });
  const answers = async user => ({
    photo: (await get(server, `/api/blobs/${sha256}`, user)).status,
    thumb: (await get(server, `/api/blobs/${sha256}/thumb`, user)).status,
  });

  // zhou may not read the item: 404 for the photo and the thumbnail, as for no photo at all.
  const zhouToken = attacker.session.access_token;
  assert.deepEqual(await answers(zhouToken), { photo: 404, thumb: 404 });
  // Nor does anyone who reads zhou's record only (plant-9's handler).
  assert.deepEqual(await answers(await token(users.other)), { photo: 404, thumb: 404 });

  // The uploader, a reader of the item where the photo was first referenced (plant-2's
  // viewer), and an admin get it, bytes intact.
  for (const [who, userToken] of [
    ["the uploader", zhang.session.access_token],
    ["the item's viewer", await token(users.view)],
    ["the admin", admin.access_token],
  ]) {
    const photo = await get(server, `/api/blobs/${sha256}`, userToken);
    assert.equal(photo.status, 200, who);
    assert.ok(photo.bytes.equals(bytes), `${who} gets the bytes`);
    const thumb = await get(server, `/api/blobs/${sha256}/thumb`, userToken);
    assert.equal(thumb.status, 200, `${who}'s thumbnail`);
    assert.equal(thumb.bytes[0], 0xff, "a JPEG thumbnail");
  }

  // The dossier of zhou's own record files the photos zhou may read: not this one, which is
  // listed as missing. The admin's dossier of the same record has it (photos are stored
  // uncompressed, so the bytes appear as they are).
  const zhouDossier = await get(server, `/api/records/${own.documentId}/dossier.zip`, zhouToken);
  assert.equal(zhouDossier.status, 200);
  assert.ok(!zhouDossier.bytes.includes(bytes), "no photo in zhou's dossier");
  assert.ok(zhouDossier.bytes.includes(Buffer.from(sha256)), "listed as missing");
  const adminDossier = await get(server, `/api/records/${own.documentId}/dossier.zip`, admin.access_token);
  assert.equal(adminDossier.status, 200);
  assert.ok(adminDossier.bytes.includes(bytes), "the admin's dossier has the photo");
});
