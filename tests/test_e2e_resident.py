"""End to end, on a phone viewport in real headless Chromium against a real
hub: the residents' online liaison station (/liaison, issue 13), no login.

A resident chooses the town and its station, writes the matter with a
photo, a name and a phone number; a bad phone number is refused in Chinese
and the form keeps what was typed; the reference number comes back. The
town's dispatcher finds it with its photo in the same workflow and answers
it (REST); the resident looks it up by reference number and the last four
digits and reads the answer, the name and number masked; wrong digits are
refused.
"""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api, png_bytes

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




async def test_resident_sends_a_matter_and_follows_it(hub, browser):
    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, **PHONE_VIEWPORT)  # under the hub's CSP
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(hub.url + "/liaison")
    await page.get_by_test_id("res-town").select_option("xucun")
    await page.get_by_test_id("res-station").select_option("xucun-rongxing")
    await page.get_by_test_id("res-category").select_option("11")
    await page.get_by_test_id("res-request-type").select_option("complaint")
    await page.get_by_test_id("res-summary").fill("广场舞音响太响")
    await page.get_by_test_id("res-details").fill("每晚九点后仍在放")
    await page.get_by_test_id("res-file").set_input_files(files=[{"name": "a.png", "mimeType": "image/png", "buffer": png_bytes((80, 60), (200, 100, 0))}])
    await expect(page.get_by_test_id("res-photos")).to_have_attribute("data-count", "1")
    await page.get_by_test_id("res-name").fill("王小明")
    await page.get_by_test_id("res-phone").fill("12345")
    await page.get_by_test_id("res-send").click()
    await expect(page.get_by_test_id("res-error")).to_contain_text("11 位手机号码")
    await expect(page.get_by_test_id("res-summary")).to_have_value("广场舞音响太响")  # kept as typed
    await expect(page.get_by_test_id("res-station")).to_have_value("xucun-rongxing")
    await page.get_by_test_id("res-phone").fill("13812345678")
    await page.get_by_test_id("res-send").click()
    reference = (await page.get_by_test_id("sent-reference").text_content() or "").strip()
    assert reference.startswith("MQ")

    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    [found] = api(hub, "/opinions?" + urllib.parse.urlencode({"q": reference}), disp)["items"]
    detail = api(hub, f"/opinions/{found['id']}", disp)
    assert detail["station"] == "xucun-rongxing" and detail["residentName"] == "王小明" and len(detail["photos"]) == 1
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"},
                 {"action": "start"}, {"action": "answer", "grade": "A", "answer": "已约谈，九点后停止播放"}):
        api(hub, f"/opinions/{found['id']}/actions", disp, step)

    await page.get_by_test_id("tab-lookup").click()
    await page.get_by_test_id("lookup-reference").fill(reference)
    await page.get_by_test_id("lookup-digits").fill("0000")
    await page.get_by_test_id("lookup-submit").click()
    await expect(page.get_by_test_id("lookup-error")).to_have_attribute("data-code", "not_found")
    await expect(page.get_by_test_id("lookup-reference")).to_have_value(reference)
    await page.get_by_test_id("lookup-digits").fill("5678")
    await page.get_by_test_id("lookup-submit").click()
    result = page.get_by_test_id("lookup-result")
    await expect(result).to_have_attribute("data-status", "answered")
    await expect(result.get_by_test_id("lookup-answer")).to_contain_text("已约谈，九点后停止播放")
    await expect(result).to_contain_text("王**")
    await expect(result).to_contain_text("138****5678")
    await expect(result).not_to_contain_text("13812345678")
    await ctx.close()
