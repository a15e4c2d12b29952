"""opinions/stats.py over a generated data set, checked against numbers
computed independently here (Counter and comprehensions, not the module)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from opinions import stats
from opinions.stats import OpinionFact

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 1, 1, tzinfo=SH)
CATEGORIES = [f"{n:02d}" for n in range(1, 29)]
STATIONS = ["xucun", "changan", "xucun-rongxing", "haining", "yanguan"]


def generate(n: int, seed: int = 7) -> list[OpinionFact]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        received = START + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400))
        assigned = rng.random() < 0.85
        answered = assigned and rng.random() < 0.9
        resolved = answered and rng.random() < 0.8
        level = rng.choice(["town", "town", "county", "city"]) if assigned else None
        out.append(OpinionFact(
            received_at=received, category=rng.choice(CATEGORIES[: rng.randint(3, 28)]),
            station=rng.choice(STATIONS), assigned=assigned, resolved=resolved, level=level,
            first_answered_at=received + timedelta(seconds=rng.randrange(3600, 30 * 86400)) if answered else None,
            rating=rng.choice([None, "satisfied", "basic", "unsatisfied"]) if answered else None,
        ))
    return out


DATA = generate(5000)


def test_summary_matches_independent_numbers():
    year_start, year_end = datetime(2024, 1, 1, tzinfo=SH), datetime(2025, 1, 1, tzinfo=SH)
    period = [f for f in DATA if year_start <= f.received_at < year_end]
    s = stats.summarize(stats.in_period(DATA, year_start, year_end))
    assigned = [f for f in period if f.assigned]
    resolved = [f for f in period if f.resolved]
    answered = [f for f in period if f.first_answered_at]
    ratings = Counter(f.rating for f in period if f.rating)
    assert s.received == len(period) and s.assigned == len(assigned) and s.resolved == len(resolved)
    assert s.resolution_rate == pytest.approx(len(resolved) / len(assigned))
    assert s.town_share == pytest.approx(sum(f.level == "town" for f in resolved) / len(resolved))
    hours = [(f.first_answered_at - f.received_at).total_seconds() / 3600 for f in answered]
    assert s.avg_hours_to_answer == pytest.approx(sum(hours) / len(hours))
    assert s.satisfaction == pytest.approx((ratings["satisfied"] + ratings["basic"]) / sum(ratings.values()))
    assert s.as_dict()["received"] == len(period)


def test_the_seed_figures():
    facts = (
        [OpinionFact(START, "03", "xucun", assigned=True, resolved=True, level="town")] * 246
        + [OpinionFact(START, "03", "xucun", assigned=True, resolved=True, level="county")] * (317 - 246)
        + [OpinionFact(START, "03", "xucun", assigned=True)] * (322 - 317)
    )
    s = stats.summarize(facts)
    assert (s.assigned, s.resolved, s.resolved_town) == (322, 317, 246)
    assert round(s.resolution_rate, 4) == 0.9845 and round(s.town_share, 4) == 0.776


def test_empty_rates_are_none():
    s = stats.summarize([])
    assert s.received == 0 and s.resolution_rate is None and s.satisfaction is None and s.avg_hours_to_answer is None


def test_ranking_with_change_against_the_previous_period():
    period = stats.Period(datetime(2025, 1, 1, tzinfo=SH), datetime(2025, 7, 1, tzinfo=SH))
    previous = period.previous()
    # a half-year of whole months: the six calendar months before (184 days, not 181)
    assert previous == stats.Period(datetime(2024, 7, 1, tzinfo=SH), datetime(2025, 1, 1, tzinfo=SH))
    current = Counter(f.category for f in DATA if period.start <= f.received_at < period.end)
    before = Counter(f.category for f in DATA if previous.start <= f.received_at < previous.end)
    rows = stats.rank(stats.counts_by(stats.in_period(DATA, period.start, period.end)),
                      stats.counts_by(stats.in_period(DATA, previous.start, previous.end)), CATEGORIES)
    assert [r.count for r in rows] == sorted(current.values(), reverse=True)
    assert {r.category: (r.count, r.previous, r.change) for r in rows} == {
        c: (n, before.get(c, 0), n - before.get(c, 0)) for c, n in current.items()}
    for r in rows:
        assert r.rank == 1 + sum(1 for n in current.values() if n > r.count)
        if before.get(r.category):
            assert r.change_rate == pytest.approx((r.count - before[r.category]) / before[r.category])


def test_ties_share_a_rank_and_follow_the_configured_order():
    rows = stats.rank({"05": 3, "02": 3, "09": 1, "04": 0}, {"09": 4}, CATEGORIES)
    assert [(r.category, r.rank) for r in rows] == [("02", 1), ("05", 1), ("09", 3)]
    assert rows[2].previous_rank == 1 and rows[2].change == -3 and rows[0].change_rate is None


UTC = ZoneInfo("UTC")


@pytest.mark.parametrize("start, end, expected", [
    # a whole month: the calendar month before, whatever its length
    ((2025, 3, 1), (2025, 4, 1), (2025, 2, 1)),
    ((2024, 3, 1), (2024, 4, 1), (2024, 2, 1)),  # February of a leap year
    ((2025, 1, 1), (2025, 2, 1), (2024, 12, 1)),  # across the new year
    ((2025, 5, 1), (2025, 6, 1), (2025, 4, 1)),
    # a quarter: the quarter before
    ((2025, 4, 1), (2025, 7, 1), (2025, 1, 1)),
    ((2025, 1, 1), (2025, 4, 1), (2024, 10, 1)),
    # a year: the year before (2024 has 366 days)
    ((2025, 1, 1), (2026, 1, 1), (2024, 1, 1)),
])
def test_a_period_of_whole_calendar_months_compares_with_the_months_before(start, end, expected):
    s, e = datetime(*start, tzinfo=SH), datetime(*end, tzinfo=SH)
    assert stats.previous_period(s, e) == (datetime(*expected, tzinfo=SH), s)


def test_a_whole_month_is_a_shanghai_month_even_when_given_in_utc():
    # 2025-03-01 00:00 in Shanghai is 2025-02-28 16:00 UTC
    s, e = datetime(2025, 2, 28, 16, tzinfo=UTC), datetime(2025, 3, 31, 16, tzinfo=UTC)
    previous = stats.previous_period(s, e)
    assert previous == (datetime(2025, 1, 31, 16, tzinfo=UTC), s)
    assert previous[0].tzinfo == UTC
    # the same instants read in UTC are not whole months there: a zone says whose calendar
    assert stats.previous_period(s, e, zone=UTC) == (s - (e - s), s)


@pytest.mark.parametrize("start, end", [
    (datetime(2025, 3, 1, tzinfo=SH), datetime(2025, 3, 8, tzinfo=SH)),  # a week
    (datetime(2025, 3, 3, tzinfo=SH), datetime(2025, 4, 3, tzinfo=SH)),  # a month's length, not a calendar month
    (datetime(2025, 3, 1, 8, tzinfo=SH), datetime(2025, 4, 1, 8, tzinfo=SH)),  # not at midnight
    (datetime(2025, 3, 1, tzinfo=SH), datetime(2025, 3, 15, 12, tzinfo=SH)),  # ends mid-month
])
def test_any_other_period_compares_with_the_same_length_just_before(start, end):
    assert stats.previous_period(start, end) == (start - (end - start), start)


def test_a_period_must_be_aware_and_run_forwards():
    with pytest.raises(ValueError):
        stats.previous_period(datetime(2025, 3, 1), datetime(2025, 4, 1))
    with pytest.raises(ValueError):
        stats.previous_period(datetime(2025, 4, 1, tzinfo=SH), datetime(2025, 3, 1, tzinfo=SH))
