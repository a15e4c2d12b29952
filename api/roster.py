"""The deputy roster's REST (代表名册, issue 13): edit and reactivate a
deputy, the groups in use, and the roster as an Excel workbook both ways.

Import (``POST /api/deputies/import``, the .xlsx as the raw body): every row
is validated (:func:`core.roster.validate`).  Without ``confirm`` it is a
dry run: the report names each bad row (its number in the sheet) with every
reason in both languages and counts the good rows, and nothing is written.
With ``confirm=good_rows`` the same validation runs again and the good rows
are written in one transaction (bad rows skipped), audited with the counts
and the file name.  A row whose phone number is on the roster updates that
deputy; the rest are new deputies.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal, Optional

import sqlalchemy as sa
from aiohttp import web
from pydantic import Field
from sqlmodel import Session

from core import roster as rules
from core.errors import InvalidPayload, UsernameTaken
from core.reasons import LANGUAGES, render
from store import roster as store
from store.models import Deputy

from api import convert, schemas as s
from api.convert import local
from api.framework import Call, read_body
from api.opinions import XLSX

#: The largest workbook accepted (a roster of thousands is well below).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The export's columns: the import's, then the state (not imported).
EXPORT_COLUMNS = (*rules.COLUMNS, "状态")
WIDTHS = (12, 14, 30, 30, 20, 8)


class ImportQuery(s.Input):
    confirm: Optional[Literal["good_rows"]] = Field(
        default=None, description="absent: a dry run (nothing written); good_rows: write the good rows, skip the bad")
    file_name: Annotated[s.Text, Field(max_length=200)] = Field(default="", alias="fileName",
                                                                description="the uploaded file's name, for the audit")


class ImportProblem(s.Model):
    reason: str = Field(description="a key of the catalogue (core/roster_words.py)")
    message: str = Field(description="in the request's language")
    messages: dict[str, str] = Field(description="zh-CN and en")


class BadRowOut(s.Model):
    row: int = Field(description="the row's number in the sheet (the header is row 1)")
    name: str
    problems: list[ImportProblem]


class ImportReport(s.Model):
    file_name: str
    rows: int = Field(description="rows read (blank rows skipped)")
    good: int
    bad: int
    created: int = Field(description="new deputies (to be) created")
    updated: int = Field(description="deputies (to be) updated, matched by phone number")
    unchanged: int = Field(description="rows that change nothing")
    imported: bool = Field(description="false: a dry run, nothing written")
    bad_rows: list[BadRowOut]


class GroupList(s.Model):
    items: list[str]


def _filter(q: s.DeputyQuery) -> store.RosterFilter:
    active = q.active if q.active is not None else (None if q.include_inactive else True)
    return store.RosterFilter(station=q.station, level=q.level, group=q.group, active=active, text=q.q)


async def list_deputies(call: Call) -> s.DeputyList:
    q: s.DeputyQuery = call.query
    actor, matrix = call.require_actor(), call.services.matrix

    def work(db: Session) -> tuple[list[Deputy], dict[int, list[str]]]:
        rows = store.search(db, actor, matrix, _filter(q))
        return rows, store.levels_of(db, rows)

    rows, levels = await call.services.db(work)
    return s.DeputyList(items=[convert.deputy(r, levels.get(r.id or 0)) for r in rows])


async def update_deputy(call: Call) -> s.DeputyOut:
    body: s.DeputyPatch = call.body
    actor, matrix, now, deputy_id = call.require_actor(), call.services.matrix, call.now, call.path.id
    change = store.DeputyChange(name=body.name, levels=list(body.levels) if body.levels is not None else None,
                                station=body.station, group=body.group, phone=body.phone)

    def work(db: Session) -> tuple[Deputy, list[str]]:
        try:
            return store.update_deputy(db, actor, matrix, deputy_id, change, now)
        except sa.exc.IntegrityError:  # another request took the number between the check and the write
            db.rollback()
            raise UsernameTaken("phone_taken", phone=rules.mask(rules.clean_phone(body.phone or "") or "")) from None

    row, levels = await call.services.db(work)
    return convert.deputy(row, levels)


async def reactivate_deputy(call: Call) -> s.DeputyOut:
    actor, matrix, now, deputy_id = call.require_actor(), call.services.matrix, call.now, call.path.id

    def work(db: Session) -> tuple[Deputy, list[str]]:
        row = store.reactivate_deputy(db, actor, matrix, deputy_id, now)
        return row, store.levels_of(db, [row])[deputy_id]

    row, levels = await call.services.db(work)
    return convert.deputy(row, levels)


async def deputy_groups(call: Call) -> GroupList:
    actor, matrix = call.require_actor(), call.services.matrix
    return GroupList(items=await call.services.db(lambda db: store.groups(db, actor, matrix)))


# --- the workbook -------------------------------------------------------------------------------


def levels_text(levels: list[str]) -> str:
    return "、".join(rules.LEVEL_NAMES.get(level, level) for level in levels)


def _sheet(ws: Any, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    from openpyxl.styles import Font

    from api.xlsx import append

    append(ws, list(columns))
    for i, cell in enumerate(ws[1]):
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = WIDTHS[i] if i < len(WIDTHS) else 16
    for row in rows:
        append(ws, row)
    ws.freeze_panes = "A2"


def _save(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def roster_workbook(rows: list[list[str]], stations: dict[str, str]) -> bytes:
    """The roster (every cell a string cell, the header frozen) and a second
    sheet naming the stations and levels an import accepts."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "代表名册"
    _sheet(ws, EXPORT_COLUMNS if rows and len(rows[0]) == len(EXPORT_COLUMNS) else rules.COLUMNS, rows)
    ref = wb.create_sheet("填写说明")
    _sheet(ref, ("联络站", "代码", "代表层级"), [
        [name, code, (list(rules.LEVEL_NAMES.values()) + [""] * len(stations))[i]]
        for i, (code, name) in enumerate(stations.items())
    ])
    from api.xlsx import append

    append(ref, [])
    append(ref, ["一人多个层级时用顿号分隔，如：海宁市人大代表、镇人大代表。手机号码在名册中唯一：已有的手机号更新该代表，不新建。"])
    return _save(wb)


def _attachment(data: bytes, name: str) -> web.Response:
    return web.Response(body=data, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def export_roster(call: Call) -> web.Response:
    q: s.DeputyQuery = call.query
    actor, matrix, now = call.require_actor(), call.services.matrix, call.now

    def work(db: Session) -> tuple[list[Deputy], dict[int, list[str]]]:
        rows = store.search(db, actor, matrix, _filter(q))
        return rows, store.levels_of(db, rows)

    rows, levels = await call.services.db(work)
    names = {st.code: st.name for st in matrix.stations()}
    counted = Counter(names.values())
    cell = {code: name if counted[name] == 1 else code for code, name in names.items()}  # a name imports back only if unique
    data = roster_workbook([
        [d.name, d.phone or "", levels_text(levels.get(d.id or 0, [d.level])), cell.get(d.station_code, d.station_code),
         d.deputy_group, "在任" if d.active else "已停用"] for d in rows
    ], names)
    return _attachment(data, f"deputies-{local(now):%Y%m%d-%H%M}.xlsx")


async def roster_template(call: Call) -> web.Response:
    actor = call.require_actor()
    names = {st.code: st.name for st in call.services.matrix.stations()}
    own = names.get(actor.station or "") or next(iter(names.values()), "")  # a station the caller may import to
    example = ["张三", "13800000000", "海宁市人大代表、镇人大代表", own, "第一代表小组"]
    return _attachment(roster_workbook([example], names), "deputies-template.xlsx")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def read_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The data rows of the first sheet: (row number, the five cells as text).
    The header is the first row whose cells are :data:`core.roster.COLUMNS`
    (within the first five rows); blank rows are skipped."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise InvalidPayload("roster_file_unreadable", field="(body)") from None
    try:
        ws = wb.worksheets[0]
        header_row, rows = None, []
        width = len(rules.COLUMNS)
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v).strip() for v in list(values)[:width]]
            cells += [""] * (width - len(cells))
            if header_row is None:
                if tuple(cells) == rules.COLUMNS:
                    header_row = number
                elif number >= 5:
                    break
                continue
            if any(cells):
                rows.append((number, cells))
                if len(rows) > rules.MAX_ROWS:
                    raise InvalidPayload("roster_too_many_rows", limit=rules.MAX_ROWS, field="(body)")
    finally:
        wb.close()
    if header_row is None:
        raise InvalidPayload("roster_header", columns=list(rules.COLUMNS), field="(body)")
    if not rows:
        raise InvalidPayload("roster_empty", field="(body)")
    return rows


def _problem(reason: Any, lang: str) -> ImportProblem:
    return ImportProblem(reason=reason.key, message=render(reason.key, lang, reason.params),
                         messages={lg: render(reason.key, lg, reason.params) for lg in LANGUAGES})


def report(result: rules.Validation, file_name: str, lang: str, counts: Optional[dict[str, int]] = None) -> ImportReport:
    return ImportReport(
        file_name=file_name, rows=len(result.good) + len(result.bad), good=len(result.good), bad=len(result.bad),
        created=counts["created"] if counts else result.created,
        updated=counts["updated"] if counts else result.updated,
        unchanged=counts["unchanged"] if counts else result.unchanged,
        imported=counts is not None,
        bad_rows=[BadRowOut(row=b.row, name=b.name, problems=[_problem(r, lang) for r in b.reasons])
                  for b in result.bad],
    )


async def import_roster(call: Call) -> ImportReport:
    q: ImportQuery = call.query
    actor, matrix, now = call.require_actor(), call.services.matrix, call.now
    data = await read_body(call.request, MAX_FILE_BYTES, "roster_file_too_large")
    if not data:
        raise InvalidPayload("roster_file_unreadable", field="(body)")
    rows = read_rows(data)
    file_name = q.file_name.strip() or "deputies.xlsx"

    def work(db: Session) -> tuple[rules.Validation, Optional[dict[str, int]]]:
        result = rules.validate(rows, store.context(db, actor, matrix))
        if q.confirm != "good_rows" or not result.good:
            return result, None
        try:
            return result, store.apply_import(db, actor, matrix, result, file_name, now)
        except sa.exc.IntegrityError:  # a number taken by another request meanwhile: nothing was written
            db.rollback()
            raise UsernameTaken("phone_taken", phone="…") from None

    result, counts = await call.services.db(work)
    return report(result, file_name, call.lang, counts)
