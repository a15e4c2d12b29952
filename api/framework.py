"""The REST plumbing: the route table's :class:`Operation`, request parsing
and authentication, and the one place where errors become HTTP replies.

Every route is declared once as an :class:`Operation` (method, path, models,
who may call it); :func:`handler_for` turns it into an aiohttp handler and
:mod:`api.openapi` turns the same table into the OpenAPI description.

Errors (STYLE.md habit 8): handlers and the store raise
:class:`~hub.errors.HubError`; :func:`error_middleware` alone maps them to
``{"error": {"code", "message"}}`` with the class's HTTP status, the message
in the request's language.  pydantic validation and malformed JSON become
``invalid_payload`` (400) naming the field; aiohttp's own 404/405 become
``not_found`` and ``method_not_allowed``; anything else ``internal_error``
(500, logged).

Bodies are read with a deadline (:func:`read_body`, ``ApiServices.body_timeout``):
a sender that trickles a byte every few seconds gets ``408 request_timeout``
instead of holding a connection open for as long as it likes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Literal, Mapping, Optional, Union
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlmodel import Session

from hub.errors import (
    Forbidden, HubError, InvalidPayload, LoginRequired, LoginThrottled, NotFound, MethodNotAllowed, PayloadTooLarge,
    RequestTimeout,
)
from hub.scope import Actor
from store import accounts
from store.models import Account

from api.services import ApiServices

logger = logging.getLogger("hub.api")

SERVICES_KEY = web.AppKey("api_services", ApiServices)
COOKIE = "hub_login"
LANGUAGES = ("zh-CN", "en")

Auth = Literal["none", "login", "feed"]






# --- language ---------------------------------------------------------------------------


def language(request: web.Request, default: str = "zh-CN") -> str:
    """The best of zh-CN and en by ``Accept-Language`` (q-values honoured)."""
    header = request.headers.get("Accept-Language", "")
    best, best_q = default, 0.0
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        q -= index * 1e-6  # earlier wins ties
        lang = "en" if tag.startswith("en") else "zh-CN" if tag.startswith("zh") else None
        if lang and q > best_q:
            best, best_q = lang, q
    return best


# --- errors --------------------------------------------------------------------------------


def _field_of(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if not str(p).startswith(("function-", "json-or-python"))]
    # Drop the union branch names pydantic puts in the path ("str", "PickIn").
    loc = [p for p in loc if p not in {"str", "PickIn", "constrained-str"}]
    return ".".join(loc) or "(body)"


def invalid_payload(exc: ValidationError, where: str = "") -> InvalidPayload:
    error = exc.errors(include_url=False)[0]
    name = _field_of(error)
    if where == "query" and error["type"] == "extra_forbidden":
        return InvalidPayload("query_unknown", field=name)
    return InvalidPayload.of_validation(error, name)


def error_response(exc: HubError, lang: str) -> web.Response:
    body = {"error": exc.to_dict(lang)}
    headers = {}
    if isinstance(exc, LoginThrottled):
        headers["Retry-After"] = str(exc.params.get("seconds", 60))
    if isinstance(exc, RequestTimeout):
        headers["Connection"] = "close"
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="liaison-hub"'
    return web.json_response(body, status=exc.status, headers=headers, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@web.middleware
async def error_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    lang = language(request, request.app[SERVICES_KEY].default_language)
    try:
        return await handler(request)
    except HubError as exc:
        if exc.status >= 500:
            logger.exception("%s %s failed", request.method, request.path)
        return error_response(exc, lang)
    except ValidationError as exc:
        return error_response(invalid_payload(exc), lang)
    except web.HTTPRequestEntityTooLarge:
        return error_response(PayloadTooLarge(), lang)
    except web.HTTPMethodNotAllowed:
        return error_response(MethodNotAllowed("method", method=request.method), lang)
    except web.HTTPNotFound:
        return error_response(NotFound(what="path", id=request.path), lang)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status < 500:
            return error_response(InvalidPayload("http_refused", status=exc.status), lang)
        logger.error("%s %s: HTTP %s", request.method, request.path, exc.status)
        return error_response(HubError(), lang)
    except Exception:
        logger.exception("%s %s failed", request.method, request.path)
        return error_response(HubError(), lang)


# --- the route table ---------------------------------------------------------------------------


@dataclass
class Call:
    """What a handler gets: the parsed request."""

    request: web.Request
    services: ApiServices
    lang: str
    actor: Optional[Actor] = None
    account: Optional[Account] = None
    token: Optional[str] = None
    path: Any = None
    query: Any = None
    body: Any = None
    via_join_token: bool = False  # authenticated by a join link's token, not a login
    join_session: Optional[str] = None  # the session key of that join token

    @property
    def now(self) -> datetime:
        return self.services.now()

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise LoginRequired()
        return self.actor


Result = Union[BaseModel, web.StreamResponse, None]
Handler = Callable[[Call], Awaitable[Result]]


@dataclass(frozen=True)
class Operation:
    """One route of the API, declared once.

    ``auth``: ``login`` needs a bearer token or the login cookie; ``none``
    needs nothing; ``feed`` is a calendar feed the handler authenticates
    (a login is read if present).  ``response`` is the JSON model of a
    ``status`` reply, or ``None`` with ``content`` naming another media type
    (the handler then returns a ready :class:`aiohttp.web.Response`).
    """

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: Auth = "login"
    path_model: Optional[type[BaseModel]] = None
    query: Optional[type[BaseModel]] = None
    body: Optional[type[BaseModel]] = None
    response: Optional[type[BaseModel]] = None
    status: int = 200
    content: str = "application/json"
    errors: tuple[type[HubError], ...] = ()
    description: str = ""
    roles: str = ""
    #: Also open to a live page's join token (``Authorization: Bearer <join token>``).
    join_token: bool = False

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


def _bearer(request: web.Request) -> tuple[Optional[str], bool]:
    """The login token and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LoginRequired("bearer_scheme")
        return token.strip(), False
    cookie = request.cookies.get(COOKIE)
    return (cookie, True) if cookie else (None, False)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.host


async def authenticate(call: Call, required: bool) -> None:
    token, from_cookie = _bearer(call.request)
    if token is None:
        if required:
            raise LoginRequired()
        return
    if not from_cookie and "." in token:  # a join link's token, not a login token
        await _authenticate_join_token(call, token)
        return
    if len(token) > 256:
        raise LoginRequired()
    if from_cookie and call.request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin(call.request):
        raise Forbidden("cross_site_cookie")
    now = call.now

    def resolve(db: Session) -> tuple[Account, Actor]:
        return accounts.resolve_token(db, token, now)

    call.account, call.actor = await call.services.db(resolve)
    call.token = token


async def _authenticate_join_token(call: Call, token: str) -> None:
    """A live page (station, deputy's phone, dispatcher's console) has no
    login, only its join token: it opens the few operations marked
    ``join_token`` (capturing opinions), as the station's operator, the
    invited deputy or the dispatcher's account."""
    from hub import tokens
    from store.directory import join_actor

    if len(token) > 4096:
        raise LoginRequired()
    grant = tokens.verify(call.services.secret, token)  # TokenInvalid / TokenExpired: 401
    matrix = call.services.matrix
    actor = await call.services.db(lambda db: join_actor(db, matrix, grant.session_id, grant.subject))
    if actor is None:
        raise LoginRequired("join_link_admits_nobody")
    call.actor = actor
    call.via_join_token = True
    call.join_session = grant.session_id


async def read_body(request: web.Request, limit: Optional[int] = None, too_large: str = "body_too_large") -> bytes:
    """The whole body, within ``ApiServices.body_timeout`` seconds
    (:class:`RequestTimeout` otherwise) and, with ``limit``, at most ``limit``
    bytes (:class:`PayloadTooLarge` with the reason ``too_large``; read as a stream, so the sub-application's
    JSON body limit does not apply)."""
    timeout = request.app[SERVICES_KEY].body_timeout
    try:
        async with asyncio.timeout(timeout):
            if limit is None:
                return await request.read()
            length = request.content_length
            if length is not None and length > limit:
                raise PayloadTooLarge(too_large, kib=limit // 1024)
            chunks, size = [], 0
            while True:
                chunk = await request.content.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(too_large, kib=limit // 1024)
                chunks.append(chunk)
            return b"".join(chunks)
    except TimeoutError:
        logger.info("%s %s: the body took more than %s s", request.method, request.path, timeout)
        raise RequestTimeout() from None


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    raw = await read_body(request)
    if not raw.strip():
        data: Any = {}  # no body: as an empty object (fine when every field is optional)
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidPayload("body_not_json", field="(body)") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_payload(exc) from None


def _parse_params(values: dict[str, str], model: type[BaseModel], where: str) -> BaseModel:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise invalid_payload(exc, where) from None


def handler_for(op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    adapter = TypeAdapter(op.response) if op.response is not None else None

    async def handle(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES_KEY]
        call = Call(request, services, language(request, services.default_language))
        if op.path_model is not None:
            call.path = _parse_params(dict(request.match_info), op.path_model, "path")
        if op.query is not None:
            query: dict[str, str] = {}
            for name in request.query:
                values = request.query.getall(name)
                if len(values) > 1:
                    raise InvalidPayload("query_repeated", field=name)
                query[name] = values[0]
            call.query = _parse_params(query, op.query, "query")
        elif request.query:
            raise InvalidPayload("query_unknown", field=next(iter(request.query)))
        if op.auth != "none":
            await authenticate(call, required=op.auth == "login")
            if call.via_join_token and not op.join_token:
                raise Forbidden("join_link_not_here")
        if op.body is not None:
            call.body = await _parse_body(request, op.body)
        result = await op.handler(call)
        if isinstance(result, web.StreamResponse):
            return result
        if adapter is None:
            return web.Response(status=op.status if op.status != 200 else 204)
        data = adapter.dump_python(adapter.validate_python(result), mode="json", by_alias=True)
        return web.json_response(data, status=op.status, dumps=_dumps)

    handle.__name__ = op.operation_id
    return handle
