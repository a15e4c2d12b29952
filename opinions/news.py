"""Live news of opinions: what the REST API tells, once a capture or a
handling step is committed, whoever shows opinions as they happen (the
signaling server's dispatchers, the console's event stream).

Pure data and one interface, no I/O: the control plane (``api/``) calls an
:class:`OpinionEvents` after the commit, and never learns who listens.

Who hears of an opinion live is who may read it over REST
(:func:`store.opinions.can_view_opinion`): staff by their reading scope
(:func:`reader_scope`); an opinion of a station reaches the scopes that
hold it (:func:`reader_scopes`), so a listener can be addressed by its
scope (a Socket.IO room per scope) without enumerating listeners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Optional, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from core.matrix import Matrix
from core.scope import Actor, Role

NewsKind = Literal["captured", "updated"]
OpinionStatus = Literal["submitted", "accepted", "rejected", "assigned", "returned", "in_progress",
                        "answered", "fed_back", "rated", "reopened", "closed"]
OpinionLevel = Literal["town", "county", "city"]


class LiveOpinionOut(BaseModel):
    """An opinion's summary as the live console shows it: the ``opinion``
    object of the socket events ``opinionCaptured``/``opinionUpdated``."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: int
    status: OpinionStatus
    station: str
    station_name: str
    station_name_en: str
    raised_by: Literal["deputy", "resident"]
    raiser_name: str = Field(description="the deputy's name or the resident's")
    deputy_id: Optional[int]
    category: str
    category_name: str
    category_name_en: str = Field(description="the category's English name (configs/categories.yaml name_en)")
    request_type: str
    summary: str
    session_id: Optional[int] = Field(description="the linked session's number")
    session_offset: Optional[int] = Field(description="seconds into the session's occurrence when taken")
    captured_at: datetime
    level: Optional[OpinionLevel]
    department: Optional[str]
    department_name: Optional[str]
    department_name_en: Optional[str] = Field(description="the department's English name")
    version: int = Field(description="grows with every handling step: of two copies, the higher is newer")
    reference: str = Field(description="the reference number 民情编号, e.g. MQ2026-000017")


@dataclass(frozen=True)
class OpinionNews:
    """A summary of one opinion after a committed change.  ``kind`` is
    ``captured`` for a new opinion, ``updated`` after a handling step
    (``action``: ``assign``, ``accept``, …).  ``session_number`` is the
    linked session it was taken in (``None``: outside a session);
    ``session_offset`` the seconds into that session's occurrence."""

    kind: NewsKind
    id: int
    action: str
    status: str
    station: str
    station_name: str
    town: Optional[str]
    raised_by: str
    raiser_name: str
    deputy_id: Optional[int]
    category: str
    category_name: str
    request_type: str
    summary: str
    session_number: Optional[int]
    session_offset: Optional[int]
    captured_at: datetime
    level: Optional[str] = None
    department: Optional[str] = None
    department_name: Optional[str] = None
    #: The opinion's version after this change (it grows with every step):
    #: of two copies of one opinion, the higher version is the newer.
    version: int = 1
    #: The reference number, MQ2026-000017 (:mod:`opinions.reference`).
    reference: str = ""
    #: English names, for a page in English (falling back to the Chinese).
    category_name_en: str = ""
    station_name_en: str = ""
    department_name_en: Optional[str] = None

    def out(self) -> "LiveOpinionOut":
        """The one summary shape of an opinion's news: the REST
        ``LiveOpinionOut`` and, dumped by alias (:meth:`public`), the
        ``opinion`` object of the socket events and the event stream."""
        return LiveOpinionOut(
            id=self.id, reference=self.reference, status=self.status, station=self.station,  # type: ignore[arg-type]
            station_name=self.station_name, station_name_en=self.station_name_en or self.station_name,
            raised_by=self.raised_by, raiser_name=self.raiser_name, deputy_id=self.deputy_id,  # type: ignore[arg-type]
            category=self.category, category_name=self.category_name,
            category_name_en=self.category_name_en or self.category_name, request_type=self.request_type,
            summary=self.summary, session_id=self.session_number, session_offset=self.session_offset,
            captured_at=self.captured_at, level=self.level, department=self.department,  # type: ignore[arg-type]
            department_name=self.department_name, department_name_en=self.department_name_en, version=self.version,
        )

    def public(self) -> dict[str, Any]:
        """:meth:`out` as JSON, camelCase (as ``docs/protocol.md`` describes it)."""
        return self.out().model_dump(by_alias=True, mode="json")


#: The reading scope of an administrator: every station.
EVERY_STATION = "*"


def reader_scope(actor: Actor) -> Optional[str]:
    """The scope a staff member reads opinions in: a dispatcher's station
    (its subtree), :data:`EVERY_STATION` for an administrator; ``None`` for
    roles that read by other rules (operators, deputies)."""
    if actor.role is Role.ADMINISTRATOR:
        return EVERY_STATION
    if actor.role is Role.DISPATCHER:
        return actor.station
    return None


def reader_scopes(matrix: Matrix, station: str) -> list[str]:
    """The staff scopes that read an opinion of ``station``: the station,
    every station above it, and :data:`EVERY_STATION`."""
    if station not in matrix:
        return [EVERY_STATION]
    return [station, *(a.code for a in matrix.ancestors(station)), EVERY_STATION]


class OpinionEvents(Protocol):
    """Told of every committed capture and handling step, in commit order per
    opinion.  It must not raise for a listener's sake (the change is already
    stored) and must not block: it only hands the news on."""

    async def opinion_changed(self, news: OpinionNews) -> None: ...
