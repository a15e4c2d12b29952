"""Posting department notices to the departments' own systems (a 浙政钉-style
office platform), signed (issue 13).

Each post is ``POST {webhook}`` with the notice as JSON and three headers:

* ``X-Hub-Timestamp``: seconds since the epoch when it was signed;
* ``X-Hub-Signature-256``: ``sha256=`` and the hex HMAC-SHA256, keyed with
  the department's ``webhook_secret`` (``configs/departments.yaml``), of the
  timestamp, a dot and the body's exact bytes (:func:`signature`);
* ``X-Hub-Delivery``: ``{notice id}-{attempt}``, the same notice on every retry.

A receiver recomputes the signature over the bytes it got and refuses a
timestamp older than a few minutes (a replay).  Failures are retried with
backoff and every try is logged (:mod:`store.webhooks`); administrators read
the log at ``GET /api/webhook-deliveries``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Optional

from pydantic import Field

from store import webhooks as store
from store.opinion_models import DepartmentNotice, WebhookDelivery

from api import schemas as s
from api.convert import local, maybe_local
from api.framework import Call
from api.services import ApiServices


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "{timestamp}." + body) (pure)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def notice_body(row: DepartmentNotice) -> bytes:
    return json.dumps({
        "type": "opinion.assigned", "noticeId": row.id, "opinionId": row.opinion_id,
        "department": row.department_code, "liaison": row.liaison_name, "message": row.message,
        "createdAt": local(row.created_at).isoformat(),
    }, ensure_ascii=False).encode("utf-8")


async def deliver(services: ApiServices, timeout: float = 10) -> int:
    """Post the notices due now once each; returns how many were accepted
    (2xx).  The hub's wiring runs it every ``scheduler.webhook_seconds``."""
    import aiohttp

    from api.opinions import rules_of

    departments = rules_of(services).departments
    now = services.now()
    rows = await services.db(lambda db: store.due(db, now))
    sent = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        for row in rows:
            department = departments.get(row.department_code)
            secret = department.webhook_secret if department is not None else ""
            body = notice_body(row)
            stamp = int(time.time())
            ok, status, error = False, None, ""
            started = time.monotonic()
            if not secret:
                error = "no webhook_secret configured for the department"
            else:
                headers = {"Content-Type": "application/json; charset=utf-8", "X-Hub-Timestamp": str(stamp),
                           "X-Hub-Signature-256": signature(secret, stamp, body),
                           "X-Hub-Delivery": f"{row.id}-{row.webhook_attempts + 1}"}
                try:
                    async with http.post(row.webhook_url, data=body, headers=headers) as response:
                        status = response.status
                        ok = 200 <= status < 300
                        error = "" if ok else f"HTTP {status}"
                except Exception as exc:  # network failures are retried later
                    error = f"{type(exc).__name__}: {exc}"
            sent += ok
            notice_id, ms, at = row.id, int((time.monotonic() - started) * 1000), services.now()
            assert notice_id is not None
            await services.db(lambda db: store.record_try(db, notice_id, at, ok, status, error, ms))
    return sent


# --- the delivery log ------------------------------------------------------------------


class DeliveryQuery(s.Input):
    department: Optional[str] = Field(default=None, max_length=64)
    failed: bool = Field(default=False, description="only the tries that failed")
    limit: int = Field(default=100, ge=1, le=500)


class DeliveryOut(s.Model):
    id: int
    notice_id: int
    department: str
    url: str
    attempt: int
    at: str
    ok: bool
    status_code: Optional[int]
    error: str
    duration_ms: int
    outcome: str = Field(description="the notice's state after this try: sent, pending (retried at nextAt), failed")
    next_at: Optional[str]


class DeliveryList(s.Model):
    items: list[DeliveryOut]


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    assert row.id is not None
    next_at = maybe_local(row.next_at)
    return DeliveryOut(id=row.id, notice_id=row.notice_id, department=row.department_code, url=row.url,
                       attempt=row.attempt, at=local(row.at).isoformat(), ok=row.ok, status_code=row.status_code,
                       error=row.error, duration_ms=row.duration_ms, outcome=row.outcome,
                       next_at=next_at.isoformat() if next_at else None)


async def list_deliveries(call: Call) -> DeliveryList:
    q: DeliveryQuery = call.query
    actor = call.require_actor()
    rows = await call.services.db(lambda db: store.deliveries(db, actor, q.department, q.failed, q.limit))
    return DeliveryList(items=[delivery_out(r) for r in rows])
