"""Opinion news between hub processes: Redis publish/subscribe in front of
each process's :class:`api.stream.OpinionStream`.

With one hub process (the embedded default) the REST handlers hand news
straight to the local stream.  With several processes on one database (the
production set-up, ``redis_url`` set), a console's event stream may be held
by another process than the one that stored the change, so news goes
through Redis instead: :meth:`RedisOpinionBus.opinion_changed` publishes it
on the deployment's channel, and every process, this one included, delivers
what it hears to its own subscribers.  Going through Redis even for the
local subscribers keeps one order and never delivers twice.

The live console's Socket.IO events need none of this: python-socketio's
Redis manager carries them already.

If Redis is unreachable, news is delivered locally (and logged), the
listener reconnects with a back-off, and every console reloads its list on
reconnection of its stream (``ready``), so nothing stays missing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from datetime import datetime
from typing import Any, Optional

import redis.asyncio as aioredis

from core.tasks import cancel_and_wait
from opinions.news import OpinionEvents, OpinionNews

logger = logging.getLogger("hub.api")

#: Back-off bounds of the listener's reconnection, seconds.
RECONNECT_MIN, RECONNECT_MAX = 0.5, 10.0

_DATETIME_FIELDS = {f.name for f in dataclasses.fields(OpinionNews) if "datetime" in str(f.type)}


def channel_for(database_url: str) -> str:
    """The channel of one deployment: the processes that share a database
    share news; another deployment on the same Redis hears nothing."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return f"liaison-hub:opinion-news:{digest}"


def encode(news: OpinionNews) -> str:
    data = dataclasses.asdict(news)
    for name in _DATETIME_FIELDS:
        if data.get(name) is not None:
            data[name] = data[name].isoformat()
    return json.dumps(data, ensure_ascii=False)


def decode(text: str) -> OpinionNews:
    data: dict[str, Any] = json.loads(text)
    known = {f.name for f in dataclasses.fields(OpinionNews)}
    data = {k: v for k, v in data.items() if k in known}  # a newer process may send more
    for name in _DATETIME_FIELDS:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    return OpinionNews(**data)


class RedisOpinionBus:
    """An :class:`~opinions.news.OpinionEvents` that publishes to Redis, and
    a listener that delivers the channel's news to ``local``."""

    def __init__(self, redis_url: str, channel: str, local: OpinionEvents) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.local = local
        self._client: Optional[aioredis.Redis] = None
        self._task: Optional[asyncio.Task] = None
        self._subscribed = asyncio.Event()
        self.delivered = 0  # news delivered to the local stream (tests, diagnostics)

    async def start(self) -> None:
        self._client = aioredis.from_url(self.redis_url)
        self._task = asyncio.ensure_future(self._listen())

    async def wait_subscribed(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._subscribed.wait(), timeout)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def opinion_changed(self, news: OpinionNews) -> None:
        try:
            assert self._client is not None, "RedisOpinionBus.start() was not called"
            await self._client.publish(self.channel, encode(news))
        except Exception:
            logger.exception("opinion news: Redis unreachable, delivered in this process only")
            await self._deliver(news)

    async def _deliver(self, news: OpinionNews) -> None:
        self.delivered += 1
        await self.local.opinion_changed(news)

    async def _listen(self) -> None:
        delay = RECONNECT_MIN
        while True:
            pubsub = None
            try:
                assert self._client is not None
                pubsub = self._client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                delay = RECONNECT_MIN
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        news = decode(message["data"].decode("utf-8") if isinstance(message["data"], bytes) else message["data"])
                    except Exception:
                        logger.exception("opinion news: a message that cannot be read was dropped")
                        continue
                    await self._deliver(news)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._subscribed.clear()
                logger.warning("opinion news: Redis listener lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(RECONNECT_MAX, delay * 2)
            finally:
                if pubsub is not None:
                    try:
                        await pubsub.aclose()
                    except Exception:
                        pass
