/** The player's reading of a recorded timeline (src/recordings/timeline.ts). */
import { expect, test } from "vitest";
import { duration, fileTime, markers, names, nextMarker, parseHash, presentAt, stageAt, type Entry, type Recording } from "../src/recordings/timeline";

const entries: Entry[] = [
  { t: 0, at: 100, type: "recording", on: true },
  { t: 0, at: 100, type: "state", control: { stage: "a" }, participants: [{ participantId: "a", displayName: "许村" }, { participantId: "b", displayName: "长安" }] },
  { t: 4, at: 104, type: "join", participantId: "c", displayName: "盐官" },
  { t: 6, at: 106, type: "stage", participantId: "b" },
  { t: 7, at: 107, type: "hands", participants: ["c"] },
  { t: 9.5, at: 109.5, type: "opinion", reference: "MQ2026-000017", summary: "夜间工地噪声" },
  { t: 12, at: 112, type: "leave", participantId: "a" },
];

test("the stage and who is present follow the timeline", () => {
  expect(stageAt(entries, 0)).toBe("a");
  expect(stageAt(entries, 5.9)).toBe("a");
  expect(stageAt(entries, 6)).toBe("b");
  expect(presentAt(entries, 3)).toEqual(["a", "b"]);
  expect(presentAt(entries, 5)).toEqual(["a", "b", "c"]);
  expect(presentAt(entries, 13)).toEqual(["b", "c"]);
});

test("markers name the opinion, the stage and the hands; jumps skip the one under the cursor", () => {
  const who = names(entries);
  expect(who.get("c")).toBe("盐官");
  const list = markers(entries, (id) => who.get(id) ?? id);
  expect(list.map((m) => [m.kind, m.t, m.label])).toEqual([
    ["stage", 6, "长安"], ["hands", 7, "盐官"], ["opinion", 9.5, "MQ2026-000017 夜间工地噪声"],
  ]);
  expect(nextMarker(list, 6.2, 1)?.t).toBe(7);
  expect(nextMarker(list, 9.5, 1)).toBeNull();
  expect(nextMarker(list, 9.5, -1)?.t).toBe(7);
});

test("a file plays from its own start; the hash names a recording and a moment", () => {
  const rec: Recording = {
    id: "7-20260101T000000", sessionId: "7", sessionNumber: 7, title: "", titleEn: "", stations: [], startedAt: 100,
    endedAt: null, startedBy: null, stoppedBy: null, stoppedReason: null,
    files: [{ name: "b-1.webm", participantId: "b", kinds: ["video"], startedAt: 102, endedAt: 110, bytes: 1 }],
  };
  expect(fileTime(rec, rec.files[0], 1)).toBeNull();
  expect(fileTime(rec, rec.files[0], 5)).toBe(3);
  expect(fileTime(rec, rec.files[0], 11)).toBeNull();
  expect(duration(rec, entries)).toBe(12);
  expect(parseHash("#recordings/7-20260101T000000@9.5")).toEqual({ id: "7-20260101T000000", t: 9.5 });
  expect(parseHash("#recordings")).toEqual({ id: null, t: null });
});
