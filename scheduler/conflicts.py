"""Station conflicts between linked sessions: pure rules, no I/O.

A station takes part in one linked session at a time.  A proposed session (a
:class:`Booking`: its occurrences and station set) conflicts with an existing
one when they share a station and an occurrence of each overlaps the other.

* Intervals are half-open: back to back (one ends at 14:00, the next starts
  at 14:00) is not a conflict.
* Cancelled sessions, and cancelled occurrences (absent from the expanded
  occurrences), do not count.
* A booking with the proposed session's own id is the stored version of the
  session being edited and is skipped.
* Every shared station and every overlapping pair is reported, so a series
  edit checks each of its occurrences; :func:`require_no_conflict` raises
  for the first (earliest) one, naming the other session and the station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Hashable, Iterable, Optional

from hub.errors import ScheduleConflict, ScheduleInvalid
from scheduler.recurrence import Occurrence


@dataclass(frozen=True)
class Booking:
    """A session as far as conflicts go."""

    session_id: Optional[Hashable]
    title: str
    stations: frozenset[str]
    occurrences: tuple[Occurrence, ...]
    cancelled: bool = False


@dataclass(frozen=True)
class Conflict:
    """``station`` would be in ``proposed`` and in ``occurrence`` of the other
    session (``session_id``, ``title``) at once."""

    session_id: Hashable
    title: str
    station: str
    occurrence: Occurrence
    proposed: Occurrence

    def error(self, tz: Optional[tzinfo] = None) -> ScheduleConflict:
        start = self.occurrence.start.astimezone(tz) if tz else self.occurrence.start
        return ScheduleConflict(
            station=self.station,
            other_id=self.session_id,
            other_title=self.title,
            start=start.strftime("%Y-%m-%d %H:%M"),
        )


def _overlapping_pairs(
    mine: list[Occurrence], theirs: list[Occurrence]
) -> list[tuple[Occurrence, Occurrence]]:
    """Pairs ``(mine, theirs)`` that overlap; both lists sorted by start."""
    pairs = []
    j0 = 0
    for a in mine:
        # ``mine`` is sorted by start: one of theirs that ends before ``a``
        # starts ends before every later one of mine too.
        while j0 < len(theirs) and theirs[j0].end <= a.start:
            j0 += 1
        for b in theirs[j0:]:
            if b.start >= a.end:
                break
            if a.overlaps(b):
                pairs.append((a, b))
    return pairs


def self_overlaps(occurrences: Iterable[Occurrence]) -> list[tuple[Occurrence, Occurrence]]:
    """Occurrences of one series that overlap each other (a moved occurrence on
    top of another, or a rule repeating faster than the session lasts)."""
    ordered = sorted(occurrences, key=lambda o: o.start)
    out = []
    latest: Optional[Occurrence] = None
    for occurrence in ordered:
        if latest is not None and occurrence.start < latest.end:
            out.append((latest, occurrence))
        if latest is None or occurrence.end > latest.end:
            latest = occurrence
    return out


def find_conflicts(proposed: Booking, existing: Iterable[Booking]) -> list[Conflict]:
    """Every (station, overlapping occurrence) clash between ``proposed`` and
    ``existing``, earliest first."""
    if proposed.cancelled:
        return []
    mine = sorted(proposed.occurrences, key=lambda o: o.start)
    conflicts: list[Conflict] = []
    for other in existing:
        if other.cancelled:
            continue
        if proposed.session_id is not None and other.session_id == proposed.session_id:
            continue
        shared = sorted(proposed.stations & other.stations)
        if not shared:
            continue
        theirs = sorted(other.occurrences, key=lambda o: o.start)
        for a, b in _overlapping_pairs(mine, theirs):
            for station in shared:
                conflicts.append(Conflict(other.session_id, other.title, station, b, a))
    conflicts.sort(key=lambda c: (c.proposed.start, c.occurrence.start, c.station, str(c.session_id)))
    return conflicts


def require_no_conflict(proposed: Booking, existing: Iterable[Booking], tz: Optional[tzinfo] = None) -> None:
    """Raise :class:`ScheduleConflict` for the earliest conflict, and
    :class:`ScheduleInvalid` if the proposed session overlaps itself."""
    clash = self_overlaps(proposed.occurrences)
    if clash:
        first, second = clash[0]
        raise ScheduleInvalid(
            "occurrences_overlap", first=first.start.isoformat(), second=second.start.isoformat()
        )
    conflicts = find_conflicts(proposed, existing)
    if conflicts:
        raise conflicts[0].error(tz)
