"""Stations, accounts, deputies and the audit log."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Session

import sqlalchemy as sa

from core.errors import Forbidden, InvalidPayload, UsernameTaken
from core.scope import Actor, Do, Role, StationTarget, require
from core import roster
from store import accounts, audit as audit_store, deputies, roster as roster_store

from api import convert, schemas as s
from api.framework import Call
from api.live import end_live_connections


async def stations(call: Call) -> s.StationTree:
    return s.StationTree(items=[convert.station(root) for root in call.services.matrix.roots])


# --- accounts ---------------------------------------------------------------------------




async def list_accounts(call: Call) -> s.AccountList:
    actor, matrix = call.require_actor(), call.services.matrix
    rows = await call.services.db(lambda db: accounts.list_accounts(db, actor, matrix))
    return s.AccountList(items=[convert.account(r) for r in rows])


async def create_account(call: Call) -> s.AccountOut:
    body: s.AccountIn = call.body
    actor, matrix, now = call.require_actor(), call.services.matrix, call.now
    if body.department is not None:
        from api.opinions import rules_of

        if rules_of(call.services).departments.get(body.department) is None:
            raise InvalidPayload("department_unknown_account", department=body.department, field="department")

    def work(db: Session):
        try:
            return accounts.create_account(
                db, actor, matrix, body.username, body.password, body.role, body.station, body.display_name, now=now,
                department=body.department,
            )
        except sa.exc.IntegrityError:
            db.rollback()
            raise UsernameTaken("username", username=body.username.strip()) from None

    return convert.account(await call.services.db(work))


async def deactivate_account(call: Call) -> s.AccountOut:
    actor, matrix, now, account_id = call.require_actor(), call.services.matrix, call.now, call.path.id
    row = await call.services.db(lambda db: accounts.deactivate_account(db, actor, matrix, account_id, now))
    await end_live_connections(call, f"account:{account_id}")
    return convert.account(row)


async def reactivate_account(call: Call) -> s.AccountOut:
    actor, matrix, now, account_id = call.require_actor(), call.services.matrix, call.now, call.path.id
    row = await call.services.db(lambda db: accounts.reactivate_account(db, actor, matrix, account_id, now))
    return convert.account(row)


async def change_role(call: Call) -> s.AccountOut:
    body: s.AccountRoleIn = call.body
    actor, matrix, now, account_id = call.require_actor(), call.services.matrix, call.now, call.path.id
    if body.department is not None:
        from api.opinions import rules_of

        if rules_of(call.services).departments.get(body.department) is None:
            raise InvalidPayload("department_unknown_account", department=body.department, field="department")
    row = await call.services.db(lambda db: accounts.change_role(
        db, actor, matrix, account_id, body.role, body.station, body.department, now))
    await end_live_connections(call, f"account:{account_id}")  # they hold the old role
    return convert.account(row)


async def reset_password(call: Call) -> s.AccountOut:
    body: s.PasswordResetIn = call.body
    actor, matrix, now, account_id = call.require_actor(), call.services.matrix, call.now, call.path.id
    row = await call.services.db(lambda db: accounts.reset_password(db, actor, matrix, account_id, body.password, now))
    await end_live_connections(call, f"account:{account_id}")
    return convert.account(row)


# --- deputies --------------------------------------------------------------------------


async def create_deputy(call: Call) -> s.DeputyOut:
    body: s.DeputyIn = call.body
    actor, matrix, now = call.require_actor(), call.services.matrix, call.now
    row = await call.services.db(
        lambda db: deputies.create_deputy(db, actor, matrix, body.name, body.level, body.station, body.group, now,
                                          levels=list(body.levels or []), phone=body.phone)
    )
    return convert.deputy(row, roster.ordered_levels([*(body.levels or []), *([body.level] if body.level else [])]))


async def deactivate_deputy(call: Call) -> s.DeputyOut:
    actor, matrix, now, deputy_id = call.require_actor(), call.services.matrix, call.now, call.path.id

    def work(db: Session):
        row = deputies.deactivate_deputy(db, actor, matrix, deputy_id, now)
        return row, roster_store.levels_of(db, [row])[deputy_id]

    row, levels = await call.services.db(work)
    await end_live_connections(call, f"deputy:{deputy_id}")
    return convert.deputy(row, levels)


# --- audit -----------------------------------------------------------------------------


def audit_scope(actor: Actor, matrix) -> Optional[set[str]]:
    """The stations whose audit ``actor`` reads; ``None``: all of them."""
    if actor.role is Role.ADMINISTRATOR:
        return None
    if actor.station is None:
        raise Forbidden("audit_log_staff")
    require(actor, Do.VIEW_AUDIT, StationTarget(actor.station), matrix)
    return {st.code for st in matrix.subtree(actor.station)}


async def audit(call: Call) -> s.AuditList:
    q: s.AuditQuery = call.query
    scope = audit_scope(call.require_actor(), call.services.matrix)
    rows = await call.services.db(
        lambda db: audit_store.entries_in_scope(
            db, scope, q.limit, q.before_id, q.action, q.target_type, q.target_id, q.actor, q.from_, q.to
        )
    )
    return s.AuditList(items=[convert.audit(r) for r in rows])
