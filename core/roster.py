"""The deputy roster's rules (代表名册, issue 13): a person's levels, and the
row-by-row validation of an Excel import.  Pure: no I/O; the store reads the
database into a :class:`RosterContext` and writes what :func:`validate`
accepts (``store/roster.py``), the API reads and writes the workbook
(``api/roster.py``).

A person may hold several levels (a Haining and a town deputy; a deputy
and a street residents' representative): the set is kept, and the
*primary* level (``Deputy.level``, what the duty ledger and older readers
use) is the highest of the set in :data:`LEVELS` order, so a town deputy
who is also a street residents' representative is counted as a deputy.

The import's decision: a dry run validates every row and names each bad
row with its number and reasons, imports nothing; the importer then
imports only the good rows after an explicit confirmation, or fixes the
file and uploads it again.  A row whose phone number is a deputy's already
updates that deputy (never a second one); a row without a number updates
the one deputy of the same name at the same station that has no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence

from core.errors import Reason

#: The levels, highest first, in the words the console uses (``web/src/console/strings.ts``).
LEVEL_NAMES: dict[str, str] = {
    "provincial": "省人大代表",
    "jiaxing": "嘉兴市人大代表",
    "haining": "海宁市人大代表",
    "town": "镇人大代表",
    "street_rep": "街道居民代表",
}
LEVELS: tuple[str, ...] = tuple(LEVEL_NAMES)
#: Short forms a spreadsheet may hold (省, 嘉兴市, 海宁市, 镇, 街道居民代表/居民代表).
LEVEL_ALIASES: dict[str, str] = {
    "省": "provincial", "省级": "provincial", "嘉兴": "jiaxing", "嘉兴市": "jiaxing", "海宁": "haining",
    "海宁市": "haining", "镇": "town", "镇级": "town", "居民代表": "street_rep",
}
#: The template's header row, in this order.
COLUMNS: tuple[str, ...] = ("姓名", "手机号码", "代表层级", "所属联络站", "代表小组")
NAME_MAX = 100
GROUP_MAX = 200
#: At most this many rows in one file (a whole city's roster is a few thousand).
MAX_ROWS = 5000
#: Between levels in one cell.
LEVEL_SEPARATORS = re.compile(r"[、,，;；/\s]+")
#: A mainland mobile number: 11 digits starting with 1 (13x-19x).
PHONE = re.compile(r"^1[3-9]\d{9}$")


def clean_phone(text: str) -> Optional[str]:
    """The number as stored (digits, no ``+86``, no separators), or ``None``
    if it is not a mobile number."""
    digits = re.sub(r"[\s\-()（）]", "", text or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    return digits if PHONE.match(digits) else None


def ordered_levels(levels: Iterable[str]) -> list[str]:
    """The set in :data:`LEVELS` order (unknown codes dropped)."""
    given = set(levels)
    return [level for level in LEVELS if level in given]


def primary_level(levels: Iterable[str]) -> str:
    """The highest level of a non-empty set."""
    ordered = ordered_levels(levels)
    if not ordered:
        raise ValueError("no level")
    return ordered[0]


def parse_levels(text: str) -> tuple[list[str], list[str]]:
    """A cell's levels: ``(codes in order, words not understood)``.  Accepts
    the names (海宁市人大代表), short forms (海宁市) and codes (haining)."""
    codes, unknown = set(), []
    by_name = {name: code for code, name in LEVEL_NAMES.items()}
    for word in LEVEL_SEPARATORS.split(text.strip()):
        if not word:
            continue
        code = by_name.get(word) or LEVEL_ALIASES.get(word) or (word if word in LEVEL_NAMES else None)
        if code is None:
            unknown.append(word)
        else:
            codes.add(code)
    return ordered_levels(codes), unknown


@dataclass(frozen=True)
class Existing:
    """A deputy already on the roster, as the validation needs it."""

    id: int
    name: str
    station: str
    levels: tuple[str, ...]
    group: str
    phone: Optional[str]


@dataclass(frozen=True)
class RosterContext:
    """What the rows are checked against: the stations (code → name), the
    importer's scope (``None``: every station), the deputies on the roster
    and the phone numbers other accounts log in with (user names)."""

    stations: Mapping[str, str]
    scope: Optional[frozenset[str]]
    deputies: Sequence[Existing] = ()
    account_phones: Mapping[str, Optional[int]] = field(default_factory=dict)  # phone → its deputy id (None: not a deputy's)


@dataclass(frozen=True)
class GoodRow:
    row: int
    name: str
    phone: Optional[str]
    levels: tuple[str, ...]
    station: str
    group: str
    #: The deputy it updates (``None``: a new deputy).
    existing: Optional[int] = None
    #: It changes nothing of ``existing``.
    unchanged: bool = False

    @property
    def level(self) -> str:
        return primary_level(self.levels)


@dataclass(frozen=True)
class BadRow:
    row: int
    name: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Validation:
    good: tuple[GoodRow, ...]
    bad: tuple[BadRow, ...]

    @property
    def created(self) -> int:
        return sum(1 for g in self.good if g.existing is None)

    @property
    def updated(self) -> int:
        return sum(1 for g in self.good if g.existing is not None and not g.unchanged)

    @property
    def unchanged(self) -> int:
        return sum(1 for g in self.good if g.unchanged)


def _station_of(text: str, ctx: RosterContext) -> Optional[str]:
    text = text.strip()
    if text in ctx.stations:
        return text
    found = [code for code, name in ctx.stations.items() if name == text]
    return found[0] if len(found) == 1 else None


def _cells(values: Sequence[object]) -> list[str]:
    out = [("" if v is None else str(v)).strip() for v in values][: len(COLUMNS)]
    return out + [""] * (len(COLUMNS) - len(out))


def check_row(values: Sequence[object], ctx: RosterContext) -> tuple[list[Reason], Optional[GoodRow]]:
    """One row's own problems (not those between rows), or its clean values
    (row number 0, no match yet)."""
    name, phone_text, levels_text, station_text, group = _cells(values)
    problems: list[Reason] = []
    if not name:
        problems.append(Reason("roster_name_missing"))
    elif len(name) > NAME_MAX:
        problems.append(Reason("roster_name_too_long", {"limit": NAME_MAX}))
    phone = None
    if phone_text:
        phone = clean_phone(phone_text)
        if phone is None:
            problems.append(Reason("roster_phone_invalid", {"phone": phone_text[:30]}))
    levels, unknown = parse_levels(levels_text)
    if unknown:
        problems.append(Reason("roster_level_unknown", {"level": "、".join(unknown)[:60]}))
    elif not levels:
        problems.append(Reason("roster_level_missing"))
    station = _station_of(station_text, ctx)
    if not station_text:
        problems.append(Reason("roster_station_missing"))
    elif station is None:
        problems.append(Reason("roster_station_unknown", {"station": station_text[:60]}))
    elif ctx.scope is not None and station not in ctx.scope:
        problems.append(Reason("roster_station_outside_scope", {"station": station_text[:60]}))
    if len(group) > GROUP_MAX:
        problems.append(Reason("roster_group_too_long", {"limit": GROUP_MAX}))
    if problems:
        return problems, None
    assert station is not None
    return [], GoodRow(0, name, phone, tuple(levels), station, group)


def _match(row: GoodRow, ctx: RosterContext, by_phone: Mapping[str, Existing],
           by_name: Mapping[tuple[str, str], list[Existing]]) -> tuple[list[Reason], Optional[Existing]]:
    """The deputy a clean row updates, or why it may not."""
    if row.phone is not None:
        match = by_phone.get(row.phone)
        if match is not None:
            if ctx.scope is not None and match.station not in ctx.scope:
                return [Reason("roster_phone_outside_scope", {"phone": mask(row.phone)})], None
            return [], match
        if row.phone in ctx.account_phones:
            return [Reason("phone_taken", {"phone": mask(row.phone)})], None
        return [], None
    same = [d for d in by_name.get((row.name, row.station), []) if d.phone is None]
    return [], same[0] if len(same) == 1 else None


def mask(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def validate(rows: Sequence[tuple[int, Sequence[object]]], ctx: RosterContext) -> Validation:
    """Every row (its number in the sheet and its cells in :data:`COLUMNS`
    order) checked: bad rows with every reason, good rows with the deputy
    each updates.  Rows with the same phone number, or without one and with
    the same name at the same station, are all bad (which one is meant?)."""
    checked: list[tuple[int, list[Reason], Optional[GoodRow], str]] = []
    for number, values in rows:
        problems, good = check_row(values, ctx)
        checked.append((number, problems, good, _cells(values)[0]))
    keys: dict[tuple[str, ...], list[int]] = {}
    for number, _, good, _ in checked:
        if good is not None:
            keys.setdefault(_key(good), []).append(number)
    by_phone = {d.phone: d for d in ctx.deputies if d.phone}
    by_name: dict[tuple[str, str], list[Existing]] = {}
    for d in ctx.deputies:
        by_name.setdefault((d.name, d.station), []).append(d)
    good_rows, bad_rows = [], []
    for number, problems, good, name in checked:
        if good is not None:
            others = [n for n in keys[_key(good)] if n != number]
            if others:
                problems = [Reason("roster_phone_repeated", {"rows": others}) if good.phone
                            else Reason("roster_row_repeated", {"rows": others})]
            else:
                problems, match = _match(good, ctx, by_phone, by_name)
                if not problems:
                    good_rows.append(_matched(good, number, match))
        if problems:
            bad_rows.append(BadRow(number, name[:NAME_MAX], tuple(problems)))
    return Validation(tuple(good_rows), tuple(bad_rows))


def _key(row: GoodRow) -> tuple[str, ...]:
    return ("phone", row.phone) if row.phone else ("name", row.name, row.station)


def _matched(row: GoodRow, number: int, match: Optional[Existing]) -> GoodRow:
    if match is None:
        return GoodRow(number, row.name, row.phone, row.levels, row.station, row.group)
    same = (match.name, match.station, tuple(ordered_levels(match.levels)), match.group, match.phone) == (
        row.name, row.station, row.levels, row.group, row.phone)
    return GoodRow(number, row.name, row.phone, row.levels, row.station, row.group, match.id, same)


__all__ = [
    "COLUMNS", "GROUP_MAX", "LEVELS", "LEVEL_NAMES", "MAX_ROWS", "NAME_MAX", "BadRow", "Existing", "GoodRow",
    "RosterContext", "Validation", "check_row", "clean_phone", "mask", "ordered_levels", "parse_levels",
    "primary_level", "validate",
]
