"""Recording a live session, the control side (signaling.recording): the
``record`` action, 录制中 on every page, the timeline beside the media, a
recording that stops by itself with an alert, a session scheduled to
record, the disk budget."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp

from hub.app import SCHEDULER_KEY, SIGNALING_KEY
from recordings import library
from recordings.timeline import control_changes, floor_at
import tests.test_signaling_server as server_tests
from tests.test_signaling_server import _session, dispatcher

hub = server_tests.hub  # the fixture: the hub with a recording media plane, in-process and over Redis


def only(root: Path) -> Path:
    ids = library.list_ids(root)
    assert len(ids) == 1, ids
    return root / ids[0]


def timeline(directory: Path) -> list[dict]:
    return library.read_jsonl(directory / library.TIMELINE)


async def test_a_dispatcher_records_and_every_page_shows_it(hub):
    root = hub.config.recordings_dir
    console = await dispatcher(hub)
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    for s in (a, b):
        await s.call("publishOffer", {"sdp": "v=0", "type": "offer"})
    reply = await console.call("control", {"action": "record", "on": True})
    assert reply["ok"] and reply["control"]["recording"]["id"]
    rec_id = reply["control"]["recording"]["id"]
    for page in (a, b):
        await page.wait_for("control", lambda d: (d.get("recording") or {}).get("id") == rec_id)
    start = [c for c in hub.media.calls if c[0] == "start_recording"]
    assert len(start) == 1 and start[0][:3] == ("start_recording", "demo", str(root / rec_id))
    assert 0 < start[0][3] <= 20_000 * 1_000_000  # what is left of the budget
    # twice is once
    assert (await console.call("control", {"action": "record", "on": True}))["control"]["recording"]["id"] == rec_id
    await asyncio.sleep(0.3)
    assert (await console.call("control", {"action": "rollCall", "participantId": b.me["id"]}))["ok"]
    c = await hub.joined("yanguan")
    await asyncio.sleep(0.2)
    assert (await a.call("mediaState", {"camera": True, "mic": False}))["ok"]
    await c.call("leave", {})
    assert (await console.call("control", {"action": "record", "on": False}))["control"]["recording"] is None
    await a.wait_for("control", lambda d: d.get("recording") is None)
    assert ("stop_recording", "demo") in hub.media.calls

    directory = root / rec_id
    meta = json.loads((directory / library.META).read_text())
    assert meta["sessionId"] == "demo" and meta["endedAt"] > meta["startedAt"]
    assert meta["stoppedReason"] == "stopped" and meta["startedBy"] and meta["stoppedBy"]
    entries = timeline(directory)
    kinds = [e["type"] for e in entries]
    assert kinds[:2] == ["recording", "state"] and kinds[-1] == "recording"
    state = entries[1]
    assert {p["participantId"] for p in state["participants"]} == {console.me["id"], a.me["id"], b.me["id"]}
    floor = next(e for e in entries if e["type"] == "floor")
    assert floor["participantId"] == b.me["id"] and 0.25 < floor["t"] < 5
    assert floor_at(entries, floor["t"]) == b.me["id"]
    assert [e["participantId"] for e in entries if e["type"] == "join"] == [c.me["id"]]
    assert [e["participantId"] for e in entries if e["type"] == "leave"] == [c.me["id"]]
    assert [(e["participantId"], e["camera"], e["mic"]) for e in entries if e["type"] == "media"] == [
        (a.me["id"], True, False)]
    assert entries[-1]["on"] is False and entries[-1]["reason"] == "stopped"
    logs = [e["action"] for e in console.events("controlLog")]
    assert "record" in logs


async def test_an_opinion_taken_while_recording_is_a_marker_at_its_moment(hub):
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=1), now + timedelta(hours=1))
    await asyncio.sleep(1.2)
    await hub.app[SCHEDULER_KEY].tick()
    station = await hub.station()
    assert (await station.call("join", {"token": hub.token("xucun", session=str(number))}))["ok"]
    signaling = hub.app[SIGNALING_KEY]
    session = signaling._sessions[str(number)]
    await signaling.recordings.start(str(number), session, "test", {"stage": None}, [])
    await asyncio.sleep(0.5)
    headers = {"Authorization": "Bearer " + hub.token("xucun", session=str(number))}
    body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
            "summary": "夜间工地噪声", "residentName": "李先生", "residentContact": "139", "sessionId": number}
    async with aiohttp.ClientSession() as http:
        async with http.post(hub.url + "/api/opinions", json=body, headers=headers) as r:
            made = await r.json()
            assert r.status == 201, made
    directory = only(hub.config.recordings_dir)
    for _ in range(100):
        markers = [e for e in timeline(directory) if e["type"] == "opinion"]
        if markers:
            break
        await asyncio.sleep(0.05)
    assert len(markers) == 1
    marker = markers[0]
    assert marker["opinionId"] == made["id"] and marker["summary"] == "夜间工地噪声"
    assert marker["reference"] and marker["station"] == "xucun"
    assert 0.4 < marker["t"] < 3


async def test_a_recording_that_stops_by_itself_alerts_the_dispatchers_and_the_session_goes_on(hub, caplog):
    console = await dispatcher(hub)
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    reply = await console.call("control", {"action": "record", "on": True})
    rec_id = reply["control"]["recording"]["id"]
    await hub.media.recordings["demo"].recording_stopped("demo", "disk")
    alert = await console.wait_for("recordingStopped")
    assert alert == {"reason": "disk", "id": rec_id}
    await a.wait_for("control", lambda d: d.get("recording") is None and any(
        e == "control" and (x.get("recording") or {}).get("id") == rec_id for e, x in a.received))
    assert a.events("recordingStopped") == []  # the stations are not alerted
    assert "stopped by itself: disk" in caplog.text
    meta = json.loads((hub.config.recordings_dir / rec_id / library.META).read_text())
    assert meta["stoppedReason"] == "disk" and meta["endedAt"]
    # the session goes on
    assert (await console.call("control", {"action": "rollCall", "participantId": b.me["id"]}))["ok"]
    await a.wait_for("control", lambda d: d["floor"] == b.me["id"])


async def test_no_recording_starts_beyond_the_disk_budget(hub):
    signaling = hub.app[SIGNALING_KEY]
    signaling.recordings.budget_bytes = 1000
    root = hub.config.recordings_dir
    root.mkdir(parents=True, exist_ok=True)
    (root / "filler").write_bytes(b"x" * 1000)
    console = await dispatcher(hub)
    reply = await console.call("control", {"action": "record", "on": True})
    assert reply["error"]["code"] == "control_refused"
    assert reply["error"]["reason"] == "recording_budget_used"
    assert not any(c[0] == "start_recording" for c in hub.media.calls)


async def test_a_session_scheduled_to_record_records_from_its_first_join(hub):
    from sqlmodel import Session as DB
    from store.models import LinkedSession
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=1), now + timedelta(hours=1))
    with DB(hub.engine) as db:
        row = db.get(LinkedSession, number)
        row.record = True
        db.add(row)
        db.commit()
    await asyncio.sleep(1.2)
    await hub.app[SCHEDULER_KEY].tick()
    station = await hub.station()
    reply = await station.call("join", {"token": hub.token("xucun", session=str(number))})
    assert reply["ok"] and reply["control"]["recording"]["id"].startswith(f"{number}-")
    meta = json.loads((only(hub.config.recordings_dir) / library.META).read_text())
    assert meta["startedBy"] is None and meta["sessionNumber"] == number
    await station.call("leave", {})
    meta = json.loads((only(hub.config.recordings_dir) / library.META).read_text())
    assert meta["stoppedReason"] == "ended"


def test_only_what_changed_in_the_control_state_goes_on_the_timeline():
    base = {"stage": "p1", "floor": None, "broadcast": None, "layout": "1+N", "muted": [], "hands": [],
            "polling": None, "voiceActivated": False, "othersMaySpeak": False, "muteAll": False, "locked": False}
    first = control_changes(None, base, 0.0, 100.0)
    assert [e["type"] for e in first] == ["stage", "layout"]
    later = {**base, "floor": "p2", "stage": "p2", "hands": [{"participantId": "p3", "waitingSeconds": 1.0}]}
    changes = control_changes(base, later, 2.5, 102.5)
    assert [(e["type"], e.get("participantId"), e.get("participants")) for e in changes] == [
        ("stage", "p2", None), ("floor", "p2", None), ("hands", None, ["p3"])]
    assert changes[0]["t"] == 2.5
    waited = {**later, "hands": [{"participantId": "p3", "waitingSeconds": 9.0}]}
    assert control_changes(later, waited, 3, 103) == []  # a hand waiting longer is no change


def test_retention_deletes_old_recordings_only(tmp_path):
    old_id, old = library.new_recording(tmp_path, 7, 1_000_000.0)
    library.write_meta(old, {"startedAt": 1_000_000.0, "endedAt": 1_000_060.0})
    new_id, new = library.new_recording(tmp_path, 7, 1_000_000.0 + 10 * 86400)
    library.write_meta(new, {"startedAt": 1_000_000.0 + 10 * 86400, "endedAt": 1_000_060.0 + 10 * 86400})
    now = 1_000_000.0 + 12 * 86400
    assert library.prune(tmp_path, 30, now) == []
    assert library.prune(tmp_path, 11, now, keep=frozenset()) == [old_id]
    assert library.list_ids(tmp_path) == [new_id]
    assert library.prune(tmp_path, 0, now * 10) == []
    open_id, opened = library.new_recording(tmp_path, 8, now - 60)
    library.write_meta(opened, {"startedAt": now - 60, "endedAt": None})
    (opened / "p-1.webm").write_bytes(b"x")
    assert library.close_interrupted(tmp_path, running=frozenset([open_id])) == []
    assert library.close_interrupted(tmp_path) == [open_id]  # a hub that died while recording
    meta = json.loads((opened / library.META).read_text())
    assert meta["stoppedReason"] == "interrupted" and meta["endedAt"] >= now - 60
    assert library.recording_path(tmp_path, "../etc") is None
    assert library.media_path(tmp_path, new_id, "../recording.json") is None
