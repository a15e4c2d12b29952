/** The roster page's pure parts (console/roster-report.ts, console/matrix.ts): the list's query,
 * an edit's PATCH body, the import report in words, and the station matrix as rows. */
import { expect, test } from "vitest";
import { type ImportReport, badRowLines, confirmKind, orderedLevels, patchBody, rosterQuery } from "../src/console/roster-report";
import { matrixRows } from "../src/console/matrix";
import type { StationNode } from "../src/common/types";

const deputy = { id: 3, name: "许村代表", level: "haining", levels: ["haining"], station: "xucun", group: "许村小组", phone: null, active: true };

test("the query leaves blank filters out and asks for both states when none is chosen", () => {
  expect(rosterQuery({ station: "xucun", level: "", group: "  ", active: "true", q: " 138 " })).toEqual({ station: "xucun", active: "true", q: "138" });
  expect(rosterQuery({ station: "", level: "town", group: "一组", active: "", q: "" })).toEqual({ level: "town", group: "一组", includeInactive: "true" });
});

test("an edit sends only what changed, levels highest first, a cleared phone as empty", () => {
  const same = { name: "许村代表", phone: "", levels: ["haining"], station: "xucun", group: "许村小组" };
  expect(patchBody(deputy, same)).toEqual({});
  expect(patchBody(deputy, { ...same, levels: ["town", "haining"], phone: " 13900000001 " })).toEqual({ levels: ["haining", "town"], phone: "13900000001" });
  expect(patchBody({ ...deputy, phone: "13900000001" }, { ...same, phone: "" })).toEqual({ phone: "" });
  expect(patchBody(deputy, { ...same, name: " 许村代表甲 ", station: "xucun-rongxing", group: "二组" })).toEqual({ name: "许村代表甲", station: "xucun-rongxing", group: "二组" });
  expect(orderedLevels(["street_rep", "provincial", "x"])).toEqual(["provincial", "street_rep"]);
});

const report: ImportReport = {
  fileName: "名册.xlsx", rows: 4, good: 2, bad: 2, created: 1, updated: 1, unchanged: 0, imported: false,
  badRows: [
    { row: 9, name: "", problems: [{ reason: "roster_name_missing", message: "缺少姓名", messages: { "zh-CN": "缺少姓名", en: "the name is missing" } }] },
    { row: 3, name: "张三", problems: [
      { reason: "roster_phone_invalid", message: "手机号码“12”不是 11 位手机号", messages: { "zh-CN": "手机号码“12”不是 11 位手机号", en: "the phone number '12' is not an 11-digit mobile number" } },
      { reason: "roster_station_unknown", message: "未知的联络站“火星”", messages: { "zh-CN": "未知的联络站“火星”", en: "unknown station '火星'" } },
    ] },
  ],
};

test("the report lists each bad row in sheet order with every reason in the page's language", () => {
  expect(badRowLines(report, "zh-CN")).toEqual([
    { row: 3, name: "张三", text: "手机号码“12”不是 11 位手机号；未知的联络站“火星”" },
    { row: 9, name: "", text: "缺少姓名" },
  ]);
  expect(badRowLines(report, "en")[1].text).toBe("the name is missing");
});

test("the confirmation offered: the good rows only, all rows of a clean file, nothing after an import or without good rows", () => {
  expect(confirmKind(report)).toBe("good");
  expect(confirmKind({ ...report, bad: 0, badRows: [] })).toBe("all");
  expect(confirmKind({ ...report, good: 0 })).toBe("none");
  expect(confirmKind({ ...report, imported: true })).toBe("none");
});

test("the matrix in tree order counts serving deputies within the scope only", () => {
  const node = (code: string, level: StationNode["level"], children: StationNode[] = []): StationNode =>
    ({ code, name: code, nameEn: code, level, kind: null, example: level === "room", children });
  const roots = [node("jiaxing", "general", [node("haining", "branch", [node("xucun", "town", [node("xucun-r", "room")])])])];
  const rows = matrixRows(roots, [{ station: "xucun" }, { station: "xucun" }, { station: "haining" }], "haining");
  expect(rows.map((r) => [r.code, r.depth, r.deputies, r.example])).toEqual([
    ["jiaxing", 0, null, false], ["haining", 1, 1, false], ["xucun", 2, 2, false], ["xucun-r", 3, 0, true],
  ]);
  expect(matrixRows(roots, null).every((r) => r.deputies === null)).toBe(true);
});
