"""The duty scoring rules of ``configs/scoring.yaml``: which kinds of duty record there are and
what each is worth.  A shared vocabulary: :mod:`duty.scoring` turns facts into records with it,
and the opinion rules (:mod:`opinions.rules`) carry it for the points an opinion earns its
deputy when raised and when resolved.  Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from core.errors import RuleError

SESSION_JOINED = "session_joined"
OPINION_RAISED = "opinion_raised"
OPINION_RESOLVED = "opinion_resolved"
AUTOMATIC_KINDS = (SESSION_JOINED, OPINION_RAISED, OPINION_RESOLVED)


@dataclass(frozen=True)
class Rule:
    kind: str
    points: float
    name: str
    name_en: str = ""
    manual: bool = False
    min_minutes: float = 0


@dataclass(frozen=True)
class ScoringRules:
    rules: Mapping[str, Rule]

    def __post_init__(self) -> None:
        missing = [k for k in AUTOMATIC_KINDS if k not in self.rules]
        if missing:
            raise ValueError(f"scoring rules missing: {', '.join(missing)}")

    def rule(self, kind: str) -> Rule:
        try:
            return self.rules[kind]
        except KeyError:
            raise RuleError("duty_kind_unknown", kind=kind, choices=list(self.rules)) from None

    def manual_kinds(self) -> list[str]:
        return [k for k, r in self.rules.items() if r.manual]


def scoring_rules(scoring_file: Any) -> ScoringRules:
    """The rules of ``configs/scoring.yaml`` (``hub.rule_files.ScoringFile``, read by the shell)."""
    return ScoringRules({
        kind: Rule(kind, r.points, r.name, r.name_en, r.manual, r.min_minutes)
        for kind, r in scoring_file.rules.items()
    })
