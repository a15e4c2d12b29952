"""The 民情数据库's filtered list as an Excel workbook (``GET /api/opinions.xlsx``).

The same filters as ``GET /api/opinions`` and the same scope (each caller
exports what it may list), every row of the filter up to :data:`MAX_ROWS`,
in the words of the 民情 pages: 状态 已交办, 层级 镇级, the department's and
the station's names, never the raw codes (``assigned``, ``town``,
``xucun-office``).  What people typed (summary, details, names) goes in as
string cells through :func:`api.xlsx.append`, so nothing becomes a formula.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any, Optional

from aiohttp import web
from pydantic import Field
from sqlmodel import Session

from core.reasons import TERMS
from opinions import workflow as wf
from store import opinion_reports as reports, opinions as store
from store.opinion_models import Opinion

from api import schemas as s
from api.convert import local
from api.framework import Call
from api.opinions import XLSX, _period, opinion_out, rules_of

#: At most this many rows in one workbook (a year of a whole city is a few thousand).
MAX_ROWS = 10_000

RAISED_BY = {"deputy": "代表", "resident": "群众"}
COLUMNS = (
    ("民情编号", 16), ("收到时间", 17), ("联络站", 26), ("提出人", 8), ("姓名", 12), ("分类", 14),
    ("诉求类型", 10), ("摘要", 40), ("详情", 60), ("状态", 10), ("层级", 12), ("承办单位", 24),
    ("办理时限", 12), ("超期", 6), ("答复等级", 8), ("评价", 10), ("标记", 16),
)


class OpinionExportQuery(s.Input):
    """``GET /api/opinions``'s filters, without paging."""

    category: Optional[s.ConfigCode] = None
    station: Optional[s.StationCode] = Field(default=None, description="the station and its subtree")
    level: Optional[s.OpinionLevel] = None
    status: Optional[s.OpinionStatus] = None
    request_type: Optional[s.ConfigCode] = Field(default=None, alias="requestType")
    from_: Optional[s.Instant] = Field(default=None, alias="from", description="received at or after")
    to: Optional[s.Instant] = Field(default=None, description="received before")
    q: Optional[Annotated[s.Text, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="text in the summary, details or resident's name")
    overdue: Optional[bool] = None
    flag: Optional[s.OpinionFlag] = None
    department: Optional[s.DepartmentCode] = None
    deputy_id: Optional[s.Id] = Field(default=None, alias="deputyId")


def term(name: str, value: Optional[str]) -> str:
    """A code in the words of the 民情 pages (``core/reasons.py``'s terms)."""
    if value is None:
        return ""
    return TERMS.get(name, {}).get(value, {}).get("zh-CN", value)


def row_values(o: s.OpinionOut, department_names: dict[str, str]) -> list[Any]:
    """One opinion as the workbook's row: names and words, no codes."""
    return [
        o.reference,
        f"{local(o.received_at):%Y-%m-%d %H:%M}",
        o.station_name,
        RAISED_BY.get(o.raised_by, o.raised_by),
        o.deputy_name if o.raised_by == "deputy" else o.resident_name,
        o.category_name,
        o.request_type_name,
        o.summary,
        o.details,
        term("status", o.status),
        term("level", o.level),
        department_names.get(o.department, o.department) if o.department else "",
        f"{local(o.deadline):%Y-%m-%d}" if o.deadline else "",
        "是" if o.overdue else "",
        o.grade or "",
        wf.RATING_NAMES.get(o.rating, o.rating) if o.rating else "",
        "、".join(wf.FLAG_NAMES.get(f, f) for f in o.flags),
    ]


def workbook(items: list[s.OpinionOut], department_names: dict[str, str], title: str, now: datetime) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from api.xlsx import append

    wb = Workbook()
    ws = wb.active
    ws.title = "民情"
    append(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    append(ws, [f"导出时间 {local(now):%Y-%m-%d %H:%M}，共 {len(items)} 件"])
    append(ws, [c for c, _ in COLUMNS])
    thin = Side(style="thin", color="999999")
    for i, cell in enumerate(ws[3]):
        cell.font = Font(bold=True)
        cell.border = Border(bottom=thin)
        ws.column_dimensions[cell.column_letter].width = COLUMNS[i][1]
    for o in items:
        append(ws, row_values(o, department_names))
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column_letter in ("H", "I"))
    ws.freeze_panes = "B4"
    ws.auto_filter.ref = f"A3:{ws.cell(3, len(COLUMNS)).column_letter}{max(3, ws.max_row)}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def export_opinions(call: Call) -> web.Response:
    q: OpinionExportQuery = call.query
    actor, matrix, rules, now = call.require_actor(), call.services.matrix, rules_of(call.services), call.now
    if q.from_ is not None and q.to is not None:
        _period(q.from_, q.to)
    f = reports.OpinionFilter(category=q.category, station=q.station, level=q.level, status=q.status,
                            request_type=q.request_type, start=q.from_, end=q.to, text=q.q, overdue=q.overdue,
                            flag=q.flag, department=q.department, deputy_id=q.deputy_id, limit=MAX_ROWS, offset=0)

    def work(db: Session) -> tuple[list[Opinion], dict[int, str]]:
        rows, _total = reports.search(db, actor, matrix, f, now)
        return rows, store.deputy_names(db, {r.deputy_id for r in rows if r.deputy_id is not None})

    rows, names = await call.services.db(work)
    items = [opinion_out(r, actor, matrix, rules, now, deputy_name=names.get(r.deputy_id or 0)) for r in rows]
    departments = {d.code: d.name for d in rules.departments.departments}
    scope = matrix[q.station].name if q.station and q.station in matrix else ""
    data = workbook(items, departments, f"民情清单{('（' + scope + '）') if scope else ''}", now)
    name = f"opinions-{local(now):%Y%m%d-%H%M}.xlsx"
    return web.Response(body=data, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
