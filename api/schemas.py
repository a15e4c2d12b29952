"""Request and response bodies of the REST API, as pydantic models.

Requests forbid unknown fields; JSON names are camelCase.  The OpenAPI
description (:mod:`api.openapi`) is generated from these models and the
route table in :mod:`api.routes`, so the two cannot drift apart.

This module holds the parameters and the bodies of accounts, stations,
sessions, invitations and audit; the floor (types, bases, errors) is
:mod:`api.schemas_base`, the opinions' bodies :mod:`api.schemas_opinions`,
the duty records' :mod:`api.schemas_duty`.  All are re-exported here, so a
handler names every body ``s.X`` (``from api import schemas as s``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field

from api.schemas_base import *  # noqa: F401,F403
from api.schemas_base import DeputyLevel, Id, Input, Instant, Model, Role, StationCode, StationLevel, Status, Text
from api.schemas_duty import *  # noqa: F401,F403
from api.schemas_opinions import *  # noqa: F401,F403
from core.zone import TIME_ZONE

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
    active: Optional[bool] = Field(default=None, description="true: serving only, false: deactivated only "
                                   "(overrides includeInactive)")
    level: Optional[DeputyLevel] = Field(default=None, description="holding this level (among others)")
    group: Optional[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(default=None, description="代表小组")
    q: Optional[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="part of the name or the phone number")


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


Phone = Annotated[Text, Field(max_length=30)]


class DeputyIn(Input):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    level: Optional[DeputyLevel] = Field(default=None, description="a level (give level or levels)")
    levels: Optional[list[DeputyLevel]] = Field(default=None, max_length=5, description="every level the person holds")
    station: StationCode
    group: Annotated[Text, Field(max_length=200)] = Field(default="", description="deputy group 代表小组")
    phone: Optional[Phone] = Field(default=None, description="the mobile number it logs in with (unique)")


class DeputyPatch(Input):
    """What changes; a field left out stays.  ``phone: ""`` clears the number."""

    name: Optional[Annotated[Text, Field(min_length=1, max_length=100)]] = None
    levels: Optional[list[DeputyLevel]] = Field(default=None, min_length=1, max_length=5)
    station: Optional[StationCode] = None
    group: Optional[Annotated[Text, Field(max_length=200)]] = Field(default=None, description="代表小组")
    phone: Optional[Phone] = None


class DeputyOut(Model):
    id: int
    name: str
    level: DeputyLevel = Field(description="the primary level: the highest of levels")
    levels: list[DeputyLevel] = Field(default_factory=list, description="every level, highest first")
    station: str
    group: str
    active: bool
    created_at: datetime
    phone: Optional[str] = Field(default=None, description="the mobile number (staff in scope)")


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
