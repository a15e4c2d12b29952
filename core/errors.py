"""The hub's errors, in one tree.

Domain and signaling code raise these; exactly one place per transport turns
them into a reply (``signaling/connections.py`` for socket events, the REST layer
for HTTP).  Each error has a stable ``code``, an HTTP ``status`` and a message
in every language the UI speaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from core.reasons import LANGUAGES, REASONS, render


@dataclass(frozen=True)
class Reason:
    """Why something was refused, before a transport words it: a key of
    :data:`core.reasons.REASONS` and its parameters.  ``str()`` is the English
    wording (logs, tests); people read :meth:`HubError.message` in their
    language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self.key, lang, self.params)

    def __str__(self) -> str:
        return self.text("en")


class RuleError(ValueError):
    """A pure rule's refusal (a live control that does not apply, a manual
    duty record of an automatic kind) before the caller knows which
    :class:`HubError` it is; the caller re-raises it with
    :meth:`HubError.because`."""

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason = Reason(reason, params)
        super().__init__(str(self.reason))


class HubError(Exception):
    """``HubError(reason, **params)``: ``reason`` (optional) is a key of
    :data:`core.reasons.REASONS` that says why, ``params`` fill both the
    class's message and the reason's.  :meth:`message` is wholly in one
    language; ``str(error)`` is the English wording."""

    code = "internal_error"
    status = 500
    messages = {"zh-CN": "服务器内部错误，操作未执行", "en": "Internal error; nothing was changed"}

    def __init__(self, reason: str = "", **params: Any) -> None:
        self.reason = reason
        self.params = params
        super().__init__(self.detail or self.code)

    @classmethod
    def because(cls, why: "Reason | RuleError", **extra: Any) -> "HubError":
        reason = why.reason if isinstance(why, RuleError) else why
        return cls(reason.key, **{**reason.params, **extra})

    @property
    def detail(self) -> str:
        """The reason in English ('' when there is none)."""
        return render(self.reason, "en", self.params) if self.reason in REASONS else self.reason

    def message(self, lang: str = "zh-CN") -> str:
        lang = lang if lang in LANGUAGES else "zh-CN"
        text = render(None, lang, self.params, template=self.messages[lang])
        sep = "：" if lang == "zh-CN" else ": "
        if self.reason in REASONS:
            return text + sep + render(self.reason, lang, self.params)
        if self.reason and lang == "en":
            # Not in the catalogue (tests/test_errors.py fails on such a raise
            # site): English words may only follow an English message.
            return text + sep + self.reason
        return text

    def to_dict(self, lang: str = "zh-CN", **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message(lang)}
        if self.reason in REASONS:
            out["reason"] = self.reason
        return {**out, **extra}


class InvalidPayload(HubError):
    code = "invalid_payload"
    status = 400
    messages = {"zh-CN": "请求内容有误", "en": "Malformed request"}

    @classmethod
    def of_validation(cls, error: Mapping[str, Any], field: str) -> "InvalidPayload":
        """A pydantic error (one of ``ValidationError.errors()``) on ``field``
        as a reason of the catalogue: pydantic's own words are English, so
        only the English wording may quote them (``detail``)."""
        kind, ctx = str(error.get("type", "")), dict(error.get("ctx") or {})
        detail = str(error.get("msg", ""))
        if kind in REASONS:  # a validator's PydanticCustomError named after a reason
            return cls(kind, **{"field": field, "detail": detail, **ctx})
        limit = next((ctx[k] for k in ("min_length", "max_length", "ge", "gt", "le", "lt") if k in ctx), "")
        reason = _PYDANTIC_REASONS.get(kind)
        if reason is None:
            reason = next((r for prefix, r in _PYDANTIC_PREFIXES if kind.startswith(prefix)), "field_invalid")
        choices = str(ctx.get("expected", "")).replace(" or ", ", ").replace("'", "")
        return cls(reason, field=field, detail=detail, limit=limit, choices=choices.split(", "))


_PYDANTIC_REASONS = {
    "extra_forbidden": "field_unknown", "missing": "field_missing",
    "string_too_short": "field_too_short", "too_short": "field_too_short",
    "string_too_long": "field_too_long", "too_long": "field_too_long",
    "greater_than_equal": "field_at_least", "greater_than": "field_above",
    "less_than_equal": "field_at_most", "less_than": "field_below",
    "literal_error": "field_choice", "enum": "field_choice",
    "timezone_aware": "field_datetime",
}
_PYDANTIC_PREFIXES = (("datetime_", "field_datetime"), ("date_", "field_date"), ("int_", "field_type"),
                      ("float_", "field_type"), ("string_", "field_type"), ("bool_", "field_type"),
                      ("list_", "field_type"), ("dict_", "field_type"), ("model_", "field_type"))


class TokenInvalid(HubError):
    code = "token_invalid"
    status = 401
    messages = {"zh-CN": "加入链接无效", "en": "The join link is not valid"}


class TokenExpired(HubError):
    code = "token_expired"
    status = 401
    messages = {"zh-CN": "加入链接已过期，请向调度员索取新链接", "en": "The join link has expired; ask the dispatcher for a new one"}


class SessionNotFound(HubError):
    code = "session_not_found"
    status = 404
    messages = {"zh-CN": "会议不存在", "en": "The session does not exist"}


class SessionClosed(HubError):
    code = "session_closed"
    status = 409
    messages = {"zh-CN": "会议当前未开放", "en": "The session is not open"}


class StationNotFound(HubError):
    code = "station_not_found"
    status = 404
    messages = {"zh-CN": "联络站不存在", "en": "The station does not exist"}


class NotInvited(HubError):
    code = "not_invited"
    status = 403
    messages = {"zh-CN": "没有参加此会议的邀请", "en": "You are not invited to this session"}


class ControlRefused(HubError):
    code = "control_refused"
    status = 409
    messages = {"zh-CN": "该调度操作无法执行", "en": "This control action does not apply"}


class SessionLocked(HubError):
    code = "session_locked"
    status = 423
    messages = {"zh-CN": "会场已锁定，暂不接受新的加入", "en": "The session is locked: no new joins"}


class NotJoined(HubError):
    code = "not_joined"
    status = 409
    messages = {"zh-CN": "尚未加入会议", "en": "Join the session first"}


class NotResumable(HubError):
    """``resume`` found no participant to take over: it was removed (the
    resume window passed, the hub restarted, the token is another's).  The
    client joins anew."""

    code = "not_resumable"
    status = 409
    messages = {"zh-CN": "连接已失效，正在重新加入", "en": "The connection has lapsed; joining again"}


class MediaError(HubError):
    code = "media_error"
    status = 400
    messages = {"zh-CN": "媒体协商失败", "en": "Media negotiation failed"}


class RateLimited(HubError):
    """A participant sent events faster than ``signaling.limits`` allow: the
    event was dropped (not applied, not relayed)."""

    code = "rate_limited"
    status = 429
    messages = {"zh-CN": "操作过于频繁，请稍后再试", "en": "Too many requests; try again shortly"}


# --- scheduling, scope and accounts -------------------------------------------


class RecurrenceInvalid(HubError):
    code = "recurrence_invalid"
    status = 400
    messages = {"zh-CN": "重复规则无效", "en": "The recurrence rule is not valid"}


class ScheduleInvalid(HubError):
    code = "schedule_invalid"
    status = 400
    messages = {"zh-CN": "会议安排有误", "en": "The session plan is not valid"}


class ScheduleConflict(HubError):
    """A station would be in two overlapping sessions.  ``params``: ``station``,
    ``other_id``, ``other_title``, ``start`` (the other session's occurrence)."""

    code = "schedule_conflict"
    status = 409
    messages = {
        "zh-CN": "联络站 {station} 在 {start} 已参加会议《{other_title}》（编号 {other_id}）",
        "en": "Station {station} is already in session \u201c{other_title}\u201d (#{other_id}) at {start}",
    }


class OccurrenceNotFound(HubError):
    code = "occurrence_not_found"
    status = 404
    messages = {"zh-CN": "该场次不存在", "en": "The session has no such occurrence"}


class TransitionRefused(HubError):
    code = "transition_refused"
    status = 409
    messages = {"zh-CN": "会议当前状态不允许此操作", "en": "The session's state does not allow this"}


class StaleVersion(HubError):
    code = "stale_version"
    status = 409
    messages = {
        "zh-CN": "会议已被他人修改，请刷新后重试",
        "en": "Someone else changed the session; reload and try again",
    }


class Forbidden(HubError):
    code = "forbidden"
    status = 403
    messages = {"zh-CN": "无权执行此操作", "en": "You may not do this"}


class LoginFailed(HubError):
    code = "login_failed"
    status = 401
    messages = {"zh-CN": "用户名或密码错误", "en": "Wrong user name or password"}


class LoginThrottled(HubError):
    """Too many failed logins.  ``params``: ``seconds`` until the next try."""

    code = "login_throttled"
    status = 429
    messages = {
        "zh-CN": "登录失败次数过多，请 {seconds} 秒后再试",
        "en": "Too many failed logins; try again in {seconds} seconds",
    }


class LoginRequired(HubError):
    code = "login_required"
    status = 401
    messages = {"zh-CN": "登录已失效，请重新登录", "en": "Your login has expired; log in again"}


class NotFound(HubError):
    """A stored record is missing.  ``params``: ``what`` and ``id``."""

    code = "not_found"
    status = 404
    messages = {"zh-CN": "记录不存在（{what} {id}）", "en": "No such record ({what} {id})"}


class UsernameTaken(HubError):
    code = "username_taken"
    status = 409
    messages = {"zh-CN": "用户名已被使用", "en": "The user name is already taken"}


class MethodNotAllowed(HubError):
    code = "method_not_allowed"
    status = 405
    messages = {"zh-CN": "不支持此请求方法", "en": "This method is not allowed here"}


class PayloadTooLarge(HubError):
    code = "payload_too_large"
    status = 413
    messages = {"zh-CN": "请求内容过大", "en": "The request body is too large"}


class RequestTimeout(HubError):
    """The request body did not arrive in time (a slow or stalled sender)."""

    code = "request_timeout"
    status = 408
    messages = {"zh-CN": "请求内容发送超时", "en": "The request body took too long to arrive"}


class InvitationInactive(HubError):
    code = "invitation_inactive"
    status = 410
    messages = {"zh-CN": "该邀请已撤销或已过期", "en": "The invitation was revoked or has expired"}


# --- opinions 民情 and duty records 履职 ------------------------------------------


class OpinionTransitionRefused(HubError):
    """An opinion's state does not allow the action; the detail says why."""

    code = "opinion_transition_refused"
    status = 409
    messages = {"zh-CN": "民情当前状态不允许此操作", "en": "The opinion's state does not allow this"}


class IdempotencyConflict(HubError):
    """A client key (idempotency key) came back with a different opinion."""

    code = "idempotency_conflict"
    status = 409
    messages = {
        "zh-CN": "该提交编号已用于另一条不同的民情",
        "en": "This client key was already used for a different opinion",
    }


class DutyReviewRefused(HubError):
    code = "duty_review_refused"
    status = 409
    messages = {"zh-CN": "该履职记录当前不能审核", "en": "The duty record cannot be reviewed now"}
