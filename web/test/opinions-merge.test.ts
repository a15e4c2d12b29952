/** The 民情 page and the live console merge pushed opinion news by version
 * (src/opinions/merge.ts) instead of re-reading their lists. */
import { expect, test } from "vitest";
import { isNewer, mergeOpinions, type Versioned } from "../src/opinions/merge";

interface Row extends Versioned { note: string }
const row = (id: number, version: number, capturedAt: string, note = ""): Row => ({ id, version, capturedAt, note });

test("a copy is newer only with a higher version, or when the list lacks it", () => {
  const list = [row(1, 3, "2026-03-01T09:00:00+08:00")];
  expect(isNewer(list, row(1, 3, "2026-03-01T09:00:00+08:00"))).toBe(false);
  expect(isNewer(list, row(1, 2, "2026-03-01T09:00:00+08:00"))).toBe(false);
  expect(isNewer(list, row(1, 4, "2026-03-01T09:00:00+08:00"))).toBe(true);
  expect(isNewer(list, row(2, 1, "2026-03-01T09:00:00+08:00"))).toBe(true);
});

test("the richer rows of the 民情 list merge as the live summaries do: newest first, older copies lose", () => {
  const list = [row(1, 2, "2026-03-01T09:00:00+08:00", "kept"), row(2, 1, "2026-03-01T10:00:00+08:00", "old")];
  const merged = mergeOpinions(list, [row(2, 2, "2026-03-01T10:00:00+08:00", "accepted"), row(1, 1, "2026-03-01T09:00:00+08:00", "stale"),
    row(3, 1, "2026-03-01T11:00:00+08:00", "new")], Number.POSITIVE_INFINITY);
  expect(merged.map((o) => `${o.id}:${o.note}`)).toEqual(["3:new", "2:accepted", "1:kept"]);
  expect(list.map((o) => o.note)).toEqual(["kept", "old"]); // the list itself is left as it was
});

test("the live console keeps at most its bound", () => {
  const many = Array.from({ length: 5 }, (_, i) => row(i + 1, 1, `2026-03-01T0${i}:00:00+08:00`));
  expect(mergeOpinions([], many, 3).map((o) => o.id)).toEqual([5, 4, 3]);
});
