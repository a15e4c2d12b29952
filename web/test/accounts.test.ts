/** The accounts page's create body (console/accounts.ts): each role takes only its own scope. */
import { expect, test } from "vitest";
import { accountBody, scopeOf } from "../src/console/accounts";

const typed = { username: " xucun-op2 ", displayName: " 许村 ", password: "Long-password-1", station: "xucun", department: "xucun-office" };

test("dispatchers and operators are scoped to a station, departments to a department", () => {
  expect([scopeOf("dispatcher"), scopeOf("operator"), scopeOf("department"), scopeOf("administrator")])
    .toEqual(["station", "station", "department", null]);
});

test("the body carries the scope of the role chosen, not what another role's field still holds", () => {
  expect(accountBody({ ...typed, role: "operator" })).toEqual(
    { username: "xucun-op2", displayName: "许村", password: "Long-password-1", role: "operator", station: "xucun" });
  expect(accountBody({ ...typed, role: "department" })).toEqual(
    { username: "xucun-op2", displayName: "许村", password: "Long-password-1", role: "department", department: "xucun-office" });
  expect(accountBody({ ...typed, role: "administrator" })).toEqual(
    { username: "xucun-op2", displayName: "许村", password: "Long-password-1", role: "administrator" });
});
