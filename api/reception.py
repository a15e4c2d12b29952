"""REST: station reception duty 进站接待 and a session's 签到 by QR code (issue 13).

The station's code of the day and a live session's sign-in code are HMACs
with the hub's key (``duty/reception.py``); the QR code carries
``{base}/deputy#signin={code}``, which the deputy's phone page posts to
``POST /me/signin``.  Rules live in :mod:`store.reception`.
"""

from __future__ import annotations

import base64
import io
from datetime import date, datetime, timedelta
from typing import Annotated, Literal, Optional

import segno
from pydantic import Field
from sqlmodel import Session

from core.errors import Forbidden
from core.scope import Role
from duty import reception as codes
from store import reception as store

from api import schemas as s
from api.convert import local, maybe_local
from api.duty import record_out
from api.framework import Call
from api.opinions import rules_of
from api.sessions import join_id
from opinions.reference import reference


class ReceptionPath(s.Input):
    code: s.StationCode


class ReceptionQuery(s.Input):
    day: Optional[date] = Field(default=None, description="a China-time date (default: today)")


class RosterIn(s.Input):
    day: date
    deputy_ids: list[s.Id] = Field(alias="deputyIds", max_length=200)


class ReceivedOpinion(s.Model):
    id: int
    reference: str
    summary: str
    resident_name: str
    status: str


class ShiftOut(s.Model):
    deputy_id: int
    name: str
    station: str = Field(description="the deputy's own station")
    rostered: bool = Field(description="on the day's roster; false: came without (临时)")
    signed_in_at: Optional[datetime]
    record: Optional[s.DutyRecordOut] = Field(description="the reception duty record the sign-in made")
    opinions: list[ReceivedOpinion] = Field(description="residents received: the opinions the deputy raised "
                                            "that day at this station")


class Candidate(s.Model):
    id: int
    name: str
    station: str


class ReceptionDay(s.Model):
    station: str
    day: date
    shifts: list[ShiftOut]
    candidates: list[Candidate] = Field(description="the deputies of the station's town, for the roster form")


class SigninCode(s.Model):
    code: str
    url: str = Field(description="what the QR code carries: the deputy's phone page with the code")
    qr_svg: str = Field(description="the QR code as a data: URL (SVG)")
    valid_from: datetime
    valid_until: datetime


class SessionCodeQuery(s.Input):
    station: s.StationCode


class SignInIn(s.Input):
    code: Annotated[str, Field(min_length=1, max_length=200)]


class SignInOut(s.Model):
    kind: Literal["reception", "session"]
    already: bool = Field(description="signed in before: nothing new was recorded (已签到)")
    station: str
    station_name: str
    day: Optional[date]
    rostered: bool
    session_id: Optional[int]
    title: str
    record: s.DutyRecordOut


class MyReception(s.Model):
    station: str
    station_name: str
    day: date
    rostered: bool
    signed_in_at: Optional[datetime]


class MyReceptions(s.Model):
    items: list[MyReception]


def _kind_names(call: Call) -> dict[str, str]:
    return {k: r.name for k, r in rules_of(call.services).scoring.rules.items()}


def _day_out(call: Call, station: str, day: date, found: tuple[list[store.ShiftView], list]) -> ReceptionDay:
    views, deputies = found
    names = _kind_names(call)
    shifts = []
    for v in views:
        assert v.deputy.id is not None
        shifts.append(ShiftOut(
            deputy_id=v.deputy.id, name=v.deputy.name, station=v.deputy.station_code, rostered=v.shift.rostered,
            signed_in_at=maybe_local(v.shift.signed_in_at), record=record_out(v.record, names) if v.record else None,
            opinions=[ReceivedOpinion(id=o.id or 0, reference=reference(o.id or 0, o.received_at), summary=o.summary,
                                      resident_name=o.resident_name, status=o.status) for o in v.opinions]))
    return ReceptionDay(station=station, day=day, shifts=shifts,
                        candidates=[Candidate(id=d.id, name=d.name, station=d.station_code) for d in deputies])


async def reception_day(call: Call) -> ReceptionDay:
    """``GET /stations/{code}/reception``: the day's roster and sign-ins."""
    actor, matrix, station = call.require_actor(), call.services.matrix, call.path.code
    day = call.query.day or codes.china_day(call.now)
    found = await call.services.db(lambda db: (store.day_of(db, actor, matrix, station, day),
                                               store.candidates(db, matrix, station)))
    return _day_out(call, station, day, found)


async def set_roster(call: Call) -> ReceptionDay:
    """``PUT /stations/{code}/reception``: the day's roster becomes the list."""
    actor, matrix, station, now, body = call.require_actor(), call.services.matrix, call.path.code, call.now, call.body
    found = await call.services.db(lambda db: (store.set_roster(db, actor, matrix, station, body.day,
                                                                body.deputy_ids, now),
                                               store.candidates(db, matrix, station)))
    return _day_out(call, station, body.day, found)


def _qr(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title="签到")
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _code_out(call: Call, code: str, start: datetime, end: datetime) -> SigninCode:
    url = codes.signin_url(call.services.base_url, code)
    return SigninCode(code=code, url=url, qr_svg=_qr(url), valid_from=local(start), valid_until=local(end))


async def reception_code(call: Call) -> SigninCode:
    """``GET /stations/{code}/reception-code``: the station's code of the day."""
    actor, matrix, station, now = call.require_actor(), call.services.matrix, call.path.code, call.now
    store.require_staff(actor, matrix, station)
    day = codes.china_day(now)
    start, end = store._day_bounds(day)
    return _code_out(call, codes.reception_code(call.services.secret, station, day), start, end)


async def session_code(call: Call) -> SigninCode:
    """``GET /sessions/{id}/signin-code?station=``: a live occurrence's sign-in code for one station's screen."""
    actor, services, now, station = call.require_actor(), call.services, call.now, call.query.station
    via_station: Optional[str] = None
    if call.via_join_token:  # a live page: its own session only, a station's screen as that station
        view = await services.db(lambda db: services.repo.load(db, call.path.id))
        if call.join_session not in (join_id(view), str(call.path.id)):
            raise Forbidden("join_link_other_session")
        if actor.role is Role.OPERATOR:
            via_station = actor.station

    def work(db: Session):
        return store.session_code_for(db, actor, services.matrix, services.repo, services.secret, call.path.id,
                                      station, now, via_station)

    code, occurrence = await services.db(work)
    return _code_out(call, code, occurrence.start, occurrence.end + codes.SESSION_GRACE)


async def sign_in(call: Call) -> SignInOut:
    """``POST /me/signin``: the deputy's phone posts the code it scanned."""
    actor, services, now, code = call.require_actor(), call.services, call.now, call.body.code
    rules = rules_of(services).scoring
    done = await services.db(lambda db: store.sign_in(db, actor, services.matrix, rules, services.repo,
                                                      services.secret, code, now))
    station = services.matrix.get(done.station)
    return SignInOut(kind=done.kind, already=done.already, station=done.station,  # type: ignore[arg-type]
                     station_name=station.name if station else done.station, day=done.day, rostered=done.rostered,
                     session_id=done.session_id, title=done.title, record=record_out(done.record, _kind_names(call)))


async def my_receptions(call: Call) -> MyReceptions:
    """``GET /me/receptions``: the deputy's reception days, from a week ago on."""
    actor, matrix = call.require_actor(), call.services.matrix
    since = codes.china_day(call.now) - timedelta(days=7)
    rows = await call.services.db(lambda db: store.my_receptions(db, actor, since))
    return MyReceptions(items=[MyReception(station=r.station_code, station_name=matrix[r.station_code].name
                                           if r.station_code in matrix else r.station_code, day=r.day,
                                           rostered=r.rostered, signed_in_at=maybe_local(r.signed_in_at))
                               for r in rows])
