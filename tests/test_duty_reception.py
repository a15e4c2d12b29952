"""duty/reception.py: the signed codes of station reception duty and of a
session's 签到 (valid, another day, another station, tampered, another key),
one reception record per deputy, station and day, the walk-in rule, and a
session sign-in keyed as the live layer's attendance."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from duty import reception as r
from duty import scoring
from hub.config import ConfigError, load_config

SH = ZoneInfo("Asia/Shanghai")
KEY = b"k" * 40
RULES = scoring.scoring_rules(load_config(environ={}).scoring)


def test_the_station_code_of_the_day():
    now = datetime(2025, 3, 7, 9, 30, tzinfo=SH)
    code = r.reception_code(KEY, "xucun-rongxing", r.china_day(now))
    assert code.startswith("r.xucun-rongxing.20250307.") and len(code) < 45
    assert r.reception_of(KEY, code, now) == r.ReceptionCode("xucun-rongxing", date(2025, 3, 7))
    # the same code all day in China time (00:30 China time is still the 6th in UTC)
    assert r.reception_of(KEY, code, datetime(2025, 3, 7, 0, 5, tzinfo=SH)).day == date(2025, 3, 7)
    assert r.reception_of(KEY, code, datetime(2025, 3, 7, 23, 59, tzinfo=SH)).station == "xucun-rongxing"
    # wrong day: yesterday's photo of the code, or tomorrow's
    for other in (now + timedelta(days=1), datetime(2025, 3, 6, 23, 59, tzinfo=SH)):
        with pytest.raises(r.CodeRefused) as refused:
            r.reception_of(KEY, code, other)
        assert refused.value.reason == "signin_code_other_day"
    # wrong station: the check does not carry over; tampered; another hub's key; garbage
    station, day, check = code[2:].rsplit(".", 2)[0], "20250307", code.rsplit(".", 1)[1]
    forged = [f"r.changan.{day}.{check}", f"r.{station}.20250308.{check}", code[:-1] + ("a" if code[-1] != "a" else "b"),
              r.reception_code(b"x" * 40, "xucun-rongxing", date(2025, 3, 7)), "", "r.xucun", code + "x",
              "r.XUCUN.20250307.aaaaaaaaaa", "r.xucun.20251399." + check]
    for bad in forged:
        with pytest.raises(r.CodeRefused) as refused:
            r.reception_of(KEY, bad, now)
        assert refused.value.reason == "signin_code_invalid", bad


def test_the_session_sign_in_code():
    start = datetime(2025, 3, 7, 14, 0, tzinfo=SH)
    code = r.session_code(KEY, 12, start, "xucun")
    parsed = r.parse_code(KEY, code)
    assert parsed == r.SessionCode(12, start.astimezone(timezone.utc), "xucun")
    assert r.parse_code(KEY, r.signin_url("https://hub.example", code).split("#signin=")[1]) == parsed
    for bad in (code.replace(".xucun.", ".changan."), code.replace("s.12.", "s.13."),
                code.replace("T060000Z", "T070000Z"), r.session_code(b"x" * 40, 12, start, "xucun")):
        with pytest.raises(r.CodeRefused):
            r.parse_code(KEY, bad)
    with pytest.raises(r.CodeRefused):  # a session code is not a station's code of the day
        r.reception_of(KEY, code, start)
    end = start + timedelta(hours=2)
    assert r.session_code_open(True, end, start + timedelta(minutes=1))
    assert r.session_code_open(False, end, end + r.SESSION_GRACE)  # the grace after the end
    assert not r.session_code_open(False, end, end + r.SESSION_GRACE + timedelta(seconds=1))
    assert not r.session_code_open(False, end, start - timedelta(minutes=5))  # the lobby: not yet


def test_once_per_deputy_station_and_day():
    at = datetime(2025, 3, 7, 9, 30, tzinfo=SH)
    first = r.reception_record(RULES, "xucun", date(2025, 3, 7), 5, at, rostered=True)
    again = r.reception_record(RULES, "xucun", date(2025, 3, 7), 5, at + timedelta(hours=3), rostered=True)
    assert first.key == again.key == "station_reception|reception:xucun:2025-03-07|5"
    assert first.points == 2 and not first.manual and first.kind == "station_reception"
    others = [r.reception_record(RULES, "xucun", date(2025, 3, 8), 5, at, True),
              r.reception_record(RULES, "changan", date(2025, 3, 7), 5, at, True),
              r.reception_record(RULES, "xucun", date(2025, 3, 7), 6, at, True)]
    assert len(scoring.dedupe([first, again, *others])) == 4
    walk_in = r.reception_record(RULES, "xucun", date(2025, 3, 7), 7, at, rostered=False)
    assert walk_in.manual and "临时" in walk_in.note
    assert r.walk_in_allowed("xucun", "xucun") and not r.walk_in_allowed("changan", "xucun")
    assert not r.walk_in_allowed(None, None)


def test_a_session_sign_in_has_the_live_layers_key():
    start = datetime(2025, 3, 7, 14, 0, tzinfo=SH)
    qr = r.session_signin_record(RULES, 12, start, 5, "xucun", start + timedelta(minutes=3))
    live = scoring.session_records(RULES, 12, scoring.attendance_day(start), [scoring.Attendance(5, start, 40)])
    assert qr.key == live[0].key and qr.kind == "session_joined"


def test_the_reception_rule_is_required(tmp_path):
    import shutil

    import yaml

    shutil.copytree("configs", tmp_path / "configs")
    scoring_file = tmp_path / "configs" / "scoring.yaml"
    data = yaml.safe_load(scoring_file.read_text())
    del data["rules"]["station_reception"]
    scoring_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ConfigError, match="station_reception"):
        load_config(tmp_path / "configs", environ={})
