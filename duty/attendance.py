"""Attendance from what the live layer saw: the stays of deputies in a session's room become
:class:`duty.scoring.Attendance` records on the China-time day they began.

Pure: the live layer (``signaling/rooms.py``) only collects the stays, ``(deputy id, joined,
left)`` in epoch seconds, and hands the records to the store; the day boundary is
:func:`duty.scoring.attendance_day` (the configured time zone, ``core/zone.py``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from duty.scoring import Attendance, attendance_day

#: A deputy's stay in a room: ``(deputy id, joined, left)``, epoch seconds.
Stay = tuple[int, float, float]


def stays_of_the_day(stays: Iterable[Stay], now: datetime) -> list[Stay]:
    """The stays that reach into ``now``'s day (a standing session keeps these, to be counted
    again with the day's later ones)."""
    today = attendance_day(now).timestamp()
    return [s for s in stays if s[2] >= today]


def attendance_of(stays: Iterable[Stay]) -> tuple[datetime, list[Attendance]]:
    """The day the stays began (UTC start of the China-time day of the earliest join) and one
    record per stay with its minutes; the store adds them up per deputy, session and day."""
    stays = list(stays)
    if not stays:
        raise ValueError("no stays")
    day_start = attendance_day(datetime.fromtimestamp(min(joined for _, joined, _ in stays), timezone.utc))
    return day_start, [
        Attendance(deputy, datetime.fromtimestamp(joined, timezone.utc), (left - joined) / 60)
        for deputy, joined, left in stays
    ]
