"""The 1+12+X matrix as a tree of stations: pure data and rules, no I/O.

Levels from the top: the Jiaxing general station (``general``), the Haining
branch (``branch``), the 12 towns and sub-districts (``town``) and the
grassroots liaison rooms (``room``).  A station's children are of a lower
level.  Scope rules ("a Haining dispatcher schedules for Haining and its
subtree") are questions to this tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

LEVELS = ("general", "branch", "town", "room")
TOWN_KINDS = ("street", "town")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_FIELDS = {"code", "name", "name_en", "level", "kind", "example", "lat", "lon"}


class MatrixError(ValueError):
    """The matrix is inconsistent.  ``key`` names the offending field, if one."""

    def __init__(self, message: str, key: Optional[str] = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    name_en: str
    level: str
    kind: Optional[str] = None
    example: bool = False
    children: tuple["Station", ...] = field(default=(), repr=False)
    #: Where it is (WGS-84 degrees), both or neither: the residents' page's nearest station.
    lat: Optional[float] = None
    lon: Optional[float] = None

    @classmethod
    def from_config(cls, fields: dict[str, Any], children: list["Station"]) -> "Station":
        for key in fields:
            if key not in _FIELDS:
                raise MatrixError("unknown key", key)
        for key in ("code", "name", "name_en", "level"):
            value = fields.get(key)
            if not isinstance(value, str) or not value.strip():
                raise MatrixError(f"{key} is required and must be a non-empty text", key)
        code, level = fields["code"], fields["level"]
        if not CODE_PATTERN.match(code):
            raise MatrixError(
                f"station code {code!r} must be lowercase pinyin letters and digits, "
                "parts joined by '-'",
                "code",
            )
        if level not in LEVELS:
            raise MatrixError(f"level {level!r} is not one of {', '.join(LEVELS)}", "level")
        kind = fields.get("kind")
        if kind is not None and (level != "town" or kind not in TOWN_KINDS):
            raise MatrixError(
                f"kind {kind!r}: only town stations have a kind, one of {', '.join(TOWN_KINDS)}",
                "kind",
            )
        example = fields.get("example", False)
        if not isinstance(example, bool):
            raise MatrixError("example must be true or false", "example")
        lat, lon = _coordinates(fields)
        for child in children:
            if LEVELS.index(child.level) <= LEVELS.index(level):
                raise MatrixError(
                    f"station {child.code!r} ({child.level}) cannot be under "
                    f"{code!r} ({level}): children must be of a lower level",
                    "children",
                )
        return cls(code, fields["name"], fields["name_en"], level, kind, example, tuple(children), lat, lon)

    def walk(self) -> Iterator["Station"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def display_name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang == "en" else self.name

    def to_public(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "nameEn": self.name_en, "level": self.level}


def _coordinates(fields: dict[str, Any]) -> tuple[Optional[float], Optional[float]]:
    """``lat``/``lon``: both or neither, numbers in range (degrees)."""
    lat, lon = fields.get("lat"), fields.get("lon")
    if lat is None and lon is None:
        return None, None
    for key, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
        if value is None:
            raise MatrixError("lat and lon go together: give both or neither", key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -limit <= value <= limit:
            raise MatrixError(f"{key} must be a number of degrees between -{limit} and {limit}", key)
    assert isinstance(lat, (int, float)) and isinstance(lon, (int, float))
    return float(lat), float(lon)


class Matrix:
    """The whole tree, indexed by station code."""

    def __init__(self, roots: list[Station]) -> None:
        if not roots:
            raise MatrixError("the matrix has no stations")
        self.roots = tuple(roots)
        self._by_code: dict[str, Station] = {}
        self._parent: dict[str, Optional[str]] = {}
        for root in roots:
            self._index(root, None)

    def _index(self, station: Station, parent: Optional[str]) -> None:
        if station.code in self._by_code:
            raise MatrixError(f"station code {station.code!r} is used twice")
        self._by_code[station.code] = station
        self._parent[station.code] = parent
        for child in station.children:
            self._index(child, station.code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Optional[Station]:
        return self._by_code.get(code)

    def __getitem__(self, code: str) -> Station:
        return self._by_code[code]

    def stations(self) -> list[Station]:
        return [s for root in self.roots for s in root.walk()]

    def parent(self, code: str) -> Optional[Station]:
        parent = self._parent[code]
        return self._by_code[parent] if parent else None

    def ancestors(self, code: str) -> list[Station]:
        """From the parent up to the root."""
        out = []
        parent = self._parent[code]
        while parent is not None:
            out.append(self._by_code[parent])
            parent = self._parent[parent]
        return out

    def subtree(self, code: str) -> list[Station]:
        """The station and everything below it."""
        return list(self._by_code[code].walk())

    def is_within(self, code: str, scope: str) -> bool:
        """Whether ``code`` is ``scope`` or lies below it."""
        return code == scope or any(a.code == scope for a in self.ancestors(code))
