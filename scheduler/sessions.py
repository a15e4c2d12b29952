"""What the live core needs to know of a linked session: pure data, no I/O.

The sessions themselves are stored and scheduled by ``store.sessions``; the
live core asks a directory (``store.live_sessions``) for a :class:`SessionInfo`
when a station joins.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("scheduled", "lobby", "live", "ended", "cancelled")
JOINABLE = ("lobby", "live")


@dataclass(frozen=True)
class SessionInfo:
    """``id`` is the public key of the session (its code, e.g. ``demo``, or
    its number) and names its live room."""

    id: str
    number: int
    title: str
    title_en: str
    stations: frozenset[str]
    status: str = "live"
    standing: bool = False
    record: bool = False  # recorded from its start (issue 12)

    @property
    def joinable(self) -> bool:
        return self.status in JOINABLE

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title
