"""opinions/deadlines.py and opinions/official.py: working days with China's
official holidays and make-up workdays (调休), and local days over them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.config import load_config
from opinions.deadlines import WorkCalendar
from opinions.official import official_years, work_calendar

SH = ZoneInfo("Asia/Shanghai")


def shipped() -> WorkCalendar:
    cal = load_config(environ={}).scoring.calendar
    return work_calendar(cal.holidays, cal.workdays, cal.timezone, cal.years)


def test_plain_weeks():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2024, 3, 8), 1) == date(2024, 3, 11)  # Friday → Monday
    assert cal.add_working_days(date(2024, 3, 4), 5) == date(2024, 3, 11)
    assert cal.add_working_days(date(2024, 3, 9), 1) == date(2024, 3, 11)  # from a Saturday
    assert cal.working_days_between(date(2024, 3, 4), date(2024, 3, 11)) == 5
    assert cal.working_days_between(date(2024, 3, 11), date(2024, 3, 4)) == -5
    with pytest.raises(ValueError):
        cal.add_working_days(date(2024, 3, 4), 0)


def test_spring_festival_2025_with_make_up_workdays():
    cal = shipped()
    assert cal.is_working_day(date(2025, 1, 26))  # Sunday worked (调休)
    assert not cal.is_working_day(date(2025, 1, 28)) and not cal.is_working_day(date(2025, 2, 4))
    assert cal.is_working_day(date(2025, 2, 8))  # Saturday worked
    # Friday 24 Jan + 3 working days: Sun 26 (调休), Mon 27, then the holiday until 4 Feb → Wed 5 Feb
    assert cal.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)


def test_national_day_2025_deadline_is_the_end_of_the_local_day():
    cal = shipped()
    # Assigned Tuesday 30 Sep 2025 at 16:00 local, 5 working days:
    # 1-8 Oct are holidays, Thu 9, Fri 10, Sat 11 (调休), Mon 13, Tue 14.
    due = cal.deadline(datetime(2025, 9, 30, 16, 0, tzinfo=SH), 5)
    assert due.date() == date(2025, 10, 14) and (due.hour, due.minute) == (23, 59)
    assert due.utcoffset().total_seconds() == 8 * 3600
    # late evening UTC is already the next local day
    utc = datetime(2025, 9, 30, 17, 0, tzinfo=ZoneInfo("UTC"))  # 01:00 on 1 Oct in Shanghai
    assert cal.deadline(utc, 1).date() == date(2025, 10, 9)


def test_overdue_counts_working_days():
    cal = shipped()
    deadline = datetime(2025, 10, 9, 23, 59, 59, tzinfo=SH)
    assert cal.working_days_overdue(deadline, datetime(2025, 10, 9, 12, tzinfo=SH)) == 0
    assert cal.working_days_overdue(deadline, datetime(2025, 10, 13, 9, tzinfo=SH)) == 3  # Fri, Sat(调休), Mon


def test_a_day_cannot_be_both():
    with pytest.raises(ValueError, match="both"):
        WorkCalendar.of([date(2025, 1, 26)], [date(2025, 1, 26)])


def test_national_day_2026_deadline_from_the_official_calendar():
    """Regression: the calendar had 2025 only, so a 2026 deadline counted
    National Day as working days."""
    cal = shipped()
    # Assigned Wednesday 30 Sep 2026, 5 working days: 1-7 Oct are holidays,
    # Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13.
    due = cal.deadline(datetime(2026, 9, 30, 10, 0, tzinfo=SH), 5)
    assert due.date() == date(2026, 10, 13)
    assert cal.is_working_day(date(2026, 10, 10)) and not cal.is_working_day(date(2026, 10, 1))
    assert {2025, 2026} <= cal.years


def test_local_days_win_over_the_official_ones():
    cal = work_calendar(holidays=[date(2026, 10, 10), date(2026, 11, 2)], workdays=[date(2026, 10, 7)])
    assert not cal.is_working_day(date(2026, 10, 10))  # officially worked (调休), locally off
    assert cal.is_working_day(date(2026, 10, 7))  # officially off, locally worked
    assert not cal.is_working_day(date(2026, 11, 2))  # a local holiday on a Monday
    assert not cal.is_working_day(date(2026, 10, 6))  # the rest of National Day stays


def test_the_years_without_official_holidays_are_named():
    last = max(official_years())
    cal = work_calendar()
    assert cal.missing_years(date(last, 6, 1)) == [last + 1]
    assert cal.missing_years(date(last - 1, 6, 1)) == []
    assert cal.missing_years(date(last + 1, 1, 5)) == [last + 1, last + 2]
    # an administrator lists next year's days from the State Council's notice
    assert work_calendar(years=[last + 1]).missing_years(date(last, 12, 1)) == []
