"""Reminders of the notification centre (issue 13): pure, no I/O.

Derived from the state of things when asked, never stored, so none is
missed or doubled after a restart:

* ``assigned``: an opinion waits for its department to accept it (department);
* ``deadline_soon``: a held opinion is due today or on the next working day
  (department);
* ``overdue``: a held opinion is past its deadline (department); escalated
  (:func:`escalated_to`) to the dispatcher of its town at once, and to the
  dispatcher of the branch above it once it is :data:`ESCALATE_AFTER`
  working days late (and to any dispatcher above that, who sees the branch);
* ``returned``: a department returned an opinion (dispatchers);
* ``answered``: an answer was fed back, waiting for the deputy's rating (deputy);
* ``session_soon`` / ``lobby_open``: a session of the caller starts within
  :data:`SOON` / its lobby is open (deputies, operators);
* ``extension_requested``: a department asks for more time (dispatchers of
  the item's town and above, administrators: to approve or refuse);
* ``extension_approved`` / ``extension_refused``: the decision, for
  :data:`DECISION_NEWS` (the department).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

from core.matrix import LEVELS, Matrix
from opinions.deadlines import WorkCalendar

SOON = timedelta(minutes=15)
#: Working days late after which an overdue item reaches the branch's dispatcher
#: too (the first working day late, only its town's).
ESCALATE_AFTER = 2
KINDS = ("overdue", "deadline_soon", "assigned", "returned", "extension_requested", "extension_refused",
         "extension_approved", "answered", "lobby_open", "session_soon")
#: How long a department hears of a decision on its extension request.
DECISION_NEWS = timedelta(days=3)


@dataclass(frozen=True)
class OpinionFacts:
    id: int
    status: str
    deadline: Optional[datetime]
    updated_at: datetime
    summary: str = ""
    town: Optional[str] = None  # the town station the opinion belongs to


@dataclass(frozen=True)
class SessionFacts:
    id: int
    title: str
    start: datetime
    state: str


@dataclass(frozen=True)
class Reminder:
    kind: str
    at: datetime
    title: str
    opinion_id: Optional[int] = None
    session_id: Optional[int] = None


def escalated_to(town: Optional[str], days_late: int, matrix: Matrix) -> frozenset[str]:
    """The stations whose dispatchers hear of an item ``days_late`` working
    days overdue: its town at once, the branch above the town from
    :data:`ESCALATE_AFTER` days on.  A dispatcher hears of it when its own
    station is one of these or lies above one (a Jiaxing dispatcher sees what
    reached Haining).  No known town: the item goes to the branch at once."""
    if days_late <= 0:
        return frozenset()
    station = matrix.get(town) if town else None
    if station is None:
        return frozenset(s.code for s in matrix.stations() if s.level == "branch")
    reached = {station.code}
    if days_late >= ESCALATE_AFTER:
        reached.update(a.code for a in matrix.ancestors(station.code) if a.level == "branch")
    return frozenset(reached)


def reaches(dispatcher_station: str, town: Optional[str], days_late: int, matrix: Matrix) -> bool:
    """Whether a dispatcher scoped to ``dispatcher_station`` hears of the item:
    its station was reached, or it lies above the branch and a reached branch
    is below it."""
    mine = matrix.get(dispatcher_station)
    if mine is None:
        return False
    reached = escalated_to(town, days_late, matrix)
    if mine.code in reached:
        return True
    return LEVELS.index(mine.level) < LEVELS.index("branch") and any(
        matrix.is_within(code, mine.code) for code in reached if (s := matrix.get(code)) and s.level == "branch")


def for_opinions(role: str, rows: Iterable[OpinionFacts], calendar: WorkCalendar, now: datetime,
                 matrix: Optional[Matrix] = None, station: Optional[str] = None) -> list[Reminder]:
    """``station`` (with ``matrix``): a dispatcher's scope, for escalation."""
    out: list[Reminder] = []
    today = calendar.local_date(now)
    for o in rows:
        held = o.status in ("assigned", "in_progress")
        late = held and o.deadline is not None and now > o.deadline
        if late and o.deadline is not None and role in ("department", "dispatcher", "administrator"):
            if role != "dispatcher" or matrix is None or station is None \
                    or reaches(station, o.town, calendar.working_days_overdue(o.deadline, now), matrix):
                out.append(Reminder("overdue", o.deadline, o.summary, opinion_id=o.id))
        elif held and o.deadline is not None and role == "department" \
                and calendar.working_days_between(today, calendar.local_date(o.deadline)) <= 1:
            out.append(Reminder("deadline_soon", o.deadline, o.summary, opinion_id=o.id))
        if o.status == "assigned" and role == "department":
            out.append(Reminder("assigned", o.updated_at, o.summary, opinion_id=o.id))
        if o.status == "returned" and role in ("dispatcher", "administrator"):
            out.append(Reminder("returned", o.updated_at, o.summary, opinion_id=o.id))
        if o.status == "fed_back" and role == "deputy":
            out.append(Reminder("answered", o.updated_at, o.summary, opinion_id=o.id))
    return out


@dataclass(frozen=True)
class ExtensionFacts:
    opinion_id: int
    status: str  # pending, approved, refused
    requested_at: datetime
    decided_at: Optional[datetime]
    summary: str = ""


def for_extensions(role: str, rows: Iterable[ExtensionFacts], now: datetime) -> list[Reminder]:
    """Pending requests for those who decide (the caller passes those of its
    scope); recent decisions for the department that asked."""
    out: list[Reminder] = []
    for e in rows:
        if e.status == "pending" and role in ("dispatcher", "administrator"):
            out.append(Reminder("extension_requested", e.requested_at, e.summary, opinion_id=e.opinion_id))
        elif e.status in ("approved", "refused") and role == "department" and e.decided_at is not None \
                and now - e.decided_at <= DECISION_NEWS:
            out.append(Reminder(f"extension_{e.status}", e.decided_at, e.summary, opinion_id=e.opinion_id))
    return out


def for_sessions(rows: Iterable[SessionFacts], now: datetime) -> list[Reminder]:
    out: list[Reminder] = []
    for s in rows:
        if s.state == "lobby":
            out.append(Reminder("lobby_open", s.start, s.title, session_id=s.id))
        elif s.state == "scheduled" and timedelta(0) <= s.start - now <= SOON:
            out.append(Reminder("session_soon", s.start, s.title, session_id=s.id))
    return out


def ordered(reminders: Iterable[Reminder]) -> list[Reminder]:
    """The most pressing first (by kind, as :data:`KINDS`), then the oldest."""
    return sorted(reminders, key=lambda r: (KINDS.index(r.kind), r.at, r.opinion_id or 0, r.session_id or 0))
