"""REST: linked sessions — the CRUD flow (SQLite and PostgreSQL), conflicts,
the dry-run check, optimistic concurrency, occurrences, an operator's
sessions and station join links."""

from __future__ import annotations


import pytest
from sqlmodel import Session, func, select

from core import tokens
from store.models import LinkedSession

from test_api_support import NOW, SECRET, at, cheap_passwords, api_hub, iso, session_body, start_hub  # noqa: F401


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_session_crud_flow(backend, tmp_path):
    hub, stop = await start_hub(backend, tmp_path)
    try:
        created = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(stations=["haining/*"]))
        sid = created["id"]
        assert created["version"] == 1 and created["state"] == "scheduled" and created["status"] == "scheduled"
        assert created["start"] == "2025-03-07T14:00:00+08:00" and created["chair"] == "haining"
        assert "xucun-rongxing" in created["stations"] and "jiaxing" not in created["stations"]
        assert created["code"] is None and created["standing"] is False and created["record"] is False
        assert created["nextOccurrence"]["start"] == "2025-03-07T14:00:00+08:00"

        got = await hub.ok("GET", f"/sessions/{sid}", "hn")
        assert got == created
        listed = await hub.ok("GET", "/sessions", "hn", params={"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))})
        assert [s["id"] for s in listed["items"]] == [sid]
        assert (await hub.ok("GET", "/sessions", "hn", params={"from": iso(at(4, 1, 0))}))["items"] == []
        assert (await hub.ok("GET", "/sessions", "hn", params={"status": "live"}))["items"] == []

        updated = await hub.ok(
            "PUT", f"/sessions/{sid}", "hn",
            json=session_body(title="改期", start=iso(at(3, 8, 9)), end=iso(at(3, 8, 11)), version=1, record=True),
        )
        assert updated["version"] == 2 and updated["title"] == "改期" and updated["start"] == "2025-03-08T09:00:00+08:00"
        assert updated["record"] is True  # recorded from its start (issue 12)
        assert updated["stations"] == ["changan", "haining", "xucun"]

        status, body = await hub.call("PUT", f"/sessions/{sid}", "hn", json=session_body(title="又改", version=1))
        assert status == 409 and body["error"]["code"] == "stale_version"

        status, body = await hub.call("POST", f"/sessions/{sid}/cancel", "hn", json={"version": 1})
        assert status == 409 and body["error"]["code"] == "stale_version"
        cancelled = await hub.ok("POST", f"/sessions/{sid}/cancel", "hn", json={"version": 2})
        assert cancelled["status"] == "cancelled" and cancelled["state"] == "cancelled" and cancelled["version"] == 3
        status, body = await hub.call("POST", f"/sessions/{sid}/cancel", "hn")
        assert status == 409 and body["error"]["code"] == "transition_refused"

        audit = await hub.ok("GET", "/audit", "hn", params={"targetType": "session"})
        assert [e["action"] for e in audit["items"]] == ["session.cancel", "session.update", "session.create"]
    finally:
        await stop()


async def test_a_conflict_names_the_other_session_and_the_station(hub):
    first = await hub.ok("POST", "/sessions", "hn", expect=201,
                         json=session_body(title="丁桥民情恳谈", stations=["dingqiao", "changan"]))
    clash = session_body(chair="xucun", stations=["changan"], start=iso(at(3, 7, 15)), end=iso(at(3, 7, 17)))
    status, body = await hub.call("POST", "/sessions", "hn", json=clash, lang="en")
    assert status == 409 and body["error"]["code"] == "schedule_conflict"
    message = body["error"]["message"]
    assert "丁桥民情恳谈" in message and f"#{first['id']}" in message and "changan" in message and "2025-03-07 14:00" in message
    status, body = await hub.call("POST", "/sessions", "hn", json=clash)
    assert "联络站 changan" in body["error"]["message"] and "丁桥民情恳谈" in body["error"]["message"]


async def test_the_dry_run_returns_every_conflict_and_saves_nothing(hub):
    first = await hub.ok("POST", "/sessions", "hn", expect=201,
                         json=session_body(title="丁桥民情恳谈", stations=["dingqiao", "changan", "xucun"]))
    clash = session_body(chair="xucun", stations=["changan", "yanguan"], start=iso(at(3, 7, 15)), end=iso(at(3, 7, 17)))
    result = await hub.ok("POST", "/sessions/check", "hn", json=clash, lang="en")
    assert result["ok"] is False
    assert {(c["sessionId"], c["station"]) for c in result["conflicts"]} == {(first["id"], "changan"), (first["id"], "xucun")}
    conflict = result["conflicts"][0]
    assert conflict["title"] == "丁桥民情恳谈" and conflict["stationName"] == "Chang'an Town Station"
    assert (conflict["start"], conflict["end"]) == ("2025-03-07T14:00:00+08:00", "2025-03-07T16:00:00+08:00")
    assert (conflict["proposedStart"], conflict["proposedEnd"]) == ("2025-03-07T15:00:00+08:00", "2025-03-07T17:00:00+08:00")
    # a free slot is ok; checking an edit of the session itself finds no conflict with itself
    free = await hub.ok("POST", "/sessions/check", "hn", json=session_body(chair="yanguan", stations=["huangwan"]))
    assert free == {"ok": True, "conflicts": []}
    edit = await hub.ok("POST", "/sessions/check", "hn",
                        json=session_body(stations=["dingqiao", "changan", "xucun"], sessionId=first["id"]))
    assert edit["ok"] is True
    # validation errors come back like create's
    status, body = await hub.call("POST", "/sessions/check", "hn", json=session_body(stations=["jiaxing"]))
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await hub.call("POST", "/sessions/check", "hn", json=session_body(start=iso(at(2, 1, 9)), end=iso(at(2, 1, 10))))
    assert status == 400 and body["error"]["code"] == "schedule_invalid"
    with Session(hub.engine) as db:
        assert db.exec(select(func.count()).select_from(LinkedSession)).one() == 1


async def test_series_occurrences_cancel_and_move(hub):
    series = await hub.ok("POST", "/sessions", "hn", expect=201,
                          json=session_body(rrule="FREQ=WEEKLY;COUNT=4"))
    sid = series["id"]
    window = {"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))}
    occ = await hub.ok("GET", f"/sessions/{sid}/occurrences", "op-xucun", params=window)
    assert [o["start"][:10] for o in occ["items"]] == ["2025-03-07", "2025-03-14", "2025-03-21", "2025-03-28"]
    assert {o["state"] for o in occ["items"]} == {"scheduled"}
    after = await hub.ok("POST", f"/sessions/{sid}/occurrences/cancel", "hn",
                         json={"originalStart": iso(at(3, 14, 14)), "version": 1})
    assert after["version"] == 2 and after["exceptions"][0]["cancelled"] is True
    await hub.ok("POST", f"/sessions/{sid}/occurrences/move", "hn",
                 json={"originalStart": iso(at(3, 21, 14)), "start": iso(at(3, 22, 9)), "end": iso(at(3, 22, 11))})
    occ = await hub.ok("GET", f"/sessions/{sid}/occurrences", "hn", params=window)
    assert [(o["start"][:13], o["state"], o["moved"]) for o in occ["items"]] == [
        ("2025-03-07T14", "scheduled", False),
        ("2025-03-14T14", "cancelled", False),
        ("2025-03-22T09", "scheduled", True),
        ("2025-03-28T14", "scheduled", False),
    ]
    status, body = await hub.call("POST", f"/sessions/{sid}/occurrences/cancel", "hn",
                                  json={"originalStart": iso(at(3, 15, 14))})
    assert status == 404 and body["error"]["code"] == "occurrence_not_found"
    # the lobby opens 15 minutes before, then it is live and can end early
    hub.clock.now = at(3, 7, 13, 50)
    assert (await hub.ok("GET", f"/sessions/{sid}", "hn"))["state"] == "lobby"
    hub.clock.now = at(3, 7, 14, 30)
    ended = await hub.ok("POST", f"/sessions/{sid}/occurrences/end", "hn", json={"originalStart": iso(at(3, 7, 14))})
    assert ended["exceptions"][0]["endedAt"] == "2025-03-07T14:30:00+08:00"


async def test_my_sessions_and_join_links(hub):
    s1 = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(chair="yanguan", stations=["huangwan"]))
    mine = await hub.ok("GET", "/me/sessions", "op-xucun", params={"days": 14})
    assert [s["id"] for s in mine["items"]] == [s1["id"]] and mine["items"][0]["state"] == "scheduled"

    status, body = await hub.call("GET", f"/sessions/{s1['id']}/join-link", "op-xucun", lang="en")
    assert status == 409 and body["error"]["code"] == "session_closed"
    hub.clock.now = at(3, 7, 13, 50)  # lobby
    link = await hub.ok("GET", f"/sessions/{s1['id']}/join-link", "op-xucun")
    assert link["url"].startswith(f"https://hub.example/join/{s1['id']}#token=")
    grant = tokens.verify(SECRET, link["url"].split("#token=")[1], now=hub.clock.now.timestamp())
    assert (grant.subject, grant.role, grant.session_id) == ("station:xucun", "station", str(s1["id"]))
    assert grant.expires_at - grant.issued_at == 12 * 3600
    # an operator joins only as its own station; a dispatcher in scope as any participant
    status, _ = await hub.call("GET", f"/sessions/{s1['id']}/join-link", "op-xucun", params={"station": "changan"})
    assert status == 403
    link = await hub.ok("GET", f"/sessions/{s1['id']}/join-link", "hn", params={"station": "changan"})
    assert tokens.verify(SECRET, link["url"].split("#token=")[1], now=hub.clock.now.timestamp()).subject == "station:changan"
    status, _ = await hub.call("GET", f"/sessions/{s1['id']}/join-link", "hn", params={"station": "yanguan"})
    assert status == 403


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_simultaneous_bookings_of_one_station_admit_exactly_one(backend, tmp_path):
    """Eight dispatchers' requests book Xucun for the same hour at the same
    instant, through two API instances on one database (two hub processes
    on PostgreSQL; worker threads of one process on SQLite): exactly one is
    created, every other is refused with the conflict, and one session is
    stored."""
    import asyncio
    import dataclasses

    from aiohttp import web

    from store import db as storedb
    from test_api_support import parent_app

    hub, stop = await start_hub(backend, tmp_path)
    second_engine = storedb.make_engine(hub.engine.url.render_as_string(hide_password=False))
    runner = web.AppRunner(parent_app(dataclasses.replace(hub.services, engine=second_engine)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    other_url = f"http://127.0.0.1:{port}/api"
    try:
        token = await hub.login("hn")

        async def book(i: int):
            url = hub.url if i % 2 == 0 else other_url
            body = session_body(title=f"同时预约 {i}", stations=["xucun"], start=iso(at(3, 7, 14, i)), end=iso(at(3, 7, 15, i)))
            async with hub.http.post(f"{url}/sessions", json=body, headers={"Authorization": f"Bearer {token}"}) as r:
                return r.status, await r.json()

        results = await asyncio.gather(*(book(i) for i in range(8)))
        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [409] * 7, results
        assert all(body["error"]["code"] == "schedule_conflict" for status, body in results if status == 409), results
        with Session(hub.engine) as db:
            titles = db.exec(select(LinkedSession.title).where(LinkedSession.title.startswith("同时预约"))).all()
        assert len(titles) == 1, titles
    finally:
        await runner.cleanup()
        second_engine.dispose()
        await stop()


async def test_may_control_says_who_may_open_the_live_console(hub):
    """进入调度台 is offered only where GET /sessions/{id}/console-link would answer."""
    made = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    hub.clock.now = at(3, 7, 13, 50)  # lobby
    assert (await hub.ok("GET", f"/sessions/{made['id']}", "hn"))["mayControl"] is True
    assert (await hub.ok("GET", f"/sessions/{made['id']}", "admin"))["mayControl"] is True
    mine = await hub.ok("GET", "/me/sessions", "op-xucun", params={"days": 14})
    assert [(s["id"], s["mayControl"]) for s in mine["items"]] == [(made["id"], False)]
    status, _ = await hub.call("GET", f"/sessions/{made['id']}/console-link", "op-xucun")
    assert status == 403
    listed = await hub.ok("GET", "/sessions", "hn", params={"from": iso(at(3, 7, 0)), "to": iso(at(3, 8, 0))})
    assert {s["id"]: s["mayControl"] for s in listed["items"]}[made["id"]] is True


async def test_extending_a_live_meeting_checks_conflicts(hub):
    """延长会议: the live occurrence's end moves later; a conflict or a closed meeting is refused."""
    made = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())  # 14:00–16:00
    await hub.ok("POST", "/sessions", "hn", expect=201,
                 json=session_body(title="之后的会", stations=["xucun"], start=iso(at(3, 7, 16, 30)), end=iso(at(3, 7, 17))))
    status, body = await hub.call("POST", f"/sessions/{made['id']}/extend", "hn", json={"minutes": 15})
    assert status == 409 and body["error"]["code"] == "transition_refused"  # not open yet
    hub.clock.now = at(3, 7, 15, 30)
    out = await hub.ok("POST", f"/sessions/{made['id']}/extend", "hn", json={"minutes": 30})
    assert out["end"] == "2025-03-07T16:30:00+08:00" and out["state"] == "live"
    status, body = await hub.call("POST", f"/sessions/{made['id']}/extend", "hn", json={"minutes": 15})
    assert status == 409 and body["error"]["code"] == "schedule_conflict"  # Xucun is booked at 16:30
    status, _ = await hub.call("POST", f"/sessions/{made['id']}/extend", "op-xucun", json={"minutes": 15})
    assert status == 403
    status, _ = await hub.call("POST", f"/sessions/{made['id']}/extend", "hn", json={"minutes": 1})
    assert status == 400
    # the dispatcher's console token of this very session may extend it, a station's may not
    console = tokens.sign(SECRET, str(made["id"]), f"account:{hub.ids['hn']}", "dispatcher", 600)
    station = tokens.sign(SECRET, str(made["id"]), "station:xucun", "station", 600)
    async with hub.http.post(f"{hub.url}/sessions/{made['id']}/extend", json={"minutes": 5},
                             headers={"Authorization": f"Bearer {station}"}) as r:
        assert r.status == 403
    hub.clock.now = at(3, 7, 16, 10)  # live only thanks to the extension
    async with hub.http.post(f"{hub.url}/sessions/{made['id']}/extend", json={"minutes": 5},
                             headers={"Authorization": f"Bearer {console}"}) as r:
        assert r.status == 409  # 16:35 would overlap Xucun's 16:30 meeting
