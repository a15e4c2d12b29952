"""REST: recordings of live sessions (api.recordings) — scoped like sessions,
the timeline, downloads with HTTP ranges."""

from __future__ import annotations

import json

from recordings import library

from test_recordings_export import make_recording as make_playable

from test_api_support import at, api_hub, cheap_passwords, iso, session_body  # noqa: F401


def make_recording(root, number: int, started: float, title: str, stations: list[str]) -> str:
    rec_id, directory = library.new_recording(root, number, started)
    library.write_meta(directory, {
        "sessionId": str(number), "sessionNumber": number, "title": title, "titleEn": "", "stations": stations,
        "startedAt": started, "endedAt": started + 60, "startedBy": "海宁调度", "stoppedBy": "海宁调度",
        "stoppedReason": "stopped",
    })
    (directory / "p-1-1.webm").write_bytes(bytes(range(256)) * 40)
    with open(directory / library.MEDIA, "w") as f:
        f.write(json.dumps({"event": "open", "path": "p-1-1.webm", "participant": "p-1", "kinds": ["video", "audio"],
                            "codecs": ["video/VP8", "audio/opus"], "started_at": started + 1}) + "\n")
    with open(directory / library.TIMELINE, "w") as f:
        f.write(json.dumps({"t": 0, "at": started, "type": "recording", "on": True}) + "\n")
        f.write(json.dumps({"t": 12.5, "at": started + 12.5, "type": "floor", "participantId": "p-1"}) + "\n")
        f.write('{"t": 13, "type": "opin')  # cut short by a crash
    return rec_id


async def test_recordings_are_listed_and_served_to_those_who_see_their_session(hub, tmp_path):

    root = tmp_path / "recordings"
    hub.services.recordings_dir = root
    ours = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    theirs = (await hub.ok("POST", "/sessions", "jx", expect=201, json=session_body(
        chair="jiaxing", stations=["jiaxing", "yanguan"], start=iso(at(3, 9, 14)), end=iso(at(3, 9, 16)))))["id"]
    mine = make_recording(root, ours, 1_741_327_200.0, "许村、长安与分站联动", ["changan", "haining", "xucun"])
    other = make_recording(root, theirs, 1_741_500_000.0, "嘉兴", ["jiaxing", "yanguan"])

    assert [r["id"] for r in (await hub.ok("GET", "/recordings", "jx"))["items"]] == [other, mine]  # newest first
    assert [r["id"] for r in (await hub.ok("GET", "/recordings", "hn"))["items"]] == [other, mine]
    listed = (await hub.ok("GET", "/recordings", "op-xucun"))["items"]  # a station sees its own sessions
    assert [r["id"] for r in listed] == [mine]
    assert listed[0]["files"][0] == {
        "name": "p-1-1.webm", "participantId": "p-1", "kinds": ["video", "audio"],
        "codecs": ["video/VP8", "audio/opus"], "startedAt": 1_741_327_201.0, "endedAt": None, "bytes": 10240}
    assert (await hub.ok("GET", "/recordings", "jx", params={"station": "xucun"}))["items"][0]["id"] == mine
    assert [r["id"] for r in (await hub.ok("GET", "/recordings", "jx", params={"q": "嘉兴"}))["items"]] == [other]
    assert [r["id"] for r in (await hub.ok("GET", "/recordings", "jx", params={"session": ours}))["items"]] == [mine]
    assert [r["id"] for r in (await hub.ok("GET", "/recordings", "jx", params={
        "from": "2025-03-08T00:00:00+08:00"}))["items"]] == [other]

    one = await hub.ok("GET", f"/recordings/{mine}", "hn")
    assert one["recording"]["title"] == "许村、长安与分站联动"
    assert [e["type"] for e in one["entries"]] == ["recording", "floor"]
    status, body = await hub.call("GET", f"/recordings/{other}", "op-xucun")
    assert status == 404 and body["error"]["code"] == "not_found"  # out of scope: not even its existence
    assert (await hub.call("GET", "/recordings/1-20250101T000000", "hn"))[0] == 404
    assert (await hub.call("GET", "/recordings/not-an-id", "hn"))[0] == 400

    token = await hub.login("op-xucun")
    headers = {"Authorization": f"Bearer {token}"}
    async with hub.http.get(f"{hub.url}/recordings/{mine}/timeline.json", headers=headers) as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        assert len((await r.json())["entries"]) == 2
    async with hub.http.get(f"{hub.url}/recordings/{mine}/files/p-1-1.webm",
                            headers={**headers, "Range": "bytes=256-511"}) as r:
        assert r.status == 206 and r.headers["Content-Type"] == "video/webm"
        assert await r.read() == bytes(range(256))
    async with hub.http.get(f"{hub.url}/recordings/{mine}/files/p-1-1.webm", headers=headers,
                            params={"download": "true"}) as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
    async with hub.http.get(f"{hub.url}/recordings/{mine}/files/p-9-1.webm", headers=headers) as r:
        assert r.status == 404
    async with hub.http.get(f"{hub.url}/recordings/{other}/files/p-1-1.webm", headers=headers) as r:
        assert r.status == 404
    async with hub.http.get(f"{hub.url}/recordings") as r:
        assert r.status == 401


async def test_the_export_job_runs_in_the_background_and_its_mp4_downloads(hub, tmp_path):
    import asyncio
    root = tmp_path / "recordings"
    hub.services.recordings_dir = root
    number = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    rec_id = make_playable(root, number).name
    assert (await hub.ok("GET", f"/recordings/{rec_id}/export", "hn"))["state"] == "none"
    started = await hub.ok("POST", f"/recordings/{rec_id}/export", "hn")
    assert started["state"] == "running" and started["url"] is None
    again = await hub.ok("POST", f"/recordings/{rec_id}/export", "hn")  # running: not a second job
    assert again["state"] in ("running", "done")
    for _ in range(600):
        status = await hub.ok("GET", f"/recordings/{rec_id}/export", "hn")
        if status["state"] != "running":
            break
        await asyncio.sleep(0.1)
    assert status["state"] == "done" and status["progress"] == 1.0 and status["cpuSeconds"] > 0, status
    assert status["url"] == f"/api/recordings/{rec_id}/export.mp4"
    token = await hub.login("hn")
    async with hub.http.get(f"{hub.url}/recordings/{rec_id}/export.mp4", headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "video/mp4" and len(await r.read()) > 1000
    assert (await hub.call("GET", f"/recordings/{rec_id}/export", "op-xucun"))[0] == 200  # xucun is in it
