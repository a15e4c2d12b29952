"""An opinion's reference number (民情编号): short, human-friendly, printed on
lists, the detail page, the live console and the Excel workbooks.

``MQ{year}-{id:06d}``: the year it was received (Asia/Shanghai) and its id,
for example ``MQ2026-000017``.  Derived, never stored: it cannot drift from the
opinion it names, needs no migration, and is unique because the id is.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from hub.zone import ZONE

PATTERN = re.compile(r"^\s*MQ(\d{4})-(\d{1,12})\s*$", re.IGNORECASE)


def reference(opinion_id: int, received_at: datetime) -> str:
    """``MQ2026-000017`` for opinion 17 received in 2026 (China time)."""
    return f"MQ{received_at.astimezone(ZONE).year}-{opinion_id:06d}"


def parse(text: str) -> Optional[tuple[int, int]]:
    """``(year, id)`` of a reference number, or ``None`` when ``text`` is not one."""
    m = PATTERN.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None
