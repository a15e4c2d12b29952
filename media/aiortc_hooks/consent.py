"""ICE consent freshness (RFC 7675) that survives a stalled event loop.

aioice 0.13 checks consent every ~5 s with ONE request (no retransmission,
0.5 s timeout) and closes the connection after six checks in a row found no
answer within that 0.5 s.  On a loaded machine that is not what RFC 7675
asks (consent expires when nothing has answered for 30 s) and it closes
healthy connections: a hub whose process waited for the CPU, or whose
socket buffer overflowed for a moment, answers a check after 1-14 s (measured
with 8 publishing stations on the shared 2-core machine at load 15-20), and
all its publishers' connections were closed after ~30-90 s, silently
(``publishing: []``).  Browsers retransmit their checks and expire consent
after 30 s without an answer.

:func:`install` (idempotent, process-wide) replaces
``aioice.ice.Connection.query_consent`` with :func:`query_consent`: a check
every ``CONSENT_INTERVAL`` (randomized as aioice does), retransmitted with
STUN's RTO (0.5 s, doubling) while no newer check is due, and consent lost
only when no check has been answered for ``CONSENT_TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from aioice import ice, stun

logger = logging.getLogger("media.aiortc_hooks.consent")

#: RFC 7675 section 5.1: consent expires 30 s after the last answered check.
CONSENT_TIMEOUT = 30.0
#: Retransmissions of one check: 0.5 + 1 + 2 s, then the next check is due.
CHECK_RETRANSMISSIONS = 3

_original_query_consent = ice.Connection.query_consent


async def query_consent(self: Any) -> None:
    """``aioice.ice.Connection.query_consent``, expiring after
    ``CONSENT_TIMEOUT`` seconds without any answer (see the module docstring)."""
    assert self.remote_password is not None
    answered = time.monotonic()
    pending: set[asyncio.Task] = set()

    async def check(pair: Any) -> None:
        nonlocal answered
        request = self.build_request(pair, nominate=False)
        try:
            await pair.protocol.request(request, pair.remote_addr, integrity_key=self.remote_password.encode("utf8"),
                                        retransmissions=CHECK_RETRANSMISSIONS)
            answered = time.monotonic()
        except stun.TransactionError:
            pass

    try:
        while True:
            await asyncio.sleep(ice.CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
            if time.monotonic() - answered > CONSENT_TIMEOUT:
                logger.info("ICE consent expired: no check answered for %.0f s", time.monotonic() - answered)
                self._query_consent_task = None
                await self.close()
                return
            if not pending:  # a check still retransmitted answers for this round too
                for pair in self._nominated.values():
                    task = asyncio.ensure_future(check(pair))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
    finally:
        for task in list(pending):
            task.cancel()


def install() -> None:
    ice.Connection.query_consent = query_consent  # type: ignore[method-assign]


def installed() -> bool:
    return ice.Connection.query_consent is query_consent
