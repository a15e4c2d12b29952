/** Every string table holds the same keys in both languages, none empty, with the same
 * {placeholders} and, for comma lists (weekdays), the same number of items. */
import { describe, expect, test } from "vitest";
import { dicts as common, setLang, t, tList } from "../src/common/i18n";
import { dicts as console } from "../src/console/strings";
import { dicts as opinions } from "../src/opinions/strings";
import { dicts as deputy } from "../src/deputy/strings";
import { dicts as department } from "../src/department/strings";
import { dicts as resident } from "../src/resident/strings";
import { dicts as recordings } from "../src/recordings/strings";
import { dicts as roster } from "../src/console/roster-strings";
import { dicts as reception } from "../src/console/reception-strings";
import { dicts as extensions } from "../src/common/extensions";
import { dicts as signinQr } from "../src/common/signin-qr";

type Table = Record<string, string>;
const tables: [string, { "zh-CN": Table; en: Table }][] = [
  ["common/i18n.ts", common],
  ["console/strings.ts", console],
  ["opinions/strings.ts", opinions],
  ["deputy/strings.ts", deputy],
  ["department/strings.ts", department],
  ["resident/strings.ts", resident],
  ["recordings/strings.ts", recordings],
  ["console/roster-strings.ts", roster],
  ["console/reception-strings.ts", reception],
  ["common/extensions.ts", extensions],
  ["common/signin-qr.ts", signinQr],
];

const placeholders = (s: string): string[] => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

/** Dates written the Chinese way (numbers) and the English way (month names) from one set of
 * variables: the only messages whose two languages may use different placeholders. */
const DATE_FORMATS = new Set(["weekOf", "monthOf"]);

describe.each(tables)("%s", (_name, { "zh-CN": zh, en }) => {
  test("both languages have the same keys", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  });

  test("no message is empty", () => {
    const empty = Object.entries({ ...zh, ...en }).filter(([, v]) => typeof v !== "string" || v.trim() === "");
    expect(empty).toEqual([]);
    expect(Object.entries(en).filter(([, v]) => v.trim() === "")).toEqual([]);
  });

  test("both languages use the same placeholders", () => {
    const differ = Object.keys(zh).filter((k) => !DATE_FORMATS.has(k) && placeholders(zh[k]).join() !== placeholders(en[k] ?? "").join());
    expect(differ).toEqual([]);
  });
});

test("t follows the chosen language, fills placeholders, and splits lists", () => {
  setLang("zh-CN");
  expect(t("httpError", { status: 503 })).toBe("服务器错误（503）");
  expect(tList("weekdays")).toHaveLength(7);
  setLang("en");
  expect(t("httpError", { status: 503 })).toBe("Server error (503)");
  expect(tList("weekdays")[0]).toBe("Mon");
  setLang("zh-CN");
});
