"""The deputy roster's pure rules (``core/roster.py``, issue 13): levels, and
the import's row-by-row validation with every reason it gives."""

from __future__ import annotations

import pytest

from core import roster as r
from core.reasons import REASONS, render

STATIONS = {"haining": "海宁市人大代表联络分站", "xucun": "许村镇人大代表联络站", "changan": "长安镇人大代表联络站",
            "jiaxing": "嘉兴市人大代表联络总站"}
HAINING = frozenset({"haining", "xucun", "changan"})


def ctx(scope=HAINING, deputies=(), phones=None) -> r.RosterContext:
    return r.RosterContext(STATIONS, scope, tuple(deputies), phones or {})


def row(name="张三", phone="13800000001", levels="海宁市人大代表", station="许村镇人大代表联络站", group="一组"):
    return [name, phone, levels, station, group]


def reasons_of(result: r.Validation) -> dict[int, list[str]]:
    return {b.row: [x.key for x in b.reasons] for b in result.bad}


def test_levels_parse_in_names_short_forms_and_codes_and_the_primary_is_the_highest():
    assert r.parse_levels("海宁市人大代表、镇人大代表") == (["haining", "town"], [])
    assert r.parse_levels("镇, 嘉兴市；street_rep") == (["jiaxing", "town", "street_rep"], [])
    assert r.parse_levels("县人大代表、镇") == (["town"], ["县人大代表"])
    assert r.primary_level(["street_rep", "town"]) == "town"
    assert r.primary_level(["town", "provincial", "haining"]) == "provincial"
    with pytest.raises(ValueError):
        r.primary_level([])


def test_phone_numbers_are_cleaned_or_refused():
    assert r.clean_phone("+86 138-0000-0001") == "13800000001"
    assert r.clean_phone("（138）00000001") == "13800000001"
    assert r.clean_phone("12800000001") is None
    assert r.clean_phone("1380000000") is None
    assert r.mask("13800000001") == "138****0001"


def test_a_clean_file_is_all_good_rows_of_new_deputies():
    result = r.validate([(2, row()), (3, row(name="李四", phone="13800000002", levels="镇、街道居民代表", station="xucun"))], ctx())
    assert result.bad == ()
    assert [(g.row, g.name, g.levels, g.station, g.existing) for g in result.good] == [
        (2, "张三", ("haining",), "xucun", None), (3, "李四", ("town", "street_rep"), "xucun", None)]
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert result.good[1].level == "town"


@pytest.mark.parametrize("cells, reason", [
    (row(name=""), "roster_name_missing"),
    (row(name="名" * 101), "roster_name_too_long"),
    (row(group="组" * 201), "roster_group_too_long"),
    (row(phone="1380000"), "roster_phone_invalid"),
    (row(levels="县人大代表"), "roster_level_unknown"),
    (row(levels=""), "roster_level_missing"),
    (row(station=""), "roster_station_missing"),
    (row(station="火星联络站"), "roster_station_unknown"),
    (row(station="嘉兴市人大代表联络总站"), "roster_station_outside_scope"),
])
def test_each_problem_of_one_row_has_its_reason(cells, reason):
    result = r.validate([(7, cells)], ctx())
    assert result.good == ()
    assert reasons_of(result) == {7: [reason]}
    words = render(reason, "zh-CN", dict(result.bad[0].reasons[0].params))
    assert words and "…" not in words, words  # every parameter given


def test_a_row_lists_every_problem_it_has():
    result = r.validate([(4, ["", "12", "县", "火星", ""])], ctx())
    assert reasons_of(result) == {4: ["roster_name_missing", "roster_phone_invalid", "roster_level_unknown",
                                      "roster_station_unknown"]}


def test_rows_sharing_a_phone_number_or_a_phoneless_person_are_all_bad_naming_the_others():
    result = r.validate([
        (2, row()), (3, row(name="李四")), (4, row(name="王五", phone="13800000003")),
        (5, row(name="赵六", phone="")), (6, row(name="赵六", phone="")),
    ], ctx())
    assert reasons_of(result) == {2: ["roster_phone_repeated"], 3: ["roster_phone_repeated"],
                                  5: ["roster_row_repeated"], 6: ["roster_row_repeated"]}
    assert dict(result.bad[0].reasons[0].params) == {"rows": [3]}
    assert render("roster_phone_repeated", "zh-CN", {"rows": [3]}) == "与第 3 行的手机号码重复"
    assert [g.row for g in result.good] == [4]


def test_a_number_on_the_roster_updates_that_deputy_unless_it_is_outside_the_scope():
    mine = r.Existing(11, "张三", "xucun", ("haining",), "一组", "13800000001")
    theirs = r.Existing(12, "钱七", "jiaxing", ("jiaxing",), "", "13800000009")
    phoneless = r.Existing(13, "孙八", "changan", ("town",), "", None)
    result = r.validate([
        (2, row()),  # the same as on the roster
        (3, row(name="孙八", phone="", levels="镇", station="changan", group="二组")),  # matched by name and station
        (4, row(name="钱七", phone="13800000009")),
        (5, row(name="周九", phone="13800000010")),
    ], ctx(deputies=[mine, theirs, phoneless], phones={"13800000010": None}))
    assert reasons_of(result) == {4: ["roster_phone_outside_scope"], 5: ["phone_taken"]}
    assert [(g.row, g.existing, g.unchanged) for g in result.good] == [(2, 11, True), (3, 13, False)]
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)


def test_an_administrator_has_no_scope_limit():
    result = r.validate([(2, row(station="jiaxing"))], ctx(scope=None))
    assert result.bad == () and result.good[0].station == "jiaxing"


def test_every_reason_the_validation_gives_is_in_the_catalogue():
    import inspect

    source = inspect.getsource(r)
    import re

    keys = set(re.findall(r'Reason\("([a-z_]+)"', source))
    assert len(keys) >= 12 and keys <= set(REASONS)
