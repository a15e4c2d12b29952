"""scheduler/lifecycle.py: scheduled -> lobby -> live -> ended, or cancelled."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import ScheduleInvalid, TransitionRefused
from scheduler.lifecycle import Action, State, Timing, allowed_actions, check_transition, next_change, state_at

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 3, 7, 14, tzinfo=SH)
END = START + timedelta(hours=2)
T = Timing(START, END)


@pytest.mark.parametrize(
    "offset_minutes, state",
    [(-60, State.SCHEDULED), (-15.01, State.SCHEDULED), (-15, State.LOBBY), (-1, State.LOBBY),
     (0, State.LIVE), (119, State.LIVE), (120, State.ENDED), (60 * 24 * 30, State.ENDED)],
)
def test_the_clock_drives_the_state(offset_minutes, state):
    assert state_at(T, START + timedelta(minutes=offset_minutes), lobby_minutes=15) is state


def test_lobby_minutes_are_configurable():
    assert state_at(T, START - timedelta(minutes=20), lobby_minutes=30) is State.LOBBY
    assert state_at(T, START - timedelta(minutes=1), lobby_minutes=0) is State.SCHEDULED
    with pytest.raises(ScheduleInvalid):
        state_at(T, START, lobby_minutes=-1)


def test_a_restarted_hub_catches_up_in_one_step():
    # Down from before the lobby until after the end: the session is simply ended.
    assert state_at(T, END + timedelta(hours=5)) is State.ENDED
    assert next_change(T, END + timedelta(hours=5)) is None


def test_manual_overrides():
    assert state_at(Timing(START, END, cancelled=True), START) is State.CANCELLED
    ended = Timing(START, END, ended_at=START + timedelta(minutes=30))
    assert state_at(ended, START + timedelta(minutes=29)) is State.LIVE
    assert state_at(ended, START + timedelta(minutes=30)) is State.ENDED


def test_next_change():
    assert next_change(T, START - timedelta(hours=1), 10) == START - timedelta(minutes=10)
    assert next_change(T, START - timedelta(minutes=5), 10) == START
    assert next_change(T, START + timedelta(minutes=5), 10) == END


@pytest.mark.parametrize(
    "state, action, result",
    [
        (State.SCHEDULED, Action.CANCEL, State.CANCELLED),
        (State.LOBBY, Action.CANCEL, State.CANCELLED),
        (State.LIVE, Action.END, State.ENDED),
        (State.LIVE, Action.CANCEL, "end it instead"),
        (State.SCHEDULED, Action.END, "cancel it instead"),
        (State.LOBBY, Action.END, "cancel it instead"),
        (State.ENDED, Action.CANCEL, "already ended"),
        (State.ENDED, Action.END, "already ended"),
        (State.CANCELLED, Action.CANCEL, "already cancelled"),
        (State.CANCELLED, Action.END, "cancelled"),
    ],
)
def test_manual_transitions_and_refusals(state, action, result):
    if isinstance(result, State):
        assert check_transition(state, action) is result
    else:
        with pytest.raises(TransitionRefused, match=result):
            check_transition(state, action)


def test_unknown_action_and_allowed_actions():
    with pytest.raises(TransitionRefused, match="unknown action"):
        check_transition(State.LIVE, "pause")
    assert allowed_actions(State.LIVE) == [Action.END]
    assert allowed_actions(State.ENDED) == []


def test_timing_is_checked():
    with pytest.raises(ScheduleInvalid):
        Timing(END, START)
    with pytest.raises(ScheduleInvalid):
        Timing(datetime(2025, 1, 1), datetime(2025, 1, 2))
    with pytest.raises(ScheduleInvalid):
        state_at(T, datetime(2025, 1, 1))
