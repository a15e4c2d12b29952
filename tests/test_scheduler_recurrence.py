"""scheduler/recurrence.py: series expanded into occurrences."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.errors import OccurrenceNotFound, RecurrenceInvalid, ScheduleInvalid
from scheduler.recurrence import (
    MAX_OCCURRENCES,
    Moved,
    Series,
    expand,
    find_occurrence,
    last_end,
    normalize_rrule,
)

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=14, mi=0, tz=SH):
    return datetime(y, m, d, h, mi, tzinfo=tz)


def monthly_first_tuesday(**kw):
    return Series(at(2025, 1, 1, 14), at(2025, 1, 1, 16), "FREQ=MONTHLY;BYDAY=1TU", **kw)


def test_first_tuesday_of_every_month():
    occurrences = expand(monthly_first_tuesday(), at(2025, 1, 1, 0), at(2025, 7, 1, 0))
    assert [o.start.date() for o in occurrences] == [
        date(2025, 1, 7), date(2025, 2, 4), date(2025, 3, 4),
        date(2025, 4, 1), date(2025, 5, 6), date(2025, 6, 3),
    ]
    assert all(o.start.hour == 14 and o.end - o.start == timedelta(hours=2) for o in occurrences)
    assert all(o.start.tzinfo == SH for o in occurrences)


def test_one_off_session():
    series = Series(at(2025, 3, 7, 14), at(2025, 3, 7, 16))
    assert [o.start for o in expand(series)] == [at(2025, 3, 7, 14)]
    assert expand(series, at(2025, 3, 7, 16), at(2025, 3, 8, 0)) == []  # back to back: outside
    assert len(expand(series, at(2025, 3, 7, 15), at(2025, 3, 7, 15, 30))) == 1
    assert last_end(series) == at(2025, 3, 7, 16)


def test_window_includes_an_occurrence_that_began_before_it():
    occurrences = expand(monthly_first_tuesday(), at(2025, 2, 4, 15), at(2025, 2, 5, 0))
    assert [o.start for o in occurrences] == [at(2025, 2, 4, 14)]


def test_cancelled_by_start_or_by_date():
    series = monthly_first_tuesday(cancelled=frozenset({at(2025, 2, 4, 14), date(2025, 4, 1)}))
    starts = [o.start.date() for o in expand(series, at(2025, 1, 1, 0), at(2025, 5, 1, 0))]
    assert starts == [date(2025, 1, 7), date(2025, 3, 4)]


def test_moved_occurrence_keeps_its_key_and_leaves_its_slot():
    moved = Moved(at(2025, 3, 4, 14), at(2025, 3, 6, 9), at(2025, 3, 6, 11))
    series = monthly_first_tuesday(moved=(moved,))
    occurrences = expand(series, at(2025, 3, 1, 0), at(2025, 4, 1, 0))
    assert len(occurrences) == 1
    (o,) = occurrences
    assert (o.key, o.start, o.end, o.moved) == (at(2025, 3, 4, 14), at(2025, 3, 6, 9), at(2025, 3, 6, 11), True)
    # Moved into the window from outside it:
    moved_out = Moved(at(2025, 5, 6, 14), at(2025, 4, 30, 9), at(2025, 4, 30, 10))
    later = expand(monthly_first_tuesday(moved=(moved_out,)), at(2025, 4, 29, 0), at(2025, 5, 1, 0))
    assert [o.key for o in later] == [at(2025, 5, 6, 14)]


def test_cancel_wins_over_move_and_unknown_exceptions_are_ignored():
    key = at(2025, 3, 4, 14)
    series = monthly_first_tuesday(
        cancelled=frozenset({key, at(2025, 3, 5, 14)}),
        moved=(Moved(key, at(2025, 3, 6, 9), at(2025, 3, 6, 10)), Moved(at(2025, 3, 9, 14), at(2025, 3, 10, 9), at(2025, 3, 10, 10))),
    )
    assert expand(series, at(2025, 3, 1, 0), at(2025, 4, 1, 0)) == []


def test_find_occurrence():
    series = monthly_first_tuesday(cancelled=frozenset({at(2025, 2, 4, 14)}))
    assert find_occurrence(series, at(2025, 3, 4, 14)).start == at(2025, 3, 4, 14)
    # Same instant in UTC is the same key:
    assert find_occurrence(series, at(2025, 3, 4, 6, tz=timezone.utc)).key == at(2025, 3, 4, 14)
    with pytest.raises(OccurrenceNotFound):
        find_occurrence(series, at(2025, 3, 5, 14))
    with pytest.raises(OccurrenceNotFound, match="cancelled"):
        find_occurrence(series, at(2025, 2, 4, 14))


def test_until_in_utc_local_or_as_a_date():
    for until in ("20250304T060000Z", "20250304T140000", "20250304"):
        series = Series(at(2025, 1, 1), at(2025, 1, 1, 16), f"FREQ=MONTHLY;BYDAY=1TU;UNTIL={until}")
        assert [o.start.month for o in expand(series)] == [1, 2, 3], until
        assert series.bounded


def test_count_bounds_and_last_end():
    series = Series(at(2025, 1, 1), at(2025, 1, 1, 16), "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=3")
    assert [o.start.date() for o in expand(series)] == [date(2025, 1, 3), date(2025, 1, 10), date(2025, 1, 17)]
    assert last_end(series) == at(2025, 1, 17, 16)


def test_unbounded_series_needs_a_window_end():
    series = monthly_first_tuesday()
    assert not series.bounded and last_end(series) is None
    with pytest.raises(RecurrenceInvalid, match="window"):
        expand(series)
    with pytest.raises(RecurrenceInvalid, match="window"):
        expand(series, at(2025, 1, 1))


def test_expansion_is_capped():
    series = Series(at(2025, 1, 1), at(2025, 1, 1, 15), "FREQ=DAILY")
    assert len(expand(series, at(2025, 1, 1, 0), at(2025, 1, 1, 0) + timedelta(days=MAX_OCCURRENCES))) == MAX_OCCURRENCES
    with pytest.raises(RecurrenceInvalid, match="more than"):
        expand(series, at(2025, 1, 1, 0), at(2025, 1, 1, 0) + timedelta(days=MAX_OCCURRENCES + 5))


@pytest.mark.parametrize(
    "rule, message",
    [
        ("", "empty"),
        ("BYDAY=TU", "FREQ is required"),
        ("FREQ=HOURLY", "repeats"),
        ("FREQ=SECONDLY", "repeats"),
        ("FREQ=WEEKLY;FOO=1", "not a part"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20250101", "both"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        (f"FREQ=WEEKLY;COUNT={MAX_OCCURRENCES + 1}", "COUNT"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ=WEEKLY;BYDAY", "NAME=VALUE"),
        ("FREQ=WEEKLY;UNTIL=2025-01-01", "UNTIL"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=WEEKLY", "one RRULE line"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no occurrence"),
        ("FREQ=WEEKLY;UNTIL=20240101", "no occurrence"),
    ],
)
def test_invalid_rules_say_why(rule, message):
    with pytest.raises(RecurrenceInvalid, match=message):
        Series(at(2025, 1, 1), at(2025, 1, 1, 16), rule)


def test_rule_is_normalized():
    assert normalize_rrule(" rrule:freq=monthly; byday=1tu ") == "FREQ=MONTHLY;BYDAY=1TU"


def test_series_checks_its_times():
    with pytest.raises(ScheduleInvalid, match="after the start"):
        Series(at(2025, 1, 1, 16), at(2025, 1, 1, 14))
    with pytest.raises(ScheduleInvalid, match="time zone"):
        Series(datetime(2025, 1, 1, 14), datetime(2025, 1, 1, 16))
    with pytest.raises(ScheduleInvalid, match="unknown time zone"):
        Series(at(2025, 1, 1), at(2025, 1, 1, 16), tz="Mars/Olympus")
    with pytest.raises(ScheduleInvalid, match="time zone"):
        expand(Series(at(2025, 1, 1), at(2025, 1, 1, 16)), datetime(2025, 1, 1))


def test_wall_clock_time_across_daylight_saving():
    """Zones with DST keep the local time of day; duration is real time."""
    berlin = ZoneInfo("Europe/Berlin")
    series = Series(at(2025, 3, 28, 10, tz=berlin), at(2025, 3, 28, 12, tz=berlin), "FREQ=DAILY;COUNT=4", tz="Europe/Berlin")
    occurrences = expand(series)
    assert [o.start.hour for o in occurrences] == [10, 10, 10, 10]
    assert [o.start.utcoffset() for o in occurrences] == [timedelta(hours=1)] * 2 + [timedelta(hours=2)] * 2
    assert all(o.end - o.start == timedelta(hours=2) for o in occurrences)


def test_a_time_in_a_dst_gap_moves_forward():
    """Shanghai kept DST in 1986-1991: 1987-04-12 02:00 jumped to 03:00."""
    series = Series(at(1987, 4, 10, 2, 30), at(1987, 4, 10, 3, 30), "FREQ=DAILY;COUNT=3")
    occurrences = expand(series)
    assert [(o.start.day, o.start.hour, o.start.minute) for o in occurrences] == [(10, 2, 30), (11, 2, 30), (12, 3, 30)]
    assert occurrences[2].start.utcoffset() == timedelta(hours=9)
    assert find_occurrence(series, occurrences[2].key) == occurrences[2]
