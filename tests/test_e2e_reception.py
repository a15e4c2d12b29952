"""End to end in real headless Chromium against a real hub: station
reception duty 进站接待 and a session's 签到 by QR code (issue 13).

The station's operator puts a deputy on today's roster in the console
(#reception) and shows the station's sign-in QR code of the day; the
deputy's phone opens the code's link (read from the overlay's data-url, not
from pixels), logs in, and is signed in: 签到成功, and the reception record
in 我的履职; a second scan says 已签到 and records nothing new.  Then, with
the session live, the operator's console shows the session's sign-in code
and so does the station's live page; the deputy signs in to the session
from the phone.

Set RECEPTION_SCREENSHOTS=/some/dir to keep screenshots.
"""

from __future__ import annotations

import base64
import os
import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser import HubProcess, api_json as api, autojoin

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ["RECEPTION_SCREENSHOTS"]) if os.environ.get("RECEPTION_SCREENSHOTS") else None
DISPATCHER = ("haining-disp", "Haining-dispatch-1")
OPERATOR = ("op-xucun", "Xucun-operator-1")
PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PHONE_NUMBER = "13912345001"
PASSWORD = "deputy-password-1"


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var", env={"LIAISON_HUB_SCHEDULER__TICK_SECONDS": "1"})
    hub.create_account(DISPATCHER[0], DISPATCHER[1], "dispatcher", "haining")
    hub.create_account(OPERATOR[0], OPERATOR[1], "operator", "xucun")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def console_login(page: Page, hub: HubProcess, username: str, password: str, hash_: str = "") -> None:
    await page.goto(hub.url + "/console" + hash_)
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()


async def test_deputy_signs_in_at_the_station_and_at_a_live_session(hub, browser):
    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    deputy = api(hub, "/deputies", disp, {"name": "沈建国", "level": "haining", "station": "xucun"})
    start = (datetime.now(timezone.utc) + timedelta(seconds=40)).replace(microsecond=0)
    session = api(hub, "/sessions", disp, {
        "title": "许村民情恳谈", "chair": "haining", "stations": ["haining", "xucun"],
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    invitation = api(hub, f"/sessions/{session['id']}/invitations", disp, {"deputyId": deputy["id"]})
    join_token = invitation["url"].split("#token=", 1)[1]
    api(hub, "/deputy/setup", join_token, {"phone": PHONE_NUMBER, "password": PASSWORD})

    # --- the station: today's roster, then the day's QR code on its screen
    station_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    station = await station_ctx.new_page()
    station.on("console", lambda m: m.type == "error" and print(f"[station console] {m.text}"))
    await console_login(station, hub, *OPERATOR, hash_="#reception")
    await expect(station.get_by_test_id("reception")).to_be_visible()
    await expect(station.get_by_test_id("reception-empty")).to_be_visible()
    candidate = station.locator(f"[data-testid=reception-candidate][value='{deputy['id']}']")
    await candidate.check()
    await station.get_by_test_id("reception-save").click()
    shift = station.locator(f"[data-testid=reception-shift][data-deputy-id='{deputy['id']}']")
    await expect(shift).to_have_attribute("data-signed-in", "false")
    await expect(shift).to_contain_text("未签到")
    await station.get_by_test_id("reception-show-code").click()
    overlay = station.get_by_test_id("signin-qr")
    await station.wait_for_selector("[data-testid=signin-qr][data-url]")
    url = await overlay.get_attribute("data-url")
    assert url and url.startswith(f"{hub.url}/deputy#signin=r.xucun.")
    src = await station.get_by_test_id("signin-qr-img").get_attribute("src")
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    assert src.startswith("data:image/svg+xml;base64,") and "<svg" in svg
    await shot(station, "station-reception-qr")
    await station.get_by_test_id("signin-qr-close").click()

    # --- the deputy's phone opens the scanned link, logs in, and is signed in
    phone_ctx = await browser.new_context(locale="zh-CN", **PHONE_VIEWPORT)
    phone = await phone_ctx.new_page()
    phone.on("console", lambda m: m.type == "error" and print(f"[phone console] {m.text}"))
    await phone.goto(url)
    await expect(phone.get_by_test_id("signin-pending")).to_contain_text("登录后")
    assert "#signin=" not in phone.url  # the code leaves the address bar
    await phone.get_by_test_id("login-username").fill(PHONE_NUMBER)
    await phone.get_by_test_id("login-password").fill(PASSWORD)
    await phone.get_by_test_id("login-submit").click()
    result = phone.get_by_test_id("signin-result")
    await expect(result).to_have_attribute("data-already", "false")
    await expect(result).to_contain_text("签到成功")
    await expect(result).to_contain_text("许村镇人大代表联络站")
    await shot(phone, "phone-signed-in")
    await phone.get_by_test_id("tab-duty").click()
    record = phone.locator("[data-testid=duty-record][data-kind=station_reception]")
    await expect(record).to_have_count(1)
    await expect(record).to_contain_text("+2")
    # a second scan: 已签到, nothing new
    await phone.goto(url)
    await expect(phone.get_by_test_id("signin-result")).to_have_attribute("data-already", "true")
    await expect(phone.get_by_test_id("signin-result")).to_contain_text("已签到")
    await phone.get_by_test_id("tab-duty").click()
    await expect(phone.locator("[data-testid=duty-record][data-kind=station_reception]")).to_have_count(1)
    await shot(phone, "phone-already")
    # the station sees the sign-in
    await station.reload()
    await expect(shift).to_have_attribute("data-signed-in", "true")
    await expect(shift).to_contain_text("已签到")

    # --- the session goes live: the operator's console shows its sign-in code
    while datetime.now(timezone.utc) < start + timedelta(seconds=2):
        await asyncio.sleep(0.5)
    await station.goto(hub.url + "/console")
    button = station.locator(f"[data-testid=session-signin-code][data-session-id='{session['id']}']")
    await expect(button).to_be_visible(timeout=20_000)
    await button.click()
    await station.wait_for_selector("[data-testid=signin-qr][data-url]")
    session_url = await station.get_by_test_id("signin-qr").get_attribute("data-url")
    assert session_url and f"#signin=s.{session['id']}." in session_url and ".xucun." in session_url
    await shot(station, "station-session-qr")
    # the station's live page shows the same code (its join link's token asks for it)
    await station.get_by_test_id("signin-qr-close").click()
    op = api(hub, "/auth/login", body={"username": OPERATOR[0], "password": OPERATOR[1]})["token"]
    link = api(hub, f"/sessions/{session['id']}/join-link?station=xucun", op)["url"]
    live_page = await station_ctx.new_page()
    await live_page.goto(autojoin(link))
    await live_page.get_by_test_id("station-signin-code").click(timeout=30_000)
    await live_page.wait_for_selector("[data-testid=signin-qr][data-url]")
    assert await live_page.get_by_test_id("signin-qr").get_attribute("data-url") == session_url
    await shot(live_page, "station-live-page-qr")
    await phone.goto(session_url)
    result = phone.get_by_test_id("signin-result")
    await expect(result).to_have_attribute("data-kind", "session")
    await expect(result).to_have_attribute("data-already", "false")
    await expect(result).to_contain_text("许村民情恳谈")
    await phone.get_by_test_id("tab-duty").click()
    await expect(phone.locator("[data-testid=duty-record][data-kind=session_joined]")).to_have_count(1)
    await station_ctx.close()
    await phone_ctx.close()
