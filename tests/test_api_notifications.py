"""The notification centre (issue 13; ``opinions/reminders.py``,
``api/notifications.py``): each role's reminders, derived when asked — a
department's items (waiting, due soon, overdue first), the dispatcher's
returned and overdue items of its scope (escalation), the deputy's answers
to rate and its session's open lobby."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from opinions import reminders
from test_api_support import PASSWORD, at, cheap_passwords, api_hub, session_body  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")


def test_a_session_starting_within_15_minutes():
    now = datetime(2025, 3, 7, 13, 50, tzinfo=SH)
    rows = [reminders.SessionFacts(1, "a", now + timedelta(minutes=10), "scheduled"),
            reminders.SessionFacts(2, "b", now + timedelta(minutes=40), "scheduled"),
            reminders.SessionFacts(3, "c", now + timedelta(minutes=5), "lobby")]
    assert [(r.kind, r.session_id) for r in reminders.for_sessions(rows, now)] == [("session_soon", 1), ("lobby_open", 3)]


def test_an_overdue_item_climbs_from_the_town_to_the_branch():
    from hub.config import load_config
    from opinions.deadlines import WorkCalendar

    matrix = load_config(environ={}).matrix
    calendar = WorkCalendar.of()  # no holidays: 3-5 March 2025 are working days
    deadline = datetime(2025, 3, 3, 23, 59, 59, tzinfo=SH)  # Monday
    row = reminders.OpinionFacts(7, "in_progress", deadline, deadline, "噪声", "xucun")

    def heard(station: str, now: datetime) -> bool:
        return bool(reminders.for_opinions("dispatcher", [row], calendar, now, matrix, station))

    tuesday, wednesday = datetime(2025, 3, 4, 9, tzinfo=SH), datetime(2025, 3, 5, 9, tzinfo=SH)
    assert reminders.escalated_to("xucun", 0, matrix) == frozenset()
    assert reminders.escalated_to("xucun", 1, matrix) == {"xucun"}
    assert reminders.escalated_to("xucun", 2, matrix) == {"xucun", "haining"}
    assert (heard("xucun", tuesday), heard("haining", tuesday)) == (True, False)
    assert (heard("xucun", wednesday), heard("haining", wednesday)) == (True, True)
    assert heard("jiaxing", wednesday) and not heard("jiaxing", tuesday)  # above the branch: as the branch
    assert not heard("xucun-rongxing", wednesday)  # a room's dispatcher is below the town
    other = next(s.code for s in matrix.stations() if s.level == "town" and s.code != "xucun")
    assert not heard(other, wednesday)  # another town never


async def _assigned(hub, **assign) -> int:
    oid = (await hub.ok("POST", "/opinions", "hn", expect=201, json={
        "clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
        "summary": "噪声", "deputyId": hub.deputies["许村代表"]}))["id"]
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "accept"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn",
                 json={"action": "assign", "level": "town", "department": "xucun-office", **assign})
    return oid


async def test_each_role_gets_its_reminders(hub):
    await hub.ok("POST", "/accounts", "admin", expect=201, json={
        "username": "xucun-dept", "password": PASSWORD, "role": "department", "department": "xucun-office"})
    soon = await _assigned(hub, deadline="2025-03-03T23:59:59+08:00")  # Monday; now Saturday 1 March
    later = await _assigned(hub)
    kinds = [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", "xucun-dept"))["items"]]
    assert kinds == [("deadline_soon", soon), ("assigned", soon), ("assigned", later)]
    hub.clock.now = at(3, 4, 9)  # Tuesday: `soon` overdue
    await hub.ok("POST", f"/opinions/{later}/actions", "xucun-dept", json={"action": "start"})
    items = (await hub.ok("GET", "/me/notifications", "xucun-dept"))["items"]
    assert [(n["kind"], n["opinionId"]) for n in items][:1] == [("overdue", soon)]
    assert items[0]["reference"].startswith("MQ2025-")
    # escalated to the dispatcher of its town first (opinions/reminders.py), the branch's from the
    # second working day late on; a return reaches it too
    await hub.ok("POST", "/accounts", "admin", expect=201, json={
        "username": "xucun-disp", "password": PASSWORD, "role": "dispatcher", "station": "xucun"})
    assert ("overdue", soon) in [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", "xucun-disp"))["items"]]
    assert ("overdue", soon) not in [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", "hn"))["items"]]
    hub.clock.now = at(3, 5, 9)  # Wednesday: two working days late
    assert ("overdue", soon) in [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", "hn"))["items"]]
    await hub.ok("POST", f"/opinions/{later}/actions", "xucun-dept", json={"action": "return", "note": "不属本单位"})
    hn = [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", "hn"))["items"]]
    assert ("returned", later) in hn
    assert (await hub.ok("GET", "/me/notifications", "op-xucun"))["items"] == []


async def test_the_deputy_hears_of_answers_and_open_lobbies(hub):
    session = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    link = await hub.ok("POST", f"/sessions/{session['id']}/invitations", "hn", expect=201,
                        json={"deputyId": hub.deputies["许村代表"]})
    async with hub.http.post(f"{hub.url}/deputy/setup", json={"phone": "13812345678", "password": PASSWORD},
                             headers={"Authorization": f"Bearer {link['url'].split('#token=')[1]}"}) as r:
        assert r.status == 201
    oid = await _assigned(hub)
    for step in ({"action": "start"}, {"action": "answer", "grade": "A", "answer": "好"}, {"action": "feed_back"}):
        await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json=step)
    assert [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", "13812345678"))["items"]] == [
        ("answered", oid)]
    hub.clock.now = at(3, 7, 13, 50)  # the lobby is open
    items = (await hub.ok("GET", "/me/notifications", "13812345678"))["items"]
    assert [(n["kind"], n["sessionId"]) for n in items if n["sessionId"]] == [("lobby_open", session["id"])]


async def test_calendar_feeds_carry_an_alarm_15_minutes_before(hub):
    import icalendar

    await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    key = (await hub.ok("GET", "/stations/xucun/calendar-link", "op-xucun"))["url"].split("key=")[1]
    status, body = await hub.call("GET", "/stations/xucun/calendar.ics", params={"key": key})
    assert status == 200
    [event] = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if "许村" in str(e["SUMMARY"])]
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm["TRIGGER"].dt == timedelta(minutes=-15)
