"""A stored session's timing as the domain's :class:`scheduler.recurrence.Series` (with its
cancelled and moved occurrences), and the JSON-ready pictures of a session and of an
occurrence's exception that the audit log keeps."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Optional

from scheduler.recurrence import Moved, Series
from store.models import LinkedSession, OccurrenceException


def iso(value: Optional[datetime]) -> Optional[str]:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def snapshot(row: LinkedSession, stations: Iterable[str]) -> dict:
    """A JSON-ready picture of a session, for the audit log."""
    return {
        "id": row.id,
        "title": row.title,
        "titleEn": row.title_en,
        "agenda": row.agenda,
        "chair": row.chair_code,
        "stations": sorted(stations),
        "start": iso(row.start_at),
        "end": iso(row.end_at),
        "timezone": row.timezone,
        "rrule": row.rrule,
        "record": row.record,
        "status": row.status,
        "version": row.version,
    }


def exception_snapshot(row: Optional[OccurrenceException]) -> Optional[dict]:
    if row is None:
        return None
    return {
        "originalStart": iso(row.original_start),
        "cancelled": row.cancelled,
        "movedStart": iso(row.moved_start),
        "movedEnd": iso(row.moved_end),
        "endedAt": iso(row.ended_at),
    }


def series_of(row: LinkedSession, exceptions: Iterable[OccurrenceException]) -> Series:
    """The stored session's timing as a domain :class:`Series`."""
    base = Series(start=row.start_at, end=row.end_at, rrule=row.rrule, tz=row.timezone)
    return with_exceptions(base, exceptions)


def with_exceptions(base: Series, exceptions: Iterable[OccurrenceException]) -> Series:
    cancelled = []
    moved = []
    for e in exceptions:
        if e.cancelled:
            cancelled.append(e.original_start)
        elif e.moved_start is not None and e.moved_end is not None:
            moved.append(Moved(e.original_start, e.moved_start, e.moved_end))
    return base.with_exceptions(cancelled, moved)
