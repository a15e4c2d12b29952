"""The floor of the REST API's bodies (:mod:`api.schemas`): the checked
scalar types, the two model bases (:class:`Model` for replies, camelCase;
:class:`Input` for requests, refusing unknown fields) and the error body.
Every resource's module of bodies builds on these.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

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
#: Duty points of a record or a kind (opinions and duty records).
Points = Annotated[float, Field(ge=-100, le=100, allow_inf_nan=False)]

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
