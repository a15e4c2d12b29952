"""duty/scoring.py: rules from configs/scoring.yaml, one record per person
per occasion, ledgers per deputy, group, town and the city."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duty import scoring
from duty.scoring import Attendance, LedgerRecord
from hub.config import load_config
from store.opinions import scoring_rules

SH = ZoneInfo("Asia/Shanghai")
T = datetime(2025, 3, 7, 14, 0, tzinfo=SH)
RULES = scoring_rules(load_config(environ={}).scoring)


def test_the_proposed_defaults():
    points = {k: r.points for k, r in RULES.rules.items()}
    assert points["session_joined"] == 1 and points["opinion_raised"] == 1 and points["opinion_resolved"] == 1
    assert points["station_reception"] == 2 and RULES.rule("station_reception").manual
    assert "station_reception" in RULES.manual_kinds() and "opinion_raised" not in RULES.manual_kinds()


def test_one_record_per_deputy_per_session_occurrence():
    stays = [Attendance(1, T, 30), Attendance(1, T + timedelta(minutes=40), 20),  # rejoined: one record
             Attendance(2, T + timedelta(minutes=5), 9.5),  # under min_minutes (10): none
             Attendance(3, T + timedelta(minutes=1), 10)]
    records = scoring.session_records(RULES, 12, T, stays)
    assert [(r.deputy_id, r.minutes, r.points, r.occurred_at) for r in records] == [(1, 50, 1, T), (3, 10, 1, T + timedelta(minutes=1))]
    again = scoring.session_records(RULES, 12, T, stays)
    assert [r.key for r in records] == [r.key for r in again]  # the same occasion, the same keys
    other = scoring.session_records(RULES, 12, T + timedelta(days=7), stays)
    assert not {r.key for r in records} & {r.key for r in other}
    assert len(scoring.dedupe(records + again + other)) == 4
    with pytest.raises(ValueError):
        scoring.session_records(RULES, 12, T, [Attendance(1, T, -1)])


def test_opinion_records_and_resolution_is_counted_once():
    raised = scoring.opinion_raised(RULES, 5, 1, T)
    resolved = scoring.opinion_resolved(RULES, 5, 1, T + timedelta(days=2))
    resolved_again = scoring.opinion_resolved(RULES, 5, 1, T + timedelta(days=9))  # after a reopening
    assert raised.key != resolved.key and resolved.key == resolved_again.key
    assert raised.points + resolved.points == 2


def test_manual_records():
    r = scoring.manual_record(RULES, "station_reception", 4, "reception:2025-03-07", T, note="上午")
    assert r.points == 2 and r.manual and r.key == "station_reception|reception:2025-03-07|4"
    assert scoring.manual_record(RULES, "station_reception", 4, "reception:2025-03-08", T, points=1.5).points == 1.5
    with pytest.raises(ValueError, match="automatically"):
        scoring.manual_record(RULES, "opinion_raised", 4, "x", T)
    with pytest.raises(ValueError, match="unknown"):
        scoring.manual_record(RULES, "karaoke", 4, "x", T)
    with pytest.raises(ValueError, match="occasion"):
        scoring.manual_record(RULES, "inspection", 4, " ", T)


def test_ledgers_roll_up_and_keep_street_representatives_apart():
    records = [
        LedgerRecord(1, "甲", "许村小组", "xucun", "deputy", "session_joined", 1),
        LedgerRecord(1, "甲", "许村小组", "xucun", "deputy", "opinion_raised", 1),
        LedgerRecord(1, "甲", "许村小组", "xucun", "deputy", "station_reception", 2, "pending"),
        LedgerRecord(2, "乙", "许村小组", "xucun", "deputy", "station_reception", 2),
        LedgerRecord(2, "乙", "许村小组", "xucun", "deputy", "unexcused_absence", -1, "rejected"),
        LedgerRecord(3, "丙", "长安小组", "changan", "deputy", "inspection", 3),
        LedgerRecord(3, "丙", "长安小组", "changan", "deputy", "opinion_raised", 2.5, count=2),
        LedgerRecord(9, "居民代表丁", "", "xiashi", "street_rep", "session_joined", 1),
    ]
    by_deputy = scoring.ledger(records, "deputy")
    assert [(r.name, r.points, r.records, r.pending) for r in by_deputy] == [
        ("丙", 5.5, 3, 0), ("乙", 2, 1, 0), ("甲", 2, 2, 1)]  # ties by name
    by_group = {r.name: r.points for r in scoring.ledger(records, "group")}
    assert by_group == {"许村小组": 4, "长安小组": 5.5}
    by_town = scoring.ledger(records, "town", town_names={"xucun": "许村镇"})
    assert {r.name: (r.points, len(r.deputies)) for r in by_town} == {"许村镇": (4, 2), "changan": (5.5, 1)}
    city = scoring.ledger(records, "city")
    assert len(city) == 1 and city[0].points == 9.5 and city[0].counts["opinion_raised"] == 3
    reps = scoring.ledger(records, "city", person_kind="street_rep")
    assert reps[0].points == 1 and reps[0].deputies == {9}
    with pytest.raises(ValueError):
        scoring.ledger(records, "province")


def test_attendance_is_counted_per_china_time_day_and_entered_stays_lie_in_their_occurrence():
    from datetime import timezone as tz

    from duty.scoring import attendance_day, check_stays
    late = datetime(2025, 3, 6, 17, 30, tzinfo=tz.utc)  # 01:30 on the 7th in China
    assert attendance_day(late) == datetime(2025, 3, 6, 16, 0, tzinfo=tz.utc)
    assert attendance_day(late - timedelta(hours=2)) == datetime(2025, 3, 5, 16, 0, tzinfo=tz.utc)
    opens, ends = datetime(2025, 3, 7, 5, 45, tzinfo=tz.utc), datetime(2025, 3, 7, 8, 0, tzinfo=tz.utc)
    check_stays([Attendance(1, opens, 135), Attendance(2, ends, 0)], opens, ends)
    for stay in (Attendance(1, opens - timedelta(seconds=1), 10), Attendance(1, opens, 136)):
        with pytest.raises(ValueError):
            check_stays([stay], opens, ends)
