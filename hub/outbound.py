"""Reminders going out of the hub (issue 13): ONE adapter interface for
every channel (an SMS gateway, an office platform), so the rest of the hub
never knows which is configured.

The reminders themselves are derived when asked (:mod:`opinions.reminders`,
``api/notifications.py``); :class:`Announcer` asks for each active account
every ``notifications.every_seconds`` and hands each reminder it has not
handed before to the :class:`Outbound` adapter.  With no adapter configured
(``notifications.outbound.url`` empty) nothing runs: the bell of the pages
is the only channel.

What was sent is remembered in memory, per account, kind and item, while
it stays due: a
restart sends the reminders still due once more (an SMS gateway that must
never repeat deduplicates on ``key``, which is stable across restarts).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Optional, Protocol

import aiohttp
from sqlmodel import Session, col, select

from api.notifications import NotificationOut, reminders_for
from api.services import ApiServices
from hub.settings import OutboundSettings
from store.accounts import actor_of
from store.models import Account

logger = logging.getLogger("outbound")

#: What each reminder kind says, Chinese first, then English (docs/glossary.md).
TEXTS: dict[str, tuple[str, str]] = {
    "overdue": ("民情事项已超期", "An item is overdue"),
    "deadline_soon": ("民情事项即将到期", "An item is due soon"),
    "assigned": ("有新交办的民情事项", "An item was assigned to you"),
    "returned": ("民情事项被退回", "An item was returned"),
    "answered": ("您的民情已答复，请评价", "Your item was answered: please rate it"),
    "lobby_open": ("会议候会已开放", "The meeting's lobby is open"),
    "session_soon": ("会议将在15分钟内开始", "A meeting starts within 15 minutes"),
}


@dataclass(frozen=True)
class OutboundMessage:
    """One reminder for one account, as posted (JSON, camelCase-free)."""

    key: str  # stable: account, kind and item
    username: str
    display_name: str
    role: str
    kind: str
    text_zh: str
    text_en: str
    title: str
    at: str
    opinion_id: Optional[int]
    reference: Optional[str]
    session_id: Optional[int]


class Outbound(Protocol):
    """An outbound channel: raises on a failed delivery (it is tried again
    on the next round)."""

    async def send(self, message: OutboundMessage) -> None: ...


class HttpOutbound:
    """Posts each message as JSON to a configured URL (2xx: delivered)."""

    def __init__(self, url: str, token: str = "", timeout_seconds: float = 10.0) -> None:
        self.url, self.token = url, token
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def send(self, message: OutboundMessage) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with aiohttp.ClientSession(timeout=self.timeout) as http:
            async with http.post(self.url, json=asdict(message), headers=headers) as response:
                if response.status // 100 != 2:
                    raise OSError(f"{self.url} answered {response.status}")


def make_outbound(settings: OutboundSettings) -> Optional[Outbound]:
    """The configured adapter, or None: in-app only."""
    if not settings.url:
        return None
    return HttpOutbound(settings.url, settings.token, settings.timeout_seconds)


def message_of(account: Account, item: NotificationOut) -> OutboundMessage:
    zh, en = TEXTS.get(item.kind, (item.kind, item.kind))
    target = f"o{item.opinion_id}" if item.opinion_id else f"s{item.session_id}"
    return OutboundMessage(
        key=f"{account.id}:{item.kind}:{target}", username=account.username, display_name=account.display_name,
        role=account.role, kind=item.kind, text_zh=zh, text_en=en, title=item.title, at=item.at.isoformat(),
        opinion_id=item.opinion_id, reference=item.reference, session_id=item.session_id)


class Announcer:
    """Sends each reminder that became due once through ``outbound``."""

    def __init__(self, services: ApiServices, outbound: Outbound) -> None:
        self.services, self.outbound = services, outbound
        self.sent: set[str] = set()

    @staticmethod
    def _accounts(db: Session) -> list[Account]:
        return list(db.exec(select(Account).where(col(Account.active)).order_by(col(Account.id))).all())

    async def tick(self) -> list[OutboundMessage]:
        """One round: the messages delivered."""
        delivered: list[OutboundMessage] = []
        due: set[str] = set()
        for account in await self.services.db(self._accounts):
            try:
                actor = actor_of(account)
            except Exception:  # an account the rules no longer accept: nothing to remind it of
                continue
            for item in await reminders_for(self.services, actor):
                message = message_of(account, item)
                due.add(message.key)
                if message.key in self.sent:
                    continue
                try:
                    await self.outbound.send(message)
                except Exception as exc:
                    logger.warning("sending %s failed: %s", message.key, exc)
                    continue
                self.sent.add(message.key)
                delivered.append(message)
        self.sent &= due  # a reminder that went away and comes back (a reopened item) goes out again
        return delivered
