"""REST: deputy invitations (signed join links, QR codes, revocation) and
the iCalendar feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import icalendar
from sqlmodel import Session

from hub import tokens
from store.sessions import SessionRepo

from test_api_support import SECRET, SH, at, cheap_passwords, api_hub, iso, session_body  # noqa: F401

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_invite_link_qr_codes_and_revoke(hub):
    sid = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    deputy = hub.deputies["许村代表"]
    made = await hub.ok("POST", f"/sessions/{sid}/invitations", "hn", expect=201, json={"deputyId": deputy})
    assert made["url"].startswith(f"https://hub.example/join/{sid}#token=")
    now = hub.clock.now.timestamp()
    grant = tokens.verify(SECRET, made["url"].split("#token=")[1], now=now)
    assert (grant.session_id, grant.subject, grant.role) == (str(sid), f"deputy:{deputy}", "deputy")
    # the token expires with the invitation (the session's end)
    assert grant.expires_at == int(at(3, 7, 16).timestamp())
    invitation = made["invitation"]
    assert invitation["active"] and invitation["deputyName"] == "许村代表"

    status, png = await hub.call("GET", made["qrPng"].removeprefix("/api"), "hn")
    assert status == 200 and png.startswith(PNG_SIGNATURE)
    status, svg = await hub.call("GET", made["qrSvg"].removeprefix("/api"), "hn")
    assert status == 200 and ET.fromstring(svg).tag.endswith("svg")
    relinked = await hub.ok("GET", f"/sessions/{sid}/invitations/{invitation['id']}/link", "hn")
    assert tokens.verify(SECRET, relinked["url"].split("#token=")[1], now=now).subject == f"deputy:{deputy}"

    with Session(hub.engine) as db:
        assert SessionRepo(hub.services.matrix).invited_deputies(db, sid, hub.clock.now) == {deputy}
    listed = await hub.ok("GET", f"/sessions/{sid}/invitations", "hn")
    assert [i["id"] for i in listed["items"]] == [invitation["id"]]
    assert (await hub.call("GET", f"/sessions/{sid}/invitations", "op-xucun"))[0] == 403

    revoked = await hub.ok("DELETE", f"/sessions/{sid}/invitations/{invitation['id']}", "hn")
    assert revoked["active"] is False and revoked["revokedAt"]
    with Session(hub.engine) as db:
        assert SessionRepo(hub.services.matrix).invited_deputies(db, sid, hub.clock.now) == set()
    status, body = await hub.call("GET", f"/sessions/{sid}/invitations/{invitation['id']}/qr.png", "hn")
    assert status == 410 and body["error"]["code"] == "invitation_inactive"
    status, body = await hub.call("DELETE", f"/sessions/{sid + 1}/invitations/{invitation['id']}", "hn")
    assert status == 404
    actions = [e["action"] for e in (await hub.ok("GET", "/audit", "hn", params={"targetType": "session", "targetId": str(sid)}))["items"]]
    assert actions == ["session.invitation.revoke", "session.invite", "session.create"]


async def test_station_and_session_calendars(hub):
    series = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(
        title="每周联动", agenda="议程：民情恳谈", rrule="FREQ=WEEKLY;UNTIL=20250328"))
    one_off = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(
        title="一次性", start=iso(at(3, 8, 9)), end=iso(at(3, 8, 10))))
    await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(
        title="与许村无关", chair="yanguan", stations=["huangwan"]))
    sid = series["id"]
    await hub.ok("POST", f"/sessions/{sid}/occurrences/cancel", "hn", json={"originalStart": iso(at(3, 14, 14))})
    await hub.ok("POST", f"/sessions/{sid}/occurrences/move", "hn",
                 json={"originalStart": iso(at(3, 21, 14)), "start": iso(at(3, 22, 9)), "end": iso(at(3, 22, 11))})
    await hub.ok("POST", f"/sessions/{one_off['id']}/cancel", "hn")

    link = await hub.ok("GET", "/stations/xucun/calendar-link", "op-xucun")
    assert link["url"].startswith("https://hub.example/api/stations/xucun/calendar.ics?key=")
    key = link["url"].split("key=")[1]
    assert (await hub.call("GET", "/stations/changan/calendar-link", "op-xucun"))[0] == 403
    assert (await hub.call("GET", "/stations/changan/calendar-link", "hn"))[0] == 200

    status, body = await hub.call("GET", "/stations/xucun/calendar.ics", params={"key": key})
    assert status == 200
    cal = icalendar.Calendar.from_ical(body)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Asia/Shanghai"
    events = cal.walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == ["一次性", "每周联动", "每周联动"]
    main, moved = sorted((e for e in events if str(e["SUMMARY"]) == "每周联动"), key=lambda e: "RECURRENCE-ID" in e)
    rrule = main["RRULE"]
    assert rrule["FREQ"] == ["WEEKLY"]
    assert rrule["UNTIL"][0] == datetime(2025, 3, 28, 15, 59, 59, tzinfo=timezone.utc)
    assert main["DTSTART"].dt == at(3, 7, 14) and str(main["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    exdates = [d.dt for d in main["EXDATE"].dts] if not isinstance(main["EXDATE"], list) else [
        d.dt for x in main["EXDATE"] for d in x.dts]
    assert exdates == [at(3, 14, 14)]
    assert moved["RECURRENCE-ID"].dt == at(3, 21, 14) and moved["DTSTART"].dt == at(3, 22, 9)
    assert moved["UID"] == main["UID"] and "议程" in str(main["DESCRIPTION"])
    cancelled = next(e for e in events if str(e["SUMMARY"]) == "一次性")
    assert cancelled["STATUS"] == "CANCELLED"

    # the key is the station's own: wrong keys and other stations are refused
    assert (await hub.call("GET", "/stations/changan/calendar.ics", params={"key": key}))[0] == 403
    assert (await hub.call("GET", "/stations/xucun/calendar.ics", params={"key": "x" * 32}))[0] == 403
    assert (await hub.call("GET", "/stations/xucun/calendar.ics"))[0] == 400

    # one session: with the station key, or logged in
    status, body = await hub.call("GET", f"/sessions/{sid}/calendar.ics", params={"station": "xucun", "key": key})
    assert status == 200 and len(icalendar.Calendar.from_ical(body).walk("VEVENT")) == 2
    assert (await hub.call("GET", f"/sessions/{sid}/calendar.ics"))[0] == 401
    status, body = await hub.call("GET", f"/sessions/{sid}/calendar.ics", "op-xucun")
    assert status == 200 and b"RRULE:FREQ=WEEKLY;UNTIL=20250328T155959Z" in body


async def test_a_calendar_key_is_rotated_and_the_old_one_stops_working(hub):
    old = (await hub.ok("GET", "/stations/xucun/calendar-link", "op-xucun"))["url"].split("key=")[1]
    assert (await hub.call("GET", "/stations/xucun/calendar.ics", params={"key": old}))[0] == 200
    assert (await hub.call("POST", "/stations/changan/calendar-link", "op-xucun"))[0] == 403
    rotated = await hub.ok("POST", "/stations/xucun/calendar-link", "op-xucun")
    new = rotated["url"].split("key=")[1]
    assert new != old and new in rotated["sessionUrlTemplate"]
    assert (await hub.ok("GET", "/stations/xucun/calendar-link", "hn"))["url"] == rotated["url"]
    assert (await hub.call("GET", "/stations/xucun/calendar.ics", params={"key": new}))[0] == 200
    status, body = await hub.call("GET", "/stations/xucun/calendar.ics", params={"key": old})
    assert status == 403 and body["error"]["code"] == "forbidden"
    sid = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    assert (await hub.call("GET", f"/sessions/{sid}/calendar.ics", params={"station": "xucun", "key": old}))[0] == 403
    assert (await hub.call("GET", f"/sessions/{sid}/calendar.ics", params={"station": "xucun", "key": new}))[0] == 200
    # another station's key is untouched
    other = (await hub.ok("GET", "/stations/changan/calendar-link", "hn"))["url"].split("key=")[1]
    assert (await hub.call("GET", "/stations/changan/calendar.ics", params={"key": other}))[0] == 200
    audit = await hub.ok("GET", "/audit", "admin", params={"targetType": "station"})
    assert [e["action"] for e in audit["items"]] == ["station.calendar_key_rotate"]
