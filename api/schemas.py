"""Request and response bodies of the REST API, as pydantic models.

Requests forbid unknown fields; JSON names are camelCase.  The OpenAPI
description (:mod:`api.openapi`) is generated from these models and the
route table in :mod:`api.routes`, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from core.zone import TIME_ZONE
from store.models import DEPUTY_LEVELS, ROLES, SESSION_STATUSES, STATION_LEVELS

_EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def _reasonable(value: datetime) -> datetime:
    if not _EARLIEST <= value <= _LATEST:
        raise PydanticCustomError("field_year_range", "must lie between the years 2000 and 2100")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("field_nul", "must not contain NUL characters")
    return value


#: An instant, ISO 8601 with an offset (``2025-03-07T14:00:00+08:00``).
Instant = Annotated[AwareDatetime, AfterValidator(_reasonable)]
Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
StationCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
Role = Literal["administrator", "dispatcher", "operator", "deputy", "department"]
DeputyLevel = Literal["provincial", "jiaxing", "haining", "town", "street_rep"]
StationLevel = Literal["general", "branch", "town", "room"]
Status = Literal["scheduled", "lobby", "live", "ended", "cancelled"]

assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]
assert set(DeputyLevel.__args__) == set(DEPUTY_LEVELS)  # type: ignore[attr-defined]
assert set(StationLevel.__args__) == set(STATION_LEVELS)  # type: ignore[attr-defined]
assert set(Status.__args__) == set(SESSION_STATUSES)  # type: ignore[attr-defined]


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Input(BaseModel):
    """A request body or parameter set: unknown fields are refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", populate_by_name=False)


# --- errors ---------------------------------------------------------------------------


class ErrorDetail(Model):
    code: str = Field(description="stable machine-readable code, e.g. schedule_conflict")
    message: str = Field(description="in the request's language (Accept-Language: zh-CN or en), wholly in it")
    reason: Optional[str] = Field(default=None, description="why, when the code alone does not say: a stable key "
                                  "(e.g. too_few_stations) whose wording in both languages is in core/reasons.py")


class ErrorBody(Model):
    error: ErrorDetail


# --- parameters -------------------------------------------------------------------------


class IdPath(Input):
    id: Id


class InvitationPath(Input):
    id: Id
    invitation_id: Id = Field(alias="invitationId")


class StationPath(Input):
    code: StationCode


class WindowQuery(Input):
    from_: Optional[Instant] = Field(default=None, alias="from", description="window start (default: now)")
    to: Optional[Instant] = Field(default=None, description="window end (default: 60 days after the start)")


class SessionListQuery(WindowQuery):
    station: Optional[StationCode] = Field(default=None, description="only sessions with this station")
    status: Optional[Status] = Field(default=None, description="only sessions in this state now")


class MySessionsQuery(Input):
    days: int = Field(default=14, ge=1, le=366, description="how far ahead to look")


class JoinLinkQuery(Input):
    station: Optional[StationCode] = Field(
        default=None, description="the station to join as (an operator: its own, the default)"
    )


class DeputyQuery(Input):
    station: Optional[StationCode] = Field(default=None, description="only this station's subtree")
    include_inactive: bool = Field(default=False, alias="includeInactive")


class AuditQuery(Input):
    limit: int = Field(default=100, ge=1, le=500)
    before_id: Optional[Id] = Field(default=None, alias="beforeId", description="page: entries older than this id")
    action: Optional[Annotated[Text, Field(max_length=64)]] = None
    target_type: Optional[Annotated[Text, Field(max_length=32)]] = Field(default=None, alias="targetType")
    target_id: Optional[Annotated[Text, Field(max_length=64)]] = Field(default=None, alias="targetId")
    actor: Optional[Annotated[Text, Field(min_length=1, max_length=64)]] = Field(
        default=None, description="the acting account's user name")
    from_: Optional[Instant] = Field(default=None, alias="from", description="entries at or after")
    to: Optional[Instant] = Field(default=None, description="entries before")


class FeedQuery(Input):
    key: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        description="the station's calendar feed key (GET /stations/{code}/calendar-link)"
    )


class SessionFeedQuery(Input):
    station: Optional[StationCode] = Field(default=None, description="with key: the station whose feed key it is")
    key: Optional[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default=None, description="a station's calendar feed key; without it a login is needed"
    )


# --- auth ---------------------------------------------------------------------------------


class LoginIn(Input):
    username: Annotated[Text, Field(min_length=1, max_length=64)]
    password: Annotated[Text, Field(min_length=1, max_length=1024)]


class AccountOut(Model):
    id: int
    username: str
    display_name: str
    role: Role
    station: Optional[str]
    deputy_id: Optional[int]
    active: bool
    created_at: datetime
    department: Optional[str] = Field(default=None, description="a department account's department")
    last_login_at: Optional[datetime] = Field(default=None, description="when it last signed in (none yet: null)")


class AccountRoleIn(Input):
    role: Role
    station: Optional[StationCode] = None
    department: Optional[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]] = Field(
        default=None, description="role department: its department (configs/departments.yaml)")


class PasswordResetIn(Input):
    password: Annotated[Text, Field(min_length=8, max_length=1024)]


class LoginOut(Model):
    token: str = Field(description="send as Authorization: Bearer <token>; also set as an HttpOnly cookie")
    expires_at: datetime
    account: AccountOut


# --- stations ------------------------------------------------------------------------------


class StationNode(Model):
    code: str
    name: str
    name_en: str
    level: StationLevel
    kind: Optional[Literal["street", "town"]]
    example: bool
    children: list["StationNode"]


class StationTree(Model):
    items: list[StationNode]


class CalendarLink(Model):
    station: str
    url: str = Field(description="subscribe to this address in a calendar program")
    session_url_template: str = Field(description="one session's calendar: replace {id}")


# --- accounts and deputies --------------------------------------------------------------------


class AccountIn(Input):
    username: Annotated[Text, Field(min_length=1, max_length=64)]
    password: Annotated[Text, Field(min_length=8, max_length=1024)]
    role: Role
    station: Optional[StationCode] = None
    display_name: Annotated[Text, Field(max_length=200)] = ""
    department: Optional[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]] = Field(
        default=None, description="role department: its department (configs/departments.yaml)")


class AccountList(Model):
    items: list[AccountOut]


class DeputyIn(Input):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    level: DeputyLevel
    station: StationCode
    group: Annotated[Text, Field(max_length=200)] = Field(default="", description="deputy group 代表小组")


class DeputyOut(Model):
    id: int
    name: str
    level: DeputyLevel
    station: str
    group: str
    active: bool
    created_at: datetime


class DeputyList(Model):
    items: list[DeputyOut]


# --- sessions --------------------------------------------------------------------------------------


class PickIn(Input):
    code: StationCode
    subtree: bool = False
    levels: Optional[list[StationLevel]] = Field(default=None, max_length=4)


StationPick = Union[
    Annotated[str, Field(max_length=66, pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*(/\*)?$")],
    PickIn,
]


class SessionIn(Input):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    title_en: Annotated[Text, Field(max_length=200)] = ""
    agenda: Annotated[Text, Field(max_length=20000)] = ""
    chair: StationCode = Field(description="the chair station (always a participant)")
    stations: list[StationPick] = Field(
        min_length=1,
        max_length=200,
        description='picks: "xucun" one station, "haining/*" Haining and its subtree, '
        "or {code, subtree, levels}",
    )
    start: Instant = Field(description="first occurrence's start")
    end: Instant = Field(description="first occurrence's end")
    rrule: Optional[Annotated[Text, Field(min_length=1, max_length=500)]] = Field(
        default=None, description="RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=1TU (repeats in Asia/Shanghai)"
    )
    timezone: Annotated[Text, Field(min_length=1, max_length=64)] = TIME_ZONE
    record: bool = Field(default=False, description="recorded from its start: the room records from its first join")


class SessionUpdateIn(SessionIn):
    version: Id = Field(description="the version the edit was made on; a stale one is refused (409)")


class SessionCheckIn(SessionIn):
    session_id: Optional[Id] = Field(default=None, description="when editing: the session being edited")


class VersionIn(Input):
    version: Optional[Id] = Field(default=None, description="optional optimistic-concurrency check")


class OccurrenceIn(VersionIn):
    original_start: Instant = Field(description="the occurrence's original start (its RECURRENCE-ID)")


class MoveIn(OccurrenceIn):
    start: Instant
    end: Instant


class ExceptionOut(Model):
    original_start: datetime
    cancelled: bool
    moved_start: Optional[datetime]
    moved_end: Optional[datetime]
    ended_at: Optional[datetime]


class OccurrenceOut(Model):
    original_start: datetime
    start: datetime
    end: datetime
    moved: bool
    state: Status


class OccurrenceList(Model):
    items: list[OccurrenceOut]


class SessionOut(Model):
    id: int
    code: Optional[str] = Field(description="public short name, if any (read-only)")
    standing: bool = Field(description="always open, books no stations (read-only)")
    title: str
    title_en: str
    agenda: str
    chair: str
    stations: list[str]
    start: datetime
    end: datetime
    timezone: str
    rrule: Optional[str]
    record: bool = Field(description="recorded from its start")
    status: Status = Field(description="stored status")
    state: Status = Field(description="the state now, by the clock")
    version: int
    created_by: Optional[int]
    created_at: datetime
    updated_at: datetime
    exceptions: list[ExceptionOut]
    next_occurrence: Optional[OccurrenceOut] = Field(description="the current or next occurrence, if any")
    may_control: bool = Field(default=False, description="whether the caller may open its live console "
                              "(GET /sessions/{id}/console-link answers it in the lobby or live)")


class SessionList(Model):
    items: list[SessionOut]


class ConflictOut(Model):
    session_id: int
    title: str
    station: str
    station_name: str
    start: datetime = Field(description="the other session's overlapping occurrence")
    end: datetime
    proposed_start: datetime = Field(description="the proposed occurrence it overlaps")
    proposed_end: datetime
    message: str


class CheckOut(Model):
    ok: bool
    conflicts: list[ConflictOut]


class JoinLink(Model):
    url: str
    expires_at: datetime


# --- invitations -----------------------------------------------------------------------------------


class InvitationIn(Input):
    deputy_id: Id


class InvitationOut(Model):
    id: int
    session_id: int
    deputy_id: int
    deputy_name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: Optional[datetime]
    active: bool


class InvitationList(Model):
    items: list[InvitationOut]


class InvitationLink(Model):
    invitation: InvitationOut
    url: str = Field(description="{base_url}/join/{session}#token=... signed for deputy:{id}")
    short_url: str = Field(description="{base_url}/i/{invitation}-{check}: redirects to a fresh join link while "
                           "the invitation is active (what the QR code carries)")
    expires_at: datetime
    qr_png: str = Field(description="path of the link's QR code as PNG")
    qr_svg: str = Field(description="path of the link's QR code as SVG")


# --- audit --------------------------------------------------------------------------------------------


class AuditOut(Model):
    id: int
    at: datetime
    actor_id: Optional[int]
    actor_name: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    before: Optional[Any]
    after: Optional[Any]


class AuditList(Model):
    items: list[AuditOut]


# --- opinions 民情 ------------------------------------------------------------------------------------

from uuid import UUID  # noqa: E402

OpinionStatus = Literal["submitted", "accepted", "rejected", "assigned", "returned", "in_progress",
                        "answered", "fed_back", "rated", "reopened", "closed"]
OpinionLevel = Literal["town", "county", "city"]
OpinionAction = Literal["accept", "reject", "assign", "return", "start", "extend", "answer", "feed_back",
                        "rate", "close", "flag", "unflag"]
OpinionGrade = Literal["A", "B", "C", "D"]
OpinionRating = Literal["satisfied", "basic", "unsatisfied"]
OpinionFlag = Literal["suggestion", "hot", "supervision"]
ConfigCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]
DepartmentCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Points = Annotated[float, Field(ge=-100, le=100, allow_inf_nan=False)]


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


class LiveOpinionOut(Model):
    """An opinion's summary as the live console shows it: the ``opinion``
    object of the socket events ``opinionCaptured``/``opinionUpdated``."""

    id: int
    status: OpinionStatus
    station: str
    station_name: str
    station_name_en: str
    raised_by: Literal["deputy", "resident"]
    raiser_name: str = Field(description="the deputy's name or the resident's")
    deputy_id: Optional[int]
    category: str
    category_name: str
    category_name_en: str = Field(description="the category's English name (configs/categories.yaml name_en)")
    request_type: str
    summary: str
    session_id: Optional[int] = Field(description="the linked session's number")
    session_offset: Optional[int] = Field(description="seconds into the session's occurrence when taken")
    captured_at: datetime
    level: Optional[OpinionLevel]
    department: Optional[str]
    department_name: Optional[str]
    department_name_en: Optional[str] = Field(description="the department's English name")
    version: int = Field(description="grows with every handling step: of two copies, the higher is newer")
    reference: str = Field(description="the reference number 民情编号, e.g. MQ2026-000017")


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
