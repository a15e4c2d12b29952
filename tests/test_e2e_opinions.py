"""End to end: the console's 民情 section (/console#opinions) in real headless
Chromium against a real hub.

(a) A dispatcher captures an opinion in the console's form; it appears in the
    民情数据库; it is accepted and assigned to a department; the timeline shows
    the steps; (c) the reports view counts it for the period and ranks its
    category.
(b) Offline (context.set_offline): the capture and its photo are queued in the
    page (the entry in localStorage, the photo in IndexedDB; pending count 1,
    nothing on the server); back online both are sent exactly once.
(d) Live: an opinion taken in a station's live page during a scheduled session is
    stored with its time into the session, appears at once in a dispatcher's live
    console, and its assignment to a department shows in the console's 部门通知
    page, all without a reload.

Set OPINION_SCREENSHOTS=/some/dir to keep screenshots (desktop and phone).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser import HubProcess

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ["OPINION_SCREENSHOTS"]) if os.environ.get("OPINION_SCREENSHOTS") else None
ACCOUNTS = {"haining-disp": ("dispatcher", "haining", "Haining-dispatch-1")}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
async def hub(tmp_path):
    # a one-second scheduler tick: a session scheduled by a test opens at once
    hub = HubProcess(tmp_path / "var", env={"LIAISON_HUB_SCHEDULER__TICK_SECONDS": "1"})
    for username, (role, station, password) in ACCOUNTS.items():
        hub.create_account(username, password, role, station)
    hub.start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-8000:])




def api(hub: HubProcess, path: str, token: str | None = None, body: dict | None = None) -> dict:
    """GET (or POST with ``body``) /api{path} and its JSON reply."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(hub.url + "/api" + path, data=data, headers=headers, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def token_of(hub: HubProcess, username: str) -> str:
    return api(hub, "/auth/login", body={"username": username, "password": ACCOUNTS[username][2]})["token"]


def opinions_with(hub: HubProcess, token: str, summary: str) -> list[dict]:
    items = api(hub, "/opinions?" + urllib.parse.urlencode({"q": summary, "limit": 200}), token)["items"]
    return [o for o in items if o["summary"] == summary]


async def shot(page: Page, name: str, full: bool = False) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)


async def login_to_opinions(page: Page, hub: HubProcess, username: str) -> None:
    await page.goto(hub.url + "/console#opinions")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(ACCOUNTS[username][2])
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("opinions-page")).to_be_visible()
    await expect(page.get_by_test_id("nav-opinions")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("opinion-total")).to_contain_text(re.compile("共|in all"))


async def fill_capture(page: Page, summary: str, resident: str = "王大伯") -> None:
    await page.get_by_test_id("new-opinion").click()
    await expect(page.get_by_test_id("capture-sheet")).to_be_visible()
    await expect(page.get_by_test_id("capture-category")).to_be_visible()
    await page.get_by_test_id("capture-resident-name").fill(resident)
    await page.get_by_test_id("capture-resident-contact").fill("138-0000-0000")
    await page.get_by_test_id("capture-station").select_option("xucun")
    await page.get_by_test_id("capture-category").select_option("08")
    await page.locator("[data-testid=capture-request-type] [data-code=suggestion]").click()
    await page.get_by_test_id("capture-summary").fill(summary)
    await page.get_by_test_id("capture-details").fill("许村镇村口道路两侧乱停车，早晚高峰通行困难，建议划定停车位。")


async def test_capture_assign_timeline_and_reports(hub, browser):
    ctx = await browser.new_context(locale="zh-CN", **DESKTOP)
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await login_to_opinions(page, hub, "haining-disp")

    # --- (a) capture in the console form
    summary = f"村口停车难 {uuid.uuid4().hex[:6]}"
    await fill_capture(page, summary)
    await shot(page, "capture-desktop")
    await page.get_by_test_id("capture-submit").click()
    await expect(page.get_by_test_id("capture-message")).to_contain_text(re.compile("已提交|Submitted"))
    await expect(page.get_by_test_id("capture-pending")).to_have_attribute("data-count", "0")
    await page.get_by_test_id("sheet-close").click()

    # it is in the 民情数据库 (the list refreshes when the queue reports it sent)
    row = page.get_by_test_id("opinion-row").filter(has_text=summary)
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-status", "submitted")
    await expect(row.get_by_test_id("opinion-row-raiser")).to_have_text("王大伯")  # the name, not the contact
    [listed] = opinions_with(hub, token_of(hub, "haining-disp"), summary)
    await expect(row.get_by_test_id("opinion-row-reference")).to_have_text(listed["reference"])
    await page.get_by_test_id("opinion-search").fill(summary[-6:])
    await expect(page.get_by_test_id("opinion-row")).to_have_count(1)
    await shot(page, "list-desktop")

    # --- accept, then assign to the town's office (level + department)
    await row.click()
    detail = page.get_by_test_id("opinion-detail")
    await expect(page.get_by_test_id("opinion-sheet").locator(".op-sheet-title")).to_have_text(f"民情 {listed['reference']}")
    await expect(detail).to_have_attribute("data-status", "submitted")
    await detail.locator("[data-testid=action-button][data-action=accept]").click()
    await detail.get_by_test_id("action-confirm").click()
    await expect(detail).to_have_attribute("data-status", "accepted")
    await detail.locator("[data-testid=action-button][data-action=assign]").click()
    await detail.get_by_test_id("assign-level").select_option("town")
    await detail.get_by_test_id("assign-department").select_option("xucun-office")
    await detail.get_by_test_id("action-note").fill("请许村镇核实并划定停车位")
    await detail.get_by_test_id("action-confirm").click()
    await expect(detail).to_have_attribute("data-status", "assigned")
    entries = detail.get_by_test_id("timeline-entry")
    await expect(entries).to_have_count(3)
    await expect(entries.nth(0)).to_have_attribute("data-action", "submit")
    await expect(entries.nth(2)).to_have_attribute("data-action", "assign")
    await expect(entries.nth(2)).to_contain_text("许村镇党政办公室")
    # the actions offered now follow the state: an assigned opinion can be started or returned, not accepted
    await expect(detail.locator("[data-testid=action-button][data-action=start]")).to_have_count(1)
    await expect(detail.locator("[data-testid=action-button][data-action=accept]")).to_have_count(0)
    await shot(page, "detail-desktop")
    await page.get_by_test_id("sheet-close").click()
    await expect(row).to_have_attribute("data-status", "assigned")

    # --- (c) the reports view for this month counts it and ranks its category
    await page.get_by_test_id("tab-reports").click()
    await expect(page.get_by_test_id("stats")).to_have_attribute("data-loaded", "true")
    await expect(page.get_by_test_id("stat-received")).to_have_attribute("data-value", "1")
    await expect(page.locator("[data-testid=ranking-chart] g[data-category='08']")).to_have_attribute("data-count", "1")
    href = await page.get_by_test_id("download-hot-topics").get_attribute("href")
    assert href and href.startswith("/api/reports/hot-topics.xlsx?from=")
    await shot(page, "reports-desktop", full=True)

    # --- the duty form offers the manual kinds of configs/scoring.yaml (GET /api/duty/kinds)
    await page.get_by_test_id("tab-duty").click()
    await expect(page.locator("[data-testid=manual-kind] option")).to_have_count(4)
    await expect(page.locator("[data-testid=manual-kind] option[value=station_reception]")).to_contain_text("进站接待选民")
    # a record the dispatcher entered itself waits for another account's approval: its button is off (issue 8)
    disp = token_of(hub, "haining-disp")
    host = api(hub, "/deputies", disp, {"name": "陆卫东", "level": "haining", "station": "xucun"})
    api(hub, "/duty/records", disp, {"deputyId": host["id"], "kind": "station_reception", "occasion": "reception:e2e",
                                     "occurredAt": datetime.now(timezone.utc).isoformat()})
    await page.evaluate("window.consoleApp.reload()")
    pending = page.get_by_test_id("duty-pending")
    await expect(pending).to_have_count(1)
    await expect(pending.get_by_test_id("duty-approve")).to_be_disabled()
    await expect(pending.get_by_test_id("duty-reject")).to_be_enabled()

    if SCREENSHOTS:  # the same screens on a phone
        phone = await browser.new_context(locale="zh-CN", **PHONE, storage_state=await ctx.storage_state())
        p = await phone.new_page()
        await p.goto(hub.url + "/console#opinions/list")
        await expect(p.get_by_test_id("opinion-row")).to_have_count(1)
        await shot(p, "list-phone")
        await p.get_by_test_id("opinion-row").first.click()
        await expect(p.get_by_test_id("timeline-entry")).to_have_count(3)
        await shot(p, "detail-phone")
        await p.get_by_test_id("sheet-close").click()
        await p.get_by_test_id("new-opinion").click()
        await expect(p.get_by_test_id("capture-category")).to_be_visible()
        await shot(p, "capture-phone")
        await p.get_by_test_id("sheet-close").click()
        await p.get_by_test_id("tab-reports").click()
        await expect(p.get_by_test_id("stats")).to_have_attribute("data-loaded", "true")
        await shot(p, "reports-phone", full=True)
        await p.get_by_test_id("tab-duty").click()
        await expect(p.get_by_test_id("duty-manual")).to_be_visible()
        await shot(p, "duty-phone", full=True)
        await phone.close()

    # --- an opinion a deputy raised shows the deputy's name in its row
    token = token_of(hub, "haining-disp")
    deputy = api(hub, "/deputies", token, {"name": "沈建国", "level": "haining", "station": "xucun"})
    raised = f"河道保洁 {uuid.uuid4().hex[:6]}"
    api(hub, "/opinions", token, {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "13",
                                  "requestType": "suggestion", "summary": raised, "deputyId": deputy["id"]})
    await page.get_by_test_id("tab-list").click()
    await page.get_by_test_id("opinion-search").fill(raised[-6:])
    deputy_row = page.get_by_test_id("opinion-row").filter(has_text=raised)
    await expect(deputy_row).to_have_count(1, timeout=5_000)
    await expect(deputy_row.get_by_test_id("opinion-row-raiser")).to_have_text("代表 沈建国")
    await expect(deputy_row.get_by_test_id("opinion-row-raiser")).to_have_attribute("data-raised-by", "deputy")
    await ctx.close()


def png(width: int, height: int) -> bytes:
    """A solid-colour RGB PNG (a stand-in for a camera's photo)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((200, 60, 40)) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


#: The queue's photos in the page's IndexedDB: [{clientKey, position, size, type}].
STORED_PHOTOS = """async () => {
    const db = await new Promise((ok, fail) => {
        const r = indexedDB.open('liaisonHub.opinionPhotos'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
    });
    const all = await new Promise((ok, fail) => {
        const q = db.transaction('photos').objectStore('photos').getAll(); q.onsuccess = () => ok(q.result); q.onerror = () => fail(q.error);
    });
    db.close();
    return all.map(p => ({clientKey: p.clientKey, position: p.position, size: p.blob.size, type: p.blob.type}));
}"""


async def test_offline_capture_is_queued_and_sent_once(hub, browser):
    token = token_of(hub, "haining-disp")
    ctx = await browser.new_context(locale="zh-CN", **DESKTOP)
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
    await login_to_opinions(page, hub, "haining-disp")
    summary = f"河道漂浮物 {uuid.uuid4().hex[:6]}"
    await fill_capture(page, summary, resident="李阿姨")
    # a photo, shrunk by the page to a JPEG of at most 1600 px
    await page.get_by_test_id("capture-file").set_input_files(
        files=[{"name": "river.png", "mimeType": "image/png", "buffer": png(2400, 1800)}])
    await expect(page.get_by_test_id("capture-photos")).to_have_attribute("data-count", "1")

    # --- offline: kept in the page, nothing reaches the hub
    await ctx.set_offline(True)
    await page.get_by_test_id("capture-submit").click()
    pending = page.get_by_test_id("capture-pending")
    await expect(pending).to_have_attribute("data-count", "1")
    await expect(pending).to_have_attribute("data-state", "offline")
    raw = await page.evaluate("localStorage.getItem('liaisonHub.opinionQueue.v1')")
    queued = json.loads(raw)
    assert len(queued) == 1 and queued[0]["body"]["summary"] == summary
    assert uuid.UUID(queued[0]["clientKey"])
    # the entry stays small in localStorage; the photo is a Blob in IndexedDB
    assert queued[0]["photoCount"] == 1 and "photos" not in queued[0] and len(raw) < 2000
    photos = await page.evaluate(STORED_PHOTOS)
    assert [(p["clientKey"], p["position"], p["type"]) for p in photos] == [(queued[0]["clientKey"], 0, "image/jpeg")]
    assert photos[0]["size"] > 1000
    await page.wait_for_timeout(500)
    assert opinions_with(hub, token, summary) == []
    await shot(page, "capture-offline")

    # --- back online: sent at once (the `online` event), exactly once
    await ctx.set_offline(False)
    await expect(pending).to_have_attribute("data-count", "0", timeout=10_000)
    await expect(page.get_by_test_id("capture-message")).to_contain_text(re.compile("已提交|Submitted"))
    sent = opinions_with(hub, token, summary)
    assert len(sent) == 1, sent
    assert sent[0]["clientKey"] == queued[0]["clientKey"]
    # a retry of the same capture (a lost reply) is the same opinion, not a copy
    again = api(hub, "/opinions", token, queued[0]["body"])
    assert again["id"] == sent[0]["id"] and again["replayed"] is True
    assert len(opinions_with(hub, token, summary)) == 1
    assert await page.evaluate("localStorage.getItem('liaisonHub.opinionQueue.v1')") is None
    # the photo went with it, once, as the JPEG the page kept; the device keeps no copy
    detail = api(hub, f"/opinions/{sent[0]['id']}", token)
    assert [(p["position"], p["contentType"], p["size"]) for p in detail["photos"]] == [(0, "image/jpeg", photos[0]["size"])]
    request = urllib.request.Request(hub.url + detail["photos"][0]["url"], headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        jpeg = r.read()
    assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) == photos[0]["size"]
    assert await page.evaluate(STORED_PHOTOS) == []
    await ctx.close()


def wait_for_link(hub: HubProcess, path: str, token: str, timeout: float = 15) -> str:
    """A join link as soon as the session has opened (409 session_closed before)."""
    import time
    from urllib.error import HTTPError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return api(hub, path, token)["url"]
        except HTTPError as exc:
            if exc.code != 409 or time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def with_query(link: str, query: str) -> str:
    base, _, fragment = link.partition("#")
    return f"{base}?{query}#{fragment}"


async def test_a_live_opinion_reaches_the_console_at_once_and_its_assignment_the_department(hub, browser):
    import time
    from datetime import datetime, timedelta, timezone

    token = token_of(hub, "haining-disp")
    start = (datetime.now(timezone.utc) + timedelta(seconds=3)).replace(microsecond=0)
    session = api(hub, "/sessions", token, {
        "title": "许村、长安民情联动", "chair": "haining", "stations": ["xucun", "changan"],
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
    })
    number = session["id"]

    # the department's notices page (the console, logged in), following the hub's news
    office = await browser.new_context(locale="zh-CN", **DESKTOP)
    notices = await office.new_page()
    notices.on("console", lambda m: m.type == "error" and print(f"[notices] {m.text}"))
    await login_to_opinions(notices, hub, "haining-disp")
    await notices.get_by_test_id("tab-notices").click()
    await notices.get_by_test_id("notices-department").select_option("xucun-office")
    await expect(notices.get_by_test_id("opinions-live")).to_have_attribute("data-state", "open")
    await expect(notices.get_by_test_id("notice")).to_have_count(0)

    # the dispatcher's live console and the station, both in the session
    console_link = wait_for_link(hub, f"/sessions/{number}/console-link", token)
    station_link = wait_for_link(hub, f"/sessions/{number}/join-link?station=xucun", token)
    pages = {}
    for name, link in (("console", with_query(console_link, "autojoin=1&camera=0&mic=0")),
                       ("station", with_query(station_link, "autojoin=1"))):
        ctx = await browser.new_context(locale="zh-CN", **DESKTOP)
        page = await ctx.new_page()
        page.on("console", lambda m, n=name: m.type == "error" and print(f"[{n}] {m.text}"))
        await page.goto(link)
        await page.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
        pages[name] = page
    console, station = pages["console"], pages["station"]
    assert await console.evaluate("window.hubClient.self.role") == "dispatcher"
    await expect(console.get_by_test_id("cp-opinions")).to_be_visible()
    await expect(console.get_by_test_id("cp-opinion")).to_have_count(0)
    # markers that a reload would wipe
    for page in (console, notices):
        await page.evaluate("window.__noReload = true")
    while datetime.now(timezone.utc) < start + timedelta(seconds=2):
        await station.wait_for_timeout(200)

    # --- the station takes an opinion in its 民情 drawer
    summary = f"夜间渣土车噪声 {uuid.uuid4().hex[:6]}"
    await station.get_by_test_id("opinion-button").click()
    await expect(station.get_by_test_id("capture-category")).to_be_visible()
    await station.get_by_test_id("capture-resident-name").fill("周阿姨")
    await station.get_by_test_id("capture-category").select_option("11")
    await station.locator("[data-testid=capture-request-type] [data-code=complaint]").click()
    await station.get_by_test_id("capture-summary").fill(summary)
    submitted = time.time()
    await station.get_by_test_id("capture-submit").click()
    await expect(station.get_by_test_id("capture-pending")).to_have_attribute("data-count", "0", timeout=10_000)

    # stored with its time into the session
    [stored] = opinions_with(hub, token, summary)
    assert stored["sessionId"] == number and stored["station"] == "xucun"
    expected = submitted - start.timestamp()
    assert stored["sessionOffset"] is not None and abs(stored["sessionOffset"] - expected) <= 3, (stored, expected)

    # --- at once in the dispatcher's live console, with that offset
    item = console.get_by_test_id("cp-opinion").filter(has_text=summary)
    await expect(item).to_have_count(1, timeout=5_000)
    await expect(item).to_have_attribute("data-opinion-id", str(stored["id"]))
    await expect(item).to_have_attribute("data-offset", str(stored["sessionOffset"]))
    await expect(item).to_have_attribute("data-status", "submitted")
    await expect(item).to_contain_text("周阿姨")
    await expect(item.get_by_test_id("cp-opinion-reference")).to_have_text(stored["reference"])
    await expect(console.locator("[data-testid=toast][data-code=opinion_captured]")).to_contain_text(summary)
    await shot(console, "live-console-opinion")

    # --- assigned to the town's office (REST, as the branch's dispatcher)
    api(hub, f"/opinions/{stored['id']}/actions", token, {"action": "accept"})
    api(hub, f"/opinions/{stored['id']}/actions", token,
        {"action": "assign", "level": "town", "department": "xucun-office", "note": "请核实渣土车夜间运输"})
    await expect(item).to_have_attribute("data-status", "assigned")
    await expect(item).to_contain_text("许村镇党政办公室")

    # --- and the office's notices page shows it, without a reload
    notice = notices.locator(f"[data-testid=notice][data-opinion='{stored['id']}']")
    await expect(notice).to_have_count(1, timeout=5_000)
    await expect(notice).to_contain_text("许村镇党政办公室")
    await expect(notice).to_contain_text(summary)
    await expect(notice.get_by_test_id("notice-read")).to_be_visible()  # unread
    await shot(notices, "notices-live")
    for page in (console, notices):
        assert await page.evaluate("window.__noReload === true")

    # --- a dispatcher joining mid-way (here: the console opened again) sees what was taken before it came
    await console.context.close()
    ctx = await browser.new_context(locale="zh-CN", **DESKTOP)
    late = await ctx.new_page()
    late.on("console", lambda m: m.type == "error" and print(f"[late console] {m.text}"))
    await late.goto(with_query(console_link, "autojoin=1&camera=0&mic=0&lang=en"))
    await late.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=20_000)
    backfilled = late.get_by_test_id("cp-opinion").filter(has_text=summary)
    await expect(backfilled).to_have_count(1, timeout=5_000)
    await expect(backfilled).to_have_attribute("data-status", "assigned")
    await expect(backfilled).to_have_attribute("data-offset", str(stored["sessionOffset"]))
    # in English: the category, station and department by their English names
    await expect(backfilled).to_contain_text("Noise nuisance")
    await expect(backfilled).to_contain_text("Xucun Town Office")
    await expect(backfilled).not_to_contain_text("噪声扰民")
    for page in (late, station, notices):
        await page.context.close()


async def test_the_list_merges_pushed_news_without_reading_the_list_again(hub, browser):
    """Issue 11 (move 4): a capture or handling step pushed on the page's event
    stream updates the 民情 list by re-reading that one opinion (GET
    /api/opinions/{id}) and merging it by version; the list itself (GET
    /api/opinions?…) is never requested again for it."""
    ctx = await browser.new_context(locale="zh-CN", **DESKTOP)
    page = await ctx.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[list] {m.text}"))
    await login_to_opinions(page, hub, "haining-disp")
    await expect(page.get_by_test_id("opinions-live")).to_have_attribute("data-state", "open")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(urllib.parse.urlsplit(r.url).path + "?" + urllib.parse.urlsplit(r.url).query))

    token = token_of(hub, "haining-disp")
    summary = f"路灯不亮 {uuid.uuid4().hex[:6]}"
    stored = api(hub, "/opinions", token, {
        "clientKey": str(uuid.uuid4()), "station": "xucun", "category": "13", "requestType": "suggestion",
        "summary": summary, "residentName": "王大伯", "residentContact": "138-0000-0000"})
    row = page.get_by_test_id("opinion-row").filter(has_text=summary)
    await expect(row).to_have_count(1, timeout=5_000)
    await expect(row).to_have_attribute("data-status", "submitted")
    await expect(page.get_by_test_id("opinion-total")).to_contain_text("1")

    api(hub, f"/opinions/{stored['id']}/actions", token, {"action": "accept"})
    await expect(row).to_have_attribute("data-status", "accepted", timeout=5_000)

    listed = [u for u in requests if re.match(r"^/api/opinions\?", u)]
    one = [u for u in requests if u.startswith(f"/api/opinions/{stored['id']}?")]
    assert listed == [], requests  # the list was never read again
    assert len(one) == 2, requests  # the one opinion, once per news
    await ctx.close()
