"""End to end, in real headless Chromium against a real hub, under its CSP:
the deputy roster in the console (代表名册, issue 13).  Haining's dispatcher
uploads a file with bad rows: the page lists each bad row with its reason in
Chinese and nothing is imported; it confirms, and the good rows appear.  It
edits a deputy's levels (a refused phone number keeps what was typed).  The
station page shows the matrix read-only and says where it is edited."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api

pytestmark = pytest.mark.browser

ADMIN = ("admin", "Admin-password-1")
DISPATCHER = ("haining-disp", "Haining-dispatch-1")


def workbook(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号码", "代表层级", "所属联络站", "代表小组"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account(ADMIN[0], ADMIN[1], "administrator")
    hub.create_account(DISPATCHER[0], DISPATCHER[1], "dispatcher", "haining")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def test_a_dispatcher_imports_a_roster_with_bad_rows_and_edits_levels(hub, browser):
    admin = api(hub, "/auth/login", body={"username": ADMIN[0], "password": ADMIN[1]})["token"]
    api(hub, "/deputies", admin, {"name": "已有代表", "level": "town", "station": "xucun", "phone": "13900000001"})
    data = workbook([
        ["张一", "13900000011", "海宁市人大代表、镇人大代表", "许村镇人大代表联络站", "许村一组"],
        ["", "13900000012", "镇人大代表", "许村镇人大代表联络站", "许村一组"],  # row 3: no name
        ["王三", "13900000013", "县人大代表", "长安镇人大代表联络站", ""],  # row 4: unknown level
        ["赵四", "13900000014", "镇人大代表", "嘉兴市人大代表联络总站", ""],  # row 5: outside Haining
        ["已有代表", "13900000001", "镇人大代表、街道居民代表", "xucun", "许村二组"],  # updates, not a second one
    ])

    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    page.on("dialog", lambda d: d.accept())
    await page.goto(hub.url + "/console")
    await page.get_by_test_id("login-username").fill(DISPATCHER[0])
    await page.get_by_test_id("login-password").fill(DISPATCHER[1])
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("nav-roster").click()
    rows = page.get_by_test_id("roster-row")
    await expect(rows).to_have_count(1)

    # the check: every bad row with its reason in Chinese, nothing imported
    await page.get_by_test_id("roster-file").set_input_files(
        {"name": "许村名册.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "buffer": data})
    await page.get_by_test_id("roster-check").click()
    bad = page.get_by_test_id("roster-bad-row")
    await expect(bad).to_have_count(3)
    await expect(page.locator("[data-testid=roster-bad-row][data-row='3'] [data-testid=roster-bad-reason]")).to_have_text("缺少姓名")
    await expect(page.locator("[data-testid=roster-bad-row][data-row='4']")).to_contain_text("未知的代表层级“县人大代表”")
    await expect(page.locator("[data-testid=roster-bad-row][data-row='5']")).to_contain_text("不在你的管辖范围内")
    await expect(page.get_by_test_id("roster-report-status")).to_contain_text("无误 2 行（新建 1，更新 1，无变化 0），有误 3 行。尚未导入")
    await expect(rows).to_have_count(1)
    assert len(api(hub, "/deputies", admin)["items"]) == 1

    # confirm: only the good rows
    await page.get_by_test_id("roster-confirm").click()
    await expect(page.get_by_test_id("roster-report-status")).to_contain_text("已导入：新建 1 人，更新 1 人")
    await expect(rows).to_have_count(2)
    existing = page.locator("[data-testid=roster-row][data-name='已有代表']")
    await expect(existing.get_by_test_id("roster-levels")).to_have_text("镇人大代表、街道居民代表")
    await expect(page.locator("[data-testid=roster-row][data-name='张一'] [data-testid=roster-levels]")).to_have_text(
        "海宁市人大代表、镇人大代表")

    # edit 张一's levels; a phone number already on the roster is refused and what was typed stays
    one = page.locator("[data-testid=roster-row][data-name='张一']")
    await one.get_by_test_id("roster-edit").click()
    editor = page.get_by_test_id("roster-editor")
    await editor.get_by_test_id("roster-edit-level-town").uncheck()
    await editor.get_by_test_id("roster-edit-level-provincial").check()
    await editor.get_by_test_id("roster-edit-group").fill("许村三组")
    await editor.get_by_test_id("roster-edit-phone").fill("13900000001")
    await editor.get_by_test_id("roster-save").click()
    await expect(page.get_by_test_id("roster-status")).to_have_attribute("data-state", "error")
    await expect(page.get_by_test_id("roster-status")).to_contain_text("已被其他账号使用")
    await expect(editor.get_by_test_id("roster-edit-group")).to_have_value("许村三组")
    await expect(editor.get_by_test_id("roster-edit-level-provincial")).to_be_checked()
    await editor.get_by_test_id("roster-edit-phone").fill("13900000021")
    await editor.get_by_test_id("roster-save").click()
    await expect(one.get_by_test_id("roster-levels")).to_have_text("省人大代表、海宁市人大代表")
    await expect(one.get_by_test_id("roster-group-cell")).to_have_text("许村三组")
    stored = next(d for d in api(hub, "/deputies", admin)["items"] if d["name"] == "张一")
    assert (stored["levels"], stored["phone"], stored["group"]) == (["provincial", "haining"], "13900000021", "许村三组")

    # deactivate, then find it among the deactivated and reactivate it
    await one.get_by_test_id("roster-deactivate").click()
    await expect(rows).to_have_count(1)
    await page.get_by_test_id("roster-active").select_option("false")
    await page.get_by_test_id("roster-find").click()
    await expect(rows).to_have_count(1)
    await one.get_by_test_id("roster-reactivate").click()
    await expect(rows).to_have_count(0)

    # the station page: the matrix read-only, with where it is edited
    await page.get_by_test_id("nav-stations").click()
    await expect(page.get_by_test_id("matrix-note")).to_contain_text("configs/matrix.yaml")
    await expect(page.locator("[data-testid=matrix-row][data-code=xucun] [data-testid=matrix-deputies]")).to_have_text("2")
    await expect(page.locator("[data-testid=matrix-row][data-code=jiaxing] [data-testid=matrix-deputies]")).to_have_text("—")
    await expect(page.locator("[data-testid=matrix-row][data-level=room]").first).to_contain_text("示例")
    await ctx.close()


async def test_the_administrator_reactivates_an_account(hub, browser):
    admin = api(hub, "/auth/login", body={"username": ADMIN[0], "password": ADMIN[1]})["token"]
    disp = next(a for a in api(hub, "/accounts", admin)["items"] if a["username"] == DISPATCHER[0])
    api(hub, f"/accounts/{disp['id']}/deactivate", admin, {})
    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(hub.url + "/console#accounts")
    await page.get_by_test_id("login-username").fill(ADMIN[0])
    await page.get_by_test_id("login-password").fill(ADMIN[1])
    await page.get_by_test_id("login-submit").click()
    row = page.locator(f"[data-testid=acc-row][data-username={DISPATCHER[0]}]")
    await expect(row).to_have_attribute("data-active", "false")
    await row.get_by_test_id("acc-reactivate").click()
    await expect(row).to_have_attribute("data-active", "true")
    await expect(page.get_by_test_id("acc-status")).to_contain_text("已重新启用")
    api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})  # signs in again
    await ctx.close()
