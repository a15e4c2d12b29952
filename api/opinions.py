"""REST: opinions 民情 — capture (idempotent), the handling workflow, photos,
department notices, the 民情数据库 search, statistics, rankings and the
民情热点专报 Excel workbook."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime, timedelta
from typing import Any, Optional

from aiohttp import web
from sqlmodel import Session

from core.errors import HubError, InvalidPayload
from core.matrix import Matrix
from core.reasons import TERMS
from core.scope import Actor
from opinions import workflow as wf
from opinions.news import OpinionNews
from opinions.reference import reference
from opinions.stats import Period
from store import notices as store_notices, opinion_reports as reports, opinions as store, scope as store_scope
from store.opinion_models import DepartmentNotice, Opinion, OpinionEvent, OpinionPhoto

from api import schemas as s
from api.convert import local, maybe_local
from api.framework import Call, read_body
from api.services import ApiServices

logger = logging.getLogger("hub.api")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rules_of(services: ApiServices) -> store.OpinionRules:
    """The opinion rules the hub was started with."""
    return services.opinion_rules


def _period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidPayload("range_reversed", field="to")


# --- conversion ------------------------------------------------------------------------


def opinion_out(row: Opinion, actor: Actor, matrix: Matrix, rules: store.OpinionRules, now: datetime,
                replayed: bool = False, deputy_name: Optional[str] = None) -> s.OpinionOut:
    return s.OpinionOut(**_opinion_fields(row, actor, matrix, rules, now, replayed, deputy_name))


def _opinion_fields(row: Opinion, actor: Actor, matrix: Matrix, rules: store.OpinionRules, now: datetime,
                    replayed: bool, deputy_name: Optional[str]) -> dict[str, Any]:
    assert row.id is not None
    state = store.state_of(row)
    station = matrix.get(row.station_code)
    overdue = state.overdue(now)
    allowed = [a.value for a in wf.allowed_actions(state, str(actor.role))]
    return dict(
        id=row.id, reference=reference(row.id, row.received_at), client_key=row.client_key, replayed=replayed, station=row.station_code,
        station_name=station.name if station else row.station_code, town=row.town_code, raised_by=row.raised_by,
        deputy_id=row.deputy_id, deputy_name=deputy_name, resident_name=row.resident_name, resident_contact=row.resident_contact,
        category=row.category, category_name=rules.category_names.get(row.category, row.category),
        request_type=row.request_type,
        request_type_name=rules.request_type_names.get(row.request_type, row.request_type),
        summary=row.summary, details=row.details, session_id=row.session_id,
        occurrence_start=maybe_local(row.occurrence_start), session_offset=row.session_offset,
        captured_at=local(row.captured_at), received_at=local(row.received_at), status=row.status,
        level=row.level, department=row.department, deadline=maybe_local(row.deadline),
        overdue=overdue,
        overdue_working_days=rules.calendar.working_days_overdue(row.deadline, now) if overdue and row.deadline else 0,
        extensions=row.extensions, returns=row.returns, reopenings=row.reopenings, grade=row.grade,
        rating=row.rating, resolved=row.resolved_at is not None, flags=sorted(store.flags_of(row)),
        version=row.version, allowed_actions=allowed,
    )


def event_out(row: OpinionEvent) -> s.OpinionEventOut:
    return s.OpinionEventOut(seq=row.seq, action=row.action, from_status=row.from_status, to_status=row.to_status,
                             actor_id=row.actor_id, actor_name=row.actor_name, actor_role=row.actor_role,
                             at=local(row.at), note=row.note, payload=row.payload)


def photo_out(row: OpinionPhoto, mount: str) -> s.OpinionPhotoOut:
    return s.OpinionPhotoOut(position=row.position, content_type=row.content_type, size=row.size, sha256=row.sha256,
                             url=f"{mount}/opinions/{row.opinion_id}/photos/{row.position}")


def notice_out(row: DepartmentNotice) -> s.NoticeOut:
    assert row.id is not None
    return s.NoticeOut(id=row.id, opinion_id=row.opinion_id, department=row.department_code,
                       liaison_name=row.liaison_name, liaison_contact=row.liaison_contact, message=row.message,
                       created_at=local(row.created_at), read_at=maybe_local(row.read_at),
                       webhook_status=row.webhook_status)


def detail_out(view: store.OpinionView, call: Call, actor: Actor) -> s.OpinionDetail:
    rules, matrix = rules_of(call.services), call.services.matrix
    fields = _opinion_fields(view.opinion, actor, matrix, rules, call.now, view.replayed, view.deputy_name)
    return s.OpinionDetail(
        **fields,
        timeline=[event_out(e) for e in view.events],
        photos=[photo_out(p, call.services.mount_path) for p in view.photos],
        notices=[notice_out(n) for n in view.notices],
    )


# --- live news ------------------------------------------------------------------------------


async def session_opinions(call: Call) -> s.SessionOpinionsOut:
    """``GET /sessions/{id}/opinions``: what a dispatcher's live console shows
    on joining (or rejoining) before the live events take over."""
    actor, matrix, rules, now, number = (call.require_actor(), call.services.matrix, rules_of(call.services),
                                         call.now, call.path.id)
    token_session = call.join_session if call.via_join_token else None
    found = await call.services.db(
        lambda db: store.session_opinions(db, actor, matrix, number, now, token_session))
    return s.SessionOpinionsOut(
        session_id=found.session_number, since=local(found.since),
        occurrence_start=maybe_local(found.occurrence_start),
        items=[store.news_of(r, found.deputy_names.get(r.deputy_id or 0), "captured", "submit", matrix, rules).opinion
               for r in found.opinions],
    )


async def tell(services: ApiServices, news: OpinionNews) -> None:
    """Hand committed news to the one bus (:mod:`opinions.bus`), which tells
    the console's stream and the signaling server.  Never fails the request:
    the change is stored already."""
    try:
        await services.opinion_events.opinion_changed(news)
    except Exception:
        logger.exception("telling opinion %s (%s) failed", news.id, news.kind)


async def opinion_events(call: Call) -> web.StreamResponse:
    """``GET /opinion-events``: Server-Sent Events (see :mod:`api.stream`)."""
    from api.stream import HEARTBEAT, RETRY_MS, frame
    from store import accounts

    actor, services, token = call.require_actor(), call.services, call.token
    assert token is not None  # a login (authenticate keeps its token)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-store",
        "X-Accel-Buffering": "no",
    })
    await response.prepare(call.request)
    subscriber = services.opinion_stream.subscribe(actor, services.matrix)
    try:
        await response.write(f"retry: {RETRY_MS}\n\n".encode() + frame("ready", {"resync": False}))
        while True:
            try:
                item = await asyncio.wait_for(subscriber.inbox.get(), HEARTBEAT)
            except asyncio.TimeoutError:
                now = call.now
                try:  # still logged in?  (logout, deactivation and expiry end the stream)
                    await services.db(lambda db: accounts.resolve_token(db, token, now))
                except HubError as exc:
                    await response.write(frame("end", {"code": exc.code}))
                    break
                item = b": heartbeat\n\n"
            if item is None:
                break
            await response.write(item)
    except ConnectionResetError:  # the page went away
        pass
    finally:
        services.opinion_stream.unsubscribe(subscriber)
    return response


# --- capture and handling ----------------------------------------------------------------


async def create_opinion(call: Call) -> web.StreamResponse:
    body: s.OpinionIn = call.body
    actor, matrix, rules, now = call.require_actor(), call.services.matrix, rules_of(call.services), call.now
    capture = store.Capture(
        station=body.station, category=body.category, request_type=body.request_type, summary=body.summary,
        details=body.details, deputy_id=body.deputy_id, resident_name=body.resident_name,
        resident_contact=body.resident_contact, session_id=body.session_id, captured_at=body.captured_at,
        client_key=str(body.client_key) if body.client_key else None,
    )
    token_session = call.join_session if call.via_join_token else None
    view = await call.services.db(
        lambda db: store.create_opinion(db, actor, matrix, rules, capture, now, token_session))
    if view.news is not None:  # a retry (replayed) was told of when it was stored
        await tell(call.services, view.news)
    out = detail_out(view, call, actor)
    # 201 when stored now, 200 when a retry found it stored already.
    return web.json_response(out.model_dump(mode="json", by_alias=True), status=200 if view.replayed else 201,
                             dumps=_dumps)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


async def get_opinion(call: Call) -> s.OpinionDetail:
    actor, matrix, opinion_id = call.require_actor(), call.services.matrix, call.path.id
    view = await call.services.db(lambda db: store.get_opinion(db, actor, matrix, opinion_id))
    return detail_out(view, call, actor)


async def act(call: Call) -> s.OpinionDetail:
    body: s.OpinionActionIn = call.body
    actor, matrix, rules, now, opinion_id = (call.require_actor(), call.services.matrix, rules_of(call.services),
                                             call.now, call.path.id)
    payload = {k: v for k, v in dict(level=body.level, department=body.department, deadline=body.deadline,
                                      grade=body.grade, answer=body.answer, rating=body.rating,
                                      flag=body.flag).items() if v is not None}
    view = await call.services.db(
        lambda db: store.act(db, actor, matrix, rules, opinion_id, body.action, payload, now, body.note, body.version)
    )
    if view.news is not None:
        await tell(call.services, view.news)
    return detail_out(view, call, actor)


async def list_opinions(call: Call) -> s.OpinionList:
    q: s.OpinionQuery = call.query
    actor, matrix, rules, now = call.require_actor(), call.services.matrix, rules_of(call.services), call.now
    if q.from_ is not None and q.to is not None:
        _period(q.from_, q.to)
    f = reports.OpinionFilter(category=q.category, station=q.station, level=q.level, status=q.status,
                            request_type=q.request_type, start=q.from_, end=q.to, text=q.q, overdue=q.overdue,
                            flag=q.flag, department=q.department, deputy_id=q.deputy_id, limit=q.limit,
                            offset=q.offset)
    def work(db: Session) -> tuple[list[Opinion], int, dict[int, str]]:
        rows, total = reports.search(db, actor, matrix, f, now)
        return rows, total, store.deputy_names(db, {r.deputy_id for r in rows if r.deputy_id is not None})

    rows, total, names = await call.services.db(work)
    return s.OpinionList(items=[opinion_out(r, actor, matrix, rules, now, deputy_name=names.get(r.deputy_id or 0))
                                for r in rows], total=total)


async def options(call: Call) -> s.OpinionOptions:
    call.require_actor()
    rules = rules_of(call.services)
    config_departments = rules.departments
    cats = _category_rows(call)
    return s.OpinionOptions(
        categories=cats[0], request_types=cats[1],
        departments=[s.DepartmentOut(code=d.code, name=d.name, name_en=d.name_en, level=d.level, station=d.station,
                                     liaison_name=d.liaison.name, liaison_contact=d.liaison.contact,
                                     example=d.example) for d in config_departments.departments],
        handling_days=config_departments.handling_days.model_dump(),
        calendar_missing_years=rules.calendar.missing_years(rules.calendar.local_date(call.now)),
    )


def _category_rows(call: Call) -> tuple[list[s.CodeName], list[s.CodeName]]:
    rules = rules_of(call.services)
    return ([s.CodeName(code=c, name=rules.category_names[c], name_en=rules.category_names_en.get(c, ""))
             for c in rules.categories],
            [s.CodeName(code=c, name=rules.request_type_names[c], name_en=rules.request_type_names_en.get(c, ""))
             for c in rules.request_types])


# --- photos ------------------------------------------------------------------------------


async def put_photo(call: Call) -> s.OpinionPhotoOut:
    actor, matrix, now, path = call.require_actor(), call.services.matrix, call.now, call.path
    data = await read_body(call.request, store.MAX_PHOTO_BYTES, "photo_too_large")
    if not data:
        raise InvalidPayload("photo_body", field="(body)")
    content_type = call.request.headers.get("Content-Type", "")
    row = await call.services.db(
        lambda db: store.put_photo(db, actor, matrix, path.id, path.position, content_type, data, now)
    )
    return photo_out(row, call.services.mount_path)


async def get_photo(call: Call) -> web.Response:
    actor, matrix, path = call.require_actor(), call.services.matrix, call.path
    row = await call.services.db(lambda db: store.get_photo(db, actor, matrix, path.id, path.position))
    return web.Response(body=row.data, content_type=row.content_type,
                        headers={"Cache-Control": "private, max-age=3600", "ETag": f'"{row.sha256}"'})


# --- notices -----------------------------------------------------------------------------


async def list_notices(call: Call) -> s.NoticeList:
    q: s.NoticeQuery = call.query
    actor = call.require_actor()
    rows = await call.services.db(lambda db: store_notices.notices(db, actor, call.services.matrix, q.department, q.unread, q.limit))
    return s.NoticeList(items=[notice_out(r) for r in rows])


async def read_notice(call: Call) -> s.NoticeOut:
    actor, now, notice_id = call.require_actor(), call.now, call.path.id
    return notice_out(await call.services.db(lambda db: store_notices.mark_notice_read(db, actor, call.services.matrix, notice_id, now)))


# --- statistics, rankings, the hot-topic report ---------------------------------------------


async def stats(call: Call) -> s.StatsOut:
    q: s.PeriodQuery = call.query
    _period(q.from_, q.to)
    actor, matrix = call.require_actor(), call.services.matrix
    scope = store_scope.reading_scope(actor, matrix, q.scope)
    summary = await call.services.db(lambda db: reports.summary(db, matrix, scope, q.from_, q.to))
    return _stats_out(summary, scope, q.from_, q.to)


def _stats_out(summary: Any, scope: Optional[str], start: datetime, end: datetime) -> s.StatsOut:
    d = summary.as_dict()
    return s.StatsOut(scope=scope, from_=local(start), to=local(end), received=d["received"],
                      assigned=d["assigned"], resolved=d["resolved"], resolved_town=d["resolvedTown"],
                      answered=d["answered"], rated=d["rated"], satisfied=d["satisfied"], basic=d["basic"],
                      unsatisfied=d["unsatisfied"], resolution_rate=d["resolutionRate"], town_share=d["townShare"],
                      avg_hours_to_answer=d["avgHoursToAnswer"], satisfaction=d["satisfaction"])


async def ranking(call: Call) -> s.RankingOut:
    q: s.PeriodQuery = call.query
    _period(q.from_, q.to)
    actor, matrix, rules = call.require_actor(), call.services.matrix, rules_of(call.services)
    scope = store_scope.reading_scope(actor, matrix, q.scope)
    rows = await call.services.db(lambda db: reports.ranking(db, matrix, rules, scope, q.from_, q.to))
    previous = Period(q.from_, q.to).previous()
    return s.RankingOut(
        scope=scope, from_=local(q.from_), to=local(q.to), previous_from=local(previous.start),
        previous_to=local(previous.end),
        items=[s.RankRowOut(rank=r.rank, category=r.category, name=rules.category_names.get(r.category, r.category),
                            count=r.count, previous=r.previous, previous_rank=r.previous_rank, change=r.change,
                            change_rate=r.change_rate) for r in rows],
    )


async def hot_topics_xlsx(call: Call) -> web.Response:
    q: s.PeriodQuery = call.query
    _period(q.from_, q.to)
    actor, matrix, rules, now = call.require_actor(), call.services.matrix, rules_of(call.services), call.now

    def work(db: Session) -> bytes:
        report = reports.hot_topic_report(db, actor, matrix, rules, q.scope, q.from_, q.to, now)
        return hot_topic_workbook(report, matrix, rules, now)

    data = await call.services.db(work)
    name = f"hot-topics-{local(q.from_):%Y%m%d}-{local(q.to):%Y%m%d}.xlsx"
    return web.Response(body=data, content_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _pct(value: Optional[float]) -> Any:
    return round(value, 4) if value is not None else "—"


def hot_topic_workbook(report: reports.HotTopicReport, matrix: Matrix, rules: store.OpinionRules, now: datetime) -> bytes:
    """民情热点专报 as an Excel workbook: 概况 (figures against the previous
    period), 分类排行 (top categories and their change), 重点事项 (notable
    items), 督办候选 (supervision candidates), 超期事项 (overdue)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from api.xlsx import append

    bold = Font(bold=True)
    scope_name = matrix[report.scope].name if report.scope else "全部"
    start = local(report.start)
    last_day = local(report.end - timedelta(microseconds=1))
    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    append(ws, ["民情热点专报"])
    ws["A1"].font = Font(bold=True, size=14)
    append(ws, ["范围", scope_name])
    previous = Period(report.start, report.end).previous()
    append(ws, ["期间", f"{start:%Y-%m-%d} 至 {last_day:%Y-%m-%d}"])
    append(ws, ["上期", f"{local(previous.start):%Y-%m-%d} 至 {local(previous.end - timedelta(microseconds=1)):%Y-%m-%d}"])
    append(ws, ["生成时间", f"{local(now):%Y-%m-%d %H:%M}"])
    append(ws, [])
    append(ws, ["指标", "本期", "上期"])
    for cell in ws[7]:
        cell.font = bold
    cur, prev = report.summary, report.previous_summary
    for label, a, b in (
        ("收到民情", cur.received, prev.received),
        ("交办", cur.assigned, prev.assigned),
        ("办结", cur.resolved, prev.resolved),
        ("办结率", _pct(cur.resolution_rate), _pct(prev.resolution_rate)),
        ("镇级办结", cur.resolved_town, prev.resolved_town),
        ("镇级办结占比", _pct(cur.town_share), _pct(prev.town_share)),
        ("平均答复时长（小时）", _pct(cur.avg_hours_to_answer), _pct(prev.avg_hours_to_answer)),
        ("评价数", cur.rated, prev.rated),
        ("满意率", _pct(cur.satisfaction), _pct(prev.satisfaction)),
    ):
        append(ws, [label, a, b])
    ws.column_dimensions["A"].width = 24

    ws = wb.create_sheet("分类排行")
    append(ws, ["排名", "分类代码", "分类", "本期件数", "上期件数", "变化", "变化率", "上期排名"])
    for cell in ws[1]:
        cell.font = bold
    for r in report.ranking:
        append(ws, [r.rank, r.category, rules.category_names.get(r.category, r.category), r.count, r.previous,
                   r.change, _pct(r.change_rate), r.previous_rank or "—"])
    ws.column_dimensions["C"].width = 22

    departments = {d.code: d.name for d in rules.departments.departments}

    def word(name: str, code: Optional[str]) -> str:
        """A state or level in the 民情 pages' words (已交办, 镇级), not its code."""
        return TERMS[name].get(code, {}).get("zh-CN", code) if code else ""

    def items(title: str, rows: list[Opinion]) -> None:
        sheet = wb.create_sheet(title)
        append(sheet, ["编号", "民情编号", "收到时间", "联络站", "分类", "类型", "摘要", "状态", "层级", "承办单位", "期限",
                      "评价", "标记"])
        for cell in sheet[1]:
            cell.font = bold
        for o in rows:
            station = matrix.get(o.station_code)
            append(sheet, [
                o.id, reference(o.id or 0, o.received_at), f"{local(o.received_at):%Y-%m-%d %H:%M}", station.name if station else o.station_code,
                rules.category_names.get(o.category, o.category),
                rules.request_type_names.get(o.request_type, o.request_type), o.summary, word("status", o.status),
                word("level", o.level), departments.get(o.department, o.department) if o.department else "",
                f"{local(o.deadline):%Y-%m-%d}" if o.deadline else "",
                wf.RATING_NAMES.get(o.rating or "", ""),
                "、".join(wf.FLAG_NAMES[f] for f in sorted(store.flags_of(o))),
            ])
        sheet.column_dimensions["B"].width = 16
        sheet.column_dimensions["G"].width = 40

    items("重点事项", report.notable)
    items("督办候选", report.supervision)
    items("超期事项", report.overdue)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
