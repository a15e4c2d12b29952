/** web/src/resident/geo.ts: haversine distances and the nearest station. */
import { describe, expect, test } from "vitest";
import { canLocate, haversineKm, nearest } from "../src/resident/geo";

describe("haversine", () => {
  test("known distances", () => {
    expect(haversineKm(30, 120, 30, 120)).toBe(0);
    // one degree of latitude is about 111.2 km anywhere
    expect(haversineKm(30, 120, 31, 120)).toBeCloseTo(111.19, 1);
    // Hangzhou (30.2741, 120.1551) to Shanghai (31.2304, 121.4737): about 164 km
    expect(haversineKm(30.2741, 120.1551, 31.2304, 121.4737)).toBeGreaterThan(160);
    expect(haversineKm(30.2741, 120.1551, 31.2304, 121.4737)).toBeLessThan(168);
    // symmetric; antipodes: half the circumference
    expect(haversineKm(30, 120, 31, 121)).toBeCloseTo(haversineKm(31, 121, 30, 120), 9);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 3);
  });
});

describe("nearest", () => {
  const stations = [
    { code: "xucun", lat: 30.404, lon: 120.427 },
    { code: "nowhere", lat: null, lon: null },
    { code: "changan", lat: 30.456, lon: 120.523 },
    { code: "huangwan", lat: 30.406, lon: 120.841 },
  ];
  test("the closest station with coordinates", () => {
    expect(nearest(stations, 30.41, 120.44)?.item.code).toBe("xucun");
    expect(nearest(stations, 30.45, 120.53)?.item.code).toBe("changan");
    expect(nearest(stations, 30.40, 120.90)?.item.code).toBe("huangwan");
    const found = nearest(stations, 30.456, 120.523);
    expect(found?.item.code).toBe("changan");
    expect(found?.km).toBe(0);
  });
  test("none placed: null (the page falls back to the list)", () => {
    expect(nearest([{ code: "a" }, { code: "b", lat: 30, lon: null }], 30, 120)).toBeNull();
    expect(nearest([], 30, 120)).toBeNull();
  });
  test("a tie keeps the first", () => {
    expect(nearest([{ code: "a", lat: 30, lon: 120.1 }, { code: "b", lat: 30, lon: 119.9 }], 30, 120)?.item.code).toBe("a");
  });
  test("only in a secure context with geolocation", () => {
    expect(canLocate({ isSecureContext: true, navigator: { geolocation: {} } })).toBe(true);
    expect(canLocate({ isSecureContext: false, navigator: { geolocation: {} } })).toBe(false);
    expect(canLocate({ isSecureContext: true, navigator: {} })).toBe(false);
  });
});
