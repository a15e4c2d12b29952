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
from datetime import datetime
from typing import Iterable, Optional, Sequence


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

    def as_dict(self) -> dict:
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

    def previous(self) -> "Period":
        """The period of the same length just before."""
        return Period(self.start - (self.end - self.start), self.start)
