"""The period's opinion figures town by town (``GET /api/reports/opinion-towns``):
the per-town table of the 统计报表 page and of its printed report.

One row per town or sub-district station (level ``town``) within the scope
the caller reads (``store.reading_scope``: its own by default), each counting
the town's station and its liaison rooms, in the matrix's order.
"""

from __future__ import annotations

from sqlmodel import Session

from store import opinion_reports as reports, scope as store_scope

from api import schemas as s
from api.framework import Call
from api.opinions import _period, _stats_out


class TownStatsOut(s.Model):
    station: str
    name: str
    stats: s.StatsOut


class TownStatsList(s.Model):
    scope: str | None
    items: list[TownStatsOut]


async def town_stats(call: Call) -> TownStatsList:
    q: s.PeriodQuery = call.query
    _period(q.from_, q.to)
    actor, matrix = call.require_actor(), call.services.matrix
    scope = store_scope.reading_scope(actor, matrix, q.scope)
    towns = [t for t in (matrix.subtree(scope) if scope else matrix.stations()) if t.level == "town"]

    def work(db: Session) -> list[TownStatsOut]:
        return [TownStatsOut(station=t.code, name=t.name,
                             stats=_stats_out(reports.summary(db, matrix, t.code, q.from_, q.to), t.code, q.from_, q.to))
                for t in towns]

    return TownStatsList(scope=scope, items=await call.services.db(work))
