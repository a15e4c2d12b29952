"""End to end in real headless Chromium against a real hub: a department's
extension request 延期申请 (issue 13).  The department (phone viewport)
accepts an item and asks for more time (no date: refused, what was typed
stays); the deadline does not move; the town's dispatcher approves it in
the console's opinion sheet; the department sees the new deadline."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api

pytestmark = pytest.mark.browser

ADMIN = ("admin", "Admin-password-1")
DISPATCHER = ("haining-disp", "Haining-dispatch-1")
DEPARTMENT = ("xucun-dept", "Xucun-dept-pass-1")
PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account(ADMIN[0], ADMIN[1], "administrator")
    hub.create_account(DISPATCHER[0], DISPATCHER[1], "dispatcher", "haining")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def test_department_asks_dispatcher_approves_new_deadline_shown(hub, browser):
    admin = api(hub, "/auth/login", body={"username": ADMIN[0], "password": ADMIN[1]})["token"]
    api(hub, "/accounts", admin, {"username": DEPARTMENT[0], "password": DEPARTMENT[1], "role": "department",
                                  "department": "xucun-office"})
    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    made = api(hub, "/opinions", disp, {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "03",
                                        "requestType": "complaint", "summary": "村道坑洼", "residentName": "王阿姨"})
    oid = made["id"]
    api(hub, f"/opinions/{oid}/actions", disp, {"action": "accept"})
    api(hub, f"/opinions/{oid}/actions", disp, {"action": "assign", "level": "town", "department": "xucun-office"})
    new_day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=30)).date().isoformat()

    # --- the department accepts the item and asks for more time
    dept_ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, **PHONE_VIEWPORT)  # under the hub's CSP
    dept = await dept_ctx.new_page()
    dept.on("console", lambda m: m.type == "error" and print(f"[department console] {m.text}"))
    await dept.goto(hub.url + "/department")
    await dept.get_by_test_id("login-username").fill(DEPARTMENT[0])
    await dept.get_by_test_id("login-password").fill(DEPARTMENT[1])
    await dept.get_by_test_id("login-submit").click()
    await dept.locator(f"[data-testid=dept-item][data-id='{oid}']").click()
    await dept.get_by_test_id("dept-start").click()
    await expect(dept.get_by_test_id("item-detail")).to_have_attribute("data-status", "in_progress")
    before = await dept.get_by_test_id("item-deadline").get_attribute("data-deadline")
    await dept.get_by_test_id("dept-extend").click()
    await dept.get_by_test_id("extension-note").fill("需等待沥青摊铺队排期")
    await dept.get_by_test_id("extension-send").click()
    await expect(dept.get_by_test_id("extension-error")).to_have_text("请选择延期后的日期")
    await expect(dept.get_by_test_id("extension-note")).to_have_value("需等待沥青摊铺队排期")  # kept as typed
    await dept.get_by_test_id("extension-date").fill(new_day)
    await dept.get_by_test_id("extension-send").click()
    await expect(dept.get_by_test_id("extension-request")).to_have_attribute("data-status", "pending")
    await expect(dept.get_by_test_id("dept-extend")).to_have_count(0)  # one pending request at a time
    assert await dept.get_by_test_id("item-deadline").get_attribute("data-deadline") == before  # not moved yet

    # --- the dispatcher is reminded and approves in the console's opinion sheet
    assert [n["kind"] for n in api(hub, "/me/notifications", disp)["items"]].count("extension_requested") == 1
    console_ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    console = await console_ctx.new_page()
    console.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await console.goto(hub.url + "/console#opinions")
    await console.get_by_test_id("login-username").fill(DISPATCHER[0])
    await console.get_by_test_id("login-password").fill(DISPATCHER[1])
    await console.get_by_test_id("login-submit").click()
    await console.locator(f"[data-testid=opinion-row][data-id='{oid}'] [data-testid=opinion-row-reference]").click()
    request = console.get_by_test_id("extensions").get_by_test_id("extension-request")
    await expect(request).to_have_attribute("data-status", "pending")
    await expect(request).to_contain_text("需等待沥青摊铺队排期")
    await console.get_by_test_id("extension-approve").click()
    await expect(request).to_have_attribute("data-status", "approved")
    await expect(console.locator("[data-testid=timeline] li").last).to_contain_text("需等待沥青摊铺队排期")

    # --- the department sees the new deadline
    await dept.reload()
    await dept.locator(f"[data-testid=dept-item][data-id='{oid}']").click()
    deadline = dept.get_by_test_id("item-deadline")
    await expect(deadline).to_have_attribute("data-deadline", f"{new_day}T23:59:59+08:00")
    await expect(dept.get_by_test_id("extension-request")).to_have_attribute("data-status", "approved")
    await dept_ctx.close()
    await console_ctx.close()
