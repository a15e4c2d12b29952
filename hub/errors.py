"""The hub's errors, in one tree.

Domain and signaling code raise these; exactly one place per transport turns
them into a reply (``signaling/server.py`` for socket events, the REST layer
for HTTP).  Each error has a stable ``code``, an HTTP ``status`` and a message
in every language the UI speaks.
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    code = "internal_error"
    status = 500
    messages = {"zh-CN": "服务器内部错误，操作未执行", "en": "Internal error; nothing was changed"}

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.params = params

    def message(self, lang: str = "zh-CN") -> str:
        text = self.messages.get(lang) or self.messages["zh-CN"]
        text = text.format(**self.params) if self.params else text
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self, lang: str = "zh-CN", **extra: Any) -> dict[str, Any]:
        return {"code": self.code, "message": self.message(lang), **extra}


class InvalidPayload(HubError):
    code = "invalid_payload"
    status = 400
    messages = {"zh-CN": "请求内容有误", "en": "Malformed request"}


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
    messages = {"zh-CN": "会话不存在", "en": "The session does not exist"}


class SessionClosed(HubError):
    code = "session_closed"
    status = 409
    messages = {"zh-CN": "会话当前未开放", "en": "The session is not open"}


class StationNotFound(HubError):
    code = "station_not_found"
    status = 404
    messages = {"zh-CN": "联络站不存在", "en": "The station does not exist"}


class NotJoined(HubError):
    code = "not_joined"
    status = 409
    messages = {"zh-CN": "尚未加入会话", "en": "Join the session first"}


class MediaError(HubError):
    code = "media_error"
    status = 400
    messages = {"zh-CN": "媒体协商失败", "en": "Media negotiation failed"}
