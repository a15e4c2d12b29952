"""Who may do what, over the 1+12+X matrix: pure rules, no I/O.

Roles
-----
``administrator``
    Everything, everywhere; the only role that manages accounts.
``dispatcher``
    Scoped to one station and its subtree.  Schedules (creates, edits,
    cancels, ends) linked sessions whose chair and every participating
    station lie within that subtree: a Haining dispatcher schedules for
    Haining, its towns and rooms, never for Jiaxing or another county; a
    Jiaxing dispatcher may include the Haining branch, which lies within
    Jiaxing's subtree.  Controls sessions it may schedule, manages and
    invites deputies of stations within its scope, reads the audit log of
    its scope.
``operator``
    Runs one station: sees and joins the sessions that include it, and
    controls (roll call, mute...) only a session it chairs.
``deputy``
    Acts through an invitation: sees and joins the sessions it is invited to.

:func:`can` answers with a :class:`Decision` carrying the reason of a refusal;
:func:`require` raises :class:`~hub.errors.Forbidden` with it.

Picking stations
----------------
"A whole subtree in one pick": a :class:`Pick` names a station, and with
``subtree`` everything below it (optionally only some levels, e.g. the branch
and its 12 towns without the rooms).  :func:`expand_picks` turns picks into
the set of station codes a session stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping, Optional, TypeVar, Union

from hub.errors import Forbidden, RuleError, StationNotFound
from hub.reasons import render
from hub.matrix import LEVELS, Matrix


class Role(str, Enum):
    ADMINISTRATOR = "administrator"
    DISPATCHER = "dispatcher"
    OPERATOR = "operator"
    DEPUTY = "deputy"

    def __str__(self) -> str:
        return self.value


SCOPED_ROLES = frozenset({Role.DISPATCHER, Role.OPERATOR})


class Do(str, Enum):
    """The actions scope rules know."""

    SCHEDULE = "session.schedule"  # create, edit, cancel, end early, move/cancel one occurrence
    VIEW = "session.view"
    JOIN = "session.join"
    CONTROL = "session.control"  # chair controls during a live session
    INVITE = "session.invite"  # invite a deputy to a session
    MANAGE_DEPUTIES = "deputy.manage"
    MANAGE_ACCOUNTS = "account.manage"
    VIEW_AUDIT = "audit.view"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Actor:
    """Who acts.  ``station`` is the scope of a dispatcher or operator;
    ``deputy_id`` identifies a deputy acting through invitations."""

    role: Role
    station: Optional[str] = None
    account_id: Optional[int] = None
    name: str = ""
    deputy_id: Optional[int] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        if self.role in SCOPED_ROLES and not self.station:
            raise RuleError("role_needs_station", role=self.role.value)


@dataclass(frozen=True)
class SessionTarget:
    """A linked session as scope rules see it."""

    chair: str
    stations: frozenset[str]
    invited_deputies: frozenset[int] = frozenset()


@dataclass(frozen=True)
class StationTarget:
    """Something that belongs to one station: a deputy, the audit of a station."""

    station: str


@dataclass(frozen=True)
class InviteTarget:
    session: SessionTarget
    deputy_station: str


@dataclass(frozen=True)
class JoinTarget:
    """Joining ``session`` as ``station`` (None: as a deputy)."""

    session: SessionTarget
    station: Optional[str] = None


Target = Union[SessionTarget, StationTarget, InviteTarget, JoinTarget, None]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # a key of hub/reasons.py
    params: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.allowed

    def text(self, lang: str = "en") -> str:
        """The refusal in words (``hub/reasons.py``)."""
        return render(self.reason, lang, self.params)


_YES = Decision(True)


def _no(reason: str, **params: Any) -> Decision:
    """A refusal: ``reason`` is a key of ``hub/reasons.py``."""
    return Decision(False, reason, params)


def _check_known(matrix: Matrix, codes: Iterable[str]) -> None:
    for code in codes:
        if code not in matrix:
            raise StationNotFound("station_code", station=code)


def _outside(matrix: Matrix, codes: Iterable[str], scope: str) -> list[str]:
    return sorted(code for code in codes if not matrix.is_within(code, scope))


def _session_in_scope(matrix: Matrix, actor: Actor, session: SessionTarget) -> Decision:
    assert actor.station is not None
    outside = _outside(matrix, {session.chair, *session.stations}, actor.station)
    if outside:
        return _no("stations_outside_subtree", stations=outside, scope=actor.station)
    return _YES


def can(actor: Actor, action: Do | str, target: Target, matrix: Matrix) -> Decision:
    """Whether ``actor`` may do ``action`` on ``target``; refusals say why.
    Unknown station codes raise :class:`~hub.errors.StationNotFound`."""
    action = Do(action)
    if actor.station is not None:
        _check_known(matrix, [actor.station])
    if isinstance(target, SessionTarget):
        _check_known(matrix, {target.chair, *target.stations})
    elif isinstance(target, StationTarget):
        _check_known(matrix, [target.station])
    elif isinstance(target, InviteTarget):
        _check_known(matrix, {target.session.chair, *target.session.stations, target.deputy_station})
    elif isinstance(target, JoinTarget):
        _check_known(matrix, {target.session.chair, *target.session.stations})
        if target.station is not None:
            _check_known(matrix, [target.station])

    if actor.role is Role.ADMINISTRATOR:
        return _YES

    if action is Do.MANAGE_ACCOUNTS:
        return _no("admin_manages_accounts")

    if actor.role is Role.DISPATCHER:
        return _dispatcher(actor, action, target, matrix)
    if actor.role is Role.OPERATOR:
        return _operator(actor, action, target)
    return _deputy(actor, action, target)


def _dispatcher(actor: Actor, action: Do, target: Target, matrix: Matrix) -> Decision:
    scope = actor.station
    assert scope is not None
    if action in (Do.SCHEDULE, Do.CONTROL, Do.VIEW):
        if not isinstance(target, SessionTarget):
            raise TypeError(f"{action} needs a SessionTarget")
        if action is Do.VIEW:
            # Seeing a session needs one station of it in scope, not all.
            if any(matrix.is_within(c, scope) for c in {target.chair, *target.stations}):
                return _YES
            return _no("no_station_in_subtree", scope=scope)
        return _session_in_scope(matrix, actor, target)
    if action is Do.JOIN:
        if not isinstance(target, JoinTarget):
            raise TypeError("session.join needs a JoinTarget")
        decision = _session_in_scope(matrix, actor, target.session)
        if not decision:
            return decision
        if target.station is not None and target.station not in target.session.stations:
            return _no("station_not_in_session", station=target.station)
        return _YES
    if action is Do.INVITE:
        if not isinstance(target, InviteTarget):
            raise TypeError("session.invite needs an InviteTarget")
        decision = _session_in_scope(matrix, actor, target.session)
        if not decision:
            return decision
        if not matrix.is_within(target.deputy_station, scope):
            return _no("deputy_outside_subtree", station=target.deputy_station, scope=scope)
        return _YES
    if action in (Do.MANAGE_DEPUTIES, Do.VIEW_AUDIT):
        if not isinstance(target, StationTarget):
            raise TypeError(f"{action} needs a StationTarget")
        if matrix.is_within(target.station, scope):
            return _YES
        return _no("outside_subtree", station=target.station, scope=scope)
    return _no("role_may_not_do", role="dispatcher", action=str(action))  # pragma: no cover - all actions handled


_T = TypeVar("_T")


def _expect(target: Target, kind: type[_T], action: Do) -> _T:
    if not isinstance(target, kind):
        raise TypeError(f"{action} needs a {kind.__name__}")
    return target


def _operator(actor: Actor, action: Do, target: Target) -> Decision:
    own = actor.station
    if action is Do.VIEW:
        target = _expect(target, SessionTarget, action)
        if own in target.stations or own == target.chair:
            return _YES
        return _no("session_excludes_station", station=own)
    if action is Do.JOIN:
        target = _expect(target, JoinTarget, action)
        if target.station != own:
            return _no("operator_joins_own", station=own)
        if own not in target.session.stations:
            return _no("session_excludes_station", station=own)
        return _YES
    if action is Do.CONTROL:
        target = _expect(target, SessionTarget, action)
        if target.chair == own:
            return _YES
        return _no("operator_not_chair", station=own)
    return _no("role_may_not_do", role="operator", action=str(action))


def _deputy(actor: Actor, action: Do, target: Target) -> Decision:
    if action in (Do.VIEW, Do.JOIN):
        session = target.session if isinstance(target, JoinTarget) else _expect(target, SessionTarget, action)
        if isinstance(target, JoinTarget) and target.station is not None:
            return _no("deputy_joins_as_deputy")
        if actor.deputy_id is not None and actor.deputy_id in session.invited_deputies:
            return _YES
        return _no("deputy_not_invited")
    return _no("role_may_not_do", role="deputy", action=str(action))


def require(actor: Actor, action: Do | str, target: Target, matrix: Matrix) -> None:
    """:func:`can`, raising :class:`~hub.errors.Forbidden` on a refusal."""
    decision = can(actor, action, target, matrix)
    if not decision:
        raise Forbidden(decision.reason, **decision.params)


# --- picking stations -------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One pick in the matrix tree: ``code`` alone, or with ``subtree`` the
    station and everything below it, limited to ``levels`` when given."""

    code: str
    subtree: bool = False
    levels: Optional[frozenset[str]] = field(default=None)

    def __post_init__(self) -> None:
        if self.levels is not None:
            levels = frozenset(self.levels)
            unknown = levels - set(LEVELS)
            if unknown:
                raise ValueError(f"unknown levels: {', '.join(sorted(unknown))}")
            object.__setattr__(self, "levels", levels)

    @classmethod
    def parse(cls, text: str) -> "Pick":
        """``"xucun"`` is one station; ``"haining/*"`` Haining and its subtree."""
        if text.endswith("/*"):
            return cls(text[:-2], subtree=True)
        return cls(text)


def expand_picks(matrix: Matrix, picks: Iterable[Pick | str]) -> frozenset[str]:
    """The station codes the picks stand for.  Unknown codes raise
    :class:`~hub.errors.StationNotFound`."""
    out: set[str] = set()
    for pick in picks:
        if isinstance(pick, str):
            pick = Pick.parse(pick)
        if pick.code not in matrix:
            raise StationNotFound("station_code", station=pick.code)
        stations = matrix.subtree(pick.code) if pick.subtree else [matrix[pick.code]]
        out.update(s.code for s in stations if pick.levels is None or s.level in pick.levels)
    return frozenset(out)
