import pytest

from core.matrix import Matrix, MatrixError, Station


def station(code, level, *children, **extra):
    return Station.from_config({"code": code, "name": code, "name_en": code, "level": level, **extra}, list(children))


def test_scope_questions():
    matrix = Matrix([station("jiaxing", "general", station("haining", "branch", station("xucun", "town", station("xucun-a", "room"))))])
    assert matrix.is_within("xucun-a", "haining")
    assert matrix.is_within("haining", "haining")
    assert not matrix.is_within("jiaxing", "haining")
    assert [s.code for s in matrix.ancestors("xucun-a")] == ["xucun", "haining", "jiaxing"]
    assert [s.code for s in matrix.subtree("xucun")] == ["xucun", "xucun-a"]


def test_duplicate_codes_are_refused():
    with pytest.raises(MatrixError, match="used twice"):
        Matrix([station("haining", "branch", station("xucun", "town")), station("xucun", "town")])


def test_kind_only_for_towns():
    with pytest.raises(MatrixError) as exc:
        station("haining", "branch", kind="street")
    assert exc.value.key == "kind"
