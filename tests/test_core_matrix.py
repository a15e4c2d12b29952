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


def test_coordinates_both_or_neither_and_in_range():
    placed = station("xucun", "town", lat=30.404, lon=120.427)
    assert (placed.lat, placed.lon) == (30.404, 120.427)
    assert station("xucun", "town").lat is None
    for extra, key in (({"lat": 30.4}, "lon"), ({"lon": 120.4}, "lat"), ({"lat": 91, "lon": 120}, "lat"),
                       ({"lat": 30, "lon": -181}, "lon"), ({"lat": "30.4", "lon": 120.4}, "lat"),
                       ({"lat": True, "lon": 120.4}, "lat")):
        with pytest.raises(MatrixError) as exc:
            station("xucun", "town", **extra)
        assert exc.value.key == key, extra


def test_the_configured_stations_all_have_coordinates_near_haining():
    from hub.config import load_config

    matrix = load_config(environ={}).matrix
    for st in matrix.stations():
        assert st.lat is not None and st.lon is not None, st.code
        assert 30.3 < st.lat < 30.8 and 120.4 < st.lon < 120.9, st.code  # Haining and Jiaxing
