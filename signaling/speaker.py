"""Active-speaker choice from RFC 6464 audio levels: a pure rule, no I/O.

Levels are −dBov as the relay reads them (0 loudest, 127 silence).  A
participant speaks when its level is at most ``threshold``.  The speaker
changes only when the current one has been quiet for ``hold`` seconds, or
another has been louder by ``margin`` dB for ``hold`` seconds, so that the
highlight does not flicker between two voices.
"""

from __future__ import annotations

from typing import Mapping, Optional


class ActiveSpeaker:
    def __init__(self, threshold: int = 50, margin: int = 6, hold: float = 0.8) -> None:
        self.threshold = threshold
        self.margin = margin
        self.hold = hold
        self.current: Optional[str] = None
        self._challenger: Optional[str] = None
        self._since: float = 0.0
        self._quiet_since: Optional[float] = None

    def update(self, levels: Mapping[str, Optional[float]], now: float) -> Optional[str]:
        speaking = {
            pid: level
            for pid, level in levels.items()
            if level is not None and level <= self.threshold
        }
        loudest = min(speaking, key=lambda pid: speaking[pid]) if speaking else None

        if self.current not in levels:  # the speaker left
            self.current, self._challenger, self._quiet_since = loudest, None, None
            return self.current

        if self.current is None:
            self.current = loudest
            return self.current

        if self.current not in speaking:
            if self._quiet_since is None:
                self._quiet_since = now
            if now - self._quiet_since >= self.hold:
                self.current, self._challenger, self._quiet_since = loudest, None, None
                if loudest is None:
                    return None
            return self.current
        self._quiet_since = None

        if loudest is not None and loudest != self.current and speaking[loudest] + self.margin <= speaking[self.current]:
            if self._challenger != loudest:
                self._challenger, self._since = loudest, now
            elif now - self._since >= self.hold:
                self.current, self._challenger = loudest, None
        else:
            self._challenger = None
        return self.current
