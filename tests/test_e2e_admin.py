"""End to end, in real headless Chromium against a real hub, under its CSP:
the console's administration (issue 13).  The administrator opens the audit
log (审计日志) from the top bar, sees every entry, narrows it to one actor and
then to an action; an empty result says so."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api

pytestmark = pytest.mark.browser

ADMIN = ("admin", "Admin-password-1")
DISPATCHER = ("haining-disp", "Haining-dispatch-1")


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account(ADMIN[0], ADMIN[1], "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def test_the_administrator_filters_the_audit_log(hub, browser):
    admin = api(hub, "/auth/login", body={"username": ADMIN[0], "password": ADMIN[1]})["token"]
    api(hub, "/accounts", admin, {"username": DISPATCHER[0], "password": DISPATCHER[1], "role": "dispatcher",
                                  "station": "haining"})
    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) + timedelta(days=2)
    made = api(hub, "/sessions", disp, {"title": "许村、长安联动", "chair": "haining", "stations": ["xucun", "changan"],
                                        "start": start.isoformat(), "end": (start + timedelta(minutes=45)).isoformat()})

    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(hub.url + "/console")
    await page.get_by_test_id("login-username").fill(ADMIN[0])
    await page.get_by_test_id("login-password").fill(ADMIN[1])
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("nav-audit").click()
    rows = page.get_by_test_id("audit-row")
    await expect(page.locator("[data-testid=audit-row][data-action='account.create']")).to_have_count(2)  # the CLI's and the dispatcher's
    await expect(page.locator("[data-testid=audit-row][data-action='session.create']")).to_have_count(1)

    await page.get_by_test_id("audit-actor").fill(DISPATCHER[0])
    await page.get_by_test_id("audit-search").click()
    await expect(page.locator("[data-testid=audit-row][data-action='account.create']")).to_have_count(0)
    await expect(rows.first).to_contain_text(f"session #{made['id']}")
    await expect(rows.first).to_contain_text(DISPATCHER[0])

    await page.get_by_test_id("audit-action").fill("account.deactivate")
    await page.get_by_test_id("audit-search").click()
    await expect(rows).to_have_count(0)
    await expect(page.get_by_test_id("audit-status")).to_have_text("没有符合条件的记录")

    # back to the sessions from the audit
    await page.get_by_test_id("nav-sessions").click()
    await expect(page.get_by_test_id("audit")).to_have_count(0)
    await ctx.close()


async def test_the_administrator_manages_accounts(hub, browser):
    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    page.on("dialog", lambda d: d.accept())
    await page.goto(hub.url + "/console")
    await page.get_by_test_id("login-username").fill(ADMIN[0])
    await page.get_by_test_id("login-password").fill(ADMIN[1])
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("nav-accounts").click()
    await expect(page.locator("[data-testid=acc-row][data-username=admin] [data-testid=acc-last-login]")).not_to_have_text("从未登录")

    # create an operator of 许村: a short password is refused in Chinese, and what was typed stays
    await page.get_by_test_id("acc-username").fill("xucun-op")
    await page.get_by_test_id("acc-display-name").fill("许村联络站")
    await page.get_by_test_id("acc-password").fill("short")
    await page.get_by_test_id("acc-role").select_option("operator")
    await page.get_by_test_id("acc-station").select_option("xucun")
    await page.get_by_test_id("acc-create").click()
    await expect(page.get_by_test_id("acc-status")).to_have_attribute("data-state", "error")
    await expect(page.get_by_test_id("acc-username")).to_have_value("xucun-op")
    await page.get_by_test_id("acc-password").fill("Xucun-operator-1")
    await page.get_by_test_id("acc-create").click()
    row = page.locator("[data-testid=acc-row][data-username=xucun-op]")
    await expect(row).to_contain_text("许村")
    await expect(row.get_by_test_id("acc-last-login")).to_have_text("从未登录")

    # reset its password: the new one signs in, the old one no longer
    await row.get_by_test_id("acc-reset").click()
    await row.get_by_test_id("acc-new-password").fill("Xucun-operator-2")
    await row.get_by_test_id("acc-reset-confirm").click()
    await expect(page.get_by_test_id("acc-status")).to_contain_text("已重置 xucun-op 的密码")
    api(hub, "/auth/login", body={"username": "xucun-op", "password": "Xucun-operator-2"})

    # deactivate it
    await row.get_by_test_id("acc-deactivate").click()
    await expect(row).to_have_attribute("data-active", "false")
    await expect(row.get_by_test_id("acc-state")).to_have_text("已停用")
    await ctx.close()
