"""Scoring rules → duty records, and ledgers: pure, no I/O.

Each record has a ``key`` ``{kind}|{occasion}|{deputy}``: one person, one
occasion, one record (一人一次一记一赋分).  The storage keeps the key unique,
so a fact recorded twice (a retry, a re-resolved opinion, a deputy who
rejoined a session) stays one record.

Rules come from ``configs/scoring.yaml``: ``session_joined`` (a live session
attended, at least ``min_minutes``), ``opinion_raised``, ``opinion_resolved``,
and manual kinds staff enter (station reception, inspections...).  Points may
be fractional or negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping, Optional

from core.errors import RuleError
from core.scoring import AUTOMATIC_KINDS as AUTOMATIC_KINDS
from core.scoring import OPINION_RAISED as OPINION_RAISED
from core.scoring import OPINION_RESOLVED as OPINION_RESOLVED
from core.scoring import SESSION_JOINED as SESSION_JOINED
from core.scoring import Rule as Rule
from core.scoring import ScoringRules as ScoringRules
from core.scoring import scoring_rules as scoring_rules
from core.zone import ZONE

PERSON_KINDS = ("deputy", "street_rep")  # street residents' representatives are kept apart
LEDGER_LEVELS = ("deputy", "group", "town", "city")


@dataclass(frozen=True)
class DutyEntry:
    """A record to store."""

    key: str
    deputy_id: int
    kind: str
    occasion: str
    occurred_at: datetime
    points: float
    manual: bool = False
    minutes: Optional[float] = None
    note: str = ""


@dataclass(frozen=True)
class Attendance:
    """One stay of a deputy in a live session occurrence (rejoining makes several)."""

    deputy_id: int
    joined_at: datetime
    minutes: float


def record_key(kind: str, occasion: str, deputy_id: int) -> str:
    return f"{kind}|{occasion}|{deputy_id}"


def session_occasion(session_id: int, occurrence_start: datetime) -> str:
    return f"session:{session_id}@{occurrence_start.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def opinion_occasion(opinion_id: int) -> str:
    return f"opinion:{opinion_id}"


def session_records(
    rules: ScoringRules, session_id: int, occurrence_start: datetime, stays: Iterable[Attendance]
) -> list[DutyEntry]:
    """One record per deputy present in the occurrence: stays are added up,
    the first join is the record's time; below ``min_minutes`` no record."""
    rule = rules.rule(SESSION_JOINED)
    occasion = session_occasion(session_id, occurrence_start)
    merged: dict[int, tuple[datetime, float]] = {}
    for stay in stays:
        if stay.minutes < 0:
            raise ValueError("minutes present cannot be negative")
        first, total = merged.get(stay.deputy_id, (stay.joined_at, 0.0))
        merged[stay.deputy_id] = (min(first, stay.joined_at), total + stay.minutes)
    out = []
    for deputy_id, (joined, minutes) in sorted(merged.items()):
        if minutes < rule.min_minutes:
            continue
        out.append(DutyEntry(record_key(SESSION_JOINED, occasion, deputy_id), deputy_id, SESSION_JOINED,
                             occasion, joined, rule.points, minutes=round(minutes, 2)))
    return out


def attendance_day(at: datetime) -> datetime:
    """The start (UTC) of the China-time day of ``at``: the occasion of a
    session's attendance records, one per deputy, session and day, whether
    the live layer saw the stays or staff entered them."""
    local = at.astimezone(ZONE)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def check_stays(stays: Iterable[Attendance], opens: datetime, ends: datetime) -> None:
    """Stays staff enter for an occurrence must lie in it: joined between
    ``opens`` (its lobby) and ``ends``, for no longer than it lasted.
    Raises :class:`ValueError`."""
    longest = (ends - opens).total_seconds() / 60
    for stay in stays:
        if not opens <= stay.joined_at <= ends:
            raise ValueError(f"deputy {stay.deputy_id} joined at {stay.joined_at.isoformat()}, "
                             "outside the occurrence")
        if stay.minutes > longest:
            raise ValueError(f"deputy {stay.deputy_id}: {stay.minutes:g} minutes, "
                             f"longer than the occurrence ({longest:g})")


def opinion_raised(rules: ScoringRules, opinion_id: int, deputy_id: int, at: datetime) -> DutyEntry:
    occasion = opinion_occasion(opinion_id)
    return DutyEntry(record_key(OPINION_RAISED, occasion, deputy_id), deputy_id, OPINION_RAISED, occasion, at,
                     rules.rule(OPINION_RAISED).points)


def opinion_resolved(rules: ScoringRules, opinion_id: int, deputy_id: int, at: datetime) -> DutyEntry:
    """The +1 when an opinion a deputy raised is resolved; resolved again after
    a reopening, it has the same key: still one record."""
    occasion = opinion_occasion(opinion_id)
    return DutyEntry(record_key(OPINION_RESOLVED, occasion, deputy_id), deputy_id, OPINION_RESOLVED, occasion, at,
                     rules.rule(OPINION_RESOLVED).points)


def manual_record(
    rules: ScoringRules, kind: str, deputy_id: int, occasion: str, at: datetime,
    points: Optional[float] = None, note: str = "",
) -> DutyEntry:
    """A record staff enter (station reception duty...).  ``occasion`` names
    the occasion (e.g. ``reception:2025-03-07``); ``points`` overrides the rule."""
    rule = rules.rule(kind)
    if not rule.manual:
        raise RuleError("duty_kind_automatic", kind=kind)
    occasion = occasion.strip()
    if not occasion:
        raise RuleError("duty_needs_occasion")
    value = rule.points if points is None else points
    return DutyEntry(record_key(kind, occasion, deputy_id), deputy_id, kind, occasion, at, value, manual=True,
                     note=note)


def dedupe(entries: Iterable[DutyEntry]) -> list[DutyEntry]:
    """One entry per key, the first kept."""
    seen: dict[str, DutyEntry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return list(seen.values())


# --- ledgers -----------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRecord:
    """A stored record as ledgers see it (approved ones count)."""

    deputy_id: int
    deputy_name: str
    group: str
    town: str
    person_kind: str
    kind: str
    points: float
    status: str = "approved"
    count: int = 1  # records this line stands for (``points`` is their sum)


@dataclass
class LedgerRow:
    key: str
    name: str
    person_kind: str
    records: int = 0
    points: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    deputies: set[int] = field(default_factory=set)


def ledger(
    records: Iterable[LedgerRecord],
    by: str = "deputy",
    person_kind: str = "deputy",
    town_names: Optional[Mapping[str, str]] = None,
) -> list[LedgerRow]:
    """Roll records up per deputy, deputy group, town/street or the city.
    Only ``person_kind`` people count (deputies and street residents'
    representatives are separate ledgers); approved records add points,
    pending ones are counted apart, rejected ones are left out.  Rows by
    points, most first."""
    if by not in LEDGER_LEVELS:
        raise ValueError(f"by: one of {', '.join(LEDGER_LEVELS)}")
    town_names = town_names or {}
    rows: dict[str, LedgerRow] = {}
    for r in records:
        if r.person_kind != person_kind or r.status == "rejected":
            continue
        if by == "deputy":
            key, name = str(r.deputy_id), r.deputy_name
        elif by == "group":
            key, name = r.group or "", r.group or "(无小组)"
        elif by == "town":
            key, name = r.town, town_names.get(r.town, r.town)
        else:
            key, name = "city", "全市"
        row = rows.setdefault(key, LedgerRow(key, name, person_kind))
        row.deputies.add(r.deputy_id)
        if r.status == "pending":
            row.pending += r.count
            continue
        row.records += r.count
        row.points += r.points
        row.by_kind[r.kind] = row.by_kind.get(r.kind, 0.0) + r.points
        row.counts[r.kind] = row.counts.get(r.kind, 0) + r.count
    for row in rows.values():
        row.points = round(row.points, 4)
    return sorted(rows.values(), key=lambda row: (-row.points, row.name, row.key))
