"""opinions/workflow.py: every legal transition, every illegal one refused
with a reason, roles, payload checks and replaying a timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidPayload, OpinionTransitionRefused
from core.scope import Actor
from opinions import workflow as wf
from opinions.workflow import Action as A, Status as S

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=SH)
LATER = NOW + timedelta(days=7)
STAFF = Actor(role="dispatcher", station="haining", account_id=2, name="hn")
ADMIN = Actor(role="administrator", account_id=1, name="admin")
OPERATOR = Actor(role="operator", station="xucun", account_id=3, name="op")
DEPUTY = Actor(role="deputy", deputy_id=7, name="dep")

PAYLOADS = {
    A.ACCEPT: ({}, ""),
    A.REJECT: ({}, "不属于受理范围"),
    A.ASSIGN: ({"level": "town", "department": "xucun-office", "deadline": LATER}, ""),
    A.RETURN: ({}, "非本单位职责"),
    A.START: ({"deadline": LATER}, ""),
    A.EXTEND: ({"deadline": LATER + timedelta(days=5)}, "需协调多部门"),
    A.ANSWER: ({"grade": "A", "answer": "已修复路灯"}, ""),
    A.FEED_BACK: ({}, "已电话告知"),
    A.RATE: ({"rating": "satisfied"}, ""),
    A.CLOSE: ({}, ""),
    A.FLAG: ({"flag": "hot"}, ""),
    A.UNFLAG: ({"flag": "hot"}, ""),
}


def state(status: S, **kw) -> wf.OpinionState:
    base = dict(status=status, submitted_at=NOW - timedelta(days=1))
    if status in (S.ASSIGNED, S.IN_PROGRESS, S.ANSWERED, S.FED_BACK, S.RATED, S.CLOSED, S.RETURNED, S.REOPENED):
        base.update(level="town", department="xucun-office", first_assigned_at=NOW - timedelta(hours=20))
    if status in (S.ASSIGNED, S.IN_PROGRESS):
        base["deadline"] = NOW + timedelta(days=3)
    base.update(kw)
    return wf.OpinionState(**base)


@pytest.mark.parametrize("source,action", sorted(wf.TRANSITIONS, key=str))
def test_every_legal_transition(source, action):
    payload, note = PAYLOADS[action]
    step = wf.apply(state(source), action, STAFF, payload, NOW, note)
    assert step.state.status is wf.TRANSITIONS[(source, action)]
    assert step.event.from_status is source and step.event.to_status is step.state.status
    assert step.event.actor == wf.ActorRef("dispatcher", "hn", 2) and step.event.at == NOW
    assert step.event.note == note


ILLEGAL = [(s, a) for s in S for a in A
           if a not in (A.SUBMIT, A.FLAG, A.UNFLAG) and (s, a) not in wf.TRANSITIONS]


@pytest.mark.parametrize("source,action", ILLEGAL, ids=[f"{s.value}-{a.value}" for s, a in ILLEGAL])
def test_every_illegal_transition_is_refused_with_a_reason(source, action):
    payload, note = PAYLOADS[action]
    with pytest.raises(OpinionTransitionRefused) as info:
        wf.apply(state(source), action, ADMIN, payload, NOW, note)
    reason = info.value.detail
    assert source.value in reason and (action.value in reason or "nothing more" in reason)


def test_the_whole_path_with_return_reopen_and_close_replays_to_the_same_state():
    steps = [wf.submit(OPERATOR, NOW)]
    moves = [
        (A.ACCEPT, {}, ""),
        (A.ASSIGN, {"level": "county", "department": "hn-transport", "deadline": LATER}, ""),
        (A.RETURN, {}, "应由镇里处理"),
        (A.ASSIGN, {"level": "town", "department": "xucun-office", "deadline": LATER}, "改派"),
        (A.START, {}, ""),
        (A.EXTEND, {"deadline": LATER + timedelta(days=3)}, "延期"),
        (A.ANSWER, {"grade": "A", "answer": "已解决"}, ""),
        (A.FEED_BACK, {}, ""),
        (A.RATE, {"rating": "unsatisfied"}, "仍有噪声"),
        (A.START, {"deadline": LATER + timedelta(days=10)}, ""),
        (A.ANSWER, {"grade": "A", "answer": "加装隔音"}, ""),
        (A.FEED_BACK, {}, ""),
        (A.RATE, {"rating": "basic"}, ""),
        (A.FLAG, {"flag": "supervision"}, ""),
        (A.CLOSE, {}, ""),
    ]
    current = steps[0].state
    for index, (action, payload, note) in enumerate(moves, 1):
        step = wf.apply(current, action, STAFF, payload, NOW + timedelta(hours=index), note)
        steps.append(step)
        current = step.state
    assert current.status is S.CLOSED and current.reopenings == 1 and current.returns == 1
    assert current.extensions == 1 and current.rating == "basic" and current.flags == {"supervision"}
    assert current.level == "town" and current.resolved
    assert current.first_assigned_at == NOW + timedelta(hours=2)
    assert current.first_answered_at == NOW + timedelta(hours=7)
    assert wf.replay([s.event for s in steps]) == current
    # apply also takes the history
    assert wf.apply([steps[0].event], A.REJECT, STAFF, {}, NOW, "x").state.status is S.REJECTED


def test_unsatisfied_reopens_and_clears_the_resolution():
    answered = wf.apply(state(S.IN_PROGRESS), A.ANSWER, STAFF, {"grade": "A", "answer": "ok"}, NOW).state
    assert answered.resolved
    fed = wf.apply(answered, A.FEED_BACK, OPERATOR, {}, NOW).state
    reopened = wf.apply(fed, A.RATE, DEPUTY, {"rating": "unsatisfied"}, NOW).state
    assert reopened.status is S.REOPENED and not reopened.resolved and reopened.grade is None
    assert reopened.deadline is None
    with pytest.raises(InvalidPayload):
        wf.apply(reopened, A.START, STAFF, {}, NOW)  # needs a new deadline


def test_only_grade_a_resolves():
    for grade in "BCD":
        s = wf.apply(state(S.IN_PROGRESS), A.ANSWER, STAFF, {"grade": grade, "answer": "x"}, NOW).state
        assert s.status is S.ANSWERED and not s.resolved


def test_roles():
    with pytest.raises(OpinionTransitionRefused, match="a deputy may not assign"):
        wf.apply(state(S.ACCEPTED), A.ASSIGN, DEPUTY, PAYLOADS[A.ASSIGN][0], NOW)
    with pytest.raises(OpinionTransitionRefused, match="operator may not accept"):
        wf.apply(state(S.SUBMITTED), A.ACCEPT, OPERATOR, {}, NOW)
    assert wf.apply(state(S.FED_BACK), A.RATE, DEPUTY, {"rating": "satisfied"}, NOW).state.status is S.RATED
    assert [a.value for a in wf.allowed_actions(state(S.SUBMITTED), "dispatcher")] == ["accept", "reject", "flag"]
    assert wf.allowed_actions(state(S.SUBMITTED), "deputy") == []
    assert [a.value for a in wf.allowed_actions(state(S.FED_BACK), "deputy")] == ["rate"]


def test_payload_and_reason_checks():
    with pytest.raises(InvalidPayload, match="reason"):
        wf.apply(state(S.SUBMITTED), A.REJECT, STAFF, {}, NOW, "  ")
    with pytest.raises(InvalidPayload, match="level"):
        wf.apply(state(S.ACCEPTED), A.ASSIGN, STAFF, {"level": "province", "department": "x"}, NOW)
    with pytest.raises(InvalidPayload, match="department"):
        wf.apply(state(S.ACCEPTED), A.ASSIGN, STAFF, {"level": "town"}, NOW)
    with pytest.raises(InvalidPayload, match="future"):
        wf.apply(state(S.ACCEPTED), A.ASSIGN, STAFF, {"level": "town", "department": "x", "deadline": NOW}, NOW)
    with pytest.raises(OpinionTransitionRefused, match="later"):
        wf.apply(state(S.IN_PROGRESS), A.EXTEND, STAFF, {"deadline": NOW + timedelta(days=1)}, NOW, "more time")
    with pytest.raises(InvalidPayload, match="grade"):
        wf.apply(state(S.IN_PROGRESS), A.ANSWER, STAFF, {"grade": "E", "answer": "x"}, NOW)
    with pytest.raises(InvalidPayload, match="answer"):
        wf.apply(state(S.IN_PROGRESS), A.ANSWER, STAFF, {"grade": "A"}, NOW)
    with pytest.raises(InvalidPayload, match="rating"):
        wf.apply(state(S.FED_BACK), A.RATE, STAFF, {"rating": "meh"}, NOW)
    with pytest.raises(InvalidPayload, match="unknown action"):
        wf.apply(state(S.FED_BACK), "dance", STAFF, {}, NOW)


def test_flags_keep_the_state_and_are_refused_twice_or_on_rejected():
    s = wf.apply(state(S.CLOSED), A.FLAG, STAFF, {"flag": "supervision"}, NOW)
    assert s.state.status is S.CLOSED and s.state.flags == {"supervision"}
    with pytest.raises(OpinionTransitionRefused, match="already"):
        wf.apply(s.state, A.FLAG, STAFF, {"flag": "supervision"}, NOW)
    assert wf.apply(s.state, A.UNFLAG, STAFF, {"flag": "supervision"}, NOW).state.flags == frozenset()
    with pytest.raises(OpinionTransitionRefused, match="does not have"):
        wf.apply(state(S.ASSIGNED), A.UNFLAG, STAFF, {"flag": "hot"}, NOW)
    with pytest.raises(OpinionTransitionRefused, match="rejected"):
        wf.apply(state(S.REJECTED), A.FLAG, STAFF, {"flag": "hot"}, NOW)
    with pytest.raises(OpinionTransitionRefused, match="submitted once"):
        wf.apply(state(S.ACCEPTED), A.SUBMIT, STAFF, {}, NOW)


def test_overdue():
    s = state(S.IN_PROGRESS, deadline=NOW)
    assert s.overdue(NOW + timedelta(seconds=1)) and not s.overdue(NOW)
    assert not state(S.ANSWERED, deadline=NOW).overdue(NOW + timedelta(days=1))


def test_the_domain_modules_import_no_web_or_database_code():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    forbidden = {"aiohttp", "socketio", "sqlmodel", "sqlalchemy", "redis", "aiortc", "av", "store", "api", "openpyxl"}
    for path in [*root.joinpath("opinions").glob("*.py"), *root.joinpath("duty").glob("*.py")]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        assert not names & forbidden, (path.name, names & forbidden)


def test_the_reference_number_is_the_year_received_in_china_and_the_id():
    from datetime import datetime, timezone

    from opinions.reference import parse, reference

    # 2025-12-31 17:00 UTC is already 2026-01-01 in China
    assert reference(17, datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc)) == "MQ2026-000017"
    assert reference(1234567, datetime(2025, 6, 1, tzinfo=timezone.utc)) == "MQ2025-1234567"
    assert parse("mq2026-000017") == (2026, 17) and parse(" MQ2026-17 ") == (2026, 17)
    assert parse("MQ26-000017") is None and parse("2026-000017") is None and parse("MQ2026-") is None
