"""A department's request for more time (延期申请) and its approval: pure, no I/O.

A department holding an opinion (``in_progress``) no longer moves its own
deadline: it asks, with a later deadline and the reason; the dispatcher of
the opinion's town (or one above it, or an administrator) approves or
refuses, refusing with a reason.  Only an approval changes the deadline,
through the workflow's ``extend`` step taken by the approver
(:mod:`opinions.workflow`), so the timeline shows who granted it and why.

::

    pending ─approve→ approved (final; the deadline moves)
       └───refuse{reason}→ refused (final; the deadline stays)

One pending request per opinion at a time.  An opinion that left
``in_progress`` meanwhile (answered, returned) cannot be extended any more:
approving is refused, refusing still closes the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from core.errors import InvalidPayload, OpinionTransitionRefused
from opinions.workflow import OpinionState, Status

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
STATUSES = (PENDING, APPROVED, REFUSED)
#: (status, approve?) → the next status.
TRANSITIONS = {(PENDING, True): APPROVED, (PENDING, False): REFUSED}


def check_request(
    state: OpinionState, deadline: Optional[datetime], reason: str, now: datetime, pending: bool,
) -> None:
    """Whether a department may ask for ``deadline`` now; raises with the reason."""
    if state.status is not Status.IN_PROGRESS:
        raise OpinionTransitionRefused("extension_not_in_progress", status=state.status.value)
    if pending:
        raise OpinionTransitionRefused("extension_pending")
    if not reason.strip():
        raise InvalidPayload("note_required", action="extend", field="note")
    if deadline is None or deadline.tzinfo is None:
        raise InvalidPayload("deadline_needs_timezone", field="deadline")
    if deadline <= now:
        raise InvalidPayload("deadline_in_past", field="deadline")
    if state.deadline is not None and deadline <= state.deadline:
        raise OpinionTransitionRefused("extension_not_later")


def decide(status: str, approve: bool, reason: str, state: OpinionState) -> str:
    """The request's next status; raises when it cannot be decided so."""
    if (status, approve) not in TRANSITIONS:
        raise OpinionTransitionRefused("extension_decided")
    if not approve and not reason.strip():
        raise InvalidPayload("refusal_needs_reason", field="reason")
    if approve and state.status is not Status.IN_PROGRESS:
        raise OpinionTransitionRefused("extension_not_in_progress", status=state.status.value)
    return TRANSITIONS[(status, approve)]
