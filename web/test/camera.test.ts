import { describe, expect, it } from "vitest";
import { isSendHeight, videoConstraints } from "../src/live/media";

describe("the camera's profile (?send=)", () => {
  it("opens 960×540 at 24 fps by default", () => {
    expect(videoConstraints(540)).toEqual({ width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24, max: 30 } });
  });

  it("opens less, at 15 fps, for a weak station PC", () => {
    expect(videoConstraints(360)).toEqual({ width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 15 } });
    expect(videoConstraints(180)).toEqual({ width: { ideal: 320 }, height: { ideal: 180 }, frameRate: { ideal: 15, max: 15 } });
  });

  it("knows only the offered heights", () => {
    expect([540, 360, 180].every(isSendHeight)).toBe(true);
    expect([0, 720, 200, NaN].some(isSendHeight)).toBe(false);
  });
});
