"""hub/scope.py: who may do what over the 1+12+X matrix.  One row per cell
of role x action x scope, each allowed or refused."""

import pytest

from hub.config import load_config
from hub.errors import Forbidden, StationNotFound
from hub.scope import (
    Actor,
    Do,
    InviteTarget,
    JoinTarget,
    Pick,
    Role,
    SessionTarget,
    StationTarget,
    can,
    expand_picks,
    require,
)

MATRIX = load_config(environ={}).matrix

ADMIN = Actor(Role.ADMINISTRATOR, account_id=1, name="admin")
JIAXING = Actor(Role.DISPATCHER, "jiaxing", name="jx")
HAINING = Actor(Role.DISPATCHER, "haining", name="hn")
XUCUN_DISPATCHER = Actor(Role.DISPATCHER, "xucun", name="xc")
XUCUN_OPERATOR = Actor(Role.OPERATOR, "xucun", name="op-xucun")
HAINING_OPERATOR = Actor(Role.OPERATOR, "haining", name="op-haining")
DEPUTY = Actor(Role.DEPUTY, deputy_id=7, name="deputy 7")
OTHER_DEPUTY = Actor(Role.DEPUTY, deputy_id=8, name="deputy 8")

TOWNS = frozenset(s.code for s in MATRIX.subtree("haining") if s.level == "town")
ALL_TOWNS = SessionTarget("haining", TOWNS | {"haining"}, frozenset({7}))
ROOMS = SessionTarget("haining", frozenset({"haining", "xucun-rongxing", "changan-xinfeng"}), frozenset({7}))
WITH_JIAXING = SessionTarget("jiaxing", frozenset({"jiaxing", "haining"}))
JIAXING_INVITES_HAINING = SessionTarget("jiaxing", frozenset({"jiaxing", "haining", "xucun"}))
XUCUN_LOCAL = SessionTarget("xucun", frozenset({"xucun", "xucun-rongxing"}))
HAINING_CHAIRED_BY_XUCUN = SessionTarget("xucun", frozenset({"xucun", "haining"}))

S, V, J, C, I, D, A, L = Do.SCHEDULE, Do.VIEW, Do.JOIN, Do.CONTROL, Do.INVITE, Do.MANAGE_DEPUTIES, Do.MANAGE_ACCOUNTS, Do.VIEW_AUDIT

CELLS = [
    # administrator: everything
    (ADMIN, S, WITH_JIAXING, True),
    (ADMIN, A, None, True),
    (ADMIN, L, StationTarget("jiaxing"), True),
    (ADMIN, I, InviteTarget(WITH_JIAXING, "jiaxing"), True),
    # Jiaxing dispatcher: its subtree holds the Haining branch
    (JIAXING, S, WITH_JIAXING, True),
    (JIAXING, S, JIAXING_INVITES_HAINING, True),
    (JIAXING, S, ALL_TOWNS, True),
    (JIAXING, I, InviteTarget(JIAXING_INVITES_HAINING, "xucun"), True),
    (JIAXING, A, None, False),
    # Haining dispatcher: Haining, its towns and rooms; never Jiaxing
    (HAINING, S, ALL_TOWNS, True),
    (HAINING, S, ROOMS, True),
    (HAINING, S, XUCUN_LOCAL, True),
    (HAINING, S, WITH_JIAXING, False),
    (HAINING, S, JIAXING_INVITES_HAINING, False),
    (HAINING, C, ALL_TOWNS, True),
    (HAINING, C, WITH_JIAXING, False),
    (HAINING, V, JIAXING_INVITES_HAINING, True),  # a session touching its scope
    (HAINING, J, JoinTarget(ALL_TOWNS, "haining"), True),
    (HAINING, J, JoinTarget(ALL_TOWNS, "jiaxing"), False),
    (HAINING, J, JoinTarget(WITH_JIAXING, "haining"), False),
    (HAINING, I, InviteTarget(ALL_TOWNS, "changan"), True),
    (HAINING, I, InviteTarget(ALL_TOWNS, "jiaxing"), False),
    (HAINING, I, InviteTarget(WITH_JIAXING, "haining"), False),
    (HAINING, D, StationTarget("yanguan-guzhen"), True),
    (HAINING, D, StationTarget("jiaxing"), False),
    (HAINING, L, StationTarget("haining"), True),
    (HAINING, L, StationTarget("jiaxing"), False),
    (HAINING, A, None, False),
    # a town's dispatcher: the town and its rooms, not the branch
    (XUCUN_DISPATCHER, S, XUCUN_LOCAL, True),
    (XUCUN_DISPATCHER, S, HAINING_CHAIRED_BY_XUCUN, False),
    (XUCUN_DISPATCHER, S, ALL_TOWNS, False),
    (XUCUN_DISPATCHER, V, ALL_TOWNS, True),
    (XUCUN_DISPATCHER, V, WITH_JIAXING, False),
    (XUCUN_DISPATCHER, D, StationTarget("changan"), False),
    # operators: their own station only
    (XUCUN_OPERATOR, V, ALL_TOWNS, True),
    (XUCUN_OPERATOR, V, WITH_JIAXING, False),
    (XUCUN_OPERATOR, J, JoinTarget(ALL_TOWNS, "xucun"), True),
    (XUCUN_OPERATOR, J, JoinTarget(ALL_TOWNS, "changan"), False),
    (XUCUN_OPERATOR, J, JoinTarget(WITH_JIAXING, "xucun"), False),
    (XUCUN_OPERATOR, C, XUCUN_LOCAL, True),
    (XUCUN_OPERATOR, C, ALL_TOWNS, False),
    (XUCUN_OPERATOR, S, XUCUN_LOCAL, False),
    (XUCUN_OPERATOR, I, InviteTarget(XUCUN_LOCAL, "xucun"), False),
    (XUCUN_OPERATOR, D, StationTarget("xucun"), False),
    (XUCUN_OPERATOR, L, StationTarget("xucun"), False),
    (HAINING_OPERATOR, S, ALL_TOWNS, False),
    (HAINING_OPERATOR, C, ALL_TOWNS, True),
    # deputies: through an invitation
    (DEPUTY, V, ALL_TOWNS, True),
    (DEPUTY, J, JoinTarget(ALL_TOWNS), True),
    (DEPUTY, J, JoinTarget(ALL_TOWNS, "xucun"), False),
    (DEPUTY, J, JoinTarget(WITH_JIAXING), False),
    (OTHER_DEPUTY, V, ALL_TOWNS, False),
    (OTHER_DEPUTY, J, JoinTarget(ALL_TOWNS), False),
    (DEPUTY, S, ALL_TOWNS, False),
    (DEPUTY, C, ALL_TOWNS, False),
    (DEPUTY, I, InviteTarget(ALL_TOWNS, "xucun"), False),
    (DEPUTY, A, None, False),
]


@pytest.mark.parametrize(
    "actor, action, target, allowed",
    CELLS,
    ids=[f"{a.name}-{d.value}-{i}" for i, (a, d, _t, _ok) in enumerate(CELLS)],
)
def test_matrix_cell(actor, action, target, allowed):
    decision = can(actor, action, target, MATRIX)
    assert decision.allowed is allowed, decision.reason
    if allowed:
        require(actor, action, target, MATRIX)
    else:
        assert decision.reason
        with pytest.raises(Forbidden) as info:
            require(actor, action, target, MATRIX)
        assert info.value.reason == decision.reason and info.value.detail == decision.text()


def test_every_role_and_action_appears_in_the_matrix():
    assert {a.role for a, *_ in CELLS} == set(Role)
    assert {d for _, d, *_ in CELLS} == set(Do)


def test_refusal_names_the_stations_outside_the_scope():
    decision = can(HAINING, S, WITH_JIAXING, MATRIX)
    assert "jiaxing" in decision.text() and "haining" in decision.text()
    assert decision.text("zh-CN") == "联络站 jiaxing 不在 haining 的管辖范围内"


def test_unknown_stations_are_errors_not_refusals():
    with pytest.raises(StationNotFound):
        can(HAINING, S, SessionTarget("haining", frozenset({"haining", "nowhere"})), MATRIX)
    with pytest.raises(StationNotFound):
        can(Actor(Role.DISPATCHER, "nowhere"), S, ALL_TOWNS, MATRIX)


def test_scoped_roles_need_a_station():
    with pytest.raises(ValueError):
        Actor(Role.DISPATCHER)
    with pytest.raises(ValueError):
        Actor(Role.OPERATOR)
    assert Actor("administrator").role is Role.ADMINISTRATOR


def test_a_whole_subtree_in_one_pick():
    assert expand_picks(MATRIX, ["haining/*"]) == frozenset(s.code for s in MATRIX.subtree("haining"))
    assert expand_picks(MATRIX, [Pick("haining", subtree=True, levels=frozenset({"branch", "town"}))]) == TOWNS | {"haining"}
    assert len(TOWNS) == 12
    assert expand_picks(MATRIX, ["xucun-rongxing", "changan-xinfeng", "haining"]) == ROOMS.stations
    assert expand_picks(MATRIX, ["xucun/*", "xucun"]) == {"xucun", "xucun-rongxing"}
    with pytest.raises(StationNotFound):
        expand_picks(MATRIX, ["nowhere/*"])
    with pytest.raises(ValueError):
        Pick("haining", True, frozenset({"county"}))


def test_the_new_domain_rules_import_no_web_or_database_code():
    """STYLE.md habit 6, for the modules of this change (test_layers.py holds
    the project-wide list)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    forbidden = {"aiohttp", "socketio", "sqlmodel", "sqlalchemy", "alembic", "redis", "aiortc", "av", "store", "signaling", "media"}
    for module in ("hub/scope.py", "scheduler/recurrence.py", "scheduler/conflicts.py", "scheduler/lifecycle.py"):
        names = set()
        for node in ast.walk(ast.parse((root / module).read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
        assert not names & forbidden, (module, names & forbidden)
