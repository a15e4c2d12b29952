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
    """The news of one opinion after a committed change: ``kind`` is
    ``captured`` for a new opinion, ``updated`` after a handling step
    (``action``: ``submit`` for a capture, ``assign``, ``accept``, …), and
    ``opinion`` the opinion's summary after it, in the one summary shape
    (:class:`LiveOpinionOut`; its ``session_id`` is the linked session's
    number, ``None`` outside a session).  ``town`` is kept for the record."""

    kind: NewsKind
    action: str
    opinion: LiveOpinionOut
    town: Optional[str] = None

    # The fields the listeners route by, named as the domain names them.
    @property
    def id(self) -> int:
        return self.opinion.id

    @property
    def station(self) -> str:
        return self.opinion.station

    @property
    def deputy_id(self) -> Optional[int]:
        return self.opinion.deputy_id

    @property
    def session_number(self) -> Optional[int]:
        return self.opinion.session_id

    @property
    def version(self) -> int:
        return self.opinion.version

    def public(self) -> dict[str, Any]:
        """The summary as JSON, camelCase: the ``opinion`` object of the
        socket events and the event stream (``docs/protocol.md``)."""
        return self.opinion.model_dump(by_alias=True, mode="json")


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
