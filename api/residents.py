"""The residents' online liaison station (网上联络站, issue 13), no login:
the town stations and the categories to choose from, sending a matter
(then its photos, with the one-time key the reply gave), and looking up its
progress by reference number and the last four digits of the phone.
Rules in :mod:`store.residents`."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import Field
from sqlmodel import Session

from core.proxies import client_address
from opinions import workflow as wf
from opinions.reference import reference
from store import residents

from api import schemas as s
from api.convert import local, maybe_local
from api.framework import Call, read_body
from api.opinions import rules_of


class PublicStation(s.Model):
    code: str
    name: str
    name_en: str
    level: str
    town: str = Field(description="the town/street station it belongs to (itself for a town)")
    lat: Optional[float] = Field(default=None, description="where it is (WGS-84 degrees; configs/matrix.yaml), "
                                 "for the page's nearest station")
    lon: Optional[float] = None


class CodeName(s.Model):
    code: str
    name: str
    name_en: str


class PublicOptions(s.Model):
    stations: list[PublicStation]
    categories: list[CodeName]
    request_types: list[CodeName]


class ResidentIn(s.Input):
    station: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=16)
    request_type: str = Field(min_length=1, max_length=16)
    summary: str = Field(min_length=1, max_length=200)
    details: str = Field(default="", max_length=5000)
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(min_length=1, max_length=32)
    client_key: Optional[str] = Field(default=None, max_length=64, description="a UUID the page makes: a retry "
                                      "returns the stored matter")


class ResidentOut(s.Model):
    id: int
    reference: str = Field(description="the reference number to look the matter up with")
    station: str
    received_at: datetime
    masked_name: str
    masked_phone: str
    upload_key: Optional[str] = Field(description="for PUT /public/opinions/{id}/photos/{position} (header "
                                      "X-Upload-Key), valid one hour; null on a retry")


class ProgressQuery(s.Input):
    reference: str = Field(min_length=1, max_length=40)
    digits: str = Field(min_length=1, max_length=8, description="the last four digits of the phone given")


class ProgressStep(s.Model):
    action: str
    status: str
    at: datetime


class ProgressOut(s.Model):
    reference: str
    status: str
    station_name: str
    summary: str
    received_at: datetime
    masked_name: str
    masked_phone: str
    deadline: Optional[datetime]
    answer: Optional[str] = Field(description="the department's latest answer, once answered")
    grade: Optional[str]
    steps: list[ProgressStep] = Field(description="the timeline without names")


class PhotoDone(s.Model):
    position: int
    size: int


def _remote(call: Call) -> str:
    return client_address(call.request.remote, call.request.headers.get("X-Forwarded-For"),
                          call.services.trusted_proxies)


async def public_options(call: Call) -> PublicOptions:
    matrix, rules = call.services.matrix, rules_of(call.services)
    stations = []
    for st in matrix.stations():
        if st.level in ("town", "room"):
            town = st.code if st.level == "town" else next(
                (a.code for a in matrix.ancestors(st.code) if a.level == "town"), st.code)
            stations.append(PublicStation(code=st.code, name=st.name, name_en=st.name_en, level=st.level, town=town,
                                          lat=st.lat, lon=st.lon))
    return PublicOptions(
        stations=stations,
        categories=[CodeName(code=c, name=rules.category_names[c], name_en=rules.category_names_en.get(c, c))
                    for c in rules.categories],
        request_types=[CodeName(code=c, name=rules.request_type_names[c], name_en=c) for c in rules.request_types],
    )


async def resident_submit(call: Call) -> ResidentOut:
    body: ResidentIn = call.body
    matrix, rules, now, remote = call.services.matrix, rules_of(call.services), call.now, _remote(call)
    sub = residents.Submission(station=body.station, category=body.category, request_type=body.request_type,
                               summary=body.summary, details=body.details, name=body.name, phone=body.phone,
                               client_key=body.client_key)
    view, key = await call.services.db(lambda db: residents.submit(db, matrix, rules, sub, remote, now))
    row = view.opinion
    assert row.id is not None
    from api.opinions import tell

    if view.news is not None:  # a retry (replayed) was told of when it was stored
        await tell(call.services, view.news)
    return ResidentOut(id=row.id, reference=reference(row.id, row.received_at), station=row.station_code,
                       received_at=local(row.received_at), masked_name=residents.mask_name(row.resident_name),
                       masked_phone=residents.mask_phone(row.resident_contact), upload_key=key)


async def resident_photo(call: Call) -> PhotoDone:
    matrix, now, path = call.services.matrix, call.now, call.path
    key = call.request.headers.get("X-Upload-Key", "")
    data = await read_body(call.request, residents.store.MAX_PHOTO_BYTES, "photo_too_large")
    content_type = call.request.headers.get("Content-Type", "")

    def work(db: Session):
        return residents.put_photo(db, matrix, path.id, key, path.position, content_type, data, now)

    row = await call.services.db(work)
    return PhotoDone(position=row.position, size=row.size)


async def resident_progress(call: Call) -> ProgressOut:
    q: ProgressQuery = call.query
    now, remote, matrix = call.now, _remote(call), call.services.matrix
    found = await call.services.db(lambda db: residents.lookup(db, q.reference, q.digits, remote, now))
    row = found.opinion
    assert row.id is not None
    answers = [e for e in found.events if e.action == wf.Action.ANSWER.value]
    last = answers[-1].payload or {} if answers else {}
    station = matrix.get(row.station_code)
    held = row.status in (wf.Status.ANSWERED.value, wf.Status.FED_BACK.value, wf.Status.RATED.value,
                          wf.Status.CLOSED.value)
    return ProgressOut(
        reference=reference(row.id, row.received_at), status=row.status,
        station_name=station.name if station else row.station_code, summary=row.summary,
        received_at=local(row.received_at), masked_name=residents.mask_name(row.resident_name),
        masked_phone=residents.mask_phone(row.resident_contact), deadline=maybe_local(row.deadline),
        answer=str(last.get("answer")) if held and last.get("answer") else None,
        grade=str(last.get("grade")) if held and last.get("grade") else None,
        steps=[ProgressStep(action=e.action, status=e.to_status, at=local(e.at)) for e in found.events],
    )
