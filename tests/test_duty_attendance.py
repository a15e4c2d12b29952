"""duty/attendance.py: the stays the live layer saw become attendance records on the China-time
day they began; a standing session keeps only the stays that reach into today."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from duty.attendance import attendance_of, stays_of_the_day


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_the_day_is_the_china_day_of_the_earliest_join_and_each_stay_keeps_its_minutes():
    # 23:50 UTC on 1 March is 07:50 on 2 March in China: the day starts at 16:00 UTC on 1 March.
    stays = [(7, ts("2025-03-01T23:50:00+00:00"), ts("2025-03-02T00:20:00+00:00")),
             (9, ts("2025-03-02T01:00:00+00:00"), ts("2025-03-02T01:05:30+00:00"))]
    day, records = attendance_of(stays)
    assert day == datetime(2025, 3, 1, 16, 0, tzinfo=timezone.utc)
    assert [(r.deputy_id, r.joined_at, r.minutes) for r in records] == [
        (7, datetime(2025, 3, 1, 23, 50, tzinfo=timezone.utc), 30.0),
        (9, datetime(2025, 3, 2, 1, 0, tzinfo=timezone.utc), 5.5),
    ]


def test_no_stays_is_no_day():
    with pytest.raises(ValueError):
        attendance_of([])


def test_a_standing_session_keeps_the_stays_that_reach_into_today():
    now = datetime(2025, 3, 2, 3, 0, tzinfo=timezone.utc)  # 11:00 in China; the day began 16:00 UTC
    yesterday = (1, ts("2025-03-01T10:00:00+00:00"), ts("2025-03-01T15:59:00+00:00"))
    over_midnight = (2, ts("2025-03-01T15:30:00+00:00"), ts("2025-03-01T16:30:00+00:00"))
    today = (3, ts("2025-03-02T01:00:00+00:00"), ts("2025-03-02T02:00:00+00:00"))
    assert stays_of_the_day([yesterday, over_midnight, today], now) == [over_midnight, today]
