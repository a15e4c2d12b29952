"""The webhook delivery job: the shell posts pending department notices to the departments'
webhooks, periodically (``scheduler.webhook_seconds`` in ``configs/hub.yaml``).

It is a background HTTP client job, not a request handler, so it lives with the wiring that
runs it (``hub/app.py``) and not in ``api/``.  A failed post stays pending and is retried on
the next round; ``notices.webhook_result`` records each attempt.
"""

from __future__ import annotations

import aiohttp

from api.convert import local
from api.services import ApiServices
from store import notices


async def deliver_webhooks(services: ApiServices, timeout: float = 10) -> int:
    """Post pending department notices to their webhooks once; returns how many were sent."""
    rows = await services.db(lambda db: notices.pending_webhooks(db))
    sent = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        for row in rows:
            body = {"type": "opinion.assigned", "noticeId": row.id, "opinionId": row.opinion_id,
                    "department": row.department_code, "liaison": row.liaison_name, "message": row.message,
                    "createdAt": local(row.created_at).isoformat()}
            ok, error = False, ""
            try:
                async with http.post(row.webhook_url, json=body) as response:
                    ok = 200 <= response.status < 300
                    error = "" if ok else f"HTTP {response.status}"
            except Exception as exc:  # network failures are retried later
                error = f"{type(exc).__name__}: {exc}"
            sent += ok
            notice_id = row.id
            assert notice_id is not None  # a stored row
            await services.db(lambda db: notices.webhook_result(db, notice_id, ok, error))
    return sent
