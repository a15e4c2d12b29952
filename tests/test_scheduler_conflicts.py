"""scheduler/conflicts.py: a station is in one session at a time."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import ScheduleConflict, ScheduleInvalid
from scheduler.conflicts import Booking, find_conflicts, require_no_conflict, self_overlaps
from scheduler.recurrence import Moved, Occurrence, Series, expand

SH = ZoneInfo("Asia/Shanghai")


def at(d, h, mi=0):
    return datetime(2025, 3, d, h, mi, tzinfo=SH)


def once(d, h1, h2):
    return Occurrence(at(d, h1), at(d, h1), at(d, h2))


def booking(sid, stations, *occurrences, title=None, cancelled=False):
    return Booking(sid, title or f"session {sid}", frozenset(stations), tuple(occurrences), cancelled)


def test_overlap_on_a_shared_station_names_session_station_and_occurrence():
    proposed = booking(None, {"haining", "xucun", "changan"}, once(7, 14, 16))
    existing = [booking(3, {"xucun", "yanguan"}, once(7, 15, 17), title="许村议事会")]
    (conflict,) = find_conflicts(proposed, existing)
    assert (conflict.session_id, conflict.title, conflict.station) == (3, "许村议事会", "xucun")
    assert conflict.occurrence.start == at(7, 15)
    assert conflict.proposed.start == at(7, 14)
    with pytest.raises(ScheduleConflict) as info:
        require_no_conflict(proposed, existing, SH)
    assert info.value.params == {"station": "xucun", "other_id": 3, "other_title": "许村议事会", "start": "2025-03-07 15:00"}
    assert "许村议事会" in info.value.message() and "xucun" in info.value.message("en")


def test_back_to_back_is_not_a_conflict():
    proposed = booking(None, {"xucun"}, once(7, 14, 16))
    assert find_conflicts(proposed, [booking(1, {"xucun"}, once(7, 16, 18)), booking(2, {"xucun"}, once(7, 12, 14))]) == []


def test_no_shared_station_no_conflict():
    proposed = booking(None, {"xucun", "haining"}, once(7, 14, 16))
    assert find_conflicts(proposed, [booking(1, {"changan", "yanguan"}, once(7, 14, 16))]) == []


def test_cancelled_sessions_and_the_edited_session_itself_do_not_count():
    proposed = booking(5, {"xucun"}, once(7, 14, 16))
    existing = [booking(1, {"xucun"}, once(7, 14, 16), cancelled=True), booking(5, {"xucun"}, once(7, 14, 16))]
    assert find_conflicts(proposed, existing) == []


def test_cancelled_occurrence_of_a_series_does_not_count():
    series = Series(at(4, 14), at(4, 16), "FREQ=WEEKLY;COUNT=4", cancelled=frozenset({at(11, 14)}))
    other = booking(1, {"xucun"}, *expand(series))
    assert find_conflicts(booking(None, {"xucun"}, once(11, 14, 16)), [other]) == []
    assert len(find_conflicts(booking(None, {"xucun"}, once(18, 15, 17)), [other])) == 1


def test_every_occurrence_and_station_of_a_series_is_checked():
    weekly = Series(at(3, 14), at(3, 16), "FREQ=WEEKLY;COUNT=4")
    proposed = booking(None, {"haining", "xucun", "changan"}, *expand(weekly))
    existing = [
        booking(1, {"xucun", "changan"}, once(10, 15, 16)),
        booking(2, {"haining"}, once(24, 13, 14, ), once(24, 15, 18)),
        booking(3, {"haining"}, once(17, 16, 18)),  # back to back
    ]
    found = [(c.session_id, c.station, c.proposed.start.day) for c in find_conflicts(proposed, existing)]
    assert found == [(1, "changan", 10), (1, "xucun", 10), (2, "haining", 24)]


def test_a_moved_long_occurrence_is_found_among_short_ones():
    theirs = [once(7, 8, 20), once(7, 9, 10), once(7, 10, 11)]
    proposed = booking(None, {"xucun"}, once(7, 12, 13), once(7, 19, 21))
    found = find_conflicts(proposed, [booking(1, {"xucun"}, *theirs)])
    assert [(c.proposed.start.hour, c.occurrence.start.hour) for c in found] == [(12, 8), (19, 8)]


def test_a_series_overlapping_itself_is_refused():
    series = Series(at(3, 14), at(3, 16), "FREQ=WEEKLY;COUNT=3", moved=(Moved(at(10, 14), at(17, 15), at(17, 17)),))
    occurrences = expand(series)
    assert len(self_overlaps(occurrences)) == 1
    with pytest.raises(ScheduleInvalid, match="overlap each other"):
        require_no_conflict(booking(None, {"xucun"}, *occurrences), [])
    daily_long = Series(at(3, 14), at(3, 14) + timedelta(hours=30), "FREQ=DAILY;COUNT=2")
    assert self_overlaps(expand(daily_long))
