"""First start (issue 14): ``liaison-hub serve`` ends with the addresses a
newcomer needs and, while no account exists, a one-time link that creates the
administrator; ``/console`` shows it on the hub's machine, and the link's form
creates the administrator once.  From the printed lines alone to a console and
a live station page."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.async_api import expect

from core.firststart import setup_token, setup_token_matches, start_lines
from tests.browser import HubProcess, autojoin


def test_the_token_belongs_to_the_key_and_the_lines_name_every_address() -> None:
    a, b = setup_token(b"a" * 32), setup_token(b"b" * 32)
    assert a != b and len(a) >= 20 and setup_token_matches(b"a" * 32, a) and not setup_token_matches(b"b" * 32, a)
    lines = start_lines("http://h:1", b"a" * 32, False, "http://h:1/join/demo#token=t", "xucun")
    assert [line.split(": ", 1)[1].strip() for line in lines] == [
        f"http://h:1/console#setup={a}", "http://h:1/console", "http://h:1/join/demo#token=t", "http://h:1/api/docs",
    ]
    assert not any("setup" in line for line in start_lines("http://h:1", b"a" * 32, True, None))


def call(hub: HubProcess, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(hub.url + "/api" + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def printed(hub: HubProcess) -> dict[str, str]:
    """The addresses of the start lines, by the start of their label."""
    out = {}
    for line in hub.log().splitlines():
        m = re.match(r"^  (.+?): +(http\S+)$", line)
        if m:
            out[m.group(1).split(" (")[0].split(",")[0]] = m.group(2)
    return out


@pytest.fixture
def fresh_hub(tmp_path):
    hub = HubProcess(tmp_path / "var", fresh=True).start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-4000:])


def test_a_fresh_hub_prints_its_addresses_and_the_link_creates_the_administrator_once(fresh_hub) -> None:
    hub = fresh_hub
    lines = printed(hub)
    assert lines["create the administrator"] == f"{hub.url}/console#setup=" + lines["create the administrator"].split("=")[-1]
    assert lines["console"] == f"{hub.url}/console"
    assert lines["demo session"].startswith(f"{hub.url}/join/demo#token=")
    assert lines["REST API"] == f"{hub.url}/api/docs"
    token = lines["create the administrator"].split("#setup=")[1]

    # the console asks, from this machine, and is given the same link
    assert call(hub, "GET", "/setup") == (200, {"needed": True, "link": lines["create the administrator"]})
    status, body = call(hub, "POST", "/setup", {"token": token + "x", "username": "admin", "password": "Admin-pass-1"})
    assert status == 403 and body["error"]["reason"] == "setup_link_invalid"
    status, body = call(hub, "POST", "/setup", {"token": token, "username": "admin", "password": "short"})
    assert status == 400 and body["error"]["reason"] == "password_too_short"
    status, body = call(hub, "POST", "/setup", {"token": token, "username": "admin", "password": "Admin-pass-1",
                                                "displayName": "系统管理员"})
    assert status == 201 and body["role"] == "administrator" and body["displayName"] == "系统管理员"
    # once: the link creates nothing more, and the console no longer offers it
    status, body = call(hub, "POST", "/setup", {"token": token, "username": "admin2", "password": "Admin-pass-1"})
    assert status == 403 and body["error"]["reason"] == "setup_done"
    assert call(hub, "GET", "/setup") == (200, {"needed": False, "link": None})
    assert call(hub, "POST", "/auth/login", {"username": "admin", "password": "Admin-pass-1"})[0] == 200


def test_a_hub_with_an_account_prints_no_setup_link(tmp_path) -> None:
    hub = HubProcess(tmp_path / "var")
    hub.create_account("admin", "Admin-pass-1", "administrator")
    hub.start()
    try:
        lines = printed(hub)
        assert "create the administrator" not in lines and lines["console"] == f"{hub.url}/console"
        assert call(hub, "GET", "/setup") == (200, {"needed": False, "link": None})
    finally:
        hub.stop()


@pytest.mark.browser
async def test_from_the_printed_lines_to_a_console_and_a_live_page(fresh_hub, browser) -> None:
    hub = fresh_hub
    lines = printed(hub)
    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 820})
    page = await ctx.new_page()
    await page.goto(lines["console"])
    await expect(page.get_by_test_id("setup-notice")).to_be_visible()
    await page.get_by_test_id("setup-link").click()
    await expect(page.get_by_test_id("setup-form")).to_be_visible()
    await page.get_by_test_id("setup-password").fill("Admin-pass-1")
    await page.get_by_test_id("setup-password-again").fill("Admin-pass-2")
    await page.get_by_test_id("setup-submit").click()
    await expect(page.get_by_test_id("setup-error")).to_contain_text("不一致")
    await page.get_by_test_id("setup-password-again").fill("Admin-pass-1")
    await page.get_by_test_id("setup-submit").click()
    await expect(page.get_by_test_id("logout")).to_be_visible(timeout=15_000)  # signed in as the new administrator
    assert await page.evaluate("window.consoleApp.account().role") == "administrator"
    assert "#setup" not in page.url
    # the demo session's printed link opens a live station page
    station = await ctx.new_page()
    await station.goto(autojoin(lines["demo session"]))
    await station.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
    await ctx.close()
