"""What the forwarding hooks refused, and what failed in them: counters per process
(:func:`packet_counters`, in the relay's statistics) and a failure log that does not flood."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

#: Process-wide counters of what the forwarding path refused (see
#: :func:`packet_counters`).
_counters: dict[str, int] = {
    "rtp_malformed": 0,  # did not parse, or made a handler fail
    "rtcp_malformed": 0,
    "rtp_rejected": 0,  # implausible sequence number, unknown SSRC or payload type
    "rtp_failed": 0,  # parsed, but a handler raised (a bug, logged)
    "rtcp_failed": 0,
}


def _count(name: str) -> None:
    _counters[name] = _counters.get(name, 0) + 1


_failures_logged: set[str] = set()


def _log_failure(message: str) -> None:
    """Log the first failure of a kind with its traceback (a bug to fix),
    later ones at debug level only (a flood must not fill the log)."""
    level = logging.DEBUG if message in _failures_logged else logging.WARNING
    _failures_logged.add(message)
    logger.log(level, message, exc_info=True)


def packet_counters() -> dict[str, int]:
    """Packets dropped by the forwarding path since the process started,
    by reason (``rtp_malformed``, ``rtcp_malformed``, ``rtp_rejected``, and
    the sinks' own ``rtp_replayed`` and so on, see :func:`count`)."""
    return dict(_counters)


def count(name: str) -> None:
    """Count one dropped packet under ``name`` (for the relay's sinks)."""
    _count(name)
