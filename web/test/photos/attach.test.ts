// The phone's check of an attachment's first bytes: the server's rule (blobs/attachments.rs), so
// a file the phone queues is one the server takes, and an executable renamed .pdf never queues.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

import { acceptable } from "../../src/photos/attach";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../../tests/js/browser/fixtures/${name}`, import.meta.url)));
const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

test("PDF, OLE2, OOXML, ODF and UTF-8 text are taken by their bytes", () => {
  expect(acceptable(fixture("report.pdf"))).toBe(true);
  expect(acceptable(fixture("material.docx"))).toBe(true);
  expect(acceptable(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).toBe(true);
  const odt = new Uint8Array(80);
  odt.set(bytes("PK\x03\x04"), 0);
  odt.set([8, 0], 26);
  odt.set(bytes("mimetypeapplication/vnd.oasis.opendocument.text"), 30);
  expect(acceptable(odt)).toBe(true);
  expect(acceptable(new TextEncoder().encode("整改情况说明\n"))).toBe(true);
});

test("executables, other archives and binary data are refused", () => {
  expect(acceptable(bytes("\x7fELF\x02\x01\x01\0"))).toBe(false);
  expect(acceptable(bytes("MZ\x90\0\x03\0\0\0"))).toBe(false);
  expect(acceptable(bytes("PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x07\0\0\0run.exe"))).toBe(false);
  expect(acceptable(bytes("caf\xe9 au lait"))).toBe(false);
  expect(acceptable(new Uint8Array(0))).toBe(false);
});
