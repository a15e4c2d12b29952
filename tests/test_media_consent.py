"""ICE consent freshness that survives a stalled event loop (media/aiortc_hooks/consent.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from aioice import ice, stun

from media.aiortc_hooks import consent


class FakeProtocol:
    """The far end of a consent check: ``answer(t)`` says, for a check
    (or retransmission) sent ``t`` seconds after the fake started, after how
    many seconds its answer arrives (None: never), as a far end behind a
    stalled loop or a full socket buffer."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.started = time.monotonic()
        self.checks = 0

    async def request(self, request, addr, integrity_key=None, retransmissions=None):
        self.checks += 1
        now = time.monotonic() - self.started
        # Transmissions at STUN's RTO: 0.5 s, then doubling, ``retransmissions`` times.
        sent, arrivals = now, []
        for i in range(1 + (retransmissions or 0)):
            delay = self.answer(sent)
            if delay is not None:
                arrivals.append(sent + delay)
            sent += stun.RETRY_RTO * 2 ** i
        give_up = sent
        first = min((a for a in arrivals if a < give_up), default=None)
        await asyncio.sleep((first if first is not None else give_up) - now)
        if first is None:
            raise stun.TransactionTimeout()


class FakePair:
    def __init__(self, protocol: FakeProtocol) -> None:
        self.protocol = protocol
        self.remote_addr = ("10.0.0.2", 5000)


class FakeConnection:
    def __init__(self, protocol: FakeProtocol) -> None:
        self.remote_password = "pw"
        self._nominated = {1: FakePair(protocol)}
        self._query_consent_task = None
        self.closed_at: float | None = None
        self._Connection__log_info = lambda *args: None  # aioice's own check logs through it

    def build_request(self, pair, nominate=False):
        return object()

    async def close(self) -> None:
        self.closed_at = time.monotonic()


@pytest.fixture
def fast(monkeypatch):
    """Consent checks every 0.1 s, expiring after 1.5 s without an answer."""
    monkeypatch.setattr(ice, "CONSENT_INTERVAL", 0.1)
    monkeypatch.setattr(stun, "RETRY_RTO", 0.05)
    monkeypatch.setattr(consent, "CONSENT_TIMEOUT", 1.5)


async def run_for(connection: FakeConnection, seconds: float) -> None:
    task = asyncio.ensure_future(consent.query_consent(connection))
    try:
        await asyncio.wait_for(asyncio.shield(task), seconds)
    except asyncio.TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_late_answers_keep_consent_where_aioice_would_have_expired_it(fast):
    """Every check answered after 3x the first timeout (a hub that waited for
    the CPU): aioice's own check (no retransmission) fails them all and
    closes after six; ours retransmits, hears the answers, and keeps it."""
    protocol = FakeProtocol(lambda t: 0.15)
    connection = FakeConnection(protocol)
    await run_for(connection, 3.0)
    assert connection.closed_at is None
    assert protocol.checks >= 5

    original = FakeConnection(FakeProtocol(lambda t: 0.15))
    await run_for_original(original, 3.0)
    assert original.closed_at is not None, "aioice's check was expected to fail here (test premise)"


async def run_for_original(connection: FakeConnection, seconds: float) -> None:
    task = asyncio.ensure_future(consent._original_query_consent(connection))
    try:
        await asyncio.wait_for(asyncio.shield(task), seconds)
    except asyncio.TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_silent_far_end_loses_consent_after_the_timeout(fast):
    """No answer at all: consent expires once nothing has answered for
    CONSENT_TIMEOUT (1.5 s here), not sooner, and the connection is closed."""
    connection = FakeConnection(FakeProtocol(lambda t: None))
    started = time.monotonic()
    await run_for(connection, 4.0)
    assert connection.closed_at is not None
    assert 1.5 <= connection.closed_at - started < 2.5


async def test_an_answer_restarts_the_wait(fast):
    """Silent for 1 s, answering for 0.3 s, silent again: expiry counts from
    the last answer, not from the start."""
    protocol = FakeProtocol(lambda t: 0.0 if 1.0 <= t < 1.3 else None)
    connection = FakeConnection(protocol)
    started = time.monotonic()
    await run_for(connection, 6.0)
    assert connection.closed_at is not None
    assert 2.5 <= connection.closed_at - started < 3.6


def test_the_relay_installs_it():
    from media.relay import Relay

    Relay()
    assert consent.installed()
    assert ice.Connection.query_consent is consent.query_consent
