"""End to end, on a phone viewport in real headless Chromium against a real
hub: the department's page (/department, issue 13).

The administrator opens an account for 许村镇党政办公室; the town's
dispatcher assigns two opinions to it (REST). The department logs in, sees
both; returns one (退回: an empty reason is refused and nothing is lost, then
with the reason it leaves the list); accepts the other and answers it with a
photo attached. The dispatcher reads the answer, the attachment and the
return's reason in the timelines (REST).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess, api_json as api, png_bytes

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




async def test_department_returns_one_and_answers_another(hub, browser):
    admin = api(hub, "/auth/login", body={"username": ADMIN[0], "password": ADMIN[1]})["token"]
    api(hub, "/accounts", admin, {"username": DEPARTMENT[0], "password": DEPARTMENT[1], "role": "department",
                                  "department": "xucun-office"})
    disp = api(hub, "/auth/login", body={"username": DISPATCHER[0], "password": DISPATCHER[1]})["token"]
    ids = {}
    for summary in ("河道垃圾", "路灯损坏"):
        made = api(hub, "/opinions", disp, {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "13",
                                            "requestType": "complaint", "summary": summary, "residentName": "王阿姨"})
        api(hub, f"/opinions/{made['id']}/actions", disp, {"action": "accept"})
        api(hub, f"/opinions/{made['id']}/actions", disp, {"action": "assign", "level": "town", "department": "xucun-office"})
        ids[summary] = made["id"]

    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, **PHONE_VIEWPORT)  # under the hub's CSP
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(hub.url + "/department")
    await page.get_by_test_id("login-username").fill(DEPARTMENT[0])
    await page.get_by_test_id("login-password").fill(DEPARTMENT[1])
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("dept-name")).to_have_text("许村镇党政办公室")
    await expect(page.get_by_test_id("dept-item")).to_have_count(2)
    await expect(page.get_by_test_id("dept-item").first.get_by_test_id("dept-item-due")).to_contain_text("个工作日")

    # --- 退回: the reason is required, then the item leaves the list
    await page.locator(f"[data-testid=dept-item][data-id='{ids['河道垃圾']}']").click()
    await page.get_by_test_id("dept-return").click()
    await page.get_by_test_id("step-confirm").click()
    await expect(page.get_by_test_id("step-error")).to_have_text("请填写理由")
    await page.get_by_test_id("step-note").fill("河道保洁属市河长办，不属本单位")
    await page.get_by_test_id("step-confirm").click()
    await expect(page.get_by_test_id("item-detail")).to_have_attribute("data-status", "returned")
    await page.get_by_test_id("item-back").click()
    await expect(page.get_by_test_id("dept-item")).to_have_count(1)

    # --- accept the other, answer it with a photo attached
    await page.get_by_test_id("dept-item").first.click()
    await page.get_by_test_id("dept-start").click()
    await expect(page.get_by_test_id("item-detail")).to_have_attribute("data-status", "in_progress")
    await page.get_by_test_id("dept-answer").click()
    await page.get_by_test_id("step-note").fill("已更换灯具")
    await page.get_by_test_id("step-confirm").click()
    await expect(page.get_by_test_id("step-error")).to_contain_text("答复类别")  # no grade yet: refused, text kept
    await expect(page.get_by_test_id("step-note")).to_have_value("已更换灯具")
    await page.get_by_test_id("step-grade").select_option("A")
    await page.get_by_test_id("step-file").set_input_files(files=[{"name": "lamp.png", "mimeType": "image/png",
                                                                   "buffer": png_bytes((64, 48), (30, 120, 60))}])
    await expect(page.get_by_test_id("step-photos")).to_have_attribute("data-count", "1")
    await page.get_by_test_id("step-confirm").click()
    await expect(page.get_by_test_id("item-detail")).to_have_attribute("data-status", "answered")
    await page.get_by_test_id("tab-done").click()
    await expect(page.locator(f"[data-testid=dept-item][data-id='{ids['路灯损坏']}']")).to_have_attribute("data-status", "answered")

    # --- the dispatcher reads both
    answered = api(hub, f"/opinions/{ids['路灯损坏']}", disp)
    assert answered["timeline"][-1]["payload"]["answer"] == "已更换灯具" and answered["timeline"][-1]["actorRole"] == "department"
    assert len(answered["photos"]) == 1
    returned = api(hub, f"/opinions/{ids['河道垃圾']}", disp)
    assert returned["status"] == "returned" and returned["timeline"][-1]["note"] == "河道保洁属市河长办，不属本单位"
    await ctx.close()
