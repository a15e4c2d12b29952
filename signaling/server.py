"""The signaling server: the Socket.IO protocol of ``docs/protocol.md``.

It validates every event, checks who sends it, keeps presence and drives
the media plane through :class:`media.interface.MediaPlane` only; it is
also the media plane's :class:`media.interface.MediaEvents` sink.  One
concept per module, composed here:

========================================  ==========================================
``signaling/rooms.py``                    the rooms' shared state; apply, emit, remove
``signaling/connections.py``              connect, disconnect, metering, error mapping
``signaling/join.py``                     ``join``, ``leave``
``signaling/resume.py``                   ``resume``, ``restartMedia``, ``detach``, ``ping``
``signaling/negotiation.py``              offers, answers, ICE, ``mediaState``; relay events
``signaling/actions.py``                  ``control``, ``raiseHand``, ``lowerHand``
``signaling/calls.py``                    ``watch`` and the ``call`` action (``ring``)
``signaling/sharing.py``                  ``share`` (双流)
``signaling/receiving.py``                ``receive``; the relay's ``layers`` (大小流)
``signaling/revocation.py``               revoked accounts and invitations
``signaling/recording_notices.py``        the ``record`` action and the recording desk
``signaling/listeners.py``                the scheduler's and the opinion bus's news
========================================  ==========================================

The pure rules they apply are ``signaling/control.py``, ``speaker.py``,
``monitor.py``, ``presence.py``, ``limits.py``, ``receive.py`` and ``events.py``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Optional

import socketio

from core.matrix import Matrix
from core.proxies import Network
from core.tasks import cancel_and_wait
from core.turn import TurnService
from media.interface import MediaPlane
from signaling import events
from signaling.actions import Actions
from signaling.calls import Calls, ring_room
from signaling.connections import Connections, Route
from signaling.join import Joining
from signaling.limits import SignalingLimits
from signaling.listeners import Listeners
from signaling.monitor import AUDIO_LEVELS_INTERVAL
from signaling.negotiation import Negotiation
from signaling.recording_notices import Recording
from signaling.resume import Reconnection
from signaling.revocation import Revocation
from signaling.rooms import SessionDirectory, dispatchers_room, identity_room
from signaling.receiving import Receiving
from signaling.sharing import Sharing

__all__ = ["SignalingServer", "SessionDirectory", "dispatchers_room", "identity_room", "ring_room"]

logger = logging.getLogger("signaling")


class SignalingServer(
    Connections, Joining, Reconnection, Negotiation, Actions, Calls, Sharing, Receiving, Revocation, Recording,
    Listeners,
):
    def __init__(
        self,
        sio: socketio.AsyncServer,
        media: MediaPlane,
        sessions: SessionDirectory,
        matrix: Matrix,
        secret: bytes,
        ice_servers: list[dict[str, Any]],
        max_thumbnails: int = 8,
        limits: SignalingLimits = SignalingLimits(),
        trusted_proxies: Optional[list[Network]] = None,
        turn: Optional[TurnService] = None,
        resume_seconds: float = 20.0,
    ) -> None:
        super().__init__(
            sio, media, sessions, matrix, secret, ice_servers, max_thumbnails=max_thumbnails, limits=limits,
            trusted_proxies=trusted_proxies, turn=turn, resume_seconds=resume_seconds,
        )
        self._register(self.routes())

    def routes(self) -> list[Route]:
        """Every client event (``docs/protocol.md``), its payload model and its handler."""
        return [
            # signaling/join.py
            Route("join", events.Join, self.join),
            Route("leave", events.Leave, self.leave),
            # signaling/resume.py
            Route("resume", events.Resume, self.resume),
            Route("restartMedia", events.RestartMedia, self.restart_media),
            Route("ping", events.Ping, self.ping),
            Route("detach", events.Detach, self.detach),
            # signaling/negotiation.py
            Route("publishOffer", events.Offer, self.publish_offer),
            Route("publishIce", events.Ice, functools.partial(self.ice, "publish")),
            Route("subscribeAnswer", events.Answer, self.subscribe_answer),
            Route("subscribeIce", events.Ice, functools.partial(self.ice, "subscribe")),
            Route("mediaState", events.MediaState, self.media_state),
            # signaling/actions.py
            Route("control", events.Control, self.control),
            Route("raiseHand", events.Hand, self.raise_hand),
            Route("lowerHand", events.Hand, self.lower_hand),
            # signaling/calls.py, signaling/sharing.py
            Route("watch", events.Watch, self.watch),
            Route("share", events.Share, self.share),
            # signaling/receiving.py
            Route("receive", events.Receive, self.receive),
        ]

    # --- life cycle ------------------------------------------------------

    async def start(self) -> None:
        self._levels_task = asyncio.create_task(self._ticker_loop())

    async def _ticker_loop(self) -> None:
        while True:
            await asyncio.sleep(AUDIO_LEVELS_INTERVAL)
            try:
                await self.ticker.tick()
            except Exception:
                logger.exception("audio levels failed")

    async def stop(self) -> None:
        await cancel_and_wait(self._levels_task)
        for deadline in self._join_deadlines.values():
            deadline.cancel()
        self._join_deadlines.clear()
        for room in list(self.presence.rooms.values()):
            for participant in room:
                await self._remove(participant, "left", notify_self=False)
