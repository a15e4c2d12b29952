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
