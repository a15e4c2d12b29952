"""Reminders of the notification centre (issue 13): pure, no I/O.

Derived from the state of things when asked, never stored, so none is
missed or doubled after a restart:

* ``assigned``: an opinion waits for its department to accept it (department);
* ``deadline_soon``: a held opinion is due today or on the next working day
  (department);
* ``overdue``: a held opinion is past its deadline (department; escalated to
  the dispatchers whose scope holds it);
* ``returned``: a department returned an opinion (dispatchers);
* ``answered``: an answer was fed back, waiting for the deputy's rating (deputy);
* ``session_soon`` / ``lobby_open``: a session of the caller starts within
  :data:`SOON` / its lobby is open (deputies, operators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

from opinions.deadlines import WorkCalendar

SOON = timedelta(minutes=15)
KINDS = ("overdue", "deadline_soon", "assigned", "returned", "answered", "lobby_open", "session_soon")


@dataclass(frozen=True)
class OpinionFacts:
    id: int
    status: str
    deadline: Optional[datetime]
    updated_at: datetime
    summary: str = ""


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


def for_opinions(role: str, rows: Iterable[OpinionFacts], calendar: WorkCalendar, now: datetime) -> list[Reminder]:
    out: list[Reminder] = []
    today = calendar.local_date(now)
    for o in rows:
        held = o.status in ("assigned", "in_progress")
        if held and o.deadline is not None and now > o.deadline and role in ("department", "dispatcher", "administrator"):
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
