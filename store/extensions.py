"""Departments' extension requests 延期申请 (issue 13): a department asks,
the town's dispatcher (or one above, or an administrator) approves or
refuses with a reason; only an approval moves the deadline, through the
workflow's ``extend`` step taken by the approver (``store/opinions.act``),
in the same transaction as the decision.  Rules: :mod:`opinions.extensions`.
The parties hear of it through the notification centre
(``api/notifications.py``: pending requests for the dispatchers, decisions
for the department).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import Forbidden, NotFound
from core.matrix import Matrix
from core.scope import Actor, Role
from opinions import extensions as rules_
from store.audit import record
from store.opinion_models import ExtensionRequest, Opinion
from store.opinions import OpinionRules, act, state_of
from store.scope import scope_clause
from store.tx import transaction

#: How long a department's bell shows a decision.
DECISION_NEWS = timedelta(days=3)


def _snapshot(row: ExtensionRequest) -> dict:
    return {"id": row.id, "opinion": row.opinion_id, "status": row.status,
            "deadline": row.requested_deadline.isoformat(), "reason": row.reason[:200],
            "decision": row.decision_reason[:200]}


def _locked(db: Session, model, key: int):  # type: ignore[no-untyped-def]
    query = select(model).where(model.id == key)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.exec(query).first()


def request_extension(
    db: Session, actor: Actor, opinion_id: int, deadline: Optional[datetime], reason: str, now: datetime,
) -> ExtensionRequest:
    """The department holding the opinion asks for ``deadline``."""
    with transaction(db):
        row = _locked(db, Opinion, opinion_id)
        if row is None or actor.role is not Role.DEPARTMENT or row.department != actor.department:
            if actor.role is not Role.DEPARTMENT:
                raise Forbidden("extension_department_only")
            raise NotFound(what="opinion", id=opinion_id)
        pending = db.exec(select(ExtensionRequest.id).where(ExtensionRequest.opinion_id == opinion_id,
                                                            ExtensionRequest.status == rules_.PENDING)).first()
        rules_.check_request(state_of(row), deadline, reason, now, pending is not None)
        assert deadline is not None and actor.department is not None
        request = ExtensionRequest(
            opinion_id=opinion_id, department_code=actor.department, station_code=row.station_code,
            town_code=row.town_code, current_deadline=row.deadline, requested_deadline=deadline,
            reason=reason.strip(), status=rules_.PENDING, requested_by=actor.account_id, requested_at=now,
        )
        db.add(request)
        db.flush()
        record(db, actor, "opinion.extension_request", "opinion", opinion_id, None, _snapshot(request), now)
    db.refresh(request)
    return request


def _decider(actor: Actor, matrix: Matrix, row: ExtensionRequest) -> None:
    if actor.role is Role.ADMINISTRATOR:
        return
    if actor.role is not Role.DISPATCHER:
        raise Forbidden("extension_deciders")
    if not matrix.is_within(row.station_code, actor.station or ""):
        raise Forbidden("outside_subtree", station=row.station_code, scope=actor.station)


def decide(
    db: Session, actor: Actor, matrix: Matrix, rules: OpinionRules, request_id: int, approve: bool, reason: str,
    now: datetime,
) -> ExtensionRequest:
    """Approve (the deadline moves, by the approver's ``extend`` step,
    committed in one transaction with the decision) or refuse (with the
    reason; the deadline stays)."""
    try:
        request = _locked(db, ExtensionRequest, request_id)
        if request is None:
            raise NotFound(what="extension request", id=request_id)
        _decider(actor, matrix, request)
        opinion = db.get(Opinion, request.opinion_id)
        assert opinion is not None
        before = _snapshot(request)
        request.status = rules_.decide(request.status, approve, reason, state_of(opinion))
        request.decided_by, request.decided_at, request.decision_reason = actor.account_id, now, reason.strip()
        db.add(request)
        record(db, actor, f"opinion.extension_{request.status}", "opinion", request.opinion_id, before,
               _snapshot(request), now)
        if approve:  # act's transaction commits the decision with the step, or rolls both back
            note = f"批准延期申请：{request.reason}" + (f"（{reason.strip()}）" if reason.strip() else "")
            act(db, actor, matrix, rules, request.opinion_id, "extend", {"deadline": request.requested_deadline},
                now, note=note)
        else:
            db.commit()
    except BaseException:
        db.rollback()
        raise
    db.refresh(request)
    return request


@dataclass(frozen=True)
class RequestFilter:
    status: Optional[str] = None
    opinion_id: Optional[int] = None
    decided_since: Optional[datetime] = None
    limit: int = 100


def list_requests(db: Session, actor: Actor, matrix: Matrix, f: RequestFilter) -> list[ExtensionRequest]:
    """Dispatchers: requests of their subtree; administrators: all; a
    department: its own; nobody else."""
    if actor.role is Role.DEPARTMENT:
        where = col(ExtensionRequest.department_code) == (actor.department or "")
    elif actor.role is Role.DISPATCHER:
        where = scope_clause(matrix, actor.station, col(ExtensionRequest.station_code),
                             col(ExtensionRequest.town_code))
    elif actor.role is Role.ADMINISTRATOR:
        where = sa.true()
    else:
        raise Forbidden("extension_deciders")
    conditions = [where]
    if f.status is not None:
        conditions.append(col(ExtensionRequest.status) == f.status)
    if f.opinion_id is not None:
        conditions.append(col(ExtensionRequest.opinion_id) == f.opinion_id)
    if f.decided_since is not None:
        conditions.append(col(ExtensionRequest.decided_at) >= f.decided_since)
    return list(db.exec(select(ExtensionRequest).where(*conditions)
                        .order_by(col(ExtensionRequest.requested_at).desc(), col(ExtensionRequest.id).desc())
                        .limit(f.limit)).all())
