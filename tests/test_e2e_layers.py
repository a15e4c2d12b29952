"""End to end: big and small streams (大小流) and what a page asks to receive (issue 9), in real
headless Chromium through the real relay.

Xucun and Haizhou publish their cameras twice: the big stream and the small one (≤ 360 wide,
``a=content:alt``). Chang'an sees one on its stage at the big size and the other as a thumbnail
on the small stream; when the dispatcher broadcasts the other the two swap, without a new offer.
Chang'an's operator chooses 仅音频 in the 画质 setting: video stops, each picture says 仅音频模式,
the sound goes on; 自动 brings the pictures back. A phone starts on the phone profile.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import expect

from tests.browser import DEVICES, HubProcess, api_json, autojoin

pytestmark = pytest.mark.browser


@pytest.fixture
async def hub(tmp_path):
    # With the adaptation to each page's network on (media.adapt, the default): on a loaded
    # machine the pages' CPU stalls must not be taken for a thin link (no picture paused).
    hub = HubProcess(tmp_path / "var")
    hub.create_account("admin", "Admin-password-1", "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])


async def _page(browser, url: str, name: str, **context):
    ctx = await browser.new_context(locale="zh-CN", **(context or {"viewport": {"width": 1280, "height": 760}}))
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[{name}] {m.text}"))
    await page.goto(url)
    await page.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=30_000)
    return page


async def _until(page, script: str, arg=None, timeout: float = 60.0, what: str = ""):
    """Poll ``script`` (an async function of ``arg``) in the page until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await page.evaluate(script, arg)
        if last and (not isinstance(last, dict) or last.get("ok", True)):
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what}: not reached in {timeout} s; last {last}")


OUTBOUND = """async () => {
  const out = await window.hubClient.outboundVideo();
  const big = out.find(s => !s.small), small = out.find(s => s.small);
  return {ok: !!big && !!small && big.frameWidth > 0 && small.frameWidth > 0, big, small, n: out.length};
}"""

# inbound video of one publisher: the width it arrives at, frames decoded, audio samples
INBOUND = """async (id) => {
  const s = (await window.hubClient.remoteStats())[id];
  return s ? {w: s.frameWidth, frames: s.videoFramesDecoded, samples: s.audioSamplesReceived} : null;
}"""

WIDTH_NOW = """async ([id, cmp, limit]) => {
  // the inbound-rtp frameWidth is the last decoded frame's
  const s = (await window.hubClient.remoteStats())[id];
  if (!s || !s.frameWidth) return null;
  return (cmp === '<=' ? s.frameWidth <= limit : s.frameWidth > limit) ? {ok: true, w: s.frameWidth} : {ok: false, w: s.frameWidth};
}"""



STAGE_AND_THUMB = """() => {
  // the stage and the other publisher, as Chang'an sees them now (a page on a loaded machine may
  // have rejoined as a new participant meanwhile)
  const c = window.hubClient, stage = c.controlState && c.controlState.stage;
  const other = Object.values(c.participants).find(p => p.id !== stage && (p.publishing || []).includes('video'));
  if (stage === (c.self && c.self.id)) return null;
  return stage && other ? {stage, other: other.id} : null;
}"""


async def test_big_and_small_streams_and_audio_only(hub, browser):
    xucun = await _page(browser, autojoin(hub.link("demo", "xucun")), "xucun")
    await _page(browser, autojoin(hub.link("demo", "haizhou")), "haizhou")
    # Chang'an sends no video: it never takes the stage itself
    changan = await _page(browser, autojoin(hub.link("demo", "changan")).replace("autojoin=1", "autojoin=1&camera=0"),
                          "changan")

    # the publisher sends two video streams of its camera: big and small (≤ 360 wide)
    sent = await _until(xucun, OUTBOUND, what="two outbound video streams")
    assert sent["n"] == 2, sent
    assert sent["small"]["frameWidth"] <= 360 and sent["small"]["frameHeight"] <= 200, sent
    # a third of the camera's height (a loaded machine makes the browser shrink both alike)
    assert sent["small"]["frameHeight"] * 2 < sent["big"]["frameHeight"], sent

    # Chang'an: one publisher on its stage at the big size, the other as a thumbnail on the small stream
    ids = await _until(changan, STAGE_AND_THUMB, what="a stage and a thumbnail")
    a, b = ids["stage"], ids["other"]
    await expect(changan.get_by_test_id("stage")).to_have_attribute("data-participant-id", a, timeout=40_000)
    # The stage on the big stream: wider than any small one, once the publisher's own
    # bandwidth estimate has ramped up (Chromium starts a camera at ~200 kbit/s, and so at
    # 320×180, for its first seconds).
    a_stage = (await _until(changan, WIDTH_NOW, [a, ">", 360], what="the stage on the big stream"))["w"]
    b_thumb = (await _until(changan, WIDTH_NOW, [b, "<=", 360], what="the thumbnail on the small stream"))["w"]

    # the dispatcher broadcasts the other: the two swap streams, without renegotiation
    offers = await changan.evaluate("window.hubClient.subscribeNegotiations")
    admin = api_json(hub, "/auth/login", body={"username": "admin", "password": "Admin-password-1"})["token"]
    number = await changan.evaluate("window.hubClient.session.number")
    api_json(hub, f"/sessions/{number}/live/control", admin, {"action": "broadcast", "participantId": b})
    await expect(changan.get_by_test_id("stage")).to_have_attribute("data-participant-id", b, timeout=40_000)
    await _until(changan, WIDTH_NOW, [b, ">", b_thumb], what="the new stage on the big stream")
    assert (await changan.evaluate(f"window.hubClient.layers['{b}']"))["layer"] == "big"
    a_thumb = (await _until(changan, WIDTH_NOW, [a, "<=", 360], what="the old stage on the small stream"))["w"]
    assert a_thumb < a_stage, (a_stage, a_thumb)  # the same camera: big on the stage, small as a thumbnail
    assert await changan.evaluate("window.hubClient.subscribeNegotiations") == offers

    # 仅音频 in the 画质 setting: no more video, a placeholder on each picture, the sound goes on
    await changan.get_by_test_id("signal-bars").click()
    await expect(changan.get_by_test_id("signal-panel")).to_be_visible()
    await changan.get_by_test_id("quality-select").select_option("audio")
    tiles = [changan.locator(f"[data-testid=tile][data-participant-id='{pid}']") for pid in (a, b)]
    for tile in tiles:
        await expect(tile).to_have_attribute("data-paused", "limits", timeout=30_000)
        await expect(tile.get_by_test_id("tile-paused")).to_have_text("仅音频模式")
    await asyncio.sleep(1.0)  # frames already on their way
    before = {pid: await changan.evaluate(INBOUND, pid) for pid in (a, b)}
    await asyncio.sleep(3.0)
    after = {pid: await changan.evaluate(INBOUND, pid) for pid in (a, b)}
    for pid in (a, b):
        assert after[pid]["frames"] - before[pid]["frames"] <= 2, (pid, before, after)  # video stopped
        assert after[pid]["samples"] - before[pid]["samples"] > 48_000, (pid, before, after)  # > 1 s of audio in 3 s
    assert await changan.evaluate("window.hubClient.receive.quality") == "audio"

    # 自动: the pictures come back
    await changan.get_by_test_id("quality-select").select_option("auto")
    await expect(tiles[0]).to_have_attribute("data-paused", "", timeout=30_000)
    first = await changan.evaluate(INBOUND, a)
    await _until(changan, """async ([id, n]) => {
        const s = (await window.hubClient.remoteStats())[id];
        return s && s.videoFramesDecoded > n + 20; }""", [a, first["frames"]], what="video again")


async def test_a_phone_starts_on_the_phone_profile_and_shows_its_signal_bars(hub, browser):
    xucun = await _page(browser, autojoin(hub.link("demo", "xucun")), "xucun")
    phone = await _page(browser, autojoin(hub.link("demo", "changan")).replace("autojoin=1", "autojoin=1&camera=0"),
                        "phone", **DEVICES["Pixel 7"])
    assert await phone.evaluate("window.hubClient.receive.quality") == "phone"
    sent = [e["detail"] for e in await phone.evaluate("window.hubClient.log") if e["event"] == "receive"]
    assert sent and sent[-1] == {"profile": "phone", "audioOnly": False, "maxHeight": None}, sent
    bars = phone.get_by_test_id("signal-bars")
    await expect(bars).to_be_visible()
    await expect(bars).to_have_attribute("data-bars", "4", timeout=30_000)  # loopback: a perfect network
    label = await bars.get_attribute("aria-label")
    assert label.startswith("网络质量：4/4 格") and "时延" in label, label
    await xucun.close()
