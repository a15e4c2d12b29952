"""The handling of an opinion (分级分类) as a state machine: pure, no I/O.

::

    submitted ─accept→ accepted ─assign{level, department}→ assigned
        └─reject→ rejected (final)          ↑            │  ├─return (退单)→ returned ─assign→ assigned
                                            │            │  └─start{deadline}→ in_progress
                                            │            │         ├─extend{deadline}→ in_progress
                                            │            │         ├─return→ returned
                                            │            │         └─answer{A|B|C|D}→ answered
    answered ─feed_back→ fed_back ─rate{满意|基本满意}→ rated ─close→ closed (final)
                          │  └─rate{不满意}→ reopened ─assign→ assigned | ─start→ in_progress
                          └─close (no rating came)→ closed

Flags (``flag``/``unflag``, any state but ``rejected``; the state stays):
converted to a formal suggestion, hot topic, supervision candidate.

:func:`apply` takes the current :class:`OpinionState` (or the whole history),
an action, who acts, its payload and the time, and returns the new state and
the :class:`Event` for the timeline; an illegal move raises
:class:`~core.errors.OpinionTransitionRefused` saying why, a malformed payload
:class:`~core.errors.InvalidPayload`.  :func:`replay` rebuilds a state from a
timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from core.errors import InvalidPayload, OpinionTransitionRefused, Reason


class Status(str, Enum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    FED_BACK = "fed_back"
    RATED = "rated"
    REOPENED = "reopened"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


class Action(str, Enum):
    SUBMIT = "submit"  # the first event of every timeline (capture)
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    RETURN = "return"
    START = "start"
    EXTEND = "extend"
    ANSWER = "answer"
    FEED_BACK = "feed_back"
    RATE = "rate"
    CLOSE = "close"
    FLAG = "flag"
    UNFLAG = "unflag"

    def __str__(self) -> str:
        return self.value


STATUSES = tuple(s.value for s in Status)
ACTIONS = tuple(a.value for a in Action)
#: 分级: where an opinion is handled.
LEVELS = ("town", "county", "city")
#: Answer grades: A solved, B in progress, C planned, D explained.
GRADES = ("A", "B", "C", "D")
GRADE_NAMES = {"A": "已解决", "B": "正在解决", "C": "列入计划", "D": "解释说明"}
#: Ratings: 满意, 基本满意, 不满意 (the last reopens the opinion).
RATINGS = ("satisfied", "basic", "unsatisfied")
RATING_NAMES = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
#: Flags: converted to a formal suggestion, hot topic, supervision candidate.
FLAGS = ("suggestion", "hot", "supervision")
FLAG_NAMES = {"suggestion": "转为正式建议", "hot": "热点", "supervision": "督办候选"}
#: An answer of these grades makes the opinion resolved (办结).
RESOLVED_GRADES = ("A",)
FINAL = frozenset({Status.REJECTED, Status.CLOSED})
#: States in which a department holds the opinion and its deadline runs.
HANDLING = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})

S, A = Status, Action

#: (state, action) → next state.  ``rate`` goes to ``reopened`` instead when
#: the rating is 不满意; flags keep the state (see :func:`_target`).
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.ACCEPTED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.RETURN): S.RETURNED,
    (S.ASSIGNED, A.START): S.IN_PROGRESS,
    (S.RETURNED, A.ASSIGN): S.ASSIGNED,
    (S.IN_PROGRESS, A.EXTEND): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.RETURN): S.RETURNED,
    (S.IN_PROGRESS, A.ANSWER): S.ANSWERED,
    (S.ANSWERED, A.FEED_BACK): S.FED_BACK,
    (S.FED_BACK, A.RATE): S.RATED,
    (S.FED_BACK, A.CLOSE): S.CLOSED,
    (S.RATED, A.CLOSE): S.CLOSED,
    (S.REOPENED, A.ASSIGN): S.ASSIGNED,
    (S.REOPENED, A.START): S.IN_PROGRESS,
}

STAFF = frozenset({"administrator", "dispatcher"})
#: The department an opinion is assigned to takes its own steps with a
#: department account (issue 13): accept it (start), return it (退回, with
#: the reason), answer.  Its request for more time is approved by a
#: dispatcher (:mod:`opinions.extensions`), whose ``extend`` moves the deadline.
#: Staff may still record the steps on its behalf.
DEPARTMENT_STEPS = frozenset({"return", "start", "answer"})
#: Who may take each action.
ACTION_ROLES: dict[Action, frozenset[str]] = {
    A.SUBMIT: frozenset({"administrator", "dispatcher", "operator", "deputy"}),
    A.ACCEPT: STAFF,
    A.REJECT: STAFF,
    A.ASSIGN: STAFF,
    A.RETURN: STAFF | {"department"},
    A.START: STAFF | {"department"},
    A.EXTEND: STAFF,  # a department asks (opinions/extensions.py); the approver's step moves the deadline
    A.ANSWER: STAFF | {"department"},
    A.FEED_BACK: STAFF | {"operator"},
    A.RATE: STAFF | {"operator", "deputy"},
    A.CLOSE: STAFF,
    A.FLAG: STAFF,
    A.UNFLAG: STAFF,
}
#: Actions whose note (the reason) may not be empty.
NEEDS_REASON = frozenset({A.REJECT, A.RETURN, A.EXTEND})


@dataclass(frozen=True)
class ActorRef:
    """Who acted, as the timeline keeps it."""

    role: str
    name: str = ""
    account_id: Optional[int] = None

    @classmethod
    def of(cls, actor: Any) -> "ActorRef":
        if isinstance(actor, ActorRef):
            return actor
        return cls(str(getattr(actor, "role", "system")), getattr(actor, "name", ""), getattr(actor, "account_id", None))


@dataclass(frozen=True)
class OpinionState:
    """Where an opinion stands: what the timeline adds up to."""

    status: Status = Status.SUBMITTED
    level: Optional[str] = None
    department: Optional[str] = None
    deadline: Optional[datetime] = None
    extensions: int = 0
    returns: int = 0
    reopenings: int = 0
    grade: Optional[str] = None
    rating: Optional[str] = None
    flags: frozenset[str] = frozenset()
    submitted_at: Optional[datetime] = None
    first_assigned_at: Optional[datetime] = None
    first_answered_at: Optional[datetime] = None
    answered_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    def overdue(self, now: datetime) -> bool:
        """A department holds it and its deadline has passed."""
        return self.status in HANDLING and self.deadline is not None and now > self.deadline


@dataclass(frozen=True)
class Event:
    """One entry of the timeline."""

    action: Action
    from_status: Optional[Status]
    to_status: Status
    actor: ActorRef
    at: datetime
    note: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    state: OpinionState
    event: Event


def allowed_actions(state: OpinionState, role: Optional[str] = None) -> list[Action]:
    """The actions possible now (for ``role``, if given), in table order."""
    out: list[Action] = []
    for action in Action:
        if action is A.SUBMIT:
            continue
        if role is not None and role not in ACTION_ROLES[action]:
            continue
        if action is A.FLAG and set(FLAGS) <= state.flags:
            continue
        if action is A.UNFLAG and not state.flags:
            continue
        if refusal(state, action) is None:
            out.append(action)
    return out


def refusal(state: OpinionState, action: Action, payload: Optional[Mapping[str, Any]] = None) -> Optional[Reason]:
    """Why ``action`` cannot happen in ``state`` (``None``: it can)."""
    action = Action(action)
    payload = payload or {}
    if action is A.SUBMIT:
        return Reason("opinion_submitted_once")
    if action in (A.FLAG, A.UNFLAG):
        if state.status is S.REJECTED:
            return Reason("rejected_no_flags")
        flag = payload.get("flag")
        if flag in FLAGS:
            if action is A.FLAG and flag in state.flags:
                return Reason("flag_present", {"flag": flag})
            if action is A.UNFLAG and flag not in state.flags:
                return Reason("flag_absent", {"flag": flag})
        return None
    if (state.status, action) not in TRANSITIONS:
        if state.status in FINAL:
            return Reason("opinion_final", {"status": state.status.value})
        possible = [a.value for (st, a) in TRANSITIONS if st is state.status]
        return Reason("opinion_cannot", {"action": action.value, "status": state.status.value, "possible": possible})
    return None


def apply(
    current: Union[OpinionState, Sequence[Event]],
    action: Action | str,
    actor: Any,
    payload: Optional[Mapping[str, Any]] = None,
    now: Optional[datetime] = None,
    note: str = "",
) -> Step:
    """Take ``action``.  ``current`` is the state or the timeline so far;
    ``actor`` anything with a ``role`` (a :class:`core.scope.Actor`);
    ``payload``: ``assign`` {level, department, deadline?}, ``start``
    {deadline?}, ``extend`` {deadline}, ``answer`` {grade, answer},
    ``rate`` {rating}, ``flag``/``unflag`` {flag}.  ``reject``, ``return``
    and ``extend`` need a ``note`` (the reason)."""
    if now is None or now.tzinfo is None:
        raise ValueError("apply needs an aware 'now'")
    try:
        action = Action(action)
    except ValueError:
        raise InvalidPayload("opinion_action_unknown", action=str(action), choices=ACTIONS, field="action") from None
    state = current if isinstance(current, OpinionState) else replay(current)
    who = ActorRef.of(actor)
    payload = dict(payload or {})
    if action is A.EXTEND and who.role == "department":
        raise OpinionTransitionRefused("extension_by_request")
    if who.role not in ACTION_ROLES[action]:
        raise OpinionTransitionRefused("role_may_not_act", role=who.role, action=action.value)
    reason = refusal(state, action, payload)
    if reason is not None:
        raise OpinionTransitionRefused.because(reason)
    _check_payload(state, action, payload, note, now)
    new = _effect(state, action, payload, now)
    event = Event(action, state.status, new.status, who, now, note.strip(), _public(payload))
    return Step(new, event)


def submit(actor: Any, now: datetime, note: str = "") -> Step:
    """The first event of a timeline: the opinion as captured."""
    who = ActorRef.of(actor)
    if who.role not in ACTION_ROLES[A.SUBMIT]:
        raise OpinionTransitionRefused("role_may_not_act", role=who.role, action="submit")
    state = OpinionState(submitted_at=now)
    return Step(state, Event(A.SUBMIT, None, S.SUBMITTED, who, now, note))


def replay(events: Iterable[Event]) -> OpinionState:
    """The state a timeline adds up to (no role or payload checks: the
    events were checked when they happened)."""
    state: Optional[OpinionState] = None
    for event in events:
        if event.action is A.SUBMIT or Action(event.action) is A.SUBMIT:
            state = OpinionState(submitted_at=event.at)
            continue
        if state is None:
            raise ValueError("a timeline starts with submit")
        state = _effect(state, Action(event.action), dict(event.payload), event.at)
    if state is None:
        raise ValueError("an empty timeline")
    return state


# --- internals ---------------------------------------------------------------


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in payload.items() if v is not None}


def _deadline(value: Any) -> Optional[datetime]:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidPayload("deadline_needs_timezone", field="deadline")
    return value


def _check_payload(state: OpinionState, action: Action, payload: dict[str, Any], note: str, now: datetime) -> None:
    if action in NEEDS_REASON and not note.strip():
        raise InvalidPayload("note_required", action=action.value, field="note")
    if action is A.ASSIGN:
        if payload.get("level") not in LEVELS:
            raise InvalidPayload("level_choice", choices=LEVELS, field="level")
        if not isinstance(payload.get("department"), str) or not payload["department"].strip():
            raise InvalidPayload("department_required", field="department")
    if action in (A.ASSIGN, A.START, A.EXTEND):
        deadline = _deadline(payload.get("deadline"))
        if action is A.EXTEND and deadline is None:
            raise InvalidPayload("extension_needs_deadline", field="deadline")
        if deadline is not None and deadline <= now:
            raise InvalidPayload("deadline_in_past", field="deadline")
        if action is A.EXTEND and state.deadline is not None and deadline is not None and deadline <= state.deadline:
            raise OpinionTransitionRefused("extension_not_later")
        if action is A.START and deadline is None and state.deadline is None:
            raise InvalidPayload("deadline_required", field="deadline")
    if action is A.ANSWER:
        if payload.get("grade") not in GRADES:
            raise InvalidPayload("grade_choice", choices=GRADES, field="grade")
        if not isinstance(payload.get("answer"), str) or not payload["answer"].strip():
            raise InvalidPayload("answer_required", field="answer")
    if action is A.RATE and payload.get("rating") not in RATINGS:
        raise InvalidPayload("rating_choice", choices=RATINGS, field="rating")
    if action in (A.FLAG, A.UNFLAG) and payload.get("flag") not in FLAGS:
        raise InvalidPayload("flag_choice", choices=FLAGS, field="flag")


def _effect(state: OpinionState, action: Action, payload: dict[str, Any], at: datetime) -> OpinionState:
    if action is A.FLAG:
        return replace(state, flags=state.flags | {payload["flag"]})
    if action is A.UNFLAG:
        return replace(state, flags=state.flags - {payload["flag"]})
    target = TRANSITIONS[(state.status, action)]
    if action is A.RATE and payload["rating"] == "unsatisfied":
        target = S.REOPENED
    changes: dict[str, Any] = {"status": target}
    if action is A.ASSIGN:
        changes.update(level=payload["level"], department=payload["department"].strip(),
                       deadline=_deadline(payload.get("deadline")), extensions=0)
        if state.first_assigned_at is None:
            changes["first_assigned_at"] = at
    elif action is A.RETURN:
        changes.update(returns=state.returns + 1, deadline=None)
    elif action is A.START:
        deadline = _deadline(payload.get("deadline"))
        if deadline is not None:
            changes["deadline"] = deadline
    elif action is A.EXTEND:
        changes.update(deadline=_deadline(payload["deadline"]), extensions=state.extensions + 1)
    elif action is A.ANSWER:
        grade = payload["grade"]
        changes.update(grade=grade, answered_at=at)
        if state.first_answered_at is None:
            changes["first_answered_at"] = at
        changes["resolved_at"] = at if grade in RESOLVED_GRADES else None
    elif action is A.RATE:
        changes["rating"] = payload["rating"]
        if target is S.REOPENED:
            changes.update(reopenings=state.reopenings + 1, resolved_at=None, grade=None, deadline=None)
    elif action is A.CLOSE:
        changes["closed_at"] = at
    return replace(state, **changes)
