"""REST: departments' extension requests 延期申请 (issue 13): a department
asks, the town's dispatcher approves or refuses with a reason; only an
approval moves the deadline.  Rules in :mod:`opinions.extensions`, storage
in :mod:`store.extensions`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import Field
from sqlmodel import Session

from opinions.reference import reference
from store import extensions as store
from store.opinion_models import ExtensionRequest, Opinion

from api import schemas as s
from api.convert import local, maybe_local
from api.framework import Call
from api.opinions import rules_of

Status = Literal["pending", "approved", "refused"]


class ExtensionIn(s.Input):
    deadline: s.Instant = Field(description="the later deadline asked for")
    note: Annotated[s.Text, Field(min_length=0, max_length=2000)] = Field(default="", description="the reason (required)")


class DecisionIn(s.Input):
    approve: bool
    reason: Annotated[s.Text, Field(max_length=2000)] = Field(default="", description="required to refuse")


class ExtensionQuery(s.Input):
    status: Optional[Status] = None
    opinion_id: Optional[s.Id] = Field(default=None, alias="opinionId")


class ExtensionOut(s.Model):
    id: int
    opinion_id: int
    reference: str
    summary: str
    department: str
    department_name: str
    station: str
    current_deadline: Optional[datetime]
    requested_deadline: datetime
    reason: str
    status: Status
    requested_at: datetime
    decided_at: Optional[datetime]
    decision_reason: str


class ExtensionList(s.Model):
    items: list[ExtensionOut]


def _out(call: Call, row: ExtensionRequest, opinion: Optional[Opinion]) -> ExtensionOut:
    department = rules_of(call.services).departments.get(row.department_code)
    return ExtensionOut(
        id=row.id or 0, opinion_id=row.opinion_id,
        reference=reference(row.opinion_id, opinion.received_at) if opinion else str(row.opinion_id),
        summary=opinion.summary if opinion else "", department=row.department_code,
        department_name=department.name if department else row.department_code, station=row.station_code,
        current_deadline=maybe_local(row.current_deadline), requested_deadline=local(row.requested_deadline),
        reason=row.reason, status=row.status,  # type: ignore[arg-type]
        requested_at=local(row.requested_at), decided_at=maybe_local(row.decided_at),
        decision_reason=row.decision_reason)


async def request_extension(call: Call) -> ExtensionOut:
    """``POST /opinions/{id}/extension-requests``: the department asks."""
    actor, now, body, opinion_id = call.require_actor(), call.now, call.body, call.path.id

    def work(db: Session):
        row = store.request_extension(db, actor, opinion_id, body.deadline, body.note, now)
        return row, db.get(Opinion, row.opinion_id)

    return _out(call, *(await call.services.db(work)))


async def list_requests(call: Call) -> ExtensionList:
    """``GET /extension-requests``: in the caller's scope, newest first."""
    actor, matrix, q = call.require_actor(), call.services.matrix, call.query
    f = store.RequestFilter(status=q.status, opinion_id=q.opinion_id)

    def work(db: Session):
        rows = store.list_requests(db, actor, matrix, f)
        return [(r, db.get(Opinion, r.opinion_id)) for r in rows]

    return ExtensionList(items=[_out(call, r, o) for r, o in await call.services.db(work)])


async def decide(call: Call) -> ExtensionOut:
    """``POST /extension-requests/{id}/decision``: approve or refuse."""
    actor, matrix, now, body, request_id = call.require_actor(), call.services.matrix, call.now, call.body, call.path.id
    rules = rules_of(call.services)

    def work(db: Session):
        row = store.decide(db, actor, matrix, rules, request_id, body.approve, body.reason, now)
        return row, db.get(Opinion, row.opinion_id)

    row, opinion = await call.services.db(work)
    return _out(call, row, opinion)
