"""End to end: accessibility of the station page, the live console, the
scheduling console and the 民情 pages, in real headless Chromium (issue 14).

* axe-core (npm, ``web/node_modules/axe-core``, injected by the test: nothing
  from a CDN) finds no serious or critical violation on any of them;
* an active toggle stays readable under the pointer and after a tap on a
  phone (申请发言 → 取消申请 on a station, 点名 → 收回 on the console: the
  state's colours used to lose to the plain hover rule);
* the keyboard focus ring has at least 3:1 against what surrounds it
  (WCAG 1.4.11; the gold ring on white was 1.8:1).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from core import tokens
from tests.browser import DEVICES, ROOT, HubProcess, autojoin

pytestmark = pytest.mark.browser

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 820}
PASSWORD = "Admin-password-1"

#: Contrast of two colours as the browser computed them, the colour behind an
#: element found by walking up to the first opaque background (translucent
#: layers composited; a gradient counts by its first colour stop).
CONTRAST_JS = """
(() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const backdrop = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
      let c = parse(s.backgroundColor);
      if ((!c || c[3] === 0) && s.backgroundImage.includes("gradient")) c = parse(s.backgroundImage);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]); };
  window.__contrast = {
    text: (el) => ratio(parse(getComputedStyle(el).color), backdrop(el)),
    ring: (el) => ratio(parse(getComputedStyle(el).outlineColor), backdrop(el.parentElement || el)),
    ringWidth: (el) => parseFloat(getComputedStyle(el).outlineWidth),
  };
})();
"""


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account("admin", PASSWORD, "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])


def dispatcher_link(hub: HubProcess, session: str = "demo") -> str:
    var = Path(hub.env["LIAISON_HUB_VAR_DIR"])
    with sqlite3.connect(var / "hub.db") as db:
        (account_id,) = db.execute("SELECT id FROM account WHERE username = 'admin'").fetchone()
    token = tokens.sign((var / "secret.key").read_bytes(), session, f"account:{account_id}", "dispatcher", 3600)
    return f"{hub.url}/join/{session}?autojoin=1&camera=0&mic=0#token={token}"


def no_findings(found: dict[str, list[str]]) -> None:
    """Assert that no page had a finding, naming them all if some did."""
    bad = {page: items for page, items in found.items() if items}
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)


async def axe_findings(page: Page) -> list[str]:
    """axe-core's serious and critical violations of the page as it is now."""
    if not AXE.exists():
        pytest.fail("web/node_modules/axe-core is missing: run `npm ci` in web/ (make test does)")
    await page.add_script_tag(content=AXE.read_text())
    result = await page.evaluate(
        "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']})).violations)"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if isinstance(n["target"][0], str)
                                                                else json.dumps(n["target"]) for n in v["nodes"][:4])
        for v in json.loads(result) if v["impact"] in ("serious", "critical")
    ]


async def contrast(page: Page, selector: str, kind: str = "text") -> float:
    await page.evaluate(CONTRAST_JS)
    return await page.evaluate(f"s => window.__contrast.{kind}(document.querySelector(s))", selector)


async def focus_rings(page: Page, presses: int = 6) -> list[tuple[str, float, float]]:
    """(element, outline width, contrast) of the first elements the Tab key reaches."""
    await page.evaluate(CONTRAST_JS)
    await page.locator("body").click(position={"x": 2, "y": 2})
    out = []
    for _ in range(presses):
        await page.keyboard.press("Tab")
        out.append(await page.evaluate("""() => { const el = document.activeElement;
            if (!el || el === document.body) return null;
            return [el.tagName + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '') + '.' + el.className,
                    window.__contrast.ringWidth(el), window.__contrast.ring(el)]; }"""))
    return [tuple(x) for x in out if x]


async def test_station_page_and_live_console_are_accessible(hub, browser):
    link = hub.link("demo", "xucun")
    ctx = await browser.new_context(locale="zh-CN", viewport=DESKTOP)
    station = await ctx.new_page()
    await station.goto(autojoin(link))
    await station.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
    xucun = await station.evaluate("window.hubClient.self.id")

    # 申请发言 → 取消申请: readable with the pointer resting on it
    hand = station.get_by_test_id("hand-button")
    await hand.click()
    await expect(hand).to_have_attribute("data-state", "waiting")
    await hand.hover()
    assert await contrast(station, "[data-testid=hand-button]") >= 4.5

    console_ctx = await browser.new_context(locale="zh-CN", viewport=DESKTOP)
    console = await console_ctx.new_page()
    await console.goto(dispatcher_link(hub))
    await console.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
    # 点名 → 收回: readable with the pointer resting on it
    rollcall = console.locator(f"[data-testid=cp-row][data-participant-id='{xucun}'] [data-testid=cp-rollcall]")
    await rollcall.click()
    await expect(rollcall).to_have_class(re.compile(r"\bis-on\b"))
    await rollcall.hover()
    selector = f"[data-testid=cp-row][data-participant-id='{xucun}'] [data-testid=cp-rollcall]"
    assert await contrast(console, selector) >= 4.5

    # the 民情 drawer says whether it is open, and its capture form is checked too
    await station.get_by_test_id("opinion-button").click()
    await expect(station.get_by_test_id("opinion-drawer")).to_be_visible()
    await expect(station.get_by_test_id("opinion-button")).to_have_attribute("aria-expanded", "true")
    no_findings({name: await axe_findings(page) for name, page in (("station", station), ("live console", console))})
    for name, page in (("station", station), ("live console", console)):
        rings = await focus_rings(page)
        assert rings, name
        assert [r for r in rings if r[1] < 2 or r[2] < 3] == [], (name, rings)
    await ctx.close()
    await console_ctx.close()


async def test_a_tapped_toggle_stays_readable_on_a_phone(hub, browser):
    phone = await browser.new_context(**DEVICES["Pixel 7"], locale="zh-CN")
    page = await phone.new_page()
    await page.goto(autojoin(hub.link("demo", "changan")))
    await page.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
    hand = page.get_by_test_id("hand-button")
    await hand.tap()
    await expect(hand).to_have_attribute("data-state", "waiting")
    assert await contrast(page, "[data-testid=hand-button]") >= 4.5  # the tap leaves the button "hovered"
    no_findings({"phone": await axe_findings(page)})
    await phone.close()


async def test_console_and_opinion_pages_are_accessible(hub, browser):
    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    await page.goto(hub.url + "/console")
    await expect(page.get_by_test_id("login-username")).to_be_visible()
    found = {"login": await axe_findings(page)}
    rings = await focus_rings(page, 3)
    assert rings and [r for r in rings if r[1] < 2 or r[2] < 3] == [], rings
    await page.get_by_test_id("login-username").fill("admin")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("logout")).to_be_visible(timeout=15_000)
    await page.wait_for_timeout(500)
    found["sessions"] = await axe_findings(page)
    rings = await focus_rings(page)
    assert rings and [r for r in rings if r[1] < 2 or r[2] < 3] == [], rings

    await page.goto(hub.url + "/console#opinions")
    await expect(page.get_by_test_id("opinion-total")).to_be_visible(timeout=15_000)
    found["民情 list"] = await axe_findings(page)
    for tab in ("tab-reports", "tab-duty", "tab-notices"):
        if await page.get_by_test_id(tab).count():
            await page.get_by_test_id(tab).click()
            await page.wait_for_timeout(700)
            found[tab] = await axe_findings(page)
    no_findings(found)
    await ctx.close()
