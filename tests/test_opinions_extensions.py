"""opinions/extensions.py: a department's extension request and its
approval, pure: who asks when, every transition (pending → approved |
refused), refusals with their reasons; and the workflow refusing a
department's own extend step (opinions/workflow.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidPayload, OpinionTransitionRefused
from core.scope import Actor
from opinions import extensions as ext
from opinions import workflow as wf
from opinions.workflow import Status as S

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=SH)
DEADLINE = NOW + timedelta(days=3)


def held(status: S = S.IN_PROGRESS) -> wf.OpinionState:
    return wf.OpinionState(status=status, submitted_at=NOW - timedelta(days=1), level="town",
                           department="xucun-office", deadline=DEADLINE)


def test_a_request_needs_an_item_in_progress_a_reason_and_a_later_deadline():
    ext.check_request(held(), DEADLINE + timedelta(days=5), "需协调供电所", NOW, pending=False)
    cases = [
        (held(S.ASSIGNED), DEADLINE + timedelta(days=5), "x", False, OpinionTransitionRefused, "extension_not_in_progress"),
        (held(S.ANSWERED), DEADLINE + timedelta(days=5), "x", False, OpinionTransitionRefused, "extension_not_in_progress"),
        (held(), DEADLINE + timedelta(days=5), "x", True, OpinionTransitionRefused, "extension_pending"),
        (held(), DEADLINE + timedelta(days=5), "  ", False, InvalidPayload, "note_required"),
        (held(), None, "x", False, InvalidPayload, "deadline_needs_timezone"),
        (held(), datetime(2025, 3, 9), "x", False, InvalidPayload, "deadline_needs_timezone"),
        (held(), NOW - timedelta(hours=1), "x", False, InvalidPayload, "deadline_in_past"),
        (held(), DEADLINE, "x", False, OpinionTransitionRefused, "extension_not_later"),
    ]
    for state, deadline, reason, pending, error, key in cases:
        with pytest.raises(error) as raised:
            ext.check_request(state, deadline, reason, NOW, pending)
        assert raised.value.reason == key, (state.status, deadline, reason, pending)


def test_every_decision_transition():
    assert ext.decide(ext.PENDING, True, "", held()) == ext.APPROVED
    assert ext.decide(ext.PENDING, False, "请按期办结", held()) == ext.REFUSED
    for status in (ext.APPROVED, ext.REFUSED):  # final
        for approve in (True, False):
            with pytest.raises(OpinionTransitionRefused) as raised:
                ext.decide(status, approve, "理由", held())
            assert raised.value.reason == "extension_decided"
    with pytest.raises(InvalidPayload) as raised:
        ext.decide(ext.PENDING, False, " ", held())
    assert raised.value.reason == "refusal_needs_reason"
    # the item moved on meanwhile: no approval, a refusal still closes the request
    with pytest.raises(OpinionTransitionRefused) as raised:
        ext.decide(ext.PENDING, True, "", held(S.ANSWERED))
    assert raised.value.reason == "extension_not_in_progress"
    assert ext.decide(ext.PENDING, False, "已答复", held(S.ANSWERED)) == ext.REFUSED


def test_a_department_no_longer_extends_by_itself():
    department = Actor(role="department", department="xucun-office", account_id=9, name="dept")
    with pytest.raises(OpinionTransitionRefused) as raised:
        wf.apply(held(), wf.Action.EXTEND, department, {"deadline": DEADLINE + timedelta(days=5)}, NOW, "需协调")
    assert raised.value.reason == "extension_by_request"
    assert wf.Action.EXTEND not in wf.allowed_actions(held(), "department")
    staff = Actor(role="dispatcher", station="haining", account_id=2, name="hn")
    step = wf.apply(held(), wf.Action.EXTEND, staff, {"deadline": DEADLINE + timedelta(days=5)}, NOW, "批准延期申请：需协调")
    assert step.state.deadline == DEADLINE + timedelta(days=5) and step.state.extensions == 1
