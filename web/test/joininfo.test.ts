/** The join page's pure rules: the network verdict and when the waiting room asks again. */
import { describe, expect, test } from "vitest";
import { canJoin, isOver, netVerdict, nextCheckMs, type JoinInfo } from "../src/live/joininfo";

function info(state: JoinInfo["session"]["state"], now: string, lobbyOpens: string | null): JoinInfo {
  return {
    session: { id: "7", number: 7, title: "联动", titleEn: "", state, standing: false, start: null, end: null, lobbyOpens },
    joining: { kind: "station", name: "许村", nameEn: "Xucun", station: "xucun", admitted: true },
    unit: null,
    now,
  };
}

describe("netVerdict", () => {
  test("good, fair and poor by round trip and download", () => {
    expect(netVerdict(20, 50)).toBe("good");
    expect(netVerdict(200, 50)).toBe("fair");
    expect(netVerdict(20, 2)).toBe("fair");
    expect(netVerdict(500, 50)).toBe("poor");
    expect(netVerdict(20, 1)).toBe("poor");
  });
});

describe("the waiting room", () => {
  test("asks again at the lobby's opening by the hub's clock, within 1 s and the most", () => {
    expect(nextCheckMs(info("scheduled", "2025-03-07T13:44:55+08:00", "2025-03-07T13:45:00+08:00"))).toBe(5300);
    expect(nextCheckMs(info("scheduled", "2025-03-07T09:00:00+08:00", "2025-03-07T13:45:00+08:00"))).toBe(10_000);
    expect(nextCheckMs(info("scheduled", "2025-03-07T13:46:00+08:00", "2025-03-07T13:45:00+08:00"))).toBe(1000);
    expect(nextCheckMs(info("scheduled", "2025-03-07T13:46:00+08:00", null), 5000)).toBe(5000);
  });

  test("joins in the lobby or live; ended and cancelled are over", () => {
    const at = "2025-03-07T14:00:00+08:00";
    expect(["scheduled", "lobby", "live", "ended", "cancelled"].map((s) => canJoin(info(s as JoinInfo["session"]["state"], at, null)))).toEqual([false, true, true, false, false]);
    expect(["scheduled", "lobby", "live", "ended", "cancelled"].map((s) => isOver(info(s as JoinInfo["session"]["state"], at, null)))).toEqual([false, false, false, true, true]);
  });
});
