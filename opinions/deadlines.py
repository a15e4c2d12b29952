"""Working days: Monday to Friday, minus public holidays, plus make-up
workdays (调休, a Saturday or Sunday worked in exchange).  Pure, no I/O; the
lists come from China's official calendar (:mod:`opinions.official`) with the
local days of ``configs/scoring.yaml`` (``calendar``) over them.

``years`` are the years whose official holidays the lists hold: outside
them every weekday counts as a working day, so deadlines across a holiday
come out too early.  :meth:`WorkCalendar.missing_years` names the current
or next year when it is not covered, for a warning.

A deadline of *n* working days from a moment is the end (23:59:59.999999,
local time) of the *n*-th working day after that moment's local date: an
opinion assigned on Friday with 5 working days is due at the end of the next
Friday (or later, if holidays fall between).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from hub.zone import TIME_ZONE


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # 调休: weekend days that are worked
    timezone: str = TIME_ZONE
    years: frozenset[int] = frozenset()  # years whose official holidays are known

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {', '.join(map(str, sorted(both)))}")
        ZoneInfo(self.timezone)

    @classmethod
    def of(
        cls,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        timezone: str = TIME_ZONE,
        years: Iterable[int] = (),
    ) -> "WorkCalendar":
        return cls(frozenset(holidays), frozenset(workdays), timezone, frozenset(years))

    def missing_years(self, today: date) -> list[int]:
        """The current and next year, those of them whose holidays are not known."""
        return [year for year in (today.year, today.year + 1) if year not in self.years]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def local_date(self, moment: datetime) -> date:
        if moment.tzinfo is None:
            raise ValueError("an aware date-time is needed")
        return moment.astimezone(self.zone).date()

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``days`` ≥ 1)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day, left = start, days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def deadline(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after ``start``'s local date, aware."""
        due = self.add_working_days(self.local_date(start), days)
        return datetime.combine(due, time.max, tzinfo=self.zone)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def working_days_overdue(self, deadline: datetime, now: datetime) -> int:
        """How many working days past ``deadline`` ``now`` is (0 if not overdue)."""
        if now <= deadline:
            return 0
        return max(self.working_days_between(self.local_date(deadline), self.local_date(now)), 0)
