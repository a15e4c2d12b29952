/** The console's station table: network quality from the monitor, the filter, short names. */
import { expect, test } from "vitest";
import { netQuality, rowMatches } from "../src/station/dispatch-panel";
import { shortName } from "../src/station/names";
import type { MonitorTile, Participant } from "../src/live/protocol";

const tile = (online: boolean, warnings: string[]) => ({ participantId: "p1", online, warnings }) as unknown as MonitorTile;

test("network quality: poor when offline or badly warned, fair when warned, unknown without figures", () => {
  expect(netQuality(undefined)).toBe("unknown");
  expect(netQuality(tile(true, []))).toBe("good");
  expect(netQuality(tile(true, ["high_rtt"]))).toBe("fair");
  expect(netQuality(tile(true, ["packet_loss"]))).toBe("poor");
  expect(netQuality(tile(false, []))).toBe("poor");
});

test("the filter takes a part of the name and a status", () => {
  const s = { online: true, publishing: true, muted: false, hand: true, net: "fair" };
  expect(rowMatches("许村镇", "许村", "all", s)).toBe(true);
  expect(rowMatches("长安镇", "许村", "all", s)).toBe(false);
  expect(rowMatches("Xucun Town", "xucun", "all", s)).toBe(true);
  expect(rowMatches("许村镇", "", "hand", s)).toBe(true);
  expect(rowMatches("许村镇", "", "muted", s)).toBe(false);
  expect(rowMatches("许村镇", "", "poor", s)).toBe(true);
  expect(rowMatches("许村镇", "", "offline", s)).toBe(false);
});

test("short names drop the liaison-station suffix and keep 分站", () => {
  const p = (name: string) => ({ id: "x", identity: "station:x", role: "station", station: { code: "x", name, nameEn: "X", level: "town" } }) as unknown as Participant;
  expect(shortName(p("丁桥镇人大代表联络站"))).toBe("丁桥镇");
  expect(shortName(p("海宁市人大代表联络分站"))).toBe("海宁市分站");
  expect(shortName(p("某村"))).toBe("某村");
});
