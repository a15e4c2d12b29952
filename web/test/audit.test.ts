/** The audit viewer's query (console/audit.ts): blank filters are left out, a date is a whole
 * Shanghai day (to: up to the start of the next day). */
import { expect, test } from "vitest";
import { auditQuery } from "../src/console/audit";

const blank = { actor: "", action: "", targetType: "", targetId: "", from: "", to: "" };

test("blank filters ask for everything", () => {
  expect(auditQuery(blank)).toEqual({});
});

test("each filter as typed, dates as whole days in Shanghai", () => {
  expect(auditQuery({ actor: " hn ", action: "session.create", targetType: "session", targetId: "7", from: "2025-03-01", to: "2025-03-31" }))
    .toEqual({ actor: "hn", action: "session.create", targetType: "session", targetId: "7",
      from: "2025-03-01T00:00:00+08:00", to: "2025-04-01T00:00:00+08:00" });
});

test("a malformed date is left out rather than sent", () => {
  expect(auditQuery({ ...blank, from: "3/1/2025" })).toEqual({});
});
