"""The hub's time zone, named once.

Haining keeps Beijing time (UTC+8 all year, no daylight saving). Everything that turns an
instant into a wall-clock date or time uses this zone: the series of linked sessions
(``scheduler/recurrence.py``), working-day deadlines and statistics periods (``opinions/``),
duty days (attendance in ``signaling/rooms.py``), the REST API's local times and calendar
files (``api/``), and the stored defaults (``store/``). ``configs/scoring.yaml``
``calendar.timezone`` defaults to it. The web pages keep the same zone in
``web/src/common/time.ts`` (``TIME_ZONE``).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: The IANA name, as stored with a series and written into calendar files.
TIME_ZONE = "Asia/Shanghai"

#: The zone itself.
ZONE = ZoneInfo(TIME_ZONE)
