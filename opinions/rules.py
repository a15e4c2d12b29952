"""The rules of opinions the configuration gives (``configs/categories.yaml``,
``departments.yaml``, ``scoring.yaml``): categories and request types with their names,
the departments and their handling days, the working calendar, and the duty points an opinion
earns its deputy (:class:`core.scoring.ScoringRules`).  A pure adapter: the shell reads the files
(``hub.config``), the store applies the rules (``store.opinions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.scoring import ScoringRules, scoring_rules
from opinions.deadlines import WorkCalendar
from opinions.official import work_calendar


@dataclass(frozen=True)
class OpinionRules:
    """What capture and handling need from ``configs/``."""

    categories: tuple[str, ...]
    category_names: dict[str, str]
    request_types: tuple[str, ...]
    request_type_names: dict[str, str]
    departments: Any  # hub.rule_files.DepartmentsFile
    calendar: WorkCalendar
    scoring: ScoringRules
    #: The categories' English names (``name_en`` of ``configs/categories.yaml``).
    category_names_en: dict[str, str] = field(default_factory=dict)
    #: The request types' English names (``name_en`` of ``configs/categories.yaml``).
    request_type_names_en: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Any) -> "OpinionRules":
        cal = config.scoring.calendar
        return cls(
            categories=tuple(c.code for c in config.categories.categories),
            category_names={c.code: c.name for c in config.categories.categories},
            request_types=tuple(c.code for c in config.categories.request_types),
            request_type_names={c.code: c.name for c in config.categories.request_types},
            departments=config.departments,
            calendar=work_calendar(cal.holidays, cal.workdays, cal.timezone, cal.years),
            scoring=scoring_rules(config.scoring),
            category_names_en={c.code: c.name_en for c in config.categories.categories},
            request_type_names_en={c.code: c.name_en for c in config.categories.request_types},
        )

    def handling_days(self, level: str) -> int:
        return int(getattr(self.departments.handling_days, level))
