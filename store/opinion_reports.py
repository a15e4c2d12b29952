"""Reading opinions in bulk: the search of the 民情数据库, statistics and rankings computed in
SQL, and the hot-topic report.

The definitions of the figures are the pure ones of :mod:`opinions.stats`; this module only
counts them where the rows are.  Every reader is limited to its reading scope
(:func:`store.scope.reading_scope`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import InvalidPayload
from core.matrix import Matrix
from core.scope import Actor, Role
from core.zone import ZONE
from opinions import stats as pure_stats
from opinions import workflow as wf
from opinions.reference import parse as parse_reference
from store.opinion_models import Opinion
from opinions.rules import OpinionRules
from store.scope import reading_scope, scope_clause


@dataclass(frozen=True)
class OpinionFilter:
    category: Optional[str] = None
    station: Optional[str] = None  # its subtree
    level: Optional[str] = None
    status: Optional[str] = None
    request_type: Optional[str] = None
    start: Optional[datetime] = None  # received in [start, end)
    end: Optional[datetime] = None
    text: Optional[str] = None
    overdue: Optional[bool] = None
    flag: Optional[str] = None
    department: Optional[str] = None
    deputy_id: Optional[int] = None
    limit: int = 50
    offset: int = 0



def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"



def search(
    db: Session, actor: Actor, matrix: Matrix, f: OpinionFilter, now: datetime
) -> tuple[list[Opinion], int]:
    """Opinions matching ``f`` within the actor's scope, newest first, and
    how many match in all."""
    conditions: list[Any] = []
    if actor.role is Role.DEPUTY:
        conditions.append(Opinion.deputy_id == (actor.deputy_id or -1))
        scope = f.station
    elif actor.role is Role.DEPARTMENT:
        conditions.append(Opinion.department == (actor.department or ""))
        scope = f.station
    else:
        scope = reading_scope(actor, matrix, f.station)
    conditions.append(scope_clause(matrix, scope, col(Opinion.station_code), col(Opinion.town_code)))
    for column, value in ((Opinion.category, f.category), (Opinion.level, f.level), (Opinion.status, f.status),
                          (Opinion.request_type, f.request_type), (Opinion.department, f.department),
                          (Opinion.deputy_id, f.deputy_id)):
        if value is not None:
            conditions.append(column == value)
    if f.start is not None:
        conditions.append(col(Opinion.received_at) >= f.start)
    if f.end is not None:
        conditions.append(col(Opinion.received_at) < f.end)
    wanted = parse_reference(f.text) if f.text else None
    if wanted is not None:  # a reference number (MQ2026-000017): that opinion
        year, opinion_id = wanted
        zone = ZONE
        conditions.append(Opinion.id == opinion_id)
        conditions.append(col(Opinion.received_at) >= datetime(year, 1, 1, tzinfo=zone))
        conditions.append(col(Opinion.received_at) < datetime(year + 1, 1, 1, tzinfo=zone))
    elif f.text:
        pattern = _like(f.text.strip())
        conditions.append(sa.or_(col(Opinion.summary).ilike(pattern, escape="\\"),
                                 col(Opinion.details).ilike(pattern, escape="\\"),
                                 col(Opinion.resident_name).ilike(pattern, escape="\\")))
    if f.flag is not None:
        if f.flag not in wf.FLAGS:
            raise InvalidPayload("flag_choice", choices=wf.FLAGS, field="flag")
        conditions.append(getattr(Opinion, f"flag_{f.flag}") == True)  # noqa: E712
    overdue = sa.and_(col(Opinion.status).in_([s.value for s in wf.HANDLING]), col(Opinion.deadline) < now)
    if f.overdue is True:
        conditions.append(overdue)
    elif f.overdue is False:
        conditions.append(sa.not_(overdue))
    where = sa.and_(*conditions)
    total = db.exec(select(sa.func.count()).select_from(Opinion).where(where)).one()
    rows = db.exec(
        select(Opinion).where(where).order_by(col(Opinion.received_at).desc(), col(Opinion.id).desc())
        .limit(f.limit).offset(f.offset)
    ).all()
    return list(rows), int(total)



def _period_where(matrix: Matrix, scope: Optional[str], start: datetime, end: datetime) -> Any:
    return sa.and_(col(Opinion.received_at) >= start, col(Opinion.received_at) < end,
                   scope_clause(matrix, scope, col(Opinion.station_code), col(Opinion.town_code)))



def summary(db: Session, matrix: Matrix, scope: Optional[str], start: datetime, end: datetime) -> pure_stats.Summary:
    """The statistics of :mod:`opinions.stats`, one aggregate query."""
    one = sa.literal(1)

    def count_if(condition: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, one), else_=0)), 0)

    query = select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
        sa.func.count(),
        sa.func.count(col(Opinion.first_assigned_at)),
        sa.func.count(col(Opinion.resolved_at)),
        count_if(sa.and_(col(Opinion.resolved_at).is_not(None), col(Opinion.level) == "town")),
        sa.func.count(col(Opinion.answer_seconds)),
        sa.func.coalesce(sa.func.sum(col(Opinion.answer_seconds)), 0),
        count_if(Opinion.rating == "satisfied"),
        count_if(Opinion.rating == "basic"),
        count_if(Opinion.rating == "unsatisfied"),
    ).select_from(Opinion).where(_period_where(matrix, scope, start, end))
    (received, assigned, resolved, resolved_town, answered, seconds, satisfied, basic, unsatisfied) = db.exec(query).one()
    return pure_stats.Summary(
        received=int(received), assigned=int(assigned), resolved=int(resolved), resolved_town=int(resolved_town),
        answered=int(answered), hours_to_answer_total=int(seconds) / 3600, rated=int(satisfied + basic + unsatisfied),
        satisfied=int(satisfied), basic=int(basic), unsatisfied=int(unsatisfied),
    )



def category_counts(
    db: Session, matrix: Matrix, scope: Optional[str], start: datetime, end: datetime
) -> dict[str, int]:
    rows = db.exec(
        select(Opinion.category, sa.func.count()).where(_period_where(matrix, scope, start, end))
        .group_by(Opinion.category)
    ).all()
    return {category: int(count) for category, count in rows}



def ranking(
    db: Session, matrix: Matrix, rules: OpinionRules, scope: Optional[str], start: datetime, end: datetime
) -> list[pure_stats.RankRow]:
    """Categories by volume in [start, end), with the previous period of the
    same length — both counted in one scan."""
    previous = pure_stats.Period(start, end).previous()
    in_current = col(Opinion.received_at) >= start
    rows = db.exec(
        select(
            Opinion.category,
            sa.func.sum(sa.case((in_current, 1), else_=0)),
            sa.func.sum(sa.case((in_current, 0), else_=1)),
        ).where(_period_where(matrix, scope, previous.start, end)).group_by(Opinion.category)
    ).all()
    current = {c: int(n) for c, n, _ in rows if n}
    before = {c: int(p) for c, _, p in rows if p}
    return pure_stats.rank(current, before, rules.categories)



@dataclass
class HotTopicReport:
    """The 民情热点专报 of a period and scope."""

    scope: Optional[str]
    start: datetime
    end: datetime
    summary: pure_stats.Summary
    previous_summary: pure_stats.Summary
    ranking: list[pure_stats.RankRow]
    notable: list[Opinion]
    supervision: list[Opinion]
    overdue: list[Opinion]



def hot_topic_report(
    db: Session, actor: Actor, matrix: Matrix, rules: OpinionRules, scope: Optional[str],
    start: datetime, end: datetime, now: datetime, top: int = 10, items: int = 50,
) -> HotTopicReport:
    scope = reading_scope(actor, matrix, scope)
    where = _period_where(matrix, scope, start, end)
    previous = pure_stats.Period(start, end).previous()
    notable = db.exec(
        select(Opinion).where(where, sa.or_(col(Opinion.flag_hot), col(Opinion.flag_suggestion),
                                            col(Opinion.rating) == "unsatisfied", col(Opinion.reopenings) > 0))
        .order_by(col(Opinion.received_at).desc()).limit(items)
    ).all()
    supervision = db.exec(
        select(Opinion).where(where, col(Opinion.flag_supervision)).order_by(col(Opinion.received_at).desc()).limit(items)
    ).all()
    overdue = db.exec(
        select(Opinion).where(where, col(Opinion.status).in_([s.value for s in wf.HANDLING]),
                              col(Opinion.deadline) < now)
        .order_by(col(Opinion.deadline)).limit(items)
    ).all()
    return HotTopicReport(
        scope, start, end, summary(db, matrix, scope, start, end),
        summary(db, matrix, scope, previous.start, previous.end),
        ranking(db, matrix, rules, scope, start, end)[:top], list(notable), list(supervision), list(overdue),
    )



def facts(rows: Sequence[Opinion]) -> list[pure_stats.OpinionFact]:
    """Stored opinions as the pure statistics' records."""
    return [
        pure_stats.OpinionFact(
            received_at=r.received_at, category=r.category, station=r.station_code,
            assigned=r.first_assigned_at is not None, resolved=r.resolved_at is not None, level=r.level,
            first_answered_at=r.first_answered_at, rating=r.rating, status=r.status, request_type=r.request_type,
        )
        for r in rows
    ]
