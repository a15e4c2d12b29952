"""Statistics and rankings over plain records: pure, no I/O.

The definitions (the SQL of :mod:`store.opinions` computes the same):

``received``
    opinions captured in the period (by ``received_at``).
``assigned``
    of those, the ones ever assigned to a department (rejected and not yet
    accepted ones are not).
``resolved``
    of those, the ones whose current answer is graded A (solved): 办结.
``resolution_rate``
    resolved / assigned (the seed's 317 of 322).
``town_share``
    resolved at town level / resolved (the seed's 246 of 317).
``avg_hours_to_answer``
    mean hours from capture to the first answer, over answered ones.
``satisfaction``
    (满意 + 基本满意) / rated, by each opinion's latest rating.

Rates are ``None`` when their denominator is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Iterable, Optional, Sequence

from hub.zone import ZONE

#: The zone whose calendar decides whole months, quarters and years.
SHANGHAI = ZONE


@dataclass(frozen=True)
class OpinionFact:
    """What statistics need to know of one opinion."""

    received_at: datetime
    category: str
    station: str
    assigned: bool = False
    resolved: bool = False
    level: Optional[str] = None
    first_answered_at: Optional[datetime] = None
    rating: Optional[str] = None
    status: str = "submitted"
    request_type: str = ""


@dataclass(frozen=True)
class Summary:
    received: int = 0
    assigned: int = 0
    resolved: int = 0
    resolved_town: int = 0
    answered: int = 0
    hours_to_answer_total: float = 0.0
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0

    @property
    def resolution_rate(self) -> Optional[float]:
        return self.resolved / self.assigned if self.assigned else None

    @property
    def town_share(self) -> Optional[float]:
        return self.resolved_town / self.resolved if self.resolved else None

    @property
    def avg_hours_to_answer(self) -> Optional[float]:
        return self.hours_to_answer_total / self.answered if self.answered else None

    @property
    def satisfaction(self) -> Optional[float]:
        return (self.satisfied + self.basic) / self.rated if self.rated else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "assigned": self.assigned,
            "resolved": self.resolved,
            "resolvedTown": self.resolved_town,
            "answered": self.answered,
            "rated": self.rated,
            "satisfied": self.satisfied,
            "basic": self.basic,
            "unsatisfied": self.unsatisfied,
            "resolutionRate": self.resolution_rate,
            "townShare": self.town_share,
            "avgHoursToAnswer": self.avg_hours_to_answer,
            "satisfaction": self.satisfaction,
        }


@dataclass(frozen=True)
class RankRow:
    category: str
    count: int
    previous: int
    rank: int
    previous_rank: Optional[int] = None

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_rate(self) -> Optional[float]:
        """Relative change against the previous period; ``None`` when it had none."""
        return (self.count - self.previous) / self.previous if self.previous else None


def in_period(facts: Iterable[OpinionFact], start: datetime, end: datetime) -> list[OpinionFact]:
    """Facts received in [start, end)."""
    return [f for f in facts if start <= f.received_at < end]


def summarize(facts: Iterable[OpinionFact]) -> Summary:
    received = assigned = resolved = resolved_town = answered = rated = 0
    hours = 0.0
    ratings = {"satisfied": 0, "basic": 0, "unsatisfied": 0}
    for f in facts:
        received += 1
        if f.assigned:
            assigned += 1
        if f.resolved:
            resolved += 1
            if f.level == "town":
                resolved_town += 1
        if f.first_answered_at is not None:
            answered += 1
            hours += (f.first_answered_at - f.received_at).total_seconds() / 3600
        if f.rating in ratings:
            rated += 1
            ratings[f.rating] += 1
    return Summary(received, assigned, resolved, resolved_town, answered, hours, rated,
                   ratings["satisfied"], ratings["basic"], ratings["unsatisfied"])


def counts_by(facts: Iterable[OpinionFact], key: str = "category") -> dict[str, int]:
    out: dict[str, int] = {}
    for f in facts:
        value = getattr(f, key)
        out[value] = out.get(value, 0) + 1
    return out


def _ranks(counts: dict[str, int], order: Sequence[str]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by count, descending."""
    position = {code: i for i, code in enumerate(order)}
    ranked = sorted((c for c in counts if counts[c] > 0), key=lambda c: (-counts[c], position.get(c, len(order)), c))
    out: dict[str, int] = {}
    for index, code in enumerate(ranked):
        if index and counts[code] == counts[ranked[index - 1]]:
            out[code] = out[ranked[index - 1]]
        else:
            out[code] = index + 1
    return out


def rank(
    current: dict[str, int], previous: Optional[dict[str, int]] = None, order: Sequence[str] = ()
) -> list[RankRow]:
    """Categories by volume, most first (ties: in ``order``, the configured
    order of categories), with the previous period's count and rank.
    Categories with no opinion in the current period are left out."""
    previous = previous or {}
    now_ranks = _ranks(current, order)
    before_ranks = _ranks(previous, order)
    rows = [
        RankRow(code, current[code], previous.get(code, 0), now_ranks[code], before_ranks.get(code))
        for code in now_ranks
    ]
    rows.sort(key=lambda r: (r.rank, list(order).index(r.category) if r.category in order else len(order), r.category))
    return rows


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def previous(self, zone: tzinfo = SHANGHAI) -> "Period":
        """The period to compare with: see :func:`previous_period`."""
        start, end = previous_period(self.start, self.end, zone)
        return Period(start, end)


def _month_start(moment: datetime) -> bool:
    return moment == moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months_before(moment: datetime, months: int, zone: tzinfo) -> datetime:
    years, month0 = divmod(moment.month - 1 - months, 12)
    return datetime(moment.year + years, month0 + 1, 1, tzinfo=zone)


def previous_period(start: datetime, end: datetime, zone: tzinfo = SHANGHAI) -> tuple[datetime, datetime]:
    """The period a report compares ``[start, end)`` with, ending at ``start``.

    A span of whole calendar months in ``zone`` (both ends at midnight on a
    month's first day) is compared with as many calendar months before it:
    March with February (28 or 29 days), a quarter with the quarter before,
    a year with the year before.  Any other span is compared with the same
    length of time just before it (7 days with the 7 days before).  Both
    times must be aware; the answer keeps ``start``'s offset."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("previous_period: aware times only")
    if end <= start:
        raise ValueError("previous_period: the end must lie after the start")
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if _month_start(local_start) and _month_start(local_end):
        months = (local_end.year - local_start.year) * 12 + local_end.month - local_start.month
        return _months_before(local_start, months, zone).astimezone(start.tzinfo), start
    length: timedelta = end - start
    return start - length, start
