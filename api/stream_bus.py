"""Opinion news between hub processes: the Redis flavour of
:class:`opinions.bus.OpinionBus`.

With one hub process (the embedded default) the in-memory bus delivers news
at once.  With several processes on one database (the production set-up,
``redis_url`` set), a console's event stream or live console may be held by
another process than the one that stored the change, so
:meth:`RedisOpinionBus.publish` sends the news on the deployment's channel,
and every process, this one included, delivers what it hears to its own
listeners (the base class's fan-out).  Going through Redis even for the
local listeners keeps one order and never delivers twice.  (The signaling
server therefore emits the news it hears to its own clients only, not
through python-socketio's Redis manager again.)

If Redis is unreachable, news is delivered locally (and logged), the
listener reconnects with a back-off, and every console reloads its list on
reconnection of its stream (``ready``), so nothing stays missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any, Optional

import redis.asyncio as aioredis

from core.tasks import cancel_and_wait
from opinions.bus import OpinionBus
from opinions.news import LiveOpinionOut, OpinionNews

logger = logging.getLogger("hub.api")

#: Back-off bounds of the listener's reconnection, seconds.
RECONNECT_MIN, RECONNECT_MAX = 0.5, 10.0

def channel_for(database_url: str) -> str:
    """The channel of one deployment: the processes that share a database
    share news; another deployment on the same Redis hears nothing."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return f"liaison-hub:opinion-news:{digest}"


def encode(news: OpinionNews) -> str:
    return json.dumps({"kind": news.kind, "action": news.action, "town": news.town,
                       "opinion": news.opinion.model_dump(mode="json")}, ensure_ascii=False)


def decode(text: str) -> OpinionNews:
    data: dict[str, Any] = json.loads(text)
    return OpinionNews(kind=data["kind"], action=data["action"], town=data.get("town"),
                       opinion=LiveOpinionOut.model_validate(data["opinion"]))


class RedisOpinionBus(OpinionBus):
    """An :class:`~opinions.bus.OpinionBus` that publishes to Redis, and a
    listener that delivers the channel's news to this process's listeners."""

    def __init__(self, redis_url: str, channel: str) -> None:
        super().__init__()
        self.redis_url = redis_url
        self.channel = channel
        self._client: Optional[aioredis.Redis] = None
        self._task: Optional[asyncio.Task] = None
        self._subscribed = asyncio.Event()

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

    async def publish(self, news: OpinionNews) -> None:
        try:
            assert self._client is not None, "RedisOpinionBus.start() was not called"
            await self._client.publish(self.channel, encode(news))
        except Exception:
            logger.exception("opinion news: Redis unreachable, delivered in this process only")
            await self.deliver(news)

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
                    await self.deliver(news)
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
