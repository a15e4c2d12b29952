"""China's official holidays and make-up workdays (调休), as the State Council
publishes them each year, from the maintained ``chinesecalendar`` package
(module ``chinese_calendar``), with a deployment's own days over them.

The State Council announces the next year's days in November or December;
a ``chinesecalendar`` release follows.  Until the hub's copy has it, an
administrator can list the year's days in ``configs/scoring.yaml``
(``calendar.holidays``/``workdays``) and name the year in ``calendar.years``.
A local day (a county's own holiday, say) is listed the same way, without
naming its year.  Listed days win over the package's.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

import chinese_calendar.constants as official

from hub.zone import TIME_ZONE
from opinions.deadlines import WorkCalendar


def official_years() -> frozenset[int]:
    """The years the installed package has the official days of."""
    first, last = min(official.holidays).year, max(official.holidays).year
    return frozenset(range(first, last + 1))


def work_calendar(
    holidays: Iterable[date] = (),
    workdays: Iterable[date] = (),
    timezone: str = TIME_ZONE,
    years: Iterable[int] = (),
) -> WorkCalendar:
    """The official calendar with the configured days over it: a listed
    holiday is off even where the package says worked, a listed workday is
    worked even where it says off.  ``years``: further years the listed days
    cover in full."""
    local_off, local_on = frozenset(holidays), frozenset(workdays)
    off = (frozenset(official.holidays) - local_on) | local_off
    on = (frozenset(official.workdays) - local_off) | local_on
    return WorkCalendar(off, on, timezone, official_years() | frozenset(years))
