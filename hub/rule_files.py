"""The rule files of ``configs/``: the opinions' categories and request types
(``categories.yaml``), the departments that handle opinions and their handling days
(``departments.yaml``), the duty scoring rules and the working-day calendar (``scoring.yaml``).
Loaded by :func:`hub.config.load_config`; the domains read them through adapters
(:class:`opinions.rules.OpinionRules`, :func:`core.scoring.scoring_rules`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from core.zone import TIME_ZONE
from hub.settings import Strict


# --- configs/categories.yaml -------------------------------------------------


class Category(Strict):
    """A category or request type: its code, its Chinese name and its English
    name (both shown to people: the pages pick the one of their language)."""

    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)

    @field_validator("name", "name_en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class CategoriesFile(Strict):
    categories: list[Category] = Field(min_length=1)
    request_types: list[Category] = Field(min_length=1)

    @field_validator("categories", "request_types")
    @classmethod
    def _unique(cls, items: list[Category]) -> list[Category]:
        seen: set[str] = set()
        for item in items:
            if item.code in seen:
                raise ValueError(f"code {item.code!r} appears twice")
            seen.add(item.code)
        return items


# --- configs/departments.yaml (opinion handling) -------------------------------

DEPARTMENT_LEVELS = ("town", "county", "city")


class Liaison(Strict):
    name: str = Field(min_length=1, max_length=100)
    contact: str = Field(default="", max_length=200)


class Department(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    level: Literal["town", "county", "city"]
    #: For town-level departments: the town/street station they serve.
    station: Optional[str] = None
    liaison: Liaison
    webhook: str = ""
    #: The key the hub signs this department's webhook posts with
    #: (HMAC-SHA256, ``api/webhooks.py``); required with ``webhook``.
    webhook_secret: str = Field(default="", max_length=200)
    example: bool = False

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _signed(self) -> "Department":
        if self.webhook and len(self.webhook_secret) < 16:
            raise ValueError("webhook_secret: at least 16 characters, needed to sign the webhook's posts")
        return self


class HandlingDays(Strict):
    town: int = Field(default=5, ge=1, le=365)
    county: int = Field(default=10, ge=1, le=365)
    city: int = Field(default=15, ge=1, le=365)


class DepartmentsFile(Strict):
    handling_days: HandlingDays = HandlingDays()
    departments: list[Department] = []

    @field_validator("departments")
    @classmethod
    def _unique(cls, items: list[Department]) -> list[Department]:
        seen: set[str] = set()
        for item in items:
            if item.code in seen:
                raise ValueError(f"department code {item.code!r} appears twice")
            seen.add(item.code)
        return items

    def get(self, code: str) -> Optional[Department]:
        return next((d for d in self.departments if d.code == code), None)


# --- configs/scoring.yaml (duty records, working-day calendar) --------------------


class ScoringRule(Strict):
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    points: float = Field(ge=-100, le=100)
    manual: bool = False
    min_minutes: float = Field(default=0, ge=0, le=24 * 60)


AUTOMATIC_DUTY_KINDS = ("session_joined", "opinion_raised", "opinion_resolved")
_DEFAULT_RULES = {
    "session_joined": ScoringRule(name="参加视频联络活动", name_en="Attended a video liaison session", points=1, min_minutes=10),
    "opinion_raised": ScoringRule(name="反映民情意见", name_en="Raised an opinion", points=1),
    "opinion_resolved": ScoringRule(name="所提民情办结", name_en="An opinion raised was resolved", points=1),
    "station_reception": ScoringRule(name="进站接待选民", name_en="Station reception duty", points=2, manual=True),
}


class CalendarSettings(Strict):
    """Local days over China's official calendar (:mod:`opinions.official`)."""

    timezone: str = TIME_ZONE
    holidays: list[date] = []
    workdays: list[date] = []
    #: Years whose official days the lists above give in full (when the
    #: installed calendar package does not have them yet).
    years: list[int] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("workdays")
    @classmethod
    def _weekends(cls, items: list[date]) -> list[date]:
        for day in items:
            if day.weekday() < 5:
                raise ValueError(f"{day} is a weekday already: make-up workdays (调休) are Saturdays or Sundays")
        return items

    @model_validator(mode="after")
    def _apart(self) -> "CalendarSettings":
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {', '.join(map(str, both))}")
        return self


class ScoringFile(Strict):
    rules: dict[str, ScoringRule] = dict(_DEFAULT_RULES)
    calendar: CalendarSettings = CalendarSettings()

    @field_validator("rules")
    @classmethod
    def _rules(cls, rules: dict[str, ScoringRule]) -> dict[str, ScoringRule]:
        import re

        for kind, rule in rules.items():
            if not re.match(r"^[a-z][a-z0-9_]{0,31}$", kind):
                raise ValueError(f"rule name {kind!r}: lowercase letters, digits and _")
            if kind in AUTOMATIC_DUTY_KINDS and rule.manual:
                raise ValueError(f"{kind} is recorded automatically: it cannot be manual")
        missing = [k for k in AUTOMATIC_DUTY_KINDS if k not in rules]
        if missing:
            raise ValueError(f"missing rules: {', '.join(missing)}")
        return rules
