/** The UI's words follow docs/glossary.md (issue 14): no message of the string tables uses a word
 * of the glossary's "not" columns, in Chinese (会话 for 会议, …) or in English. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { dicts as common } from "../src/common/i18n";
import { dicts as console } from "../src/console/strings";
import { dicts as opinions } from "../src/opinions/strings";

const GLOSSARY = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "glossary.md");

interface Term { zh: string; en: string; notZh: string[]; notEn: string[] }

/** The rows of the glossary's table: 中文 | English | not (中文) | not (English) | what it is. */
function glossary(text: string): Term[] {
  const split = (cell: string): string[] => cell.split(",").map((w) => w.trim()).filter(Boolean);
  return text.split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| 中文") && !line.startsWith("|---"))
    .map((line) => line.split("|").slice(1, -1).map((c) => c.trim()))
    .map(([zh, en, notZh, notEn]) => ({ zh, en, notZh: split(notZh), notEn: split(notEn) }));
}

const terms = glossary(readFileSync(GLOSSARY, "utf8"));
type Table = Record<string, string>;
const tables: [string, { "zh-CN": Table; en: Table }][] = [
  ["common/i18n.ts", common],
  ["console/strings.ts", console],
  ["opinions/strings.ts", opinions],
];

test("the glossary is read: 会议 is the word, 会话 is not", () => {
  const meeting = terms.find((t) => t.zh === "会议");
  expect(meeting?.notZh).toContain("会话");
  expect(terms.length).toBeGreaterThan(10);
});

describe.each(tables)("%s", (_name, { "zh-CN": zh, en }) => {
  test("Chinese messages use the glossary's words", () => {
    const off = Object.entries(zh).flatMap(([key, text]) =>
      terms.flatMap((t) => t.notZh.filter((w) => text.includes(w)).map((w) => `${key}: ${w} → ${t.zh}`)));
    expect(off).toEqual([]);
  });

  test("English messages use the glossary's words", () => {
    const off = Object.entries(en).flatMap(([key, text]) =>
      terms.flatMap((t) => t.notEn.filter((w) => text.toLowerCase().includes(w.toLowerCase()))
        .map((w) => `${key}: ${w} → ${t.en}`)));
    expect(off).toEqual([]);
  });
});
