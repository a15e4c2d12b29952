"""iCalendar (RFC 5545) feeds of linked sessions, for calendar programs.

A series is one ``VEVENT`` with its ``RRULE`` (``UNTIL`` in UTC, as RFC 5545
wants with a zoned ``DTSTART``), an ``EXDATE`` per cancelled occurrence and a
``VEVENT`` with ``RECURRENCE-ID`` per moved occurrence.  A cancelled session
stays in the feed with ``STATUS:CANCELLED`` so subscribed calendars drop it.

Calendar programs cannot log in: a station's feed is authenticated by its
feed key (``?key=``, an HMAC of the station code and the key's generation
with the hub secret, :mod:`store.feeds`), which
``GET /stations/{code}/calendar-link`` hands to that station's operator and
the dispatchers above it.  ``POST /stations/{code}/calendar-link`` rotates
it (so does ``liaison-hub calendar rotate``): the old address stops working.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from icalendar import Alarm, Calendar, Event, vRecur
from sqlmodel import Session

from core.errors import Forbidden, LoginRequired, StationNotFound
from core.matrix import Matrix
from core.scope import Actor, Do, Role, require
from core.zone import TIME_ZONE
from scheduler.recurrence import normalize_rrule
from store import feeds, session_search
from store.sessions import SessionView

from api import schemas as s
from api.framework import Call
from api.sessions import target_for


def rrule_for_ics(rrule: str, tz: str) -> vRecur:
    """The stored rule with ``UNTIL`` as a UTC date-time."""
    parts = dict(p.split("=", 1) for p in normalize_rrule(rrule).split(";"))
    until = parts.get("UNTIL")
    if until is not None:
        zone = ZoneInfo(tz)
        if until.endswith("Z"):
            utc = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        elif len(until) == 8:
            day = datetime.strptime(until, "%Y%m%d") + timedelta(days=1, seconds=-1)
            utc = day.replace(tzinfo=zone).astimezone(timezone.utc)
        else:
            utc = datetime.strptime(until, "%Y%m%dT%H%M%S").replace(tzinfo=zone).astimezone(timezone.utc)
        parts["UNTIL"] = utc.strftime("%Y%m%dT%H%M%SZ")
    return vRecur.from_ical(";".join(f"{k}={v}" for k, v in parts.items()))


def _names(matrix: Matrix, codes: Iterable[str]) -> str:
    return "、".join(matrix[c].name if c in matrix else c for c in sorted(codes))


#: Calendar programs remind this long before each occurrence (issue 13).
ALARM_BEFORE = timedelta(minutes=15)


def _alarm() -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", "联动会议 15 分钟后开始 / The session starts in 15 minutes")
    return alarm


def events(view: SessionView, matrix: Matrix, host: str, now: datetime) -> list[Event]:
    row = view.row
    zone = ZoneInfo(row.timezone)
    uid = f"session-{row.id}@{host}"
    chair = matrix.get(row.chair_code)
    description = "\n\n".join(
        part for part in (row.agenda, f"参加联络站 Stations: {_names(matrix, view.stations)}") if part
    )

    def base(start: datetime, end: datetime) -> Event:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", now.astimezone(timezone.utc))
        event.add("dtstart", start.astimezone(zone))
        event.add("dtend", end.astimezone(zone))
        event.add("summary", row.title + (f" / {row.title_en}" if row.title_en else ""))
        event.add("description", description)
        event.add("location", chair.name if chair else row.chair_code)
        event.add("sequence", max(row.version - 1, 0))
        event.add("created", row.created_at.astimezone(timezone.utc))
        event.add("last-modified", row.updated_at.astimezone(timezone.utc))
        event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
        if row.status != "cancelled":
            event.add_component(_alarm())
        return event

    main = base(row.start_at, row.end_at)
    out = [main]
    if row.rrule:
        main.add("rrule", rrule_for_ics(row.rrule, row.timezone))
        cancelled = sorted(e.original_start.astimezone(zone) for e in view.exceptions if e.cancelled)
        if cancelled:
            main.add("exdate", cancelled)
        for e in sorted(view.exceptions, key=lambda e: e.original_start):
            if not e.cancelled and e.moved_start is not None and e.moved_end is not None:
                moved = base(e.moved_start, e.moved_end)
                moved.add("recurrence-id", e.original_start.astimezone(zone))
                out.append(moved)
    return out


def render(views: list[SessionView], matrix: Matrix, name: str, base_url: str, now: datetime) -> web.Response:
    cal = Calendar()
    cal.add("prodid", "-//liaison-hub//linked sessions//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TIME_ZONE)
    host = urlsplit(base_url).hostname or "liaison-hub"
    for view in views:
        for event in events(view, matrix, host, now):
            cal.add_component(event)
    cal.add_missing_timezones()
    return web.Response(
        body=cal.to_ical(),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="sessions.ics"'},
    )


def _may_see_station(actor: Actor, code: str, matrix: Matrix) -> None:
    """An operator its own station; a dispatcher the stations of its
    subtree; an administrator every station."""
    if actor.role is Role.ADMINISTRATOR:
        return
    if actor.role is Role.OPERATOR and actor.station == code:
        return
    if actor.role is Role.DISPATCHER and actor.station and matrix.is_within(code, actor.station):
        return
    raise Forbidden("calendar_private", station=code)


def _link(services, code: str, generation: int) -> s.CalendarLink:
    key = services.feed_key(code, generation)
    api = f"{services.base_url}{services.mount_path}"
    return s.CalendarLink(
        station=code,
        url=f"{api}/stations/{code}/calendar.ics?key={key}",
        session_url_template=f"{api}/sessions/{{id}}/calendar.ics?station={code}&key={key}",
    )


async def calendar_link(call: Call) -> s.CalendarLink:
    code = call.path.code
    services = call.services
    if code not in services.matrix:
        raise StationNotFound("station_code", station=code)
    _may_see_station(call.require_actor(), code, services.matrix)
    return _link(services, code, await services.db(lambda db: feeds.feed_generation(db, code)))


async def rotate_calendar_link(call: Call) -> s.CalendarLink:
    """A new key for the station's feed: addresses with the old one stop working."""
    code = call.path.code
    services = call.services
    if code not in services.matrix:
        raise StationNotFound("station_code", station=code)
    actor = call.require_actor()
    _may_see_station(actor, code, services.matrix)
    now = call.now
    return _link(services, code, await services.db(lambda db: feeds.rotate_feed_key(db, actor, code, now)))


async def station_calendar(call: Call) -> web.Response:
    code, key = call.path.code, call.query.key
    services = call.services
    matrix, repo, now = services.matrix, services.repo, call.now
    if code not in matrix:
        raise StationNotFound("station_code", station=code)
    generation = await services.db(lambda db: feeds.feed_generation(db, code))
    if not services.feed_key_ok(code, generation, key):
        raise Forbidden("calendar_key_wrong")

    def work(db: Session) -> list[SessionView]:
        since = now - timedelta(days=services.calendar_days_back)
        ids = session_search.session_ids(db, since, now + repo.horizon, {code})
        views = [repo.load(db, i) for i in ids]
        return [v for v in views if not v.row.standing]

    views = await services.db(work)
    station = matrix[code]
    return render(views, matrix, f"{station.name} 联动会议", services.base_url, now)


async def session_calendar(call: Call) -> web.Response:
    q: s.SessionFeedQuery = call.query
    services = call.services
    matrix, repo, now, session_id = services.matrix, services.repo, call.now, call.path.id
    if q.key is not None:
        if q.station is None:
            raise Forbidden("calendar_key_needs_station")
        station = q.station
        generation = await services.db(lambda db: feeds.feed_generation(db, station)) if station in matrix else 0
        if not services.feed_key_ok(station, generation, q.key):
            raise Forbidden("calendar_key_wrong")
    elif call.actor is None:
        raise LoginRequired()
    actor = call.actor

    def work(db: Session) -> SessionView:
        view = repo.load(db, session_id)
        if q.key is not None:
            if q.station not in view.stations:
                raise Forbidden("station_not_in_session", station=q.station)
        else:
            assert actor is not None
            require(actor, Do.VIEW, target_for(repo, db, actor, view, now), matrix)
        return view

    view = await services.db(work)
    return render([view], matrix, view.row.title, services.base_url, now)
