"""REST: what a join page shows before joining (``GET /join-info``: the
meeting, its times in Beijing time, who joins, the convening unit; early,
live, ended and cancelled) and the device check's download (``/net-probe``)."""

from __future__ import annotations

from core import tokens
from scheduler.lifecycle import State
from scheduler.recurrence import Occurrence

from api.joininfo import pick_occurrence
from test_api_support import SECRET, at, cheap_passwords, api_hub, session_body  # noqa: F401


def _bearer(session: object, subject: str, role: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + tokens.sign(SECRET, str(session), subject, role, 3600)}


async def _info(hub, headers) -> tuple[int, dict]:
    async with hub.http.get(f"{hub.url}/join-info", headers=headers) as r:
        return r.status, await r.json()


def test_the_page_is_about_the_open_occurrence_else_the_next_else_the_last():
    def occ(day: int) -> Occurrence:
        return Occurrence(at(3, day, 14), at(3, day, 14), at(3, day, 16))

    ended, live, coming = (occ(1), State.ENDED), (occ(8), State.LIVE), (occ(15), State.SCHEDULED)
    assert pick_occurrence([ended, live, coming]) == live
    assert pick_occurrence([ended, coming]) == coming
    assert pick_occurrence([ended]) == ended
    assert pick_occurrence([]) is None


async def test_join_info_names_the_meeting_who_joins_and_the_unit_in_every_state(hub):
    made = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    sid = made["id"]
    station = _bearer(sid, "station:xucun", "station")

    hub.clock.now = at(3, 7, 9)  # the morning before: the page waits
    status, info = await _info(hub, station)
    assert status == 200, info
    assert info["session"] == {
        "id": str(sid), "number": sid, "title": "许村、长安与分站联动", "titleEn": "", "state": "scheduled",
        "standing": False, "start": "2025-03-07T14:00:00+08:00", "end": "2025-03-07T16:00:00+08:00",
        "lobbyOpens": "2025-03-07T13:45:00+08:00",
    }
    assert info["joining"] == {"kind": "station", "name": "许村镇人大代表联络站", "nameEn": info["joining"]["nameEn"],
                               "station": "xucun", "admitted": True}
    assert info["unit"]["code"] == "haining" and info["unit"]["name"].startswith("海宁")
    assert info["now"] == "2025-03-07T09:00:00+08:00"

    hub.clock.now = at(3, 7, 13, 50)
    assert (await _info(hub, station))[1]["session"]["state"] == "lobby"
    hub.clock.now = at(3, 7, 14, 30)
    assert (await _info(hub, station))[1]["session"]["state"] == "live"
    # a dispatcher's console link names the dispatcher
    dispatcher = _bearer(sid, f"account:{hub.ids['hn']}", "dispatcher")
    status, info = await _info(hub, dispatcher)
    assert status == 200 and info["joining"]["kind"] == "dispatcher" and info["joining"]["admitted"] is True
    # a station that is not part of the meeting is named, and not admitted
    status, info = await _info(hub, _bearer(sid, "station:yanguan", "station"))
    assert status == 200 and info["joining"]["admitted"] is False
    hub.clock.now = at(3, 7, 17)
    assert (await _info(hub, station))[1]["session"]["state"] == "ended"

    # cancelled: the page still learns it (a join token no longer opens anything else)
    other = await hub.ok("POST", "/sessions", "hn", expect=201,
                         json=session_body(start=at(3, 9, 14).isoformat(), end=at(3, 9, 15).isoformat()))
    await hub.ok("POST", f"/sessions/{other['id']}/cancel", "hn", json={"version": other["version"]})
    status, info = await _info(hub, _bearer(other["id"], "station:xucun", "station"))
    assert status == 200 and info["session"]["state"] == "cancelled"

    # no token, a login token, a forged one: 401
    assert (await _info(hub, {}))[0] == 401
    assert (await _info(hub, {"Authorization": "Bearer " + await hub.login("hn")}))[0] == 401
    assert (await _info(hub, {"Authorization": "Bearer " + tokens.sign(b"x" * 40, str(sid), "station:xucun",
                                                                         "station", 600)}))[0] == 401


async def test_the_network_probe_sends_what_was_asked_and_no_more(hub):
    made = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    station = _bearer(made["id"], "station:xucun", "station")
    async with hub.http.get(f"{hub.url}/net-probe", params={"bytes": "262144"}, headers=station) as r:
        body = await r.read()
        assert r.status == 200 and len(body) == 262144 and r.headers["Cache-Control"] == "no-store"
    assert len(set(body[:4096])) > 200  # not a run of one byte that a proxy could compress away
    async with hub.http.get(f"{hub.url}/net-probe", params={"bytes": str(3 * 1024 * 1024)}, headers=station) as r:
        assert r.status == 400
    async with hub.http.get(f"{hub.url}/net-probe") as r:
        assert r.status == 401
