"""End to end: the pages work under the hub's Content-Security-Policy (no
violation reported), and the station page talks to no other server, even when
its address names one (``?hub=``, issue 8 item 2)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import socketio
from aiohttp import web
from playwright.async_api import Page

from tests.browser import HubProcess, autojoin

pytestmark = pytest.mark.browser

#: Collects what the browser reports as blocked by the policy.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
async def hub(tmp_path):
    hub = HubProcess(tmp_path / "var")
    hub.create_account("csp-admin", "Csp-admin-password-1", "administrator")
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])


@pytest.fixture
async def elsewhere():
    """Another server that a crafted link points the page at: it records
    every HTTP request and every Socket.IO event it receives."""
    seen: list[Any] = []
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")

    @sio.on("*")
    async def any_event(event, sid, data=None):
        seen.append(("event", event))
        return {"ok": True}

    @sio.on("connect")
    async def connect(sid, environ, auth=None):
        seen.append(("connect", environ.get("HTTP_ORIGIN")))

    @web.middleware
    async def record(request, handler):
        seen.append(("http", request.method, request.path))
        return await handler(request)

    app = web.Application(middlewares=[record])
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def violations(page: Page) -> list[str]:
    return await page.evaluate("window.__cspViolations")


async def wait_until(page: Page, expression: str, timeout: float = 20) -> None:
    """Poll ``expression`` from here: Playwright's wait_for_function needs
    eval in the page, which the policy under test forbids."""
    for _ in range(int(timeout * 10)):
        if await page.evaluate(expression):
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"not true after {timeout} s: {expression}")


async def test_the_station_page_ignores_hub_and_works_under_the_policy(hub, elsewhere, browser):
    other, seen = elsewhere
    context = await browser.new_context(bypass_csp=False)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    link = autojoin(hub.link("demo", "xucun"))
    base, _, fragment = link.partition("#")
    response = await page.goto(f"{base}&hub={other}#{fragment}")
    assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    await wait_until(page, "!!window.hubClient && window.hubClient.state === 'live'")
    await wait_until(page, "!!window.hubClient.publishPc && window.hubClient.publishPc.connectionState === 'connected'")
    await page.wait_for_timeout(1000)
    assert seen == []  # no join token, offer or candidate went elsewhere
    assert await violations(page) == []
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    # Even a script that tried would be stopped by the policy.
    blocked = await page.evaluate(f"fetch('{other}/x').then(() => 'sent', () => 'blocked')")
    assert blocked == "blocked" and seen == []
    assert any("connect-src" in v for v in await violations(page))
    await context.close()


async def test_the_console_works_under_the_policy(hub, browser):
    context = await browser.new_context(bypass_csp=False)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    await page.goto(hub.url + "/console")
    await page.get_by_test_id("login-username").fill("csp-admin")
    await page.get_by_test_id("login-password").fill("Csp-admin-password-1")
    await page.get_by_test_id("login-submit").click()
    await page.get_by_test_id("logout").wait_for(timeout=15_000)
    await page.wait_for_timeout(1000)
    # The opinion database and its reports set styles from script.
    await page.goto(hub.url + "/console#opinions")
    await page.get_by_test_id("opinion-total").wait_for(timeout=15_000)
    await page.wait_for_timeout(1000)
    assert await violations(page) == []
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    # The API's own documentation page runs its inline script and style by their hashes.
    await page.goto(hub.url + "/api/docs")
    await wait_until(page, "document.querySelectorAll('details').length > 10")
    assert await page.evaluate("getComputedStyle(document.body).maxWidth") == "1120px"  # 70rem: the style applied
    assert await violations(page) == []
    await context.close()
