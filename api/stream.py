"""The console's live 民情 feed: ``GET /api/opinion-events`` as Server-Sent
Events, fed by :class:`OpinionStream`, a listener of the one opinion bus
(:class:`opinions.bus.OpinionBus`).

Why Server-Sent Events: one long-lived plain HTTP response per open console,
carried by every proxy of a closed network without a WebSocket upgrade; the
browser's ``EventSource`` reconnects by itself (``retry``) and sends the login
cookie.  Each (re)connection starts with a ``ready`` event, on which the page
reloads its list: nothing missed while disconnected stays missing.

The stream tells a subscriber only of opinions it may see (the same rule as
``GET /opinions/{id}``), checks the login again at every heartbeat (a revoked
or expired login ends the stream within :data:`HEARTBEAT` seconds), and ends
when the hub shuts down.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Optional

from core.matrix import Matrix
from core.scope import Actor
from opinions.news import OpinionNews
from store.scope import can_view_opinion

logger = logging.getLogger("hub.api")

#: Seconds between heartbeats (a comment line, and the login checked again).
HEARTBEAT = 20.0
#: News a slow subscriber may have waiting before it is told to reload instead.
INBOX_SIZE = 200
#: The browser's reconnection delay (ms), sent as the stream's ``retry``.
RETRY_MS = 3000


@dataclass(eq=False)
class Subscriber:
    actor: Actor
    matrix: Matrix
    inbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(INBOX_SIZE))
    closed: bool = False

    def offer(self, item: Optional[bytes]) -> None:
        try:
            self.inbox.put_nowait(item)
        except asyncio.QueueFull:
            # Too far behind: drop what waits and tell it to reload its list
            # (or, at shutdown, to end).
            while not self.inbox.empty():
                self.inbox.get_nowait()
            self.inbox.put_nowait(item if item is None else frame("ready", {"resync": True}))


def frame(event: str, data: dict) -> bytes:
    """One Server-Sent Events message."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class OpinionStream:
    """The subscribers of this hub process and the news they may see."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()

    def subscribe(self, actor: Actor, matrix: Matrix) -> Subscriber:
        subscriber = Subscriber(actor, matrix)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def __len__(self) -> int:
        return len(self._subscribers)

    async def opinion_changed(self, news: OpinionNews) -> None:
        message = frame("opinion", {"kind": news.kind, "action": news.action, "opinion": news.public()})
        for subscriber in list(self._subscribers):
            if can_view_opinion(subscriber.actor, subscriber.matrix, news.station, news.deputy_id):
                subscriber.offer(message)

    async def close(self) -> None:
        """End every stream (the hub is shutting down)."""
        for subscriber in list(self._subscribers):
            subscriber.closed = True
            subscriber.offer(None)
        self._subscribers.clear()
