"""The department's page (承办单位, issue 13): the opinions assigned to the
logged-in department, overdue first, with their deadlines in working days.
Its steps go through ``POST /opinions/{id}/actions`` (``start`` to accept,
``return`` with the reason, ``answer``; more time through ``POST
/opinions/{id}/extension-requests``, approved by a dispatcher) and its attachments through ``PUT /opinions/{id}/photos/{n}``;
rules in :mod:`store.departments`."""

from __future__ import annotations

from typing import Optional

from pydantic import Field
from sqlmodel import Session

from store import departments, opinions as store

from api import schemas as s
from api.framework import Call
from api.opinions import opinion_out, rules_of


class DepartmentItemsQuery(s.Input):
    done: bool = Field(default=False, description="also the opinions the department answered")
    limit: int = Field(default=200, ge=1, le=500)


class DepartmentItem(s.OpinionOut):
    working_days_left: Optional[int] = Field(description="working days to the deadline (0: due today; negative: "
                                             "working days overdue); null without a deadline or once answered")


class DepartmentItems(s.Model):
    department: str
    department_name: str
    items: list[DepartmentItem]


async def my_items(call: Call) -> DepartmentItems:
    q: DepartmentItemsQuery = call.query
    actor, matrix, rules, now = call.require_actor(), call.services.matrix, rules_of(call.services), call.now
    code = departments.require_department(actor)

    def work(db: Session):
        found = departments.assigned_items(db, actor, rules.calendar, now, q.done, q.limit)
        names = store.deputy_names(db, {i.opinion.deputy_id for i in found if i.opinion.deputy_id is not None})
        return found, names

    found, names = await call.services.db(work)
    department = rules.departments.get(code)
    return DepartmentItems(
        department=code, department_name=department.name if department else code,
        items=[DepartmentItem(**opinion_out(i.opinion, actor, matrix, rules, now,
                                            deputy_name=names.get(i.opinion.deputy_id or 0)).model_dump(),
                              working_days_left=i.working_days_left) for i in found],
    )
