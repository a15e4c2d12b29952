"""What a browser is told, and who it may be: security headers and origins.

A page the hub serves talks to the hub that served it and nothing else: its
Content-Security-Policy allows scripts, styles and connections of the page's
own origin only (plus that origin's WebSocket form, for Socket.IO), no inline
script, and no framing.  Every response also says ``nosniff`` (a photo is
never run as a page) and sends no Referer.

Socket.IO connections are accepted from the hub's own origin (the page's
``Host``, and ``base_url``) and from the origins that
``signaling.allowed_origins`` lists; a connection without an ``Origin``
header (not a browser) is not a cross-site request and is accepted.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Optional
from urllib.parse import urlsplit

from aiohttp import web

REFERRER_POLICY = "no-referrer"


def parse_origin(value: str) -> str:
    """``"https://Portal.example.org/"`` → ``"https://portal.example.org"``;
    ValueError names an entry that is not ``scheme://host[:port]``."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"{value!r} is not an origin (scheme://host[:port])") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{value!r} is not an origin (scheme://host[:port])")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{':' + str(port) if port is not None else ''}"


def websocket_origin(origin: str) -> str:
    """``https://hub.example`` → ``wss://hub.example`` (``http`` → ``ws``)."""
    scheme, _, rest = origin.partition("://")
    return ("wss" if scheme == "https" else "ws") + "://" + rest


def content_security_policy(ws_origins: Iterable[str]) -> str:
    """The policy of every page: own origin only, no inline script or style
    markup (the pages set styles through the CSSOM), pictures also from
    ``data:``/``blob:`` URLs the page made itself (photo previews, QR codes),
    connections to the own origin and its WebSocket form."""
    connect = " ".join(["'self'", *dict.fromkeys(ws_origins)])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def request_origin(request: web.Request) -> str:
    """The origin the browser reached this request at."""
    return f"{request.scheme}://{request.host}".lower()


def install_headers(app: web.Application, base_url: str) -> None:
    """Send the security headers with every response of ``app`` and its
    sub-applications (pages, assets, the API, photos).  A response that set
    its own Content-Security-Policy (the API's documentation page) keeps it."""
    base = parse_origin(base_url) if base_url else None

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            origins = [websocket_origin(request_origin(request))]
            if base is not None:
                origins.append(websocket_origin(base))
            headers["Content-Security-Policy"] = content_security_policy(origins)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")

    app.on_response_prepare.append(on_prepare)


def origin_allowed(origin: str, own: Iterable[str], allowed: Iterable[str]) -> bool:
    """Whether a browser page at ``origin`` may open a Socket.IO connection."""
    try:
        origin = parse_origin(origin)
    except ValueError:
        return False  # "null" (sandboxed frames, file:) and garbage
    return origin in set(own) or origin in set(allowed)


def socketio_origin_check(base_url: str, allowed: Iterable[str]) -> Callable[[Optional[str], Mapping[str, Any]], bool]:
    """The ``cors_allowed_origins`` callable of python-engineio: the hub's own
    origin (the request's ``Host``, and ``base_url``) and the configured ones.
    engineio calls it only when the request carries an ``Origin``."""
    allowed = [parse_origin(o) for o in allowed]
    base = parse_origin(base_url) if base_url else None

    def check(origin: Optional[str], environ: Mapping[str, Any]) -> bool:
        if not origin:
            return True
        own = []
        request = environ.get("aiohttp.request")
        if isinstance(request, web.BaseRequest):
            own.append(request_origin(request))  # type: ignore[arg-type]
        if base is not None:
            own.append(base)
        return origin_allowed(origin, own, allowed)

    return check
