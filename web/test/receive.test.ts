/** What a page asks to receive (画质) and what a paused picture shows (issue 9). */
import { expect, test } from "vitest";
import { ReceiveChoice, defaultQuality, isQuality, layersByParticipant, pausedBy, receivePayload } from "../src/live/receive";
import type { VideoLayerInfo } from "../src/live/protocol";
import { downlinkSummary } from "../src/station/signal";
import { setLang } from "../src/common/i18n";

const layer = (l: VideoLayerInfo["layer"], reason: VideoLayerInfo["reason"]): VideoLayerInfo => ({ participantId: "p-1", mid: "3", layer: l, reason });

test("a paused picture says why: the network, or this page's own 画质", () => {
  expect(pausedBy(layer("paused", "network"))).toBe("network");
  expect(pausedBy(layer("paused", "limits"))).toBe("limits");
  expect(pausedBy(layer("small", "network"))).toBeNull(); // stepped down, still a picture
  expect(pausedBy(layer("big", "none"))).toBeNull();
  expect(pausedBy(undefined)).toBeNull(); // nothing heard of it: it comes
});

test("the last layers by participant", () => {
  const map = layersByParticipant([layer("paused", "network"), { participantId: "p-2", mid: "5", layer: "small", reason: "none" }]);
  expect(Object.keys(map).sort()).toEqual(["p-1", "p-2"]);
  expect(map["p-2"].layer).toBe("small");
});

test("each 画质 choice is one receive payload", () => {
  expect(receivePayload("auto")).toEqual({ profile: "full", audioOnly: false, maxHeight: null });
  expect(receivePayload("phone")).toEqual({ profile: "phone", audioOnly: false, maxHeight: null });
  expect(receivePayload("audio")).toEqual({ profile: "full", audioOnly: true, maxHeight: null });
  expect(receivePayload("540")).toEqual({ profile: "full", audioOnly: false, maxHeight: 540 });
  expect(isQuality("720") && !isQuality("1080") && !isQuality("")).toBe(true);
});

test("a phone starts on the phone profile, a desk on auto; a choice is kept for the next visit", () => {
  expect(defaultQuality(true)).toBe("phone");
  expect(defaultQuality(false)).toBe("auto");
  const phone = new ReceiveChoice(true);
  expect(phone.quality).toBe("phone");
  expect(phone.chosen).toBe(false);
  const seen: string[] = [];
  phone.onChange = (q) => seen.push(q);
  phone.choose("audio");
  phone.choose("audio");
  expect(seen).toEqual(["audio"]);
  const next = new ReceiveChoice(true);
  expect(next.quality).toBe("audio");
  expect(next.chosen).toBe(true);
});

test("the dispatcher's row: downlink and streams", () => {
  setLang("zh-CN");
  expect(downlinkSummary({ estimate: 1_200_000, loss: 0.01, roundTripTime: 0.04, layers: { big: 1, small: 3, paused: 2 } })).toBe("↓1.2 Mb/s · 大1 小3 停2");
  expect(downlinkSummary({ estimate: null, loss: null, roundTripTime: null, layers: { big: 0, small: 0, paused: 0 } })).toBe("↓–");
  // no limit known yet (no lasting loss): the estimate is "at least"
  expect(downlinkSummary({ estimate: 2_500_000, limited: false, loss: 0, roundTripTime: 0.04, layers: { big: 1, small: 0, paused: 0 } })).toBe("↓≥2.5 Mb/s · 大1 小0 停0");
  expect(downlinkSummary(undefined)).toBe("");
  setLang("en");
  expect(downlinkSummary({ estimate: 640_000, loss: 0, roundTripTime: 0, layers: { big: 1, small: 0, paused: 0 } })).toBe("↓640 kb/s · big 1 · small 0 · paused 0");
  setLang("zh-CN");
});
