"""End to end in real headless Chromium: the residents' page's 按位置选择
(issue 13).  With the browser's position near 长安镇 the page picks the
nearest station (haversine on the phone, coordinates from
configs/matrix.yaml); with the position refused it says so and the list
stays the way to choose.  The hub runs at http://127.0.0.1, a secure
context for browsers."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser import HubProcess

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


async def test_the_nearest_station_by_location_or_the_list(hub, browser):
    ctx = await browser.new_context(locale="zh-CN", bypass_csp=False, geolocation={"latitude": 30.466, "longitude": 120.508},
                                    permissions=["geolocation"], **PHONE_VIEWPORT)
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await page.goto(hub.url + "/liaison")
    await page.get_by_test_id("res-locate").click()
    await expect(page.get_by_test_id("res-located")).to_contain_text("长安镇新丰村")  # the room, nearer than the town
    await expect(page.get_by_test_id("res-town")).to_have_value("changan")
    await expect(page.get_by_test_id("res-station")).to_have_value("changan-xinfeng")
    await ctx.close()

    refused = await browser.new_context(locale="zh-CN", bypass_csp=False, **PHONE_VIEWPORT)  # no permission
    page = await refused.new_page()
    await page.goto(hub.url + "/liaison")
    await page.get_by_test_id("res-locate").click()
    await expect(page.get_by_test_id("res-located")).to_contain_text("请从列表中选择")
    await expect(page.get_by_test_id("res-town")).to_have_value("")
    await page.get_by_test_id("res-town").select_option("xucun")  # the list still works
    await expect(page.get_by_test_id("res-station")).to_be_visible()
    await refused.close()
