"""End to end: the 民情 list's 导出清单 downloads the filtered list as Excel
(issue 14), in real headless Chromium against a real hub: the search typed in
the list decides the rows, and the workbook speaks the pages' words."""

from __future__ import annotations

import io
import re
import json
import urllib.request
import uuid

import openpyxl
import pytest
from playwright.async_api import expect

from tests.browser import HubProcess

pytestmark = pytest.mark.browser
PASSWORD = "Haining-dispatch-1"


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account("haining-disp", PASSWORD, "dispatcher", "haining")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-4000:])


def post(hub: HubProcess, path: str, body: dict, token: str = "") -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(hub.url + "/api" + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


async def test_the_list_exports_what_its_filters_show(hub, browser, tmp_path):
    token = post(hub, "/auth/login", {"username": "haining-disp", "password": PASSWORD})["token"]
    tag = uuid.uuid4().hex[:6]
    for station, summary in (("xucun", f"村口停车难 {tag}"), ("changan", f"路灯不亮 {tag}"), ("xucun", "别的事")):
        post(hub, "/opinions", {"clientKey": str(uuid.uuid4()), "station": station, "category": "08",
                                "requestType": "suggestion", "summary": summary, "details": "详情",
                                "residentName": "王大伯", "residentContact": "138"}, token)

    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = await ctx.new_page()
    await page.goto(hub.url + "/console#opinions")
    await page.get_by_test_id("login-username").fill("haining-disp")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("opinion-row")).to_have_count(3, timeout=15_000)
    await page.get_by_test_id("opinion-search").fill(tag)
    await expect(page.get_by_test_id("opinion-row")).to_have_count(2)

    async with page.expect_download() as info:
        await page.get_by_test_id("opinion-export").click()
    download = await info.value
    assert download.suggested_filename.startswith("opinions-") and download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))["民情"]
    header = [c.value for c in ws[3]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert sorted(r["摘要"] for r in rows) == sorted([f"村口停车难 {tag}", f"路灯不亮 {tag}"])
    assert {r["状态"] for r in rows} == {"待受理"} and {r["诉求类型"] for r in rows} == {"建议"}
    await ctx.close()


async def test_the_report_prints_on_a4_with_the_units_header_and_a_town_table(hub, browser):
    token = post(hub, "/auth/login", {"username": "haining-disp", "password": PASSWORD})["token"]
    for station in ("xucun", "xucun", "changan"):
        post(hub, "/opinions", {"clientKey": str(uuid.uuid4()), "station": station, "category": "08",
                                "requestType": "suggestion", "summary": "路灯", "details": "详情",
                                "residentName": "王大伯", "residentContact": "138"}, token)
    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    await page.goto(hub.url + "/console#opinions/reports")
    await page.get_by_test_id("login-username").fill("haining-disp")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("tab-reports").click()
    rows = page.get_by_test_id("town-row")
    await expect(rows).to_have_count(12, timeout=15_000)
    await expect(page.locator("[data-testid=town-row][data-station=xucun] td").first).to_have_text("2")
    await expect(page.get_by_test_id("print-head")).to_be_hidden()
    await expect(page.get_by_test_id("print-report")).to_be_visible()

    await page.emulate_media(media="print")
    await expect(page.get_by_test_id("print-head")).to_be_visible()
    await expect(page.get_by_test_id("print-head")).to_contain_text("海宁")
    await expect(page.get_by_test_id("print-head")).to_contain_text("民情统计报表")
    for hidden in ("print-report", "download-hot-topics", "report-period", "tab-list"):
        await expect(page.get_by_test_id(hidden)).to_be_hidden()
    await expect(page.get_by_test_id("town-table")).to_be_visible()
    pdf = await page.pdf(prefer_css_page_size=True)
    boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), boxes  # A4
    await ctx.close()


async def test_the_list_is_a_table_that_sorts_and_takes_batch_actions(hub, browser):
    token = post(hub, "/auth/login", {"username": "haining-disp", "password": PASSWORD})["token"]
    made = [post(hub, "/opinions", {"clientKey": str(uuid.uuid4()), "station": station, "category": "08",
                                    "requestType": "suggestion", "summary": f"事项 {n}", "details": "详情",
                                    "residentName": "王大伯", "residentContact": "138"}, token)
            for n, station in enumerate(("xucun", "changan", "xucun"))]
    post(hub, f"/opinions/{made[0]['id']}/actions", {"action": "accept"}, token)
    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    await page.goto(hub.url + "/console#opinions")
    await page.get_by_test_id("login-username").fill("haining-disp")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    rows = page.get_by_test_id("opinion-row")
    await expect(rows).to_have_count(3, timeout=15_000)
    refs = sorted(o["reference"] for o in made)
    # newest first; a header click sorts by reference, a second click reverses
    await expect(page.get_by_test_id("opinion-row-reference")).to_have_text(refs[::-1])
    await page.get_by_test_id("sort-reference").click()
    await expect(page.get_by_test_id("opinion-row-reference")).to_have_text(refs)
    await expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
    await page.get_by_test_id("sort-reference").click()
    await expect(page.get_by_test_id("opinion-row-reference")).to_have_text(refs[::-1])

    # batch 标记热点 on two rows
    for opinion in made[1:]:
        await page.locator(f"[data-testid=opinion-row][data-id='{opinion['id']}'] [data-testid=opinion-select]").check()
    await expect(page.get_by_test_id("batch-bar")).to_contain_text("已选 2 件")
    await page.get_by_test_id("batch-flag-hot").click()
    await expect(page.get_by_test_id("batch-message")).to_contain_text("完成 2 件，未完成 0 件")
    for opinion in made[1:]:
        await expect(page.locator(f"[data-testid=opinion-row][data-id='{opinion['id']}']")).to_contain_text("热点")
    # batch 交办: only the accepted one can be assigned; the other is counted as not done
    await page.get_by_test_id("select-all").check()
    await page.get_by_test_id("batch-level").select_option("town")
    await page.get_by_test_id("batch-department").select_option("xucun-office")
    await page.get_by_test_id("batch-assign").click()
    await expect(page.get_by_test_id("batch-message")).to_contain_text("完成 1 件，未完成 2 件")
    await expect(page.locator(f"[data-testid=opinion-row][data-id='{made[0]['id']}']")).to_have_attribute("data-status", "assigned")
    # a row still opens the detail sheet
    await page.locator(f"[data-testid=opinion-row][data-id='{made[0]['id']}']").click()
    await expect(page.get_by_test_id("opinion-detail")).to_have_attribute("data-status", "assigned")
    await ctx.close()
