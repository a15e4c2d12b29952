"""The life cycle of a linked session's occurrence: pure rules, no I/O.

::

    scheduled --(start - lobby)--> lobby --(start)--> live --(end)--> ended
        \\________________________\\__ cancel __> cancelled
                                   live --end early--> ended

* The clock drives it: :func:`state_at` computes the state an occurrence
  should be in at any instant, so a hub restarted after an outage catches up
  (a session past its end is ``ended`` by itself) instead of replaying steps.
  The lobby opens ``lobby_minutes`` before the start (configurable, 0 for
  none).
* People drive two transitions, checked by :func:`check_transition`:
  **cancel** (while ``scheduled`` or ``lobby``; a live session is ended, not
  cancelled) and **end early** (while ``live``; before that, cancel it).
  Both are final; every refusal says why.
* :func:`next_change` tells a scheduler loop when to look again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Optional

from hub.errors import ScheduleInvalid, TransitionRefused


class State(str, Enum):
    SCHEDULED = "scheduled"
    LOBBY = "lobby"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


FINAL = frozenset({State.ENDED, State.CANCELLED})
JOINABLE = frozenset({State.LOBBY, State.LIVE})
DEFAULT_LOBBY_MINUTES = 15


class Action(str, Enum):
    CANCEL = "cancel"
    END = "end"

    def __str__(self) -> str:
        return self.value


# (state, action) -> new state; everything else is refused with a reason.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.SCHEDULED, Action.CANCEL): State.CANCELLED,
    (State.LOBBY, Action.CANCEL): State.CANCELLED,
    (State.LIVE, Action.END): State.ENDED,
}

_REFUSALS: dict[tuple[State, Action], str] = {
    (State.LIVE, Action.CANCEL): "live_end_not_cancel",
    (State.SCHEDULED, Action.END): "not_started_cancel",
    (State.LOBBY, Action.END): "not_started_cancel",
    (State.ENDED, Action.CANCEL): "already_ended",
    (State.ENDED, Action.END): "already_ended",
    (State.CANCELLED, Action.CANCEL): "already_cancelled",
    (State.CANCELLED, Action.END): "session_cancelled",
}


@dataclass(frozen=True)
class Timing:
    """What the state of one occurrence depends on.  ``ended_at`` is set when
    it was ended early; ``cancelled`` when it (or its series) was cancelled."""

    start: datetime
    end: datetime
    cancelled: bool = False
    ended_at: Optional[datetime] = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise ScheduleInvalid("needs_timezone", name=name)
        if self.end <= self.start:
            raise ScheduleInvalid("end_before_start")


def _lobby_opens(timing: Timing, lobby_minutes: float) -> datetime:
    if lobby_minutes < 0:
        raise ScheduleInvalid("lobby_negative")
    return timing.start - timedelta(minutes=lobby_minutes)


def state_at(timing: Timing, now: datetime, lobby_minutes: float = DEFAULT_LOBBY_MINUTES) -> State:
    """The state ``timing`` is in at ``now``."""
    if now.tzinfo is None:
        raise ScheduleInvalid("needs_timezone", name="now")
    lobby_opens = _lobby_opens(timing, lobby_minutes)
    if timing.cancelled:
        return State.CANCELLED
    if timing.ended_at is not None and timing.ended_at <= now:
        return State.ENDED
    if now >= timing.end:
        return State.ENDED
    if now >= timing.start:
        return State.LIVE
    if now >= lobby_opens:
        return State.LOBBY
    return State.SCHEDULED


def next_change(
    timing: Timing, now: datetime, lobby_minutes: float = DEFAULT_LOBBY_MINUTES
) -> Optional[datetime]:
    """When the clock next changes the state of ``timing``; ``None`` once final."""
    state = state_at(timing, now, lobby_minutes)
    if state is State.SCHEDULED:
        return _lobby_opens(timing, lobby_minutes)
    if state is State.LOBBY:
        return timing.start
    if state is State.LIVE:
        return timing.end
    return None


def check_transition(state: State, action: Action | str) -> State:
    """The state after ``action``, or :class:`TransitionRefused` with the reason."""
    try:
        action = Action(action)
    except ValueError:
        raise TransitionRefused("unknown_action", action=action) from None
    target = TRANSITIONS.get((State(state), action))
    if target is None:
        raise TransitionRefused(_REFUSALS.get((State(state), action), "cannot_in_state"), action=action.value, state=State(state).value)
    return target


def allowed_actions(state: State) -> list[Action]:
    return [action for (s, action) in TRANSITIONS if s == state]
