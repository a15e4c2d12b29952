"""Request and response bodies of the duty records (履职) resources: the
records, their kinds, reviews, stays and attendance, and the ledger
(handlers in :mod:`api.duty`).  Re-exported by :mod:`api.schemas`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import Field

from api.schemas_base import Id, Input, Instant, Model, Points, StationCode, Text

# --- duty records 履职 ----------------------------------------------------------------------------

DutyStatus = Literal["pending", "approved", "rejected"]
PersonKind = Literal["deputy", "street_rep"]
DutyKind = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


class DutyRecordOut(Model):
    id: int
    key: str
    deputy_id: int
    person_kind: PersonKind
    station: str
    town: Optional[str]
    group: str
    kind: str
    kind_name: str
    occasion: str
    occurred_at: datetime
    points: float
    minutes: Optional[float]
    manual: bool
    status: DutyStatus
    note: str
    review_reason: str
    reviewed_by: Optional[int]
    reviewed_at: Optional[datetime]
    created_by: Optional[int] = Field(description="the account that entered it (null: the hub); a dispatcher "
                                                  "does not approve its own")


class DutyKindOut(Model):
    kind: str = Field(description="the key of configs/scoring.yaml, e.g. station_reception")
    name: str
    name_en: str
    points: float = Field(description="the points a record of this kind gets by default (may be negative)")
    manual: bool = Field(description="entered by staff (POST /duty/records) and reviewed; else recorded "
                         "automatically")
    min_minutes: float = Field(description="session_joined: fewer minutes present give no record; 0 otherwise")


class DutyKindList(Model):
    items: list[DutyKindOut]


class DutyList(Model):
    items: list[DutyRecordOut]
    total: int


class DutyQuery(Input):
    scope: Optional[StationCode] = None
    deputy_id: Optional[Id] = Field(default=None, alias="deputyId")
    kind: Optional[DutyKind] = None
    status: Optional[DutyStatus] = None
    person_kind: Optional[PersonKind] = Field(default=None, alias="personKind")
    from_: Optional[Instant] = Field(default=None, alias="from")
    to: Optional[Instant] = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class DutyManualIn(Input):
    deputy_id: Id
    kind: DutyKind = Field(description="a manual kind of configs/scoring.yaml, e.g. station_reception")
    occasion: Annotated[Text, Field(min_length=1, max_length=120)] = Field(
        description="names the occasion, e.g. reception:2025-03-07; one record per person and occasion")
    occurred_at: Instant
    points: Optional[Points] = Field(default=None, description="default: the rule's points")
    note: Annotated[Text, Field(max_length=500)] = ""


class DutyReviewIn(Input):
    approve: bool
    reason: Annotated[Text, Field(max_length=500)] = Field(default="", description="needed to reject")


class StayIn(Input):
    deputy_id: Id
    joined_at: Instant
    minutes: Annotated[float, Field(ge=0, le=24 * 60, allow_inf_nan=False)]


class AttendanceIn(Input):
    session_id: Id
    occurrence_start: Instant
    stays: list[StayIn] = Field(max_length=2000)


class AttendanceOut(Model):
    added: int


class LedgerQuery(Input):
    from_: Instant = Field(alias="from")
    to: Instant
    scope: Optional[StationCode] = None
    by: Literal["deputy", "group", "town", "city"] = "deputy"
    person_kind: PersonKind = Field(default="deputy", alias="personKind",
                                    description="deputies, or street residents' representatives (kept apart)")


class LedgerRowOut(Model):
    key: str
    name: str
    person_kind: PersonKind
    people: int
    records: int
    points: float
    pending: int
    by_kind: dict[str, float]
    counts: dict[str, int]


class LedgerOut(Model):
    by: str
    person_kind: PersonKind
    scope: Optional[str]
    from_: datetime = Field(alias="from")
    to: datetime
    items: list[LedgerRowOut]
