"""End to end, in real headless Chromium against a real hub: the
notification centre (issue 13, web/src/common/bell.ts) in the console.

A session of 许村 starts in three minutes; its lobby opens about 25 s from
now (the scheduler runs fast here).  The station's operator signs in to the
console: the bell already counts "a meeting starts within 15 minutes"; when
the lobby opens and the page comes back into focus, the reminder in the
bell's list is "the meeting's lobby is open".  Under the hub's CSP.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOBBY_AFTER_SECONDS = 25
DISPATCHER = ("haining-disp", "Haining-dispatch-1")
OPERATOR = ("xucun-op", "Xucun-operator-1")


@pytest.fixture
async def hub(tmp_path):
    now = datetime.now(SHANGHAI)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=3)
    lobby_minutes = (start - (now + timedelta(seconds=LOBBY_AFTER_SECONDS))).total_seconds() / 60
    hub = HubProcess(tmp_path / "var", env={"LIAISON_HUB_SCHEDULER__TICK_SECONDS": "0.5",
                                            "LIAISON_HUB_SCHEDULER__LOBBY_MINUTES": f"{lobby_minutes:.4f}"})
    hub.create_account(DISPATCHER[0], DISPATCHER[1], "dispatcher", "haining")
    hub.create_account(OPERATOR[0], OPERATOR[1], "operator", "xucun")
    hub.start()
    hub.session_start = start  # type: ignore[attr-defined]
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def test_the_reminder_appears_in_the_console_when_the_lobby_opens(hub, browser):
    start: datetime = hub.session_start
    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    api(hub, "/sessions", disp, {"title": "许村、长安联动", "chair": "haining", "stations": ["xucun", "changan"],
                                 "start": start.isoformat(), "end": (start + timedelta(minutes=45)).isoformat()})

    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(hub.url + "/console")
    await page.get_by_test_id("login-username").fill(OPERATOR[0])
    await page.get_by_test_id("login-password").fill(OPERATOR[1])
    await page.get_by_test_id("login-submit").click()

    bell = page.get_by_test_id("bell")
    await expect(bell).to_have_attribute("data-count", "1")
    await bell.click()
    item = page.get_by_test_id("bell-item")
    await expect(item).to_have_attribute("data-kind", "session_soon")
    await expect(item).to_contain_text("会议将在15分钟内开始 · 许村、长安联动")

    # the lobby opens; coming back to the page asks again (else the 30 s poll does)
    await page.wait_for_timeout(LOBBY_AFTER_SECONDS * 1000)
    await page.evaluate("window.dispatchEvent(new Event('focus'))")
    await expect(item).to_have_attribute("data-kind", "lobby_open", timeout=40_000)
    await expect(item).to_contain_text("会议候会已开放 · 许村、长安联动")
    await expect(bell).to_have_attribute("data-count", "1")
    await ctx.close()
