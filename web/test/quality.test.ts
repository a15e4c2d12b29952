/** Signal bars from the page's own getStats (issue 9): the figures read from both connections'
 * reports (web/test/fixtures/stats-*.json: recorded in Chromium, a station on loopback and the
 * same page's stats with the loss and delay of a poor 4G link written in), and the 0-4 bars. */
import { expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { fmtRate, qualityFigures, readSample, signalBars, type QualitySample } from "../src/live/quality";

type Stat = Record<string, unknown>;
const fixture = (name: string): { publish: Stat[]; subscribe: Stat[] }[] =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));

const blank: QualitySample = { rtt: null, availableIncoming: null, availableOutgoing: null, loss: null, jitter: null };

test("a station on a good network shows four bars", () => {
  const [first, second] = fixture("stats-good.json");
  const a = readSample(first, null);
  expect(a.sample.loss).toBeNull(); // no interval yet
  const b = readSample(second, a.counters);
  expect(b.sample.rtt).not.toBeNull();
  expect(b.sample.rtt!).toBeLessThan(0.05);
  expect(b.sample.availableOutgoing!).toBeGreaterThan(300_000); // the publish connection's
  expect(b.sample.loss).toBe(0);
  expect(signalBars(b.sample)).toBe(4);
});

test("loss, delay and jitter of a poor link take the bars down, to red", () => {
  const [first, second] = fixture("stats-poor.json");
  const a = readSample(first, null);
  const b = readSample(second, a.counters);
  expect(b.sample.loss!).toBeGreaterThan(0.1);
  expect(b.sample.rtt!).toBeGreaterThan(0.5);
  expect(signalBars(b.sample)).toBeLessThanOrEqual(1);
});

test("each figure has its own steps and the worst decides", () => {
  expect(signalBars(blank)).toBeNull(); // nothing connected
  expect(signalBars({ ...blank, rtt: 0.1 })).toBe(4);
  expect(signalBars({ ...blank, rtt: 0.25 })).toBe(3);
  expect(signalBars({ ...blank, rtt: 0.5 })).toBe(2);
  expect(signalBars({ ...blank, rtt: 1.0 })).toBe(1);
  expect(signalBars({ ...blank, rtt: 2.0 })).toBe(0);
  expect(signalBars({ ...blank, loss: 0.03 })).toBe(3);
  expect(signalBars({ ...blank, loss: 0.3 })).toBe(0);
  expect(signalBars({ ...blank, jitter: 0.15 })).toBe(2);
  expect(signalBars({ ...blank, availableOutgoing: 300_000 })).toBe(4); // the browser's start value: fine
  expect(signalBars({ ...blank, availableOutgoing: 100_000 })).toBe(2);
  expect(signalBars({ ...blank, availableIncoming: 2_000_000, availableOutgoing: 30_000 })).toBe(0);
  expect(signalBars({ rtt: 0.02, loss: 0, jitter: 0.005, availableIncoming: null, availableOutgoing: 2_000_000 })).toBe(4);
  expect(signalBars({ rtt: 0.02, loss: 0.06, jitter: 0.005, availableIncoming: null, availableOutgoing: 2_000_000 })).toBe(2);
});

test("counters that went back (connections made anew) give no loss figure", () => {
  const stats = (received: number, lost: number): Stat[] => [
    { type: "inbound-rtp", kind: "audio", packetsReceived: received, packetsLost: lost, jitter: 0.004 },
  ];
  const a = readSample({ subscribe: stats(1000, 10) }, null);
  expect(readSample({ subscribe: stats(1090, 20) }, a.counters).sample.loss).toBeCloseTo(0.1);
  expect(readSample({ subscribe: stats(50, 0) }, a.counters).sample.loss).toBeNull();
  expect(readSample({ subscribe: stats(1000, 10) }, a.counters).sample.loss).toBeNull(); // nothing arrived
});

test("the tooltip's figures", () => {
  const s: QualitySample = { rtt: 0.045, loss: 0.005, jitter: 0.012, availableIncoming: null, availableOutgoing: 1_234_000 };
  expect(qualityFigures(s, { rtt: "RTT", loss: "Loss", jitter: "Jitter" })).toBe("RTT 45 ms · Loss 0.5% · Jitter 12 ms · ↑1.2 Mb/s");
  expect(fmtRate(850_000)).toBe("850 kb/s");
});
