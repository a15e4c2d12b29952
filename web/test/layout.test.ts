/** The station page's layout maths: the grid that gives the largest 16:9 tiles, and the level
 * meter's scale. */
import { expect, test } from "vitest";
import { bestLayout } from "../src/station/stage";
import { levelFraction } from "../src/station/tile";

test("four tiles in a landscape box take two columns", () => {
  // 2 columns: (1000 - 10) / 2 = 495 wide; 2 rows of (600 - 10) / 2 = 295 high allow 524.
  expect(bestLayout(4, 1000, 600, 100)).toEqual({ cols: 2, width: 495 });
});

test("one tile is as wide as the box allows at 16:9", () => {
  expect(bestLayout(1, 1000, 450, 100)).toEqual({ cols: 1, width: 800 });
  expect(bestLayout(1, 1000, 900, 100)).toEqual({ cols: 1, width: 1000 });
});

test("without a height the width alone decides: one column", () => {
  expect(bestLayout(3, 900, 0, 0)).toEqual({ cols: 1, width: 900 });
});

test("below the minimum width the grid keeps fewer columns and scrolls", () => {
  // 16 tiles in 400×300 would be under 150 px wide: 2 columns of 195 px instead.
  expect(bestLayout(16, 400, 300, 150)).toEqual({ cols: 2, width: 195 });
});

test("no tiles or no width", () => {
  expect(bestLayout(0, 800, 600, 100)).toEqual({ cols: 1, width: 800 });
  expect(bestLayout(3, 0, 600, 100)).toEqual({ cols: 1, width: 0 });
});

test("RFC 6464 levels map onto the meter (0 loud … 127 silent)", () => {
  expect(levelFraction(undefined)).toBe(0);
  expect(levelFraction(127)).toBe(0);
  expect(levelFraction(90)).toBe(0);
  expect(levelFraction(60)).toBe(0.5);
  expect(levelFraction(30)).toBe(1);
  expect(levelFraction(0)).toBe(1);
});
