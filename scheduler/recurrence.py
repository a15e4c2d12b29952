"""Recurring linked sessions: a series expanded into concrete occurrences.

Pure rules, no I/O.  A :class:`Series` is the first occurrence (``start``,
``end``), an optional RFC 5545 ``RRULE`` and the exceptions to it; 
:func:`expand` turns it into :class:`Occurrence` objects within a window.

Rules
-----
* **Wall-clock time.**  Occurrences repeat at the same local time of day in
  the series' zone (``Asia/Shanghai`` by default): the rule is expanded by
  python-dateutil's ``rrule`` on naive local times, then each is placed in the
  zone with :mod:`zoneinfo`.  A local time that does not exist (a daylight
  saving gap; Shanghai has none today but had in 1986-1991, and other zones
  do) moves forward by the gap; an ambiguous one takes its first instant.
  Every occurrence lasts ``end - start`` of real (absolute) time.
* **dateutil semantics.**  ``start`` gives the time of day and the lower
  bound; the occurrences are what the rule generates from it.  A start that
  does not match the rule (a Friday for "first Tuesday of the month") is not
  itself an occurrence.
* **Rule text.**  One ``RRULE`` value, with or without the ``RRULE:`` prefix
  (``FREQ=MONTHLY;BYDAY=1TU``).  ``FREQ`` must be ``DAILY``, ``WEEKLY``,
  ``MONTHLY`` or ``YEARLY``; ``DTSTART``, ``RDATE`` and ``EXDATE`` are not
  accepted in it (the start and the exceptions are fields of the series).
  ``UNTIL`` may be a date, a local date-time or a UTC date-time (``...Z``).
  ``COUNT`` is at most :data:`MAX_OCCURRENCES`.
* **Exceptions.**  An occurrence is known by its original start (its
  RFC 5545 ``RECURRENCE-ID``).  ``cancelled`` holds original starts, or local
  dates cancelling every occurrence starting that day; ``moved`` gives an
  occurrence a new start and end.  Cancelling wins over moving.  Exceptions
  that name no occurrence of the rule are ignored by :func:`expand`;
  :func:`find_occurrence` tells whether one does.
* **Bounded.**  A series without ``COUNT`` or ``UNTIL`` can only be expanded
  within a window with an end; no expansion yields more than
  :data:`MAX_OCCURRENCES` occurrences.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Iterator, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from hub.errors import OccurrenceNotFound, RecurrenceInvalid, ScheduleInvalid
from hub.zone import TIME_ZONE

DEFAULT_TZ = TIME_ZONE
MAX_OCCURRENCES = 1000
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_KNOWN_PARTS = {
    "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
    "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
}

CancelKey = Union[datetime, date]


@dataclass(frozen=True)
class Moved:
    """Occurrence ``original_start`` takes place at ``start``-``end`` instead."""

    original_start: datetime
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Occurrence:
    """One concrete meeting of a series.  ``key`` is its original start
    (``RECURRENCE-ID``), equal to ``start`` unless it was moved."""

    key: datetime
    start: datetime
    end: datetime
    moved: bool = False

    def overlaps(self, other: "Occurrence") -> bool:
        """Half-open intervals: back to back (``end == start``) is no overlap."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Series:
    """A linked session's timing.  ``start``/``end`` are the first occurrence's
    (timezone-aware); ``rrule`` is ``None`` for a one-off session."""

    start: datetime
    end: datetime
    rrule: Optional[str] = None
    tz: str = DEFAULT_TZ
    cancelled: frozenset[CancelKey] = field(default_factory=frozenset)
    moved: tuple[Moved, ...] = ()

    def __post_init__(self) -> None:
        zone(self.tz)
        for name in ("start", "end"):
            _require_aware(getattr(self, name), name)
        if self.end <= self.start:
            raise ScheduleInvalid("end_before_start")
        for m in self.moved:
            _require_aware(m.original_start, "moved original start")
            _require_aware(m.start, "moved start")
            _require_aware(m.end, "moved end")
            if m.end <= m.start:
                raise ScheduleInvalid("moved_end_before_start")
        for key in self.cancelled:
            if isinstance(key, datetime):
                _require_aware(key, "cancelled occurrence")
        if self.rrule is not None:
            parse_rrule(self.rrule, self.start, self.tz)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def recurring(self) -> bool:
        return self.rrule is not None

    @property
    def bounded(self) -> bool:
        """Whether the series has a last occurrence (one-off, COUNT or UNTIL)."""
        if self.rrule is None:
            return True
        return _bounded_text(self.rrule)

    def with_exceptions(
        self, cancelled: Iterable[CancelKey] = (), moved: Iterable[Moved] = ()
    ) -> "Series":
        new_moves = tuple(moved)
        replaced = {m.original_start for m in new_moves}
        return replace(
            self,
            cancelled=self.cancelled | frozenset(cancelled),
            moved=(*[m for m in self.moved if m.original_start not in replaced], *new_moves),
        )


# --- validation ----------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleInvalid("unknown_timezone", zone=name) from None


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleInvalid("needs_timezone", name=name)


def normalize_rrule(text: str) -> str:
    """The rule text in canonical form (upper case, no ``RRULE:`` prefix, no
    spaces), checked part by part.  Raises :class:`RecurrenceInvalid`."""
    if not isinstance(text, str) or not text.strip():
        raise RecurrenceInvalid("rrule_empty")
    body = text.strip()
    if "\n" in body or "\r" in body:
        raise RecurrenceInvalid("rrule_one_line")
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:"):]
    parts: dict[str, str] = {}
    for item in body.replace(" ", "").upper().split(";"):
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise RecurrenceInvalid("rrule_part_syntax", item=item)
        if name not in _KNOWN_PARTS:
            raise RecurrenceInvalid("rrule_part_unknown", name=name)
        if name in parts:
            raise RecurrenceInvalid("rrule_part_twice", name=name)
        parts[name] = value
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceInvalid("rrule_freq_required")
    if freq not in FREQUENCIES:
        raise RecurrenceInvalid("rrule_freq", freq=freq, choices=FREQUENCIES)
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceInvalid("rrule_count_and_until")
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_OCCURRENCES:
            raise RecurrenceInvalid("rrule_count", maximum=MAX_OCCURRENCES)
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or int(parts["INTERVAL"]) < 1):
        raise RecurrenceInvalid("rrule_interval")
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _bounded_text(text: str) -> bool:
    parts = {p.split("=", 1)[0] for p in normalize_rrule(text).split(";")}
    return bool(parts & {"COUNT", "UNTIL"})


def parse_rrule(text: str, start: datetime, tz: str = DEFAULT_TZ) -> rrule:
    """Validate ``text`` against a series starting at ``start`` and return the
    dateutil rule, working on naive local times of ``tz``."""
    canonical = normalize_rrule(text)
    tzinfo = zone(tz)
    parts = dict(p.split("=", 1) for p in canonical.split(";"))
    if "UNTIL" in parts:
        parts["UNTIL"] = _local_until(parts["UNTIL"], tzinfo)
    local_start = start.astimezone(tzinfo).replace(tzinfo=None)
    try:
        rule = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=local_start)
    except (ValueError, TypeError, KeyError) as exc:
        raise RecurrenceInvalid("rrule_invalid", detail=str(exc)) from None
    if not isinstance(rule, rrule):  # pragma: no cover - forceset is off
        raise RecurrenceInvalid("rrule_not_single")
    if next(iter(rule), None) is None:
        raise RecurrenceInvalid("rrule_no_occurrence")
    return rule


def _local_until(value: str, tzinfo: ZoneInfo) -> str:
    """UNTIL as a naive local date-time (what dateutil wants with a naive start)."""
    try:
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d")
            return (day + timedelta(days=1, seconds=-1)).strftime("%Y%m%dT%H%M%S")
        if value.endswith("Z"):
            utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            return utc.astimezone(tzinfo).strftime("%Y%m%dT%H%M%S")
        datetime.strptime(value, "%Y%m%dT%H%M%S")
        return value
    except ValueError:
        raise RecurrenceInvalid("rrule_until", value=value) from None


# --- expansion -----------------------------------------------------------------


def _place(naive: datetime, tzinfo: ZoneInfo) -> datetime:
    """A naive local time as an aware one; a time in a DST gap moves forward."""
    aware = naive.replace(tzinfo=tzinfo)
    return aware.astimezone(timezone.utc).astimezone(tzinfo)


def _original_starts(
    series: Series, lower: Optional[datetime], upper: Optional[datetime]
) -> Iterator[datetime]:
    """Aware original starts with ``lower <= start < upper`` (None: unbounded)."""
    tzinfo = zone(series.tz)
    if series.rrule is None:
        candidates: Iterable[datetime] = [series.start.astimezone(tzinfo).replace(tzinfo=None)]
    else:
        rule = parse_rrule(series.rrule, series.start, series.tz)
        if upper is None and not _bounded_text(series.rrule):
            raise RecurrenceInvalid("series_unbounded")
        if lower is not None or upper is not None:
            # Naive bounds with a day of slack for offsets; filtered exactly below.
            lo = (lower.astimezone(tzinfo).replace(tzinfo=None) - timedelta(days=1)) if lower else datetime.min
            hi = (upper.astimezone(tzinfo).replace(tzinfo=None) + timedelta(days=1)) if upper else datetime.max
            candidates = rule.xafter(lo, inc=True) if hi == datetime.max else _between(rule, lo, hi)
        else:
            candidates = iter(rule)
    count = 0
    for naive in candidates:
        start = _place(naive, tzinfo)
        if lower is not None and start < lower:
            continue
        if upper is not None and start >= upper:
            if series.rrule is None:
                continue
            break
        count += 1
        if count > MAX_OCCURRENCES:
            raise RecurrenceInvalid("too_many_occurrences", maximum=MAX_OCCURRENCES)
        yield start


def _between(rule: rrule, lo: datetime, hi: datetime) -> Iterator[datetime]:
    for naive in rule.xafter(lo, inc=True):
        if naive > hi:
            return
        yield naive


def _is_cancelled(series: Series, key: datetime) -> bool:
    if not series.cancelled:
        return False
    if key in series.cancelled:
        return True
    return key.astimezone(zone(series.tz)).date() in series.cancelled


def expand(
    series: Series,
    window_start: Optional[datetime] = None,
    window_end: Optional[datetime] = None,
) -> list[Occurrence]:
    """The occurrences of ``series`` that overlap ``[window_start, window_end)``
    (either side open when ``None``), sorted by start, cancelled ones left out,
    moved ones at their new time.  Raises :class:`RecurrenceInvalid` for an
    unbounded series without ``window_end`` or more than
    :data:`MAX_OCCURRENCES` occurrences."""
    for name, value in (("window start", window_start), ("window end", window_end)):
        if value is not None:
            _require_aware(value, name)
    duration = series.duration
    lower = window_start - duration if window_start is not None else None
    moved = {m.original_start: m for m in series.moved}
    out: list[Occurrence] = []
    for key in _original_starts(series, lower, window_end):
        if _is_cancelled(series, key) or key in moved:
            continue
        occurrence = Occurrence(key, key, key + duration)
        if window_start is None or occurrence.end > window_start:
            out.append(occurrence)
    for key, m in moved.items():
        if _is_cancelled(series, key) or not _is_occurrence(series, key):
            continue
        occurrence = Occurrence(key, m.start, m.end, moved=True)
        if (window_start is None or occurrence.end > window_start) and (
            window_end is None or occurrence.start < window_end
        ):
            out.append(occurrence)
    out.sort(key=lambda o: (o.start, o.key))
    if len(out) > MAX_OCCURRENCES:
        raise RecurrenceInvalid("too_many_occurrences", maximum=MAX_OCCURRENCES)
    return out


def _is_occurrence(series: Series, key: datetime) -> bool:
    return any(s == key for s in _original_starts(series, key, key + timedelta(seconds=1)))


def find_occurrence(series: Series, key: datetime) -> Occurrence:
    """The occurrence whose original start is ``key``, as it stands (moved or
    not).  Raises :class:`OccurrenceNotFound` when the rule has no such
    occurrence, or it is cancelled."""
    _require_aware(key, "occurrence")
    if not _is_occurrence(series, key):
        raise OccurrenceNotFound("no_occurrence_at", start=key.isoformat())
    if _is_cancelled(series, key):
        raise OccurrenceNotFound("occurrence_cancelled", start=key.isoformat())
    for m in series.moved:
        if m.original_start == key:
            return Occurrence(key, m.start, m.end, moved=True)
    return Occurrence(key, key, key + series.duration)


def last_end(series: Series) -> Optional[datetime]:
    """When the series' last occurrence ends, or ``None`` for an unbounded
    series.  Cancelled and moved occurrences are taken into account."""
    if not series.bounded:
        return None
    occurrences = expand(series)
    return max((o.end for o in occurrences), default=None)
