"""End to end, on a phone viewport in real headless Chromium against a real
hub: the deputy's 民情直通车 (/deputy, issue 13).

The deputy opens its invitation link, follows the station page's link to
its phone page and sets up its account there (a bad phone number is refused
in Chinese and the form keeps what was typed); captures an opinion while
offline (queued, sent once back online); the town's dispatcher handles it
to an answer and feeds it back (REST); the deputy reads the department's
answer in 我的民情, rates it 不满意 and sees it reopened; 我的履职 shows
the record of its capture; 我的会议 joins the session whose lobby is open;
and after logging out it logs in again with its phone number.

Set DEPUTY_SCREENSHOTS=/some/dir to keep screenshots.
"""

from __future__ import annotations

import os
import re
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser import HubProcess, api_json as api

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ["DEPUTY_SCREENSHOTS"]) if os.environ.get("DEPUTY_SCREENSHOTS") else None
DISPATCHER = ("haining-disp", "Haining-dispatch-1")
PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PHONE_NUMBER = "13912345678"
PASSWORD = "deputy-password-1"


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var", env={"LIAISON_HUB_SCHEDULER__TICK_SECONDS": "1"})
    hub.create_account(DISPATCHER[0], DISPATCHER[1], "dispatcher", "haining")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])



async def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_deputy_sets_up_captures_offline_rates_unsatisfied_and_joins(hub, browser):
    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    deputy = api(hub, "/deputies", disp, {"name": "沈建国", "level": "haining", "station": "xucun"})
    start = (datetime.now(timezone.utc) + timedelta(minutes=5)).replace(microsecond=0)
    session = api(hub, "/sessions", disp, {
        "title": "许村民情恳谈", "chair": "haining", "stations": ["haining", "xucun"],
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    invitation = api(hub, f"/sessions/{session['id']}/invitations", disp, {"deputyId": deputy["id"]})

    ctx = await browser.new_context(locale="zh-CN", **PHONE_VIEWPORT)
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))

    # --- the invitation link leads to the phone page, where the account is set up once
    await page.goto(invitation["url"])
    link = page.get_by_test_id("deputy-home-link")
    await expect(link).to_contain_text("民情直通车")
    await link.click()
    await expect(page.get_by_test_id("setup-phone")).to_be_visible()
    await page.get_by_test_id("setup-phone").fill("123")
    await page.get_by_test_id("setup-password").fill(PASSWORD)
    await page.get_by_test_id("setup-password2").fill(PASSWORD)
    await page.get_by_test_id("setup-submit").click()
    error = page.get_by_test_id("setup-error")
    await expect(error).to_have_attribute("data-code", "invalid_payload")
    await expect(error).to_contain_text("11 位手机号码")
    await expect(page.get_by_test_id("setup-phone")).to_have_value("123")  # kept as typed
    await expect(page.get_by_test_id("setup-password")).to_have_value(PASSWORD)
    await page.get_by_test_id("setup-phone").fill(PHONE_NUMBER)
    await page.get_by_test_id("setup-submit").click()
    await expect(page.get_by_test_id("capture-self-deputy")).to_have_text("沈建国")
    assert "#token=" not in page.url  # the link's token leaves the address bar
    await shot(page, "deputy-capture")

    # --- capture while offline, within the deputy's town; sent once back online
    stations = await page.get_by_test_id("capture-station").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert "xucun" in stations and "xucun-rongxing" in stations and "changan" not in stations
    summary = f"村口路灯不亮 {uuid.uuid4().hex[:6]}"
    await ctx.set_offline(True)
    await page.get_by_test_id("capture-resident-name").fill("王阿姨")
    await page.get_by_test_id("capture-station").select_option("xucun-rongxing")
    await page.get_by_test_id("capture-category").select_option("08")
    await page.locator("[data-testid=capture-request-type] [data-code=suggestion]").click()
    await page.get_by_test_id("capture-summary").fill(summary)
    await page.get_by_test_id("capture-submit").click()
    await expect(page.get_by_test_id("capture-pending")).to_have_attribute("data-count", "1")
    await ctx.set_offline(False)
    await expect(page.get_by_test_id("capture-pending")).to_have_attribute("data-count", "0", timeout=25_000)
    found = api(hub, "/opinions?" + urllib.parse.urlencode({"q": summary}), disp)["items"]
    assert len(found) == 1 and found[0]["deputyId"] == deputy["id"] and found[0]["residentName"] == "王阿姨"
    assert found[0]["station"] == "xucun-rongxing"
    oid = found[0]["id"]

    # --- the town handles it to an answer and feeds it back
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"},
                 {"action": "start"}, {"action": "answer", "grade": "B", "answer": "已报修，本周内更换灯具"},
                 {"action": "feed_back"}):
        api(hub, f"/opinions/{oid}/actions", disp, step)

    # --- 我的民情: the answer, the timeline, the rating; 不满意 reopens it
    await page.get_by_test_id("tab-items").click()
    await expect(page.get_by_test_id("items-awaiting")).to_contain_text("1 件待评价")
    item = page.get_by_test_id("item").filter(has_text=summary)
    await expect(item).to_have_attribute("data-status", "fed_back")
    await item.click()
    detail = page.get_by_test_id("item-detail")
    await expect(detail.get_by_test_id("item-answer")).to_contain_text("已报修，本周内更换灯具")
    await expect(detail).to_contain_text("许村镇党政办公室")  # the department by name
    await expect(detail.get_by_test_id("item-timeline").locator("li")).to_have_count(6)
    await shot(page, "deputy-item")
    await detail.get_by_test_id("rate-note").fill("灯还是不亮")
    await detail.get_by_test_id("rate-unsatisfied").click()
    await expect(page.get_by_test_id("item-detail")).to_have_attribute("data-status", "reopened")
    await expect(page.get_by_test_id("item-note")).to_contain_text("重新交办")
    reopened = api(hub, f"/opinions/{oid}", disp)
    assert reopened["status"] == "reopened" and reopened["timeline"][-1]["note"] == "灯还是不亮"

    # --- 我的履职: the record of the capture and the points
    await page.get_by_test_id("tab-duty").click()
    await expect(page.get_by_test_id("duty-record")).to_have_count(1)
    await expect(page.get_by_test_id("duty-record").first).to_have_attribute("data-kind", "opinion_raised")
    await expect(page.get_by_test_id("points-total")).not_to_have_text("0")
    await shot(page, "deputy-duty")

    # --- 我的会议: the lobby is open, the join button opens the live page as the deputy
    await page.get_by_test_id("tab-sessions").click()
    row = page.locator(f"[data-testid=session][data-id='{session['id']}']")
    await expect(row).to_have_attribute("data-state", "lobby", timeout=10_000)
    await shot(page, "deputy-sessions")
    await row.get_by_test_id("session-join").click()
    await page.wait_for_url(re.compile(r"/join/.+#token="))
    await expect(page.get_by_test_id("prejoin")).to_be_visible()

    # --- a normal login by phone number afterwards
    await page.goto(hub.url + "/deputy")
    await page.get_by_test_id("logout").click()
    await page.get_by_test_id("login-username").fill(PHONE_NUMBER)
    await page.get_by_test_id("login-password").fill("wrong-password")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_have_attribute("data-code", "login_failed")
    await expect(page.get_by_test_id("login-username")).to_have_value(PHONE_NUMBER)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("capture-self-deputy")).to_have_text("沈建国")
    await ctx.close()
