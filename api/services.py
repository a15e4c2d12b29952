"""What the REST API needs from the hub, handed over in one object.

The lead's wiring (``hub/app.py``) builds one :class:`ApiServices` and mounts
:func:`api.create_api` with ``app.add_subapp("/api", create_api(services))``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.stream import OpinionStream
from opinions.bus import OpinionBus
from core.matrix import Matrix
from store import feeds
from opinions.rules import OpinionRules
from store.sessions import SessionRepo

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class ApiServices:
    """
    ``engine``
        The SQLAlchemy engine (SQLite or PostgreSQL), already upgraded and
        with the stations synced.
    ``matrix``
        The configured station tree.
    ``repo``
        The :class:`~store.sessions.SessionRepo` over the same matrix (its
        ``lobby_minutes`` decides the lobby).
    ``secret``
        The hub's signing key (``var/secret.key``): join tokens and
        calendar feed keys.
    ``base_url``
        The public address of the hub, no trailing slash: join links and
        calendar links start with it.
    ``link_ttl_hours``
        Lifetime of a station join link (``hub.yaml`` ``link_ttl_hours``).
    ``clock``
        Aware UTC "now"; tests pass a fixed clock.
    ``login_ttl``
        Lifetime of a login token (and of its cookie).
    ``secure_cookie``
        Mark the login cookie ``Secure`` (set when ``base_url`` is https).
    ``default_language``
        Messages' language when the request names none we speak.
    ``calendar_days_back``
        How far back a station's calendar feed reaches.
    ``mount_path``
        Where the lead mounts the sub-application (links to QR codes and
        calendar feeds start with it).
    ``live``
        The signaling server, for the live console endpoints
        (:class:`api.live.LivePort`); ``None`` when the API runs alone.
    ``opinion_events``
        The one bus told of every committed capture and handling step
        (:class:`opinions.bus.OpinionBus`; with several hub processes its
        Redis flavour, :class:`api.stream_bus.RedisOpinionBus`).  It fans the
        news out to ``opinion_stream`` and, wired by ``hub/app.py``, to the
        signaling server, which pushes it to the dispatchers of the
        opinion's live session.
    ``opinion_stream``
        The console's own live feed (``GET /api/opinion-events``), a listener
        of ``opinion_events``.
    """

    engine: Engine
    matrix: Matrix
    repo: SessionRepo
    secret: bytes
    base_url: str
    #: The opinion rules of the running configuration (categories, departments, deadlines,
    #: scoring), built once by the wiring (``hub/app.py``).
    opinion_rules: OpinionRules
    link_ttl_hours: float = 12
    clock: Callable[[], datetime] = utc_now
    login_ttl: timedelta = timedelta(hours=12)
    secure_cookie: bool = False
    default_language: str = "zh-CN"
    #: Reverse proxies whose X-Forwarded-For names the client (``core.proxies``).
    trusted_proxies: list[Any] = field(default_factory=list)
    calendar_days_back: int = field(default=90)
    #: Seconds a request body may take to arrive, whole (a photo of 2 MiB over a
    #: 512 kbit/s link takes about 33 s); a slower sender gets 408 and is dropped.
    body_timeout: float = 60.0
    mount_path: str = "/api"
    #: The signaling server (``api.live.LivePort``): live state and controls.
    live: Optional[Any] = None
    #: The one fan-out of opinion news (``RedisOpinionBus`` when ``redis_url`` is set).
    opinion_events: OpinionBus = field(default_factory=OpinionBus)
    opinion_stream: OpinionStream = field(default_factory=OpinionStream)
    #: Where the live sessions' recordings are (``recordings.library``); ``None``: none.
    recordings_dir: Optional[Path] = None

    def __post_init__(self) -> None:
        self.opinion_events.listen(self.opinion_stream)

    @property
    def lobby_minutes(self) -> float:
        return self.repo.lobby_minutes

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the API clock must return aware times")
        return now.astimezone(timezone.utc)

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a worker thread with a session of its own:
        the event loop also forwards live video and must never block."""

        def run() -> T:
            with Session(self.engine, expire_on_commit=False) as session:
                return work(session)

        return await asyncio.to_thread(run)

    # --- signed things ---------------------------------------------------------

    def feed_key(self, station: str, generation: int = 0) -> str:
        """The calendar subscription key of a station (``store.feeds``)."""
        return feeds.feed_key(self.secret, station, generation)

    def feed_key_ok(self, station: str, generation: int, key: str) -> bool:
        return feeds.feed_key_ok(self.secret, station, generation, key)
