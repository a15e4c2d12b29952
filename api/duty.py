"""REST: deputy duty records 履职 — records, manual entries, review,
attendance of live sessions, ledgers and their Excel workbook."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Optional

from aiohttp import web
from sqlmodel import Session

from duty.scoring import Attendance, LedgerRow
from hub.errors import InvalidPayload
from hub.matrix import Matrix
from store import duty as store
from store.opinion_models import DutyRecord

from api import schemas as s
from api.convert import local, maybe_local
from api.framework import Call
from api.opinions import XLSX, rules_of

PERSON_NAMES = {"deputy": "代表", "street_rep": "街道居民代表"}
BY_NAMES = {"deputy": "代表", "group": "代表小组", "town": "镇（街道）", "city": "全市"}


def record_out(row: DutyRecord, kind_names: dict[str, str]) -> s.DutyRecordOut:
    assert row.id is not None
    return s.DutyRecordOut(
        id=row.id, key=row.key, deputy_id=row.deputy_id, person_kind=row.person_kind, station=row.station_code,
        town=row.town_code, group=row.deputy_group, kind=row.kind, kind_name=kind_names.get(row.kind, row.kind),
        occasion=row.occasion, occurred_at=local(row.occurred_at), points=row.points, minutes=row.minutes,
        manual=row.manual, status=row.status, note=row.note, review_reason=row.review_reason,
        reviewed_by=row.reviewed_by, reviewed_at=maybe_local(row.reviewed_at),
        created_by=row.created_by,
    )


def _kind_names(call: Call) -> dict[str, str]:
    return {k: r.name for k, r in rules_of(call.services).scoring.rules.items()}


def _window(start: Optional[datetime], end: Optional[datetime]) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidPayload("range_reversed", field="to")


async def list_records(call: Call) -> s.DutyList:
    q: s.DutyQuery = call.query
    _window(q.from_, q.to)
    actor, matrix = call.require_actor(), call.services.matrix
    f = store.DutyFilter(scope=q.scope, deputy_id=q.deputy_id, kind=q.kind, status=q.status,
                         person_kind=q.person_kind, start=q.from_, end=q.to, limit=q.limit, offset=q.offset)
    rows, total = await call.services.db(lambda db: store.list_records(db, actor, matrix, f))
    names = _kind_names(call)
    return s.DutyList(items=[record_out(r, names) for r in rows], total=total)


async def kinds(call: Call) -> s.DutyKindList:
    """The scoring kinds of configs/scoring.yaml, in the file's order."""
    call.require_actor()
    rules = rules_of(call.services).scoring.rules
    return s.DutyKindList(items=[
        s.DutyKindOut(kind=k, name=r.name, name_en=r.name_en, points=r.points, manual=r.manual,
                      min_minutes=r.min_minutes) for k, r in rules.items()])


async def add_manual(call: Call) -> s.DutyRecordOut:
    body: s.DutyManualIn = call.body
    actor, matrix, now = call.require_actor(), call.services.matrix, call.now
    rules = rules_of(call.services).scoring
    row = await call.services.db(lambda db: store.add_manual(
        db, actor, matrix, rules, body.deputy_id, body.kind, body.occasion, body.occurred_at, now, body.points,
        body.note))
    return record_out(row, _kind_names(call))


async def review(call: Call) -> s.DutyRecordOut:
    body: s.DutyReviewIn = call.body
    actor, matrix, now, record_id = call.require_actor(), call.services.matrix, call.now, call.path.id
    row = await call.services.db(lambda db: store.review(db, actor, matrix, record_id, body.approve, body.reason, now))
    return record_out(row, _kind_names(call))


async def attendance(call: Call) -> s.AttendanceOut:
    """Attendance staff enter for a past occurrence: pending review (the
    live layer records what it saw by itself)."""
    body: s.AttendanceIn = call.body
    actor, matrix, now, lobby = call.require_actor(), call.services.matrix, call.now, call.services.lobby_minutes
    rules = rules_of(call.services).scoring
    stays = [Attendance(x.deputy_id, x.joined_at, x.minutes) for x in body.stays]
    added = await call.services.db(lambda db: store.enter_attendance(
        db, actor, matrix, rules, body.session_id, body.occurrence_start, stays, now, lobby))
    return s.AttendanceOut(added=added)


def _ledger_rows(rows: list[LedgerRow]) -> list[s.LedgerRowOut]:
    return [s.LedgerRowOut(key=r.key, name=r.name, person_kind=r.person_kind, people=len(r.deputies),
                           records=r.records, points=r.points, pending=r.pending,
                           by_kind={k: round(v, 4) for k, v in r.by_kind.items()}, counts=r.counts)
            for r in rows]


async def ledger(call: Call) -> s.LedgerOut:
    q: s.LedgerQuery = call.query
    _window(q.from_, q.to)
    actor, matrix = call.require_actor(), call.services.matrix
    f = store.DutyFilter(scope=q.scope, start=q.from_, end=q.to)
    rows = await call.services.db(lambda db: store.ledger(db, actor, matrix, f, q.by, q.person_kind))
    return s.LedgerOut(by=q.by, person_kind=q.person_kind, scope=q.scope, from_=local(q.from_), to=local(q.to),
                       items=_ledger_rows(rows))


async def ledger_xlsx(call: Call) -> web.Response:
    q: s.LedgerQuery = call.query
    _window(q.from_, q.to)
    actor, matrix = call.require_actor(), call.services.matrix
    names = _kind_names(call)
    f = store.DutyFilter(scope=q.scope, start=q.from_, end=q.to)

    def work(db: Session) -> bytes:
        records = store.ledger_records(db, actor, matrix, f)
        return ledger_workbook(records, matrix, names, q.scope, q.from_, q.to)

    data = await call.services.db(work)
    name = f"duty-ledger-{local(q.from_):%Y%m%d}-{local(q.to):%Y%m%d}.xlsx"
    return web.Response(body=data, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def ledger_workbook(records, matrix: Matrix, kind_names: dict[str, str], scope: Optional[str],
                    start: datetime, end: datetime) -> bytes:
    """The 履职台账: one sheet per level (代表, 代表小组, 镇（街道）, 全市) for
    deputies, the same for street residents' representatives, kept apart."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from api.xlsx import append
    from duty.scoring import ledger as roll_up

    bold = Font(bold=True)
    town_names = {st.code: st.name for st in matrix.stations()}
    kinds = list(kind_names)
    wb = Workbook()
    wb.remove(wb.active)
    period = f"{local(start):%Y-%m-%d} 至 {local(end - timedelta(microseconds=1)):%Y-%m-%d}"
    for person_kind in ("deputy", "street_rep"):
        for by in ("deputy", "group", "town", "city"):
            rows = roll_up(records, by, person_kind, town_names)
            if person_kind == "street_rep" and not rows:
                continue
            ws = wb.create_sheet(f"{PERSON_NAMES[person_kind]}-{BY_NAMES[by]}"[:31])
            append(ws, [f"履职台账（{PERSON_NAMES[person_kind]}，按{BY_NAMES[by]}）",
                       matrix[scope].name if scope else "全部", period])
            ws["A1"].font = Font(bold=True, size=13)
            header = [BY_NAMES[by], "人数", "记录数", "总分", "待审核"] + [kind_names[k] for k in kinds]
            append(ws, header)
            for cell in ws[2]:
                cell.font = bold
            for r in rows:
                append(ws, [r.name, len(r.deputies), r.records, r.points, r.pending]
                          + [round(r.by_kind.get(k, 0.0), 4) for k in kinds])
            ws.column_dimensions["A"].width = 24
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
