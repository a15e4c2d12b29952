"""Who is in which live session right now: presence, no I/O.

A :class:`LiveRoom` per open linked session holds its
:class:`Participant`s.  The signaling server mutates this state and
broadcasts what changed; the media plane is told separately.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from hub.matrix import Station


def new_participant_id() -> str:
    return "p-" + secrets.token_hex(5)


@dataclass
class Participant:
    id: str
    sid: str  # Socket.IO connection
    identity: str  # the token's subject, stable across rejoins
    role: str
    room_id: str
    station: Optional[Station]
    name: Optional[str] = None  # a deputy's name; stations are named by the matrix
    lang: str = "zh-CN"
    camera: bool = False
    mic: bool = False
    publishing: list[str] = field(default_factory=list)
    connection: str = "new"
    joined_at: float = field(default_factory=time.time)  # Unix seconds
    #: A dispatcher's reading scope (``opinions.live.reader_scope``): which
    #: opinions it hears of live.
    reading_scope: Optional[str] = None

    @property
    def display_name(self) -> str:
        if self.station is not None:
            return self.station.display_name(self.lang)
        return self.name or self.identity

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identity": self.identity,
            "role": self.role,
            "station": self.station.to_public() if self.station else None,
            "displayName": self.station.name if self.station else (self.name or self.identity),
            "media": {"camera": self.camera, "mic": self.mic},
            "publishing": list(self.publishing),
            "connection": self.connection,
        }


class LiveRoom:
    def __init__(self, room_id: str) -> None:
        self.id = room_id
        self.participants: dict[str, Participant] = {}

    def __iter__(self) -> Iterator[Participant]:
        return iter(list(self.participants.values()))

    def __len__(self) -> int:
        return len(self.participants)

    def by_identity(self, identity: str) -> Optional[Participant]:
        for participant in self.participants.values():
            if participant.identity == identity:
                return participant
        return None


class Presence:
    """Every live room of this process, and which socket is which participant."""

    def __init__(self) -> None:
        self.rooms: dict[str, LiveRoom] = {}
        self._by_sid: dict[str, Participant] = {}
        self._by_id: dict[str, Participant] = {}

    def room(self, room_id: str) -> LiveRoom:
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = LiveRoom(room_id)
        return room

    def add(self, participant: Participant) -> None:
        self.room(participant.room_id).participants[participant.id] = participant
        self._by_sid[participant.sid] = participant
        self._by_id[participant.id] = participant

    def remove(self, participant: Participant) -> None:
        room = self.rooms.get(participant.room_id)
        if room is not None:
            room.participants.pop(participant.id, None)
            if not room.participants:
                del self.rooms[participant.room_id]
        if self._by_sid.get(participant.sid) is participant:
            del self._by_sid[participant.sid]
        self._by_id.pop(participant.id, None)

    def by_sid(self, sid: str) -> Optional[Participant]:
        return self._by_sid.get(sid)

    def by_id(self, participant_id: str) -> Optional[Participant]:
        return self._by_id.get(participant_id)
