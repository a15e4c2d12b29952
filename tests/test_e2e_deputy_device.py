"""End to end on a phone viewport in real headless Chromium: a deputy binds
its phone instead of a password (issue 13, ``store/devices.py``).  Set up
from the invitation link with 绑定本机; with the login cookie gone the page
logs in by itself with the device token; logging out unbinds the phone, and
the next visit asks for a login."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api

pytestmark = pytest.mark.browser

DISPATCHER = ("haining-disp", "Haining-dispatch-1")
PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account(DISPATCHER[0], DISPATCHER[1], "dispatcher", "haining")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def test_deputy_binds_the_phone_instead_of_a_password(hub, browser):
    from datetime import datetime, timedelta, timezone

    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    deputy = api(hub, "/deputies", disp, {"name": "沈建国", "level": "haining", "station": "xucun"})
    start = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(microsecond=0)
    session = api(hub, "/sessions", disp, {"title": "许村民情恳谈", "chair": "haining", "stations": ["haining", "xucun"],
                                           "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    invitation = api(hub, f"/sessions/{session['id']}/invitations", disp, {"deputyId": deputy["id"]})
    token = invitation["url"].split("#token=", 1)[1]

    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, **PHONE_VIEWPORT)  # under the hub's CSP
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(f"{hub.url}/deputy#token={token}")
    await page.get_by_test_id("setup-phone").fill("13912345002")
    await page.get_by_test_id("setup-bind").check()
    await expect(page.get_by_test_id("setup-password")).to_be_hidden()
    await page.get_by_test_id("setup-submit").click()
    await expect(page.get_by_test_id("tab-duty")).to_be_visible()
    # the login cookie gone (expired): the bound phone logs in by itself
    await ctx.clear_cookies()
    await page.goto(f"{hub.url}/deputy")
    await expect(page.get_by_test_id("tab-duty")).to_be_visible()
    # logging out unbinds the phone: the next visit asks for a login
    await page.get_by_test_id("logout").click()
    await expect(page.get_by_test_id("login-submit")).to_be_visible()
    await page.goto(f"{hub.url}/deputy")
    await expect(page.get_by_test_id("login-submit")).to_be_visible()
    await ctx.close()
