"""The socket plumbing: admitting a connection (a cap per address, a
deadline to join), metering its events (token buckets), validating every
payload and mapping errors once per event (``error`` plus ``{"ok": false}``),
and what a closed socket means (a leave, or 重连中 when the network went).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, NamedTuple

import socketio

from core.errors import HubError, NotJoined, RateLimited
from core.proxies import client_address
from signaling import events
from signaling.limits import TokenBucket
from signaling.rooms import LiveRooms

logger = logging.getLogger("signaling")

Handler = Callable[..., Awaitable[dict[str, Any]]]

#: Events metered by the ICE bucket; ``leave`` and ``subscribeAnswer`` (the
#: answer to the hub's own offer) are never metered, every other event is
#: metered by the events bucket (``signaling.limits``).
ICE_EVENTS = ("publishIce", "subscribeIce")
UNMETERED_EVENTS = ("leave", "subscribeAnswer")
#: The events a socket may send before it has joined.
BEFORE_JOIN = ("join", "resume", "watch")


class Route(NamedTuple):
    """One client event of ``docs/protocol.md``: its payload model
    (``signaling/events.py``) and its handler ``(sid, participant, payload)``."""

    event: str
    model: type[events.Event]
    handler: Handler


class Connections(LiveRooms):
    """Connect, disconnect, and the wrapping of every event handler."""

    def _register(self, routes: list[Route]) -> None:
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        for route in routes:
            self.sio.on(route.event, self._wrap(route.event, route.model, route.handler))

    def _wrap(self, name: str, model: type[events.Event], handler: Handler) -> Callable:
        """Validate the payload, run the handler, and map errors once: an
        ``error`` event plus ``{"ok": false}`` as the acknowledgement."""

        async def on_event(sid: str, data: Any = None) -> dict[str, Any]:
            participant = self.presence.by_sid(sid)
            lang = participant.lang if participant else "zh-CN"
            if isinstance(data, dict) and data.get("lang") in ("zh-CN", "en"):
                lang = data["lang"]
            try:
                self._meter(sid, name)
                payload = events.parse(model, data)
                if name not in BEFORE_JOIN and participant is None:
                    raise NotJoined()
                result = await handler(sid, participant, payload)
                return {"ok": True, **result}
            except HubError as exc:
                error = exc.to_dict(lang, event=name)
            except Exception:
                logger.exception("event %s from %s failed", name, sid)
                error = HubError().to_dict(lang, event=name)
            await self.sio.emit("error", error, to=sid)
            return {"ok": False, "error": error}

        return on_event

    def _meter(self, sid: str, name: str) -> None:
        """Take a token of the sid's bucket for this event, or refuse it
        (:class:`RateLimited`: not applied, not relayed)."""
        if name in UNMETERED_EVENTS:
            return
        kind = "ice" if name in ICE_EVENTS else "events"
        buckets = self._buckets.setdefault(sid, {})
        bucket = buckets.get(kind)
        if bucket is None:
            lim = self.limits
            bucket = buckets[kind] = (
                TokenBucket(lim.ice_rate, lim.ice_burst) if kind == "ice" else TokenBucket(lim.event_rate, lim.event_burst)
            )
        if not bucket.take(time.monotonic()):
            raise RateLimited()

    async def _on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        """Count the connection against its address's cap, and close it if it
        has not joined within ``join_timeout``."""
        request = environ.get("aiohttp.request")
        remote = getattr(request, "remote", None) or environ.get("REMOTE_ADDR", "")
        forwarded = request.headers.get("X-Forwarded-For") if request is not None else None
        address = client_address(remote, forwarded, self.trusted_proxies)
        if not self._per_address.open(address):
            logger.warning("refused a connection from %s: %d open already", address, self.limits.connections_per_address)
            raise socketio.exceptions.ConnectionRefusedError("too_many_connections")
        self._addresses[sid] = address
        self._join_deadlines[sid] = asyncio.get_running_loop().call_later(
            self.limits.join_timeout, lambda: asyncio.ensure_future(self._join_deadline(sid))
        )
        return True

    async def _join_deadline(self, sid: str) -> None:
        self._join_deadlines.pop(sid, None)
        if sid in self._addresses and self.presence.by_sid(sid) is None:
            logger.info("closing %s: no join within %s s", sid, self.limits.join_timeout)
            await self.sio.disconnect(sid)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        address = self._addresses.pop(sid, None)
        if address is not None:
            self._per_address.close(address)
        deadline = self._join_deadlines.pop(sid, None)
        if deadline is not None:
            deadline.cancel()
        self._buckets.pop(sid, None)
        participant = self.presence.by_sid(sid)
        if participant is None:
            return
        if reason in (self.sio.reason.PING_TIMEOUT, self.sio.reason.TRANSPORT_ERROR):
            # The network went away under the socket (a phone changing
            # networks): the participant waits, 重连中, for its page to resume.
            self.presence.unbind(participant)
            await self._lost(participant, f"socket lost ({reason})")
        else:  # closed by the page (left, reloaded, tab closed) or by the hub
            await self._remove(participant, "disconnected", notify_self=False)
