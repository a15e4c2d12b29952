"""End to end: the dispatcher's console at the scale of 1+12+X, in real headless Chromium.

Fourteen stations (the branch, the twelve towns and a liaison room; Socket.IO clients,
no media) are in the ``demo`` meeting; the dispatcher's console at 1366×768 shows every
station's row and the global controls at once, without scrolling; the filter narrows the
table, and ticking stations mutes them together and makes them the polling list.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import socketio
from playwright.async_api import expect

from core import tokens
from tests.browser import HubProcess

pytestmark = pytest.mark.browser

STATIONS = ("haining", "xiashi", "haizhou", "haichang", "maqiao", "xucun", "changan", "zhouwangmiao",
            "yanguan", "xieqiao", "dingqiao", "yuanhua", "huangwan", "xucun-rongxing")
VIEWPORT = {"width": 1366, "height": 768}
# set CONSOLE_SCREENSHOTS=/some/dir to keep a screenshot of the console
SCREENSHOTS = Path(os.environ["CONSOLE_SCREENSHOTS"]) if os.environ.get("CONSOLE_SCREENSHOTS") else None


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account("admin", "Admin-password-1", "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])


def _secret_and_admin(hub: HubProcess) -> tuple[bytes, int]:
    var = Path(hub.env["LIAISON_HUB_VAR_DIR"])
    with sqlite3.connect(var / "hub.db") as db:
        (account_id,) = db.execute("SELECT id FROM account WHERE username = 'admin'").fetchone()
    return (var / "secret.key").read_bytes(), account_id


async def test_the_console_fits_fourteen_stations_at_1366x768_and_acts_on_a_selection(hub, browser):
    secret, admin = _secret_and_admin(hub)
    clients = []
    try:
        ids: dict[str, str] = {}
        for code in STATIONS:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(hub.url, transports=["websocket"])
            reply = await client.call("join", {"token": tokens.sign(secret, "demo", f"station:{code}", "station", 600)},
                                      timeout=10)
            assert reply["ok"], reply
            ids[code] = reply["self"]["id"]
            clients.append(client)

        token = tokens.sign(secret, "demo", f"account:{admin}", "dispatcher", 600)
        context = await browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        page = await context.new_page()
        page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
        await page.goto(f"{hub.url}/join/demo?autojoin=1&camera=0&mic=0#token={token}")
        panel = page.get_by_test_id("console-panel")
        await expect(panel).to_be_visible(timeout=20_000)
        rows = page.get_by_test_id("cp-row")
        await expect(rows).to_have_count(len(STATIONS), timeout=15_000)

        # every row and the global controls in view at once, the panel not scrolled
        if SCREENSHOTS:
            await page.screenshot(path=str(SCREENSHOTS / "console-14-stations-1366x768.png"))
        assert await panel.evaluate("el => el.scrollTop") == 0
        for testid in ("cp-mute-all", "layout-4x4", "cp-lock"):
            box = await page.get_by_test_id(testid).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (testid, box)
        # (the panel ends above the page's control bar: that is the visible bottom)
        visible = await panel.bounding_box()
        assert visible is not None
        visible_bottom = min(VIEWPORT["height"], visible["y"] + visible["height"])
        boxes = [await rows.nth(i).bounding_box() for i in range(len(STATIONS))]
        assert all(b is not None for b in boxes)
        bottom = max(b["y"] + b["height"] for b in boxes)  # type: ignore[index]
        assert bottom <= visible_bottom, f"the last station row ends at {bottom} px, the panel at {visible_bottom}"
        assert all(b["height"] <= 40 for b in boxes), boxes  # type: ignore[index]
        # each row carries its status icons
        first = rows.first
        for attr in ("data-online", "data-camera", "data-mic", "data-muted", "data-hand", "data-net"):
            assert await first.get_attribute(attr) is not None, attr

        # the filter narrows the table
        await page.get_by_test_id("cp-filter").fill("许村")
        await expect(page.locator("[data-testid=cp-row]:visible")).to_have_count(2)  # the town and its room
        await page.get_by_test_id("cp-filter").fill("")
        await expect(page.locator("[data-testid=cp-row]:visible")).to_have_count(len(STATIONS))

        # tick three stations: mute them together, then make them the polling list
        picked = [ids["xucun"], ids["changan"], ids["yanguan"]]
        for pid in picked:
            await page.locator(f"[data-testid=cp-row][data-participant-id='{pid}'] [data-testid=cp-select]").check()
        await expect(page.get_by_test_id("cp-batch-count")).to_contain_text("3")
        await page.get_by_test_id("cp-batch-mute").click()
        for pid in picked:
            await expect(page.locator(f"[data-testid=cp-row][data-participant-id='{pid}']")).to_have_attribute("data-muted", "true")
        await expect(page.locator("[data-testid=cp-row][data-muted=true]")).to_have_count(3)
        await page.get_by_test_id("cp-filter-status").select_option("muted")
        await expect(page.locator("[data-testid=cp-row]:visible")).to_have_count(3)
        await page.get_by_test_id("cp-filter-status").select_option("all")
        await page.get_by_test_id("cp-batch-poll").click()
        for n, pid in enumerate(picked, 1):
            await expect(page.locator(f"[data-testid=poll-pick][data-participant-id='{pid}']")).to_have_attribute("data-order", str(n))
        await context.close()
    finally:
        for client in clients:
            await client.disconnect()


async def test_calling_an_absent_station_rings_its_open_page_and_it_joins_with_one_click(hub, browser):
    secret, admin = _secret_and_admin(hub)
    station_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    station = await station_ctx.new_page()
    station.on("console", lambda m: m.type == "error" and print(f"[xucun] {m.text}"))
    await station.goto(hub.link("demo", "xucun"))  # open, not joined
    await expect(station.get_by_test_id("join-button")).to_be_enabled(timeout=15_000)
    await expect(station.get_by_test_id("ring")).to_be_hidden()

    token = tokens.sign(secret, "demo", f"account:{admin}", "dispatcher", 600)
    console_ctx = await browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    console = await console_ctx.new_page()
    await console.goto(f"{hub.url}/join/demo?autojoin=1&camera=0&mic=0#token={token}")
    absent = console.locator("[data-testid=cp-absent-row][data-station=xucun]")
    await expect(absent).to_be_visible(timeout=20_000)
    await absent.get_by_test_id("cp-call").click()
    await expect(console.locator("[data-testid=log-entry][data-action=call]")).to_contain_text("许村")

    ring = station.get_by_test_id("ring")
    await expect(ring).to_be_visible(timeout=10_000)
    await expect(ring).to_have_attribute("data-station", "xucun")
    await expect(ring).to_contain_text("呼叫")
    assert await station.evaluate("document.body.dataset.state") == "prejoin"
    await station.get_by_test_id("ring-accept").click()  # the one click
    await station.wait_for_function("document.body.dataset.state === 'live'", timeout=20_000)
    await expect(console.get_by_test_id("cp-row")).to_have_count(1, timeout=15_000)
    await expect(absent).to_have_count(0)
    await station_ctx.close()
    await console_ctx.close()


async def test_the_thumbnail_strip_can_show_every_tile_it_holds(hub, browser):
    """1+N with fourteen stations: the strip overflows; its first tile is not cut off, and
    scrolling reaches the last one."""
    from tests.browser import autojoin

    secret, admin = _secret_and_admin(hub)
    camera_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 640, "height": 480})
    camera = await camera_ctx.new_page()
    await camera.goto(autojoin(hub.link("demo", "haining")))  # publishes video: the stage
    await camera.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=30_000)
    clients = []
    try:
        for code in STATIONS[1:]:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(hub.url, transports=["websocket"])
            reply = await client.call("join", {"token": tokens.sign(secret, "demo", f"station:{code}", "station", 600)},
                                      timeout=10)
            assert reply["ok"], reply
            clients.append(client)
        token = tokens.sign(secret, "demo", f"account:{admin}", "dispatcher", 600)
        context = await browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        page = await context.new_page()
        await page.goto(f"{hub.url}/join/demo?autojoin=1&camera=0&mic=0#token={token}")
        strip = page.get_by_test_id("strip")
        tiles = strip.get_by_test_id("tile")
        await expect(tiles).to_have_count(len(STATIONS) - 1, timeout=30_000)
        geometry = await strip.evaluate("""el => {
            const r = el.getBoundingClientRect(), first = el.firstElementChild.getBoundingClientRect();
            return {left: r.left, right: r.right, firstLeft: first.left, scrollWidth: el.scrollWidth, width: el.clientWidth}; }""")
        assert geometry["scrollWidth"] > geometry["width"], geometry  # it does overflow
        assert geometry["firstLeft"] >= geometry["left"] - 1, geometry  # the first tile is not cut off
        last = await strip.evaluate("""el => { el.scrollLeft = el.scrollWidth;
            const r = el.getBoundingClientRect(), l = el.lastElementChild.getBoundingClientRect();
            return {right: r.right, lastRight: l.right}; }""")
        assert last["lastRight"] <= last["right"] + 1, last  # and the last one scrolls into view
        await context.close()
    finally:
        for client in clients:
            await client.disconnect()
        await camera_ctx.close()
