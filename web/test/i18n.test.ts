// Every message exists in both languages, is not empty, and uses the same placeholders.
import { expect, test } from "vitest";

import { dictionaries, translate } from "../src/i18n";
import { DUBAN_STATUSES, LEVELS, RATINGS, RESEARCH_STATUSES, SOURCES, URGE_LEVELS } from "../src/generated/records";
import { FIELD_RULES, ROLES } from "../src/generated/rules";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("every key is in both languages with the same placeholders", () => {
  const zh = dictionaries["zh-CN"];
  const en = dictionaries.en;
  expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
    expect(zh[key].trim(), key).not.toBe("");
    expect(en[key].trim(), key).not.toBe("");
    expect(placeholders(en[key]), key).toEqual(placeholders(zh[key]));
  }
});

test("every value of the generated enums has a label", () => {
  const groups: [string, readonly string[]][] = [
    ["status", DUBAN_STATUSES],
    ["rstatus", RESEARCH_STATUSES],
    ["level", LEVELS],
    ["source", SOURCES],
    ["urge", URGE_LEVELS],
    ["rating", RATINGS],
    ["role", ROLES],
  ];
  for (const [group, values] of groups) {
    for (const value of values) {
      expect(Object.keys(dictionaries["zh-CN"]), `${group}.${value}`).toContain(`${group}.${value}`);
    }
  }
});

// The history view names the fields each change touched; a raw key such as `created_at` there
// reads as a fault to an office worker.
test("every field of every record type has a label", () => {
  const fields = new Set(["type", "schema_version", ...FIELD_RULES.map((rule) => rule.field)]);
  for (const field of fields) {
    expect(Object.keys(dictionaries["zh-CN"]), `field.${field}`).toContain(`field.${field}`);
  }
});

test("placeholders are filled", () => {
  expect(translate("zh-CN", "days.left", { n: 3 })).toBe("剩 3 天");
  expect(translate("en", "days.overdue", { n: 2 })).toBe("2 days overdue");
});
