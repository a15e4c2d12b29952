"""REST: station reception duty 进站接待 and a session's 签到 by QR code
(issue 13; ``api/reception.py``, ``store/reception.py``): the roster, the
station's code of the day, the deputy's sign-in once per day (a second scan
says 已签到), the walk-in rule (临时, pending review), residents received,
the session's code while live (the live layer's key: no doubling), and the
scope probes (an operator of another station, a department, an anonymous
resident, a deputy of another station)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session

from store import passwords
from store.deputies import create_deputy
from store.models import Account, Deputy
from test_api_support import NOW, PASSWORD, at, cheap_passwords, api_hub, session_body  # noqa: F401

PHONES = {"许村代表": "13800000001", "长安代表": "13800000002", "嘉兴代表": "13800000003", "荣星代表": "13800000004"}


def _deputy_logins(hub) -> None:
    """Deputy accounts (as the invitation link's set-up makes them), and a deputy of a room of 许村."""
    from core.scope import Actor, Role

    with Session(hub.engine) as db:
        admin = Actor(Role.ADMINISTRATOR, account_id=hub.ids["admin"])
        hub.deputies["荣星代表"] = create_deputy(db, admin, hub.services.matrix, "荣星代表", "town", "xucun-rongxing",
                                             "许村小组", NOW).id
        for name, phone in PHONES.items():
            deputy = db.get(Deputy, hub.deputies[name])
            db.add(Account(username=phone, display_name=name, password_hash=passwords.hash_password(PASSWORD),
                           role="deputy", station_code=deputy.station_code, deputy_id=deputy.id))
        db.commit()


async def _department(hub) -> None:
    await hub.ok("POST", "/accounts", "admin", expect=201, json={
        "username": "xucun-dept", "password": PASSWORD, "role": "department", "department": "xucun-office"})


async def test_reception_roster_code_and_sign_in_once_a_day(hub):
    _deputy_logins(hub)
    await _department(hub)
    me, walk_in = PHONES["许村代表"], PHONES["荣星代表"]
    day = "2025-03-01"
    # the roster: the station's operator, for deputies of its town
    out = await hub.ok("PUT", "/stations/xucun/reception", "op-xucun",
                       json={"day": day, "deputyIds": [hub.deputies["许村代表"]]})
    assert [(x["name"], x["rostered"], x["signedInAt"]) for x in out["shifts"]] == [("许村代表", True, None)]
    status, err = await hub.call("PUT", "/stations/xucun/reception", "op-xucun",
                                 json={"day": day, "deputyIds": [hub.deputies["长安代表"]]})
    assert status == 403 and err["error"]["reason"] == "deputy_outside_subtree"
    status, err = await hub.call("PUT", "/stations/xucun/reception", "op-xucun",
                                 json={"day": "2025-02-28", "deputyIds": []}, lang="en")
    assert status == 400 and err["error"]["reason"] == "reception_day_past" and "past day" in err["error"]["message"]
    # scope probes: another station's operator, a department, a deputy, an anonymous resident
    for who, path in (("op-xucun", "/stations/changan/reception"), ("xucun-dept", "/stations/xucun/reception"),
                      (me, "/stations/xucun/reception"), ("op-xucun", "/stations/changan/reception-code"),
                      (me, "/stations/xucun/reception-code"), ("xucun-dept", "/stations/xucun/reception-code")):
        status, err = await hub.call("GET", path, who)
        assert status == 403, (who, path, err)
    for path in ("/stations/xucun/reception", "/stations/xucun/reception-code"):
        assert (await hub.call("GET", path))[0] == 401
    # the station's code of the day: a QR of the deputy page's link
    code = await hub.ok("GET", "/stations/xucun/reception-code", "op-xucun")
    assert code["url"] == f"https://hub.example/deputy#signin={code['code']}"
    assert code["qrSvg"].startswith("data:image/svg+xml;base64,")
    assert code == await hub.ok("GET", "/stations/xucun/reception-code", "hn")  # the same all day, for anyone
    # the deputy on the roster signs in: an approved reception record, once
    done = await hub.ok("POST", "/me/signin", me, json={"code": code["code"]})
    assert done["kind"] == "reception" and not done["already"] and done["rostered"]
    assert done["record"]["kind"] == "station_reception" and done["record"]["points"] == 2
    assert done["record"]["status"] == "approved" and done["stationName"] == "许村镇人大代表联络站"
    again = await hub.ok("POST", "/me/signin", me, json={"code": code["code"]})
    assert again["already"] and again["record"]["id"] == done["record"]["id"]
    records = await hub.ok("GET", "/duty/records", me, params={"kind": "station_reception"})
    assert [r["id"] for r in records["items"]] == [done["record"]["id"]]
    # a deputy of another town, not on the roster: refused, clearly; nothing recorded
    status, err = await hub.call("POST", "/me/signin", PHONES["长安代表"], json={"code": code["code"]})
    assert status == 403 and err["error"]["reason"] == "reception_not_your_town" and "排班" in err["error"]["message"]
    status, err = await hub.call("POST", "/me/signin", PHONES["嘉兴代表"], json={"code": code["code"]})
    assert status == 403
    # a deputy of the town, not on the roster: signed in as 临时, pending review
    temp = await hub.ok("POST", "/me/signin", walk_in, json={"code": code["code"]})
    assert not temp["rostered"] and temp["record"]["status"] == "pending" and "临时" in temp["record"]["note"]
    # staff do not sign in; a tampered or foreign code is refused
    status, err = await hub.call("POST", "/me/signin", "op-xucun", json={"code": code["code"]})
    assert status == 403 and err["error"]["reason"] == "deputy_only"
    status, err = await hub.call("POST", "/me/signin", me, json={"code": code["code"][:-2] + "zz"})
    assert status == 400 and err["error"]["reason"] == "signin_code_invalid"
    assert (await hub.call("POST", "/me/signin", json={"code": code["code"]}))[0] == 401
    # residents received: the opinions the deputy raised there that day
    raised = await hub.ok("POST", "/opinions", me, expect=201, json={
        "clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
        "summary": "路灯不亮", "residentName": "王阿姨", "deputyId": hub.deputies["许村代表"]})
    listed = await hub.ok("GET", "/stations/xucun/reception", "op-xucun", params={"day": day})
    by_name = {x["name"]: x for x in listed["shifts"]}
    assert set(by_name) == {"许村代表", "荣星代表"} and not by_name["荣星代表"]["rostered"]
    assert [(o["id"], o["residentName"]) for o in by_name["许村代表"]["opinions"]] == [(raised["id"], "王阿姨")]
    assert by_name["许村代表"]["record"]["id"] == done["record"]["id"] and by_name["荣星代表"]["opinions"] == []
    mine = await hub.ok("GET", "/me/receptions", me)
    assert [(x["station"], x["day"], x["rostered"]) for x in mine["items"]] == [("xucun", day, True)]
    # taking a signed-in deputy off the roster keeps its sign-in (臨时 from now on)
    kept = await hub.ok("PUT", "/stations/xucun/reception", "hn", json={"day": day, "deputyIds": []})
    assert {x["name"] for x in kept["shifts"]} == {"许村代表", "荣星代表"}
    # the next day, yesterday's code signs nobody in
    hub.clock.now = NOW + timedelta(days=1)
    status, err = await hub.call("POST", "/me/signin", me, json={"code": code["code"]})
    assert status == 400 and err["error"]["reason"] == "signin_code_other_day"
    assert (await hub.ok("GET", "/stations/xucun/reception-code", "op-xucun"))["code"] != code["code"]
    audit = await hub.ok("GET", "/audit", "admin", params={"action": "reception.sign_in"})
    assert len(audit["items"]) == 2


async def test_a_sessions_sign_in_by_qr(hub):
    _deputy_logins(hub)
    me = PHONES["许村代表"]
    session = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    sid = session["id"]
    status, err = await hub.call("GET", f"/sessions/{sid}/signin-code", "op-xucun", params={"station": "xucun"})
    assert status == 409 and err["error"]["reason"] == "signin_session_not_live"  # not open yet
    hub.clock.now = at(3, 7, 14, 10)
    code = await hub.ok("GET", f"/sessions/{sid}/signin-code", "op-xucun", params={"station": "xucun"})
    assert code["code"].startswith(f"s.{sid}.") and ".xucun." in code["code"]
    assert (await hub.ok("GET", f"/sessions/{sid}/signin-code", "hn", params={"station": "xucun"}))["code"] == code["code"]
    # scope: another station's screen, a station outside the session, a deputy, anonymous
    status, err = await hub.call("GET", f"/sessions/{sid}/signin-code", "op-xucun", params={"station": "changan"})
    assert status == 403 and err["error"]["reason"] == "operator_sees_own"
    status, err = await hub.call("GET", f"/sessions/{sid}/signin-code", "hn", params={"station": "haizhou"})
    assert status == 403 and err["error"]["reason"] == "station_not_in_session"
    assert (await hub.call("GET", f"/sessions/{sid}/signin-code", me, params={"station": "xucun"}))[0] == 403
    assert (await hub.call("GET", f"/sessions/{sid}/signin-code", params={"station": "xucun"}))[0] == 401
    # the station page's own join link may show it for its station
    link = await hub.ok("GET", f"/sessions/{sid}/join-link", "op-xucun", params={"station": "xucun"})
    token = link["url"].split("#token=", 1)[1]
    async with hub.http.get(f"{hub.url}/sessions/{sid}/signin-code", params={"station": "xucun"},
                            headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200 and (await r.json())["code"] == code["code"]
    async with hub.http.get(f"{hub.url}/sessions/{sid}/signin-code", params={"station": "changan"},
                            headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 403
    # deputies in front of the screen sign in: once
    done = await hub.ok("POST", "/me/signin", me, json={"code": code["code"]})
    assert done["kind"] == "session" and done["sessionId"] == sid and not done["already"]
    assert done["record"]["kind"] == "session_joined" and done["record"]["status"] == "approved"
    assert (await hub.ok("POST", "/me/signin", me, json={"code": code["code"]}))["already"]
    room = await hub.ok("POST", "/me/signin", PHONES["荣星代表"], json={"code": code["code"]})  # a room of 许村
    assert not room["already"]
    # a deputy outside the session's stations, not invited: refused with the reason
    status, err = await hub.call("POST", "/me/signin", PHONES["嘉兴代表"], json={"code": code["code"]}, lang="en")
    assert status == 403 and err["error"]["reason"] == "signin_deputy_not_in_session" and "jiaxing" in err["error"]["message"]
    # after the end and its grace: closed
    hub.clock.now = at(3, 7, 16, 4)
    assert (await hub.ok("POST", "/me/signin", PHONES["长安代表"], json={"code": code["code"]}))["kind"] == "session"
    hub.clock.now = at(3, 7, 16, 6)
    status, err = await hub.call("POST", "/me/signin", me, json={"code": code["code"]})
    assert status == 409 and err["error"]["reason"] == "signin_session_not_live"
    # attendance by hand afterwards: the same key, nothing doubled
    added = await hub.ok("POST", "/duty/attendance", "hn", json={
        "sessionId": sid, "occurrenceStart": at(3, 7, 14).isoformat(),
        "stays": [{"deputyId": hub.deputies["许村代表"], "joinedAt": at(3, 7, 14, 5).isoformat(), "minutes": 60}]})
    assert added == {"added": 0}
    records = await hub.ok("GET", "/duty/records", "hn", params={"kind": "session_joined"})
    assert sorted(r["deputyId"] for r in records["items"]) == sorted(
        hub.deputies[n] for n in ("许村代表", "荣星代表", "长安代表"))
