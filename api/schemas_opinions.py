"""Request and response bodies of the 民情 (opinions) resources: capture,
handling, photos, notices, statistics and options (handlers in
:mod:`api.opinions` and its neighbours).  Re-exported by :mod:`api.schemas`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import Field
from uuid import UUID

from api.schemas_base import Id, Input, Instant, Model, StationCode, Text
from opinions.news import LiveOpinionOut, OpinionLevel, OpinionStatus

# --- opinions 民情 ------------------------------------------------------------------------------------

OpinionAction = Literal["accept", "reject", "assign", "return", "start", "extend", "answer", "feed_back",
                        "rate", "close", "flag", "unflag"]
OpinionGrade = Literal["A", "B", "C", "D"]
OpinionRating = Literal["satisfied", "basic", "unsatisfied"]
OpinionFlag = Literal["suggestion", "hot", "supervision"]
ConfigCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]
DepartmentCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class OpinionIn(Input):
    client_key: Optional[UUID] = Field(
        default=None, description="a UUID the page makes when the opinion is taken; sending the same "
        "opinion again with it (a retry, an offline queue) returns the stored one instead of a copy")
    station: StationCode
    category: ConfigCode = Field(description="one of the configured categories (configs/categories.yaml)")
    request_type: ConfigCode = Field(description="consultation, help, complaint... (configs/categories.yaml)")
    summary: Annotated[Text, Field(min_length=1, max_length=200)]
    details: Annotated[Text, Field(max_length=10000)] = ""
    deputy_id: Optional[Id] = Field(default=None, description="raised by this deputy; or give residentName")
    resident_name: Annotated[Text, Field(max_length=100)] = ""
    resident_contact: Annotated[Text, Field(max_length=100)] = ""
    session_id: Optional[Id] = Field(default=None, description="taken during this live session: the hub sets "
                                     "the time offset into it")
    captured_at: Optional[Instant] = Field(default=None, description="when the page took it (kept offline); "
                                           "default: now")


class OpinionEventOut(Model):
    seq: int
    action: str
    from_status: Optional[str]
    to_status: str
    actor_id: Optional[int]
    actor_name: str
    actor_role: str
    at: datetime
    note: str
    payload: Optional[dict[str, Any]]


class OpinionPhotoOut(Model):
    position: int
    content_type: str
    size: int
    sha256: str
    url: str


class NoticeOut(Model):
    id: int
    opinion_id: int
    department: str
    liaison_name: str
    liaison_contact: str
    message: str
    created_at: datetime
    read_at: Optional[datetime]
    webhook_status: str


class NoticeList(Model):
    items: list[NoticeOut]


class OpinionOut(Model):
    id: int
    reference: str = Field(description="the reference number 民情编号: MQ{year received}-{id, 6 digits}, "
                           "e.g. MQ2026-000017; the search q finds it")
    client_key: str
    replayed: bool = Field(description="true when this reply is a retry returning the stored opinion")
    station: str
    station_name: str
    town: Optional[str]
    raised_by: Literal["deputy", "resident"]
    deputy_id: Optional[int]
    deputy_name: Optional[str] = Field(description="the raising deputy's name (raisedBy deputy); null for a "
                                       "resident's opinion")
    resident_name: str
    resident_contact: str
    category: str
    category_name: str
    request_type: str
    request_type_name: str
    summary: str
    details: str
    session_id: Optional[int]
    occurrence_start: Optional[datetime]
    session_offset: Optional[int] = Field(description="seconds into the live session when taken")
    captured_at: datetime
    received_at: datetime
    status: OpinionStatus
    level: Optional[OpinionLevel]
    department: Optional[str]
    deadline: Optional[datetime]
    overdue: bool
    overdue_working_days: int
    extensions: int
    returns: int
    reopenings: int
    grade: Optional[OpinionGrade]
    rating: Optional[OpinionRating]
    resolved: bool
    flags: list[OpinionFlag]
    version: int
    allowed_actions: list[str] = Field(description="what the caller may do next")


class OpinionDetail(OpinionOut):
    timeline: list[OpinionEventOut]
    photos: list[OpinionPhotoOut]
    notices: list[NoticeOut]


class OpinionList(Model):
    items: list[OpinionOut]
    total: int


class SessionOpinionsOut(Model):
    session_id: int = Field(description="the linked session's number")
    since: datetime = Field(description="opinions captured from this time on are listed")
    occurrence_start: Optional[datetime] = Field(description="the occurrence running now; null when none runs")
    items: list[LiveOpinionOut] = Field(description="newest first")


class OpinionActionIn(Input):
    action: OpinionAction
    note: Annotated[Text, Field(max_length=2000)] = Field(default="", description="the reason (needed to "
                                                           "reject, return, extend) or a remark")
    version: Optional[Id] = Field(default=None, description="optional optimistic-concurrency check")
    level: Optional[OpinionLevel] = Field(default=None, description="assign: town, county or city")
    department: Optional[DepartmentCode] = Field(default=None, description="assign: a configured department")
    deadline: Optional[Instant] = Field(default=None, description="assign/start/extend; default: the level's "
                                        "working days (configs/departments.yaml)")
    grade: Optional[OpinionGrade] = Field(default=None, description="answer: A solved, B in progress, "
                                          "C planned, D explained")
    answer: Optional[Annotated[Text, Field(max_length=10000)]] = None
    rating: Optional[OpinionRating] = Field(default=None, description="rate: 满意, 基本满意, 不满意 (reopens)")
    flag: Optional[OpinionFlag] = None


class OpinionQuery(Input):
    category: Optional[ConfigCode] = None
    station: Optional[StationCode] = Field(default=None, description="the station and its subtree")
    level: Optional[OpinionLevel] = None
    status: Optional[OpinionStatus] = None
    request_type: Optional[ConfigCode] = Field(default=None, alias="requestType")
    from_: Optional[Instant] = Field(default=None, alias="from", description="received at or after")
    to: Optional[Instant] = Field(default=None, description="received before")
    q: Optional[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="text in the summary, details or resident's name")
    overdue: Optional[bool] = None
    flag: Optional[OpinionFlag] = None
    department: Optional[DepartmentCode] = None
    deputy_id: Optional[Id] = Field(default=None, alias="deputyId")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class PeriodQuery(Input):
    from_: Instant = Field(alias="from", description="period start (inclusive)")
    to: Instant = Field(description="period end (exclusive)")
    scope: Optional[StationCode] = Field(default=None, description="a station and its subtree; default: "
                                         "the caller's scope")


class PhotoPath(Input):
    id: Id
    position: int = Field(ge=0, le=5)


class StatsOut(Model):
    scope: Optional[str]
    from_: datetime = Field(alias="from")
    to: datetime
    received: int
    assigned: int
    resolved: int
    resolved_town: int
    answered: int
    rated: int
    satisfied: int
    basic: int
    unsatisfied: int
    resolution_rate: Optional[float] = Field(description="resolved / assigned")
    town_share: Optional[float] = Field(description="resolved at town level / resolved")
    avg_hours_to_answer: Optional[float]
    satisfaction: Optional[float] = Field(description="(满意 + 基本满意) / rated")


class RankRowOut(Model):
    rank: int
    category: str
    name: str
    count: int
    previous: int
    previous_rank: Optional[int]
    change: int
    change_rate: Optional[float]


class RankingOut(Model):
    scope: Optional[str]
    from_: datetime = Field(alias="from")
    to: datetime
    previous_from: datetime = Field(description="the period compared with: the calendar months before a period "
                                    "of whole months, else the same length just before")
    previous_to: datetime
    items: list[RankRowOut]


class CodeName(Model):
    code: str
    name: str
    name_en: str


class DepartmentOut(Model):
    code: str
    name: str
    name_en: str
    level: OpinionLevel
    station: Optional[str]
    liaison_name: str
    liaison_contact: str
    example: bool


class OpinionOptions(Model):
    categories: list[CodeName]
    request_types: list[CodeName]
    departments: list[DepartmentOut]
    handling_days: dict[str, int]
    calendar_missing_years: list[int] = Field(
        default_factory=list,
        description="the current and next year when the working-day calendar lacks their official holidays "
        "(deadlines across them come out too early): the console warns; empty when all is well")


class NoticeQuery(Input):
    department: Optional[DepartmentCode] = None
    unread: bool = False
    limit: int = Field(default=100, ge=1, le=500)
