"""The one fan-out of opinion news: whoever commits a capture or a handling
step tells the bus once (:meth:`OpinionBus.opinion_changed`), and the bus
hands the news to every listener of this process: the console's event
stream (:class:`api.stream.OpinionStream`) and the live console's push
(:meth:`signaling.server.SignalingServer.opinion_changed`).

In the shape of python-socketio's pub/sub client managers: this base class
is the in-memory bus of a single hub process (publishing *is* delivering),
and does the fan-out; a subclass that carries news between processes
(:class:`api.stream_bus.RedisOpinionBus`) overrides only :meth:`publish`
and calls :meth:`deliver` for what it hears, in every process, the
publishing one included (one order, never twice).

No I/O here; a listener that fails is logged and the others are still told
(the change is stored already).
"""

from __future__ import annotations

import logging

from opinions.news import OpinionEvents, OpinionNews

logger = logging.getLogger("hub.opinions")


class OpinionBus:
    """An :class:`~opinions.news.OpinionEvents` that fans news out to the
    listeners of this process."""

    def __init__(self) -> None:
        self._listeners: list[OpinionEvents] = []
        #: News delivered to this process's listeners (tests, diagnostics).
        self.delivered = 0

    def listen(self, listener: OpinionEvents) -> None:
        """``listener`` hears every news delivered in this process from now on."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    async def start(self) -> None:
        """Nothing to start in one process (a subclass connects here)."""

    async def stop(self) -> None:
        """Nothing to stop in one process."""

    async def opinion_changed(self, news: OpinionNews) -> None:
        """What the REST handlers call after a commit: publish the news."""
        await self.publish(news)

    async def publish(self, news: OpinionNews) -> None:
        """One process: deliver at once.  A subclass sends the news to every
        process instead, each of which calls :meth:`deliver`."""
        await self.deliver(news)

    async def deliver(self, news: OpinionNews) -> None:
        """Hand ``news`` to every listener of this process, in order."""
        self.delivered += 1
        for listener in list(self._listeners):
            try:
                await listener.opinion_changed(news)
            except Exception:
                logger.exception("telling opinion %s (%s) to %s failed", news.id, news.kind, type(listener).__name__)
