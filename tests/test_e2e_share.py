"""End to end: screen and document sharing (双流) in real headless Chromium.

Xucun shares a "screen" (a canvas-captured stream stands in for getDisplayMedia) as a
second video source; it reaches Chang'an and the dispatcher's console, decoded there, while
Xucun's camera keeps flowing; the dispatcher puts it on the stage for everyone and stops it.
One source at a time: Chang'an cannot share meanwhile.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from core import tokens
from tests.browser import HubProcess, autojoin
from tests.test_e2e_console_scale import _secret_and_admin

pytestmark = pytest.mark.browser

FAKE_SCREEN = """
navigator.mediaDevices.getDisplayMedia = async () => {
  const c = document.createElement('canvas');
  c.width = 1280; c.height = 720;
  const g = c.getContext('2d');
  let n = 0;
  const draw = () => {
    g.fillStyle = n % 2 ? '#ffffff' : '#dde3ee'; g.fillRect(0, 0, 1280, 720);
    g.fillStyle = '#000'; g.font = '48px sans-serif'; g.fillText('海宁民情专报 第' + (n++) + '页', 80, 200);
  };
  draw();
  setInterval(draw, 200);
  return c.captureStream(5);
};
"""


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account("admin", "Admin-password-1", "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])


async def _page(browser, url: str, name: str, init: str = ""):
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 760})
    if init:
        await context.add_init_script(init)
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[{name}] {m.text}"))
    await page.goto(url)
    await page.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=30_000)
    return page


CONTENT_FRAMES = "() => { const v = document.querySelector('[data-testid=content-video]'); return !!v && v.videoWidth > 0 && v.currentTime > 0; }"


async def test_a_shared_screen_reaches_every_station_and_the_stage(hub, browser):
    secret, admin = _secret_and_admin(hub)
    xucun = await _page(browser, autojoin(hub.link("demo", "xucun")), "xucun", FAKE_SCREEN)
    changan = await _page(browser, autojoin(hub.link("demo", "changan")), "changan", FAKE_SCREEN)
    token = tokens.sign(secret, "demo", f"account:{admin}", "dispatcher", 600)
    console = await _page(browser, f"{hub.url}/join/demo?autojoin=1&camera=0&mic=0#token={token}", "console")
    xid = await xucun.evaluate("window.hubClient.self.id")

    await xucun.get_by_test_id("share-button").click()
    await expect(xucun.get_by_test_id("share-button")).to_have_attribute("data-on", "true")
    # sent as content: high resolution, at most 5 frames a second, contentHint "detail"
    sender = await xucun.evaluate("""() => {
        const s = window.hubClient.publishPc.getSenders().find(s => s.track && s.track.contentHint === 'detail');
        return s ? {fps: s.getParameters().encodings[0].maxFramerate, w: s.track.getSettings().width} : null; }""")
    assert sender == {"fps": 5, "w": 1280}, sender

    for page in (changan, console):
        content = page.get_by_test_id("content")
        await expect(content).to_have_attribute("data-participant-id", xid, timeout=20_000)
        await expect(content).to_have_attribute("data-has-track", "true", timeout=20_000)
        await page.wait_for_function(CONTENT_FRAMES, timeout=20_000)
        await expect(content).to_have_attribute("data-on-stage", "false")
    # Xucun's camera still reaches Chang'an beside its screen
    assert await changan.evaluate(f"!!window.hubClient.remote.get('{xid}').video")
    # one source at a time
    await expect(changan.get_by_test_id("share-button")).to_be_disabled()

    # the dispatcher puts it on the stage for everyone
    await console.get_by_test_id("cp-content-stage").click()
    for page in (xucun, changan, console):
        await expect(page.get_by_test_id("content")).to_have_attribute("data-on-stage", "true", timeout=10_000)
    box = await changan.get_by_test_id("content").bounding_box()
    assert box is not None and box["width"] > 900, box  # over the stage, not a thumbnail

    # and stops it: Xucun's share ends, the picture goes everywhere
    await console.get_by_test_id("cp-content-stop").click()
    await xucun.wait_for_function("!window.hubClient.sharing", timeout=10_000)
    for page in (xucun, changan, console):
        await expect(page.get_by_test_id("content")).to_be_hidden(timeout=10_000)
    await expect(changan.get_by_test_id("share-button")).to_be_enabled()
