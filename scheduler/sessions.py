"""Linked sessions (联动会话) known to the hub.

For now a directory held in memory and seeded from configuration with the
``demo`` session (every station of the matrix, always open).  Scheduling,
recurrence and storage in the database build on this model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

STATUSES = ("scheduled", "lobby", "live", "ended", "cancelled")
JOINABLE = ("lobby", "live")


@dataclass(frozen=True)
class LinkedSession:
    id: str
    title: str
    title_en: str
    stations: frozenset[str]
    status: str = "live"

    @property
    def joinable(self) -> bool:
        return self.status in JOINABLE

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title


class SessionDirectory:
    def __init__(self, sessions: Iterable[LinkedSession] = ()) -> None:
        self._sessions = {s.id: s for s in sessions}

    def get(self, session_id: str) -> Optional[LinkedSession]:
        return self._sessions.get(session_id)

    def add(self, session: LinkedSession) -> None:
        self._sessions[session.id] = session

    def all(self) -> list[LinkedSession]:
        return list(self._sessions.values())
