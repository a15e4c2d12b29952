"""End to end: the join page before joining, in real headless Chromium against a real hub.

A station opens its join link before the meeting's lobby opens: the page names the
meeting, its time in Beijing time, the station joining and the convening unit, and waits
in the 等候室 (Join disabled) with the device check running (microphone level, speaker
test sound, network verdict); when the lobby opens it enters by itself, no click and no
reload.  A cancelled meeting's link says so.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from core import tokens
from tests.browser import HubProcess

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOBBY_AFTER_SECONDS = 30
PASSWORD = "Haining-dispatch-1"


@pytest.fixture
async def early_hub(tmp_path):
    """A hub whose lobby opens LOBBY_AFTER_SECONDS after its start for a meeting that starts
    at the next whole minute + 3 (the scheduler ticks fast)."""
    now = datetime.now(SHANGHAI)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=3)
    lobby_minutes = (start - (now + timedelta(seconds=LOBBY_AFTER_SECONDS))).total_seconds() / 60
    hub = HubProcess(tmp_path / "var", env={
        "LIAISON_HUB_SCHEDULER__TICK_SECONDS": "0.5",
        "LIAISON_HUB_SCHEDULER__LOBBY_MINUTES": f"{lobby_minutes:.4f}",
    })
    hub.create_account("haining-disp", PASSWORD, "dispatcher", "haining")
    hub.start()
    hub.session_start = start  # type: ignore[attr-defined]
    hub.lobby_opens = start - timedelta(minutes=lobby_minutes)  # type: ignore[attr-defined]
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])


def _call(hub: HubProcess, method: str, path: str, body=None, token=None):
    req = urllib.request.Request(hub.url + "/api" + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


async def test_the_waiting_room_names_the_meeting_and_enters_by_itself_when_the_lobby_opens(early_hub, browser):
    hub = early_hub
    token = _call(hub, "POST", "/auth/login", {"username": "haining-disp", "password": PASSWORD})["token"]
    start: datetime = hub.session_start  # type: ignore[attr-defined]
    made = _call(hub, "POST", "/sessions", {
        "title": "许村、长安民情恳谈", "chair": "haining", "stations": ["xucun", "changan"],
        "start": start.isoformat(), "end": (start + timedelta(minutes=45)).isoformat(),
    }, token)
    later = start + timedelta(days=2)
    cancelled = _call(hub, "POST", "/sessions", {
        "title": "取消的会议", "chair": "haining", "stations": ["xucun"],
        "start": later.isoformat(), "end": (later + timedelta(minutes=30)).isoformat(),
    }, token)
    _call(hub, "POST", f"/sessions/{cancelled['id']}/cancel", {"version": cancelled["version"]}, token)

    context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 850})
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[station] {m.text}"))
    assert time.time() < hub.lobby_opens.timestamp() - 5, "the lobby opened before the page could wait"  # type: ignore[attr-defined]
    await page.goto(hub.link(str(made["id"]), "xucun"))

    await expect(page.get_by_test_id("prejoin-session")).to_have_text("许村、长安民情恳谈")
    await expect(page.get_by_test_id("prejoin-when")).to_contain_text(f"{start:%H:%M}–{start + timedelta(minutes=45):%H:%M}")
    await expect(page.get_by_test_id("prejoin-when")).to_contain_text("北京时间")
    await expect(page.get_by_test_id("prejoin-who")).to_contain_text("许村")
    await expect(page.get_by_test_id("prejoin-unit")).to_contain_text("海宁")
    waiting = page.get_by_test_id("waiting-room")
    await expect(waiting).to_be_visible()
    await expect(waiting).to_contain_text("等候室")
    await expect(waiting).to_contain_text(f"{start:%H:%M}")
    await expect(page.get_by_test_id("join-button")).to_be_disabled()

    # the device check while waiting: the fake microphone moves the meter, the network verdict is plain
    await page.wait_for_function(
        "Number(document.querySelector('[data-testid=mic-meter]').dataset.level) > 0.05", timeout=10_000)
    result = page.get_by_test_id("net-result")
    await expect(result).to_have_attribute("data-verdict", "good", timeout=15_000)
    assert int(await result.get_attribute("data-rtt") or "-1") >= 0
    await expect(result).to_contain_text("网络良好")
    await page.get_by_test_id("speaker-test").click()
    await expect(page.get_by_test_id("speaker-test")).to_have_attribute("data-playing", "false", timeout=5000)
    assert await page.evaluate("document.body.dataset.state") == "prejoin"

    # the lobby opens: live without a click
    wait_ms = max(0.0, hub.lobby_opens.timestamp() - time.time()) * 1000 + 20_000  # type: ignore[attr-defined]
    await page.wait_for_function("document.body.dataset.state === 'live'", timeout=wait_ms)
    assert await page.evaluate("window.hubClient.waitingRoom") is True
    assert time.time() >= hub.lobby_opens.timestamp() - 1.5  # type: ignore[attr-defined]

    # 延长会议 from the dispatcher's console: the meeting ends 15 minutes later (REST, conflicts checked)
    var = Path(hub.env["LIAISON_HUB_VAR_DIR"])
    with sqlite3.connect(var / "hub.db") as db:
        (account_id,) = db.execute("SELECT id FROM account WHERE username = 'haining-disp'").fetchone()
    console_token = tokens.sign((var / "secret.key").read_bytes(), str(made["id"]), f"account:{account_id}",
                                "dispatcher", 600)
    console = await context.new_page()
    await console.goto(f"{hub.url}/join/{made['id']}?autojoin=1&camera=0&mic=0#token={console_token}")
    await expect(console.get_by_test_id("cp-extend")).to_be_visible(timeout=20_000)
    await console.get_by_test_id("cp-extend").click()
    status = console.get_by_test_id("cp-extend-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=10_000)
    new_end = start + timedelta(minutes=45 + 15)
    await expect(status).to_contain_text(f"{new_end:%H:%M}")
    assert datetime.fromisoformat(_call(hub, "GET", f"/sessions/{made['id']}", None, token)["end"]) == new_end

    # a cancelled meeting's link says so and offers no Join
    other = await context.new_page()
    await other.goto(hub.link(str(cancelled["id"]), "xucun"))
    over = other.get_by_test_id("session-over")
    await expect(over).to_have_attribute("data-state", "cancelled")
    await expect(over).to_contain_text("已取消")
    await expect(other.get_by_test_id("waiting-room")).to_be_hidden()
    await expect(other.get_by_test_id("join-button")).to_be_disabled()
    await context.close()
