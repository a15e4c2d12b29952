"""End to end: live control (MCU style) in real headless Chromium against a real hub.

Four stations and a dispatcher's console (the same station page, joined with an
``account:{id}`` dispatcher token, receive-only).  The dispatcher's actions move the
stage at every station and decide whose audio the relay forwards:

* roll call: the called station is in every other station's main slot, decoded there;
* mute all: the muted stations' audio stops arriving anywhere, the floor's keeps flowing;
* a station asks to speak, the dispatcher sees it queued and approves it: it gets the floor;
* polling over three stations visits each of them in turn, at every station.

Set CONTROL_SCREENSHOTS=/some/dir to keep desktop and phone screenshots of the station
page and of the console.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path
from typing import Optional

import pytest
from playwright.async_api import Page, expect

from core import tokens
from tests.browser import HubProcess, autojoin

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ["CONTROL_SCREENSHOTS"]) if os.environ.get("CONTROL_SCREENSHOTS") else None
STATIONS = ("xucun", "changan", "yanguan", "haizhou")
DESKTOP = {"width": 1366, "height": 820}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account("admin", "Admin-password-1", "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])  # shown by pytest when a test fails




def dispatcher_link(hub: HubProcess, session: str = "demo") -> str:
    var = Path(hub.env["LIAISON_HUB_VAR_DIR"])
    with sqlite3.connect(var / "hub.db") as db:
        (account_id,) = db.execute("SELECT id FROM account WHERE username = 'admin'").fetchone()
    token = tokens.sign((var / "secret.key").read_bytes(), session, f"account:{account_id}", "dispatcher", 3600)
    return f"{hub.url}/join/{session}?autojoin=1&camera=0&mic=0#token={token}"


class Client:
    """One page (station or console) and its ``window.hubClient``."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.id = ""

    async def wait_live(self, timeout: float = 20) -> None:
        await self.page.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=timeout * 1000)
        self.id = await self.page.evaluate("window.hubClient.self.id")

    async def stats(self) -> dict:
        return await self.page.evaluate("window.hubClient.remoteStats()")

    async def control_state(self) -> dict:
        return await self.page.evaluate("window.hubClient.controlState")

    async def act(self, action: str, **fields) -> dict:
        ack = await self.page.evaluate("([a, f]) => window.hubClient.control(a, f)", [action, fields])
        assert ack["ok"], ack
        return ack["control"]

    async def wait_state(self, js: str, timeout: float = 10) -> None:
        """Until ``js`` (with ``cs`` the last control state) is true."""
        await self.page.wait_for_function(
            f"(() => {{ const cs = window.hubClient.controlState; return !!cs && ({js}); }})()", timeout=timeout * 1000
        )

    async def wait_stage(self, pid: str, timeout: float = 10) -> None:
        """Until the main slot shows ``pid``."""
        await self.page.wait_for_function(
            "pid => { const s = document.querySelector('[data-testid=stage]');"
            " return !!s && s.dataset.participantId === pid && !!s.querySelector(`[data-testid=tile][data-participant-id='${pid}']`); }",
            arg=pid, timeout=timeout * 1000,
        )

    async def wait_decoding(self, pid: str, timeout: float = 15) -> None:
        """Until frames of ``pid`` are being decoded (the count grows)."""
        first = (await self.stats()).get(pid, {}).get("videoFramesDecoded", 0)
        deadline = time.monotonic() + timeout
        last = first
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            last = (await self.stats()).get(pid, {}).get("videoFramesDecoded", 0)
            if last > first + 5:
                return
        raise AssertionError(f"{self.name}: no frames of {pid} decoded ({first} → {last})\n{await self.debug()}")

    async def debug(self) -> str:
        return await self.page.evaluate("""async () => {
            const c = window.hubClient;
            return JSON.stringify({me: c.self && c.self.id, control: c.controlState, stats: await c.remoteStats(),
                                   log: (c.log || []).slice(-25)});
        }""")


async def open_client(browser, url: str, name: str, viewport: Optional[dict] = None) -> Client:
    context = await browser.new_context(locale="zh-CN", viewport=viewport or DESKTOP)
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[{name}] {m.text}"))
    page.on("dialog", lambda d: pytest.fail(f"[{name}] a native dialog was opened: {d.message}"))
    await page.goto(url)
    client = Client(page, name)
    await client.wait_live()
    return client


async def shot(page: Page, name: str) -> None:
    if not SCREENSHOTS:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"))
    size = page.viewport_size
    await page.set_viewport_size(PHONE)
    await page.wait_for_timeout(600)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"))
    await page.set_viewport_size(size)
    await page.wait_for_timeout(300)


async def audio_bytes_over(receivers: list[Client], settle: float = 1.0, window: float = 2.0) -> dict:
    """Per receiver, per publisher: the audio bytes received over ``window`` seconds
    after ``settle`` seconds."""
    await asyncio.sleep(settle)
    before = await asyncio.gather(*(r.stats() for r in receivers))
    await asyncio.sleep(window)
    after = await asyncio.gather(*(r.stats() for r in receivers))
    return {
        r.name: {
            pid: after_r[pid]["audioBytes"] - before_r.get(pid, {}).get("audioBytes", 0)
            for pid in after_r
        }
        for r, before_r, after_r in zip(receivers, before, after)
    }


def lean(link: str) -> str:
    """A station's join link for a weak PC (``?send=180``: 320×180 at 15 fps, no small
    stream beside it).  Five pages each encoding the camera at 540p (and decoding the
    others') starve this 2-core machine: CI saw the console page's socket miss its pings.
    What is tested here is control, not the picture (``tests/test_e2e_layers.py`` and
    ``tests/test_e2e_live.py`` test that)."""
    return autojoin(link).replace("?autojoin=1", "?autojoin=1&send=180")

# 34 s here since the stations send 180p (150-210 s at 540p: five Chromium pages and the hub on 2 cores)
async def test_dispatcher_controls_the_stage_and_the_audio_at_every_station(hub, browser):
    stations = list(await asyncio.gather(*(open_client(browser, lean(hub.link("demo", code)), code) for code in STATIONS)))
    xucun, changan, yanguan, haizhou = stations
    ids = {s.name: s.id for s in stations}
    # ?send=180: the camera is opened small, and no small stream is sent beside it
    assert await xucun.page.evaluate("window.hubClient.media.track('video').getSettings().height") == 180
    assert await xucun.page.evaluate("window.hubClient.publishPc.getSenders().filter(s => s.track && s.track.kind === 'video').length") == 1
    console = await open_client(browser, dispatcher_link(hub), "dispatcher")
    page = console.page

    # --- console mode: the dispatcher's page shows the panel with a row per station
    assert await page.evaluate("window.hubClient.self.role") == "dispatcher"
    await expect(page.get_by_test_id("console-panel")).to_be_visible()
    for s in stations:
        await expect(page.locator(f"[data-testid=cp-row][data-participant-id='{s.id}']")).to_be_visible()
    # monitor figures arrive every 2 s
    await page.wait_for_function(
        "ids => ids.every(id => (window.hubClient.monitor?.participants || []).some(p => p.participantId === id && p.bitrate.video > 0))",
        arg=list(ids.values()), timeout=10_000,
    )
    await expect(page.locator(f"[data-testid=cp-row][data-participant-id='{xucun.id}'] [data-testid=cp-figures]")).to_contain_text("kbps")
    # a station page has no console, but a hand button
    await expect(xucun.page.get_by_test_id("console-panel")).to_have_count(0)
    await expect(xucun.page.get_by_test_id("hand-button")).to_be_visible()

    # --- roll call (UI): Chang'an takes the stage everywhere and is decoded there
    await page.locator(f"[data-testid=cp-row][data-participant-id='{changan.id}'] [data-testid=cp-rollcall]").click()
    others = [xucun, yanguan, haizhou]
    await asyncio.gather(*(s.wait_stage(changan.id) for s in [*others, console]))
    await asyncio.gather(*(s.wait_decoding(changan.id) for s in others))
    await expect(xucun.page.locator(f"[data-testid=stage] [data-participant-id='{changan.id}'] [data-testid=mark-floor]")).to_be_visible()
    # Chang'an itself shows the others and knows it has the floor; the others are told they are not heard
    await expect(changan.page.get_by_test_id("floor-notice")).to_be_visible()
    await expect(changan.page.locator("[data-testid=live]")).to_have_attribute("data-stage-self", "true")
    await expect(xucun.page.get_by_test_id("dispatcher-muted")).to_be_visible()
    await expect(changan.page.get_by_test_id("dispatcher-muted")).to_be_hidden()
    await shot(xucun.page, "station-stage")

    # --- mute all (UI): with everyone allowed to speak, then mute all but the floor
    await console.act("allowOthers", on=True)
    await xucun.wait_state("cs.heard && cs.heard.length >= 4")
    await expect(xucun.page.get_by_test_id("dispatcher-muted")).to_be_hidden()
    flowing = await audio_bytes_over([yanguan], settle=0.5, window=1.5)
    assert flowing["yanguan"][xucun.id] > 0 and flowing["yanguan"][haizhou.id] > 0, flowing
    await page.get_by_test_id("cp-mute-all").click()
    await asyncio.gather(*(s.wait_state("cs.muteAll && cs.heard.length === 1") for s in stations))
    await expect(xucun.page.get_by_test_id("dispatcher-muted")).to_be_visible()
    await expect(page.get_by_test_id("cp-mute-all")).to_have_attribute("data-on", "true")
    got = await audio_bytes_over(stations)
    for r in stations:
        for s in stations:
            if s is r:
                continue
            if s is changan:
                assert got[r.name][s.id] > 0, (r.name, "floor not heard", got)
            else:
                assert got[r.name][s.id] == 0, (r.name, s.name, "still forwarded", got)
    await page.get_by_test_id("cp-mute-all").click()  # 解除全场静音
    await console.act("allowOthers", on=False)
    await xucun.wait_state("!cs.muteAll && !cs.othersMaySpeak")

    # --- a request to speak: Yanguan raises its hand, the dispatcher approves it
    await yanguan.page.get_by_test_id("hand-button").click()
    await expect(yanguan.page.get_by_test_id("hand-notice")).to_have_attribute("data-state", "waiting")
    await expect(yanguan.page.get_by_test_id("hand-button")).to_have_attribute("data-state", "waiting")
    hand_row = page.locator(f"[data-testid=hand-row][data-participant-id='{yanguan.id}']")
    await expect(hand_row).to_be_visible()
    waited = int(await hand_row.get_attribute("data-waiting"))
    await page.wait_for_function(  # the waiting time ticks
        "([id, w]) => Number(document.querySelector(`[data-testid=hand-row][data-participant-id='${id}']`).dataset.waiting) > w",
        arg=[yanguan.id, waited], timeout=5000,
    )
    await expect(xucun.page.locator(f"[data-testid=tile][data-participant-id='{yanguan.id}']")).to_have_attribute("data-hand", "true")
    await shot(page, "console")
    await hand_row.get_by_test_id("hand-approve").click()
    await asyncio.gather(*(s.wait_stage(yanguan.id) for s in [xucun, changan, haizhou, console]))
    await expect(yanguan.page.get_by_test_id("hand-button")).to_have_attribute("data-state", "floor")
    await expect(yanguan.page.get_by_test_id("floor-notice")).to_be_visible()
    await expect(hand_row).to_have_count(0)
    await asyncio.gather(*(s.wait_decoding(yanguan.id) for s in [xucun, haizhou]))
    got = await audio_bytes_over([xucun, changan, haizhou])
    for r in (xucun, changan, haizhou):
        assert got[r.name][yanguan.id] > 0, (r.name, got)
        for s in (xucun, changan, haizhou):
            if s is not r:
                assert got[r.name][s.id] == 0, (r.name, s.name, got)

    # a declined request: the hand disappears without the floor, with a short notice
    assert (await haizhou.page.evaluate("window.hubClient.raiseHand()"))["ok"]
    decline_row = page.locator(f"[data-testid=hand-row][data-participant-id='{haizhou.id}']")
    await decline_row.get_by_test_id("hand-decline").click()
    await expect(haizhou.page.get_by_test_id("hand-notice")).to_have_attribute("data-state", "declined")
    assert await haizhou.page.evaluate("window.hubClient.hand") == "declined"
    assert (await haizhou.control_state())["floor"] == yanguan.id

    # --- polling (UI) over three stations, every 3 s: the stage visits each in turn everywhere
    order = [xucun, changan, haizhou]
    watchers = [*stations, console]
    for w in watchers:  # record every stage change
        await w.page.evaluate("""() => {
            window.__stages = [];
            const live = document.querySelector('[data-testid=live]');
            const slot = () => document.querySelector('[data-testid=stage]');
            const note = () => {
                const st = live.dataset.stage, main = slot() ? slot().dataset.participantId : '';
                const last = window.__stages[window.__stages.length - 1];
                if (!last || last[0] !== st || last[1] !== main) window.__stages.push([st, main]);
            };
            new MutationObserver(note).observe(live, {subtree: true, attributes: true,
                attributeFilter: ['data-stage', 'data-participant-id']});
        }""")
    for s in order:
        await page.locator(f"[data-testid=poll-pick][data-participant-id='{s.id}']").click()
    await page.get_by_test_id("poll-interval").fill("3")
    await page.get_by_test_id("poll-start").click()
    await expect(page.get_by_test_id("poll-status")).to_be_visible()
    deadline = time.monotonic() + 12
    expected = [s.id for s in order]
    while True:
        seen = {w.name: await w.page.evaluate("window.__stages") for w in watchers}
        if all(set(expected) <= {st for st, _ in seq} for seq in seen.values()):
            break
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.5)
    for w in watchers:
        stages = [st for st, _ in seen[w.name]]
        visits = [st for st in stages if st in expected]
        # in the polling order, starting from the first
        start = visits.index(expected[0])
        assert visits[start:start + 3] == expected, (w.name, stages)
        # and in the main slot wherever the station is not itself on the stage
        mains = {main for _, main in seen[w.name]}
        assert set(expected) - {w.id} <= mains, (w.name, seen[w.name])
    await expect(yanguan.page.get_by_test_id("polling-chip")).to_be_visible()
    await console.act("stopPolling")

    # --- layout, lock and removal (with the in-page confirmation)
    await page.get_by_test_id("layout-2x2").click()
    await expect(xucun.page.locator("[data-testid=grid] > [data-testid=stage]")).to_have_count(1)
    await expect(xucun.page.locator(".stage")).to_have_attribute("data-mode", "grid")
    await page.get_by_test_id("cp-lock").click()
    await expect(xucun.page.get_by_test_id("lock-badge")).to_be_visible()
    await shot(yanguan.page, "station-grid")
    row = page.locator(f"[data-testid=cp-row][data-participant-id='{haizhou.id}']")
    await row.get_by_test_id("cp-remove").click()
    await expect(row.get_by_test_id("cp-confirm")).to_be_visible()
    await row.get_by_test_id("cp-remove-confirm").click()
    await expect(haizhou.page.get_by_test_id("error")).to_have_attribute("data-code", "removed")
    await expect(row).to_have_count(0)
    await expect(page.locator("[data-testid=log-entry][data-action=remove]")).to_have_count(1)


    # --- the scheduling console's 进入调度台 opens the live console (the same account:
    # the first console page is replaced by the new one)
    context = await browser.new_context(locale="zh-CN", viewport=DESKTOP)
    sched = await context.new_page()
    sched.on("console", lambda m: m.type == "error" and print(f"[scheduling] {m.text}"))
    await sched.goto(hub.url + "/console")
    await sched.get_by_test_id("login-username").fill("admin")
    await sched.get_by_test_id("login-password").fill("Admin-password-1")
    await sched.get_by_test_id("login-submit").click()
    button = sched.locator("[data-testid=session-row]", has_text="演示").get_by_test_id("open-live-console")
    await expect(button).to_be_visible(timeout=10_000)
    await shot(sched, "scheduling-console")
    async with context.expect_page() as popup_info:
        await button.click()
    live = await popup_info.value
    await live.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
    assert await live.evaluate("window.hubClient.self.role") == "dispatcher"
    assert await live.evaluate("window.hubClient.camera || window.hubClient.mic") is False
    await expect(live.get_by_test_id("console-panel")).to_be_visible()
    await expect(live.locator(f"[data-testid=cp-row][data-participant-id='{xucun.id}']")).to_be_visible()
    await expect(page.get_by_test_id("error")).to_have_attribute("data-code", "replaced")

    # --- 结束会议: two clicks end the session for every station
    await live.get_by_test_id("cp-end-session").click()
    await expect(live.get_by_test_id("cp-end-session")).to_contain_text("再点一次")
    await live.get_by_test_id("cp-end-session").click()
    await expect(xucun.page.get_by_test_id("error")).to_have_attribute("data-code", "sessionEnded", timeout=10_000)
