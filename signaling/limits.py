"""How much one client may hold and send: pure rules, no I/O.

A connection costs a file descriptor and memory before it has proved
anything, and every event a participant sends is relayed to the whole room:
without limits one station (or a script with a join link) could hold
thousands of sockets or flood every member.  :class:`TokenBucket` meters a
participant's events; :class:`AddressCounter` counts connections per client
address.  The numbers come from ``signaling.limits`` in ``configs/hub.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field


@dataclass
class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` kept; an event takes one."""

    rate: float
    burst: int
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> bool:
        """Whether an event at ``now`` (monotonic seconds) may pass."""
        if self.tokens < 0:  # first use: a full bucket
            self.tokens, self.updated = float(self.burst), now
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class AddressCounter:
    """Open connections per client address, capped at ``limit`` each."""

    limit: int
    counts: dict[str, int] = field(default_factory=dict)

    def open(self, address: str) -> bool:
        """Count one more connection from ``address``; False (and nothing
        counted) when it already holds ``limit``."""
        held = self.counts.get(address, 0)
        if held >= self.limit:
            return False
        self.counts[address] = held + 1
        return True

    def close(self, address: str) -> None:
        held = self.counts.get(address, 0) - 1
        if held > 0:
            self.counts[address] = held
        else:
            self.counts.pop(address, None)


class SignalingLimits(BaseModel):
    """What one client may hold or send (``docs/protocol.md``, "Limits"): ``signaling.limits``
    of ``configs/hub.yaml``, read by ``hub/config.py``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A socket that has not joined a session this many seconds after
    # connecting is closed.
    join_timeout: float = Field(default=10, gt=0, le=600)
    # Socket.IO connections at once from one client address (the address
    # behind trusted_proxies), per hub process.
    connections_per_address: int = Field(default=100, ge=1, le=100_000)
    # Events per participant (mediaState, hands, control, offers): a token
    # bucket refilled at event_rate per second, holding at most event_burst.
    event_rate: float = Field(default=5, gt=0, le=1000)
    event_burst: int = Field(default=30, ge=1, le=10_000)
    # ICE candidates per participant, a bucket of their own (a negotiation
    # trickles dozens at once).
    ice_rate: float = Field(default=20, gt=0, le=10_000)
    ice_burst: int = Field(default=200, ge=1, le=100_000)
    # Media sections (m= lines) in one publish offer: a station sends audio,
    # its camera's big and small streams, and a shared screen (with audio).
    max_media_lines: int = Field(default=6, ge=1, le=64)
