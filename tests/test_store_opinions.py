"""store/opinions.py and store/duty.py on SQLite and PostgreSQL: idempotent
capture, handling with timeline, audit, notices and duty records, and the
SQL statistics checked against the pure ones over a generated data set."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from duty.scoring import Attendance
from hub.config import load_config
from core.errors import Forbidden, IdempotencyConflict, InvalidPayload, NotFound, OpinionTransitionRefused
from core.scope import Actor
from opinions import stats as pure
from store import audit, db as storedb, duty, opinion_reports as reports, opinions, scope as store_scope
from store.deputies import create_deputy
from store.opinion_models import DepartmentNotice, DutyRecord, Opinion

from test_store import databases  # noqa: F401  (fresh, uniquely named databases)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=SH)
CONFIG = load_config(environ={})
MATRIX = CONFIG.matrix
RULES = opinions.OpinionRules.from_config(CONFIG)
ADMIN = Actor(role="administrator", name="admin")
HN = Actor(role="dispatcher", station="haining", name="hn")
YANGUAN = Actor(role="dispatcher", station="yanguan", name="yg")
OP_XUCUN = Actor(role="operator", station="xucun", name="op")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request, databases):  # noqa: F811
    url = databases.new(request.param)
    storedb.upgrade(url)
    engine = storedb.make_engine(url)
    with Session(engine) as db:
        storedb.sync_stations(db, MATRIX)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def people(db):
    suffix = uuid.uuid4().hex[:6]
    deputy = create_deputy(db, ADMIN, MATRIX, f"许村代表{suffix}", "haining", "xucun-rongxing", "许村小组", NOW)
    rep = create_deputy(db, ADMIN, MATRIX, f"居民代表{suffix}", "street_rep", "xiashi", "硖石居民代表组", NOW)
    return deputy, rep


def capture(**kw) -> opinions.Capture:
    base = dict(station="xucun-rongxing", category="03", request_type="help", summary="村口路灯不亮",
                details="已有两周", resident_name="王阿姨", resident_contact="138", client_key=str(uuid.uuid4()))
    base.update(kw)
    return opinions.Capture(**base)


def test_capture_is_idempotent_by_client_key(db, people):
    deputy, _ = people
    c = capture(deputy_id=deputy.id, resident_name="", resident_contact="")
    first = opinions.create_opinion(db, HN, MATRIX, RULES, c, NOW)
    again = opinions.create_opinion(db, HN, MATRIX, RULES, c, NOW + timedelta(minutes=3))
    assert again.replayed and not first.replayed and again.opinion.id == first.opinion.id
    assert db.exec(select(sa.func.count()).select_from(Opinion).where(Opinion.client_key == c.client_key)).one() == 1
    assert first.opinion.town_code == "xucun" and first.opinion.status == "submitted"
    assert [(e.seq, e.action, e.to_status) for e in first.events] == [(1, "submit", "submitted")]
    with pytest.raises(IdempotencyConflict):
        opinions.create_opinion(db, HN, MATRIX, RULES, capture(client_key=c.client_key, summary="别的"), NOW)
    # the deputy gets one opinion_raised record, however often the capture is retried
    records = db.exec(select(DutyRecord).where(DutyRecord.deputy_id == deputy.id)).all()
    assert [(r.kind, r.points, r.status) for r in records] == [("opinion_raised", 1.0, "approved")]
    assert [e.action for e in audit.entries(db, "opinion", first.opinion.id)] == ["opinion.create"]



def test_the_store_returns_the_news_with_the_commit_and_a_replay_none(db, people):
    """issue 11, move 4: the writer builds the news (no handler can forget it)."""
    deputy, _ = people
    c = capture(deputy_id=deputy.id, resident_name="", resident_contact="")
    first = opinions.create_opinion(db, HN, MATRIX, RULES, c, NOW)
    news = first.news
    assert news is not None and news.kind == "captured" and news.action == "submit"
    assert (news.id, news.version, news.opinion.raiser_name) == (first.opinion.id, first.opinion.version, deputy.name)
    assert news.opinion.category_name == RULES.category_names["03"] and news.opinion.captured_at.utcoffset() == timedelta(hours=8)
    assert opinions.create_opinion(db, HN, MATRIX, RULES, c, NOW + timedelta(minutes=3)).news is None  # told once
    accepted = opinions.act(db, HN, MATRIX, RULES, first.opinion.id, "accept", {}, NOW)
    assert accepted.news is not None and (accepted.news.kind, accepted.news.action) == ("updated", "accept")
    assert accepted.news.version == accepted.opinion.version > news.version
    assert opinions.get_opinion(db, HN, MATRIX, first.opinion.id).news is None

def test_capture_checks(db, people):
    with pytest.raises(InvalidPayload, match="category"):
        opinions.create_opinion(db, HN, MATRIX, RULES, capture(category="99"), NOW)
    with pytest.raises(InvalidPayload, match="resident"):
        opinions.create_opinion(db, HN, MATRIX, RULES, capture(resident_name=""), NOW)
    with pytest.raises(Forbidden):
        opinions.create_opinion(db, YANGUAN, MATRIX, RULES, capture(), NOW)
    with pytest.raises(Forbidden):
        opinions.create_opinion(db, OP_XUCUN, MATRIX, RULES, capture(), NOW)  # not its own station
    with pytest.raises(InvalidPayload, match="capturedAt"):
        opinions.create_opinion(db, HN, MATRIX, RULES, capture(captured_at=NOW - timedelta(days=40)), NOW)
    kept_offline = opinions.create_opinion(db, OP_XUCUN, MATRIX, RULES,
                                           capture(station="xucun", captured_at=NOW - timedelta(hours=2)), NOW)
    assert kept_offline.opinion.captured_at == NOW - timedelta(hours=2) and kept_offline.opinion.received_at == NOW


def test_handling_timeline_notice_duty_and_scope(db, people):
    deputy, _ = people
    view = opinions.create_opinion(db, HN, MATRIX, RULES, capture(deputy_id=deputy.id, resident_name=""), NOW)
    oid = view.opinion.id

    def act(action, t=0, actor=HN, note="", **payload):
        return opinions.act(db, actor, MATRIX, RULES, oid, action, payload, NOW + timedelta(hours=t), note)

    act("accept", 1)
    with pytest.raises(InvalidPayload, match="serves changan"):
        act("assign", 2, level="town", department="changan-office")
    with pytest.raises(InvalidPayload, match="county"):
        act("assign", 2, level="town", department="hn-transport")
    v = act("assign", 2, level="town", department="xucun-office", note="请尽快")
    # 5 working days from Monday 3 March 2025 → Monday 10 March, end of day
    assert v.opinion.deadline.astimezone(SH).date().isoformat() == "2025-03-10"
    notice = db.exec(select(DepartmentNotice).where(DepartmentNotice.opinion_id == oid)).one()
    assert notice.department_code == "xucun-office" and "@钱联络" in notice.message and notice.webhook_status == "none"
    with pytest.raises(OpinionTransitionRefused, match="cannot answer an opinion that is assigned"):
        act("answer", 3, grade="A", answer="x")
    act("start", 3)
    act("answer", 30, grade="A", answer="已修复")
    v = act("feed_back", 31)
    assert v.opinion.resolved_at is not None and v.opinion.answer_seconds == 30 * 3600
    kinds = sorted(r.kind for r in db.exec(select(DutyRecord).where(DutyRecord.deputy_id == deputy.id)).all())
    assert kinds == ["opinion_raised", "opinion_resolved"]
    v = act("rate", 32, rating="unsatisfied")
    assert v.opinion.status == "reopened" and v.opinion.resolved_at is None
    act("start", 33)  # a fresh deadline from the level
    act("answer", 40, grade="A", answer="再次修复")
    kinds = sorted(r.kind for r in db.exec(select(DutyRecord).where(DutyRecord.deputy_id == deputy.id)).all())
    assert kinds == ["opinion_raised", "opinion_resolved"]  # resolved twice, scored once
    v = opinions.get_opinion(db, ADMIN, MATRIX, oid)
    assert [e.action for e in v.events] == ["submit", "accept", "assign", "start", "answer", "feed_back", "rate",
                                            "start", "answer"]
    assert [e.seq for e in v.events] == list(range(1, 10)) and v.events[2].note == "请尽快"
    assert opinions.timeline(v)[-1].payload["grade"] == "A"
    with pytest.raises(NotFound):
        opinions.get_opinion(db, YANGUAN, MATRIX, oid)
    with pytest.raises(NotFound):
        opinions.act(db, YANGUAN, MATRIX, RULES, oid, "flag", {"flag": "hot"}, NOW)
    assert audit.entries(db, "opinion", oid)[0].action == "opinion.answer"


def test_search_filters_and_overdue(db, people):
    marker = uuid.uuid4().hex[:8]
    a = opinions.create_opinion(db, HN, MATRIX, RULES, capture(summary=f"噪声 {marker}", category="11"), NOW)
    opinions.create_opinion(db, HN, MATRIX, RULES, capture(summary=f"垃圾 {marker}", category="12",
                                                         station="changan"), NOW)
    opinions.act(db, HN, MATRIX, RULES, a.opinion.id, "accept", {}, NOW)
    opinions.act(db, HN, MATRIX, RULES, a.opinion.id, "assign", {"level": "county", "department": "hn-ecology"}, NOW)
    rows, total = reports.search(db, HN, MATRIX, reports.OpinionFilter(text=marker), NOW)
    assert total == 2
    rows, total = reports.search(db, HN, MATRIX, reports.OpinionFilter(text=marker, station="xucun"), NOW)
    assert [r.id for r in rows] == [a.opinion.id]
    late = NOW + timedelta(days=30)
    rows, _ = reports.search(db, HN, MATRIX, reports.OpinionFilter(text=marker, overdue=True), late)
    assert [r.id for r in rows] == [a.opinion.id]
    rows, _ = reports.search(db, HN, MATRIX, reports.OpinionFilter(text=marker, level="county", category="11"), NOW)
    assert [r.id for r in rows] == [a.opinion.id]
    rows, _ = reports.search(db, HN, MATRIX, reports.OpinionFilter(text="%"), NOW)  # wildcards are literal
    assert rows == []
    # by reference number (MQ{year received}-{id}), within the caller's scope
    from opinions.reference import reference
    ref = reference(a.opinion.id, a.opinion.received_at)
    assert ref == f"MQ2025-{a.opinion.id:06d}"
    rows, total = reports.search(db, HN, MATRIX, reports.OpinionFilter(text=f" {ref.lower()} "), NOW)
    assert [r.id for r in rows] == [a.opinion.id] and total == 1
    rows, _ = reports.search(db, HN, MATRIX, reports.OpinionFilter(text=f"MQ2026-{a.opinion.id:06d}"), NOW)
    assert rows == []  # the right id, the wrong year
    rows, _ = reports.search(db, OP_XUCUN, MATRIX, reports.OpinionFilter(text=ref), NOW)
    assert [r.id for r in rows] == [a.opinion.id]
    rows, _ = reports.search(db, Actor(role="operator", station="changan", name="op"), MATRIX,
                              reports.OpinionFilter(text=ref), NOW)
    assert rows == []  # out of scope
    with pytest.raises(Forbidden):
        reports.search(db, YANGUAN, MATRIX, reports.OpinionFilter(station="xucun"), NOW)


STATIONS = ["xucun", "xucun-rongxing", "changan", "changan-xinfeng", "haining", "xiashi", "yanguan"]


def test_sql_statistics_equal_the_pure_ones_on_a_generated_data_set(engine):
    rng = random.Random(11)
    base = datetime(2031, 1, 1, tzinfo=SH)  # a year of its own: no other test's rows
    rows = []
    for i in range(600):
        received = base + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400))
        assigned = rng.random() < 0.8
        answered = assigned and rng.random() < 0.85
        resolved = answered and rng.random() < 0.8
        station = rng.choice(STATIONS)
        first_answer = received + timedelta(seconds=rng.randrange(600, 20 * 86400)) if answered else None
        rows.append(dict(
            client_key=f"gen-{uuid.uuid4()}", fingerprint="x", station_code=station,
            town_code=store_scope.town_of(MATRIX, station), raised_by="resident", resident_name="r",
            resident_contact="", category=rng.choice(RULES.categories[:12]), request_type="help",
            summary="s", details="", captured_at=received, received_at=received,
            status="answered" if answered else ("assigned" if assigned else "submitted"),
            level=rng.choice(["town", "county", "city"]) if assigned else None,
            first_assigned_at=received if assigned else None, first_answered_at=first_answer,
            answered_at=first_answer,
            answer_seconds=int((first_answer - received).total_seconds()) if first_answer else None,
            resolved_at=first_answer if resolved else None,
            rating=rng.choice([None, "satisfied", "basic", "unsatisfied"]) if answered else None,
            extensions=0, returns=0, reopenings=0, flag_suggestion=False, flag_hot=False, flag_supervision=False,
            updated_at=received, version=1,
        ))
    with Session(engine) as db:
        db.execute(sa.insert(Opinion.__table__), rows)  # type: ignore[attr-defined]
        db.commit()
        stored = db.exec(select(Opinion).where(Opinion.received_at >= base)).all()
        facts = reports.facts(stored)
        start, end = datetime(2032, 1, 1, tzinfo=SH), datetime(2033, 1, 1, tzinfo=SH)
        for scope in (None, "haining", "xucun", "xucun-rongxing", "changan"):
            def inside(f):
                return scope is None or MATRIX.is_within(f.station, scope)
            expected = pure.summarize(f for f in pure.in_period(facts, start, end) if inside(f))
            got = reports.summary(db, MATRIX, scope, start, end)
            assert got.received == expected.received > 0, scope
            assert (got.assigned, got.resolved, got.resolved_town, got.rated, got.satisfied, got.basic) == (
                expected.assigned, expected.resolved, expected.resolved_town, expected.rated, expected.satisfied,
                expected.basic), scope
            assert got.avg_hours_to_answer == pytest.approx(expected.avg_hours_to_answer)
            assert got.resolution_rate == pytest.approx(expected.resolution_rate)
            previous = pure.Period(start, end).previous()
            expected_rank = pure.rank(
                pure.counts_by(f for f in pure.in_period(facts, start, end) if inside(f)),
                pure.counts_by(f for f in pure.in_period(facts, previous.start, previous.end) if inside(f)),
                RULES.categories)
            assert reports.ranking(db, MATRIX, RULES, scope, start, end) == expected_rank


def test_duty_manual_review_attendance_and_ledger(db, people):
    deputy, rep = people
    record = duty.add_manual(db, HN, MATRIX, RULES.scoring, deputy.id, "station_reception", "reception:2025-03-03",
                             NOW, NOW)
    same = duty.add_manual(db, HN, MATRIX, RULES.scoring, deputy.id, "station_reception", "reception:2025-03-03",
                           NOW, NOW)
    assert record.id == same.id and record.status == "pending" and record.points == 2
    with pytest.raises(Forbidden):
        duty.add_manual(db, YANGUAN, MATRIX, RULES.scoring, deputy.id, "inspection", "x", NOW, NOW)
    with pytest.raises(InvalidPayload, match="reason"):
        duty.review(db, HN, MATRIX, record.id, False, " ", NOW)
    assert duty.review(db, HN, MATRIX, record.id, True, "", NOW).status == "approved"
    start = NOW - timedelta(hours=1)
    stays = [Attendance(deputy.id, start, 50), Attendance(rep.id, start, 45), Attendance(rep.id, start, 1)]
    assert duty.record_attendance(db, MATRIX, RULES.scoring, 1, start, stays, NOW) == 2
    assert duty.record_attendance(db, MATRIX, RULES.scoring, 1, start, stays, NOW) == 0
    f = duty.DutyFilter(scope="xucun", start=NOW - timedelta(days=1), end=NOW + timedelta(days=1))
    rows = duty.ledger(db, HN, MATRIX, f, "deputy")
    mine = next(r for r in rows if r.key == str(deputy.id))
    assert mine.points == 3 and mine.counts == {"station_reception": 1, "session_joined": 1}
    reps = duty.ledger(db, HN, MATRIX, duty.DutyFilter(start=f.start, end=f.end), "city", "street_rep")
    assert rep.id in reps[0].deputies and all(r.person_kind == "street_rep" for r in reps)
    town = duty.ledger(db, HN, MATRIX, f, "town")
    assert [r.name for r in town] == ["许村镇人大代表联络站"] or town[0].key == "xucun"


def test_a_deputy_captures_as_itself_at_its_station_or_at_one_of_its_session(db, people):
    """issue 8 (item 3, review MEDIUM-1): a deputy's invitation link filed
    opinions at a station of neither its own nor its session's."""
    from core.errors import SessionNotFound
    from store.sessions import SessionPlan, SessionRepo
    from store import invitations
    deputy, rep = people
    repo = SessionRepo(MATRIX)
    day = NOW + timedelta(days=30 + random.randrange(300))  # a slot no other run of this test booked

    def session(*stations):
        return repo.create(db, ADMIN, SessionPlan(title="联动", chair=stations[0], stations=stations, start=day,
                                                  end=day + timedelta(hours=1)), NOW).id

    invited, other = session("changan", "dingqiao"), session("xiashi", "yuanhua")
    invitations.invite(db, repo, ADMIN, invited, deputy.id, NOW)
    me = Actor(role="deputy", deputy_id=deputy.id, station=deputy.station_code, name=deputy.name)

    def raise_(station, session_id=None, deputy_id=deputy.id, token_session=None):
        c = capture(station=station, deputy_id=deputy_id, resident_name="", resident_contact="", session_id=session_id)
        return opinions.create_opinion(db, me, MATRIX, RULES, c, NOW, token_session)

    assert raise_(deputy.station_code).opinion.deputy_id == deputy.id  # at its own station
    assert raise_("changan", invited, token_session=str(invited)).opinion.station_code == "changan"  # in its session
    # on its phone in its session: at its own station, which need not be one of the session's
    assert raise_(deputy.station_code, invited, token_session=str(invited)).opinion.session_id == invited
    for refused in (
        lambda: raise_("changan"),  # not its station, and no session named
        lambda: raise_("xiashi", invited),  # not a station of its session
        lambda: raise_("xiashi", other),  # a session it is not invited to
        lambda: raise_("changan", invited, token_session=str(other)),  # its link is for another session
        lambda: raise_(deputy.station_code, deputy_id=rep.id),  # crediting someone else
    ):
        with pytest.raises(Forbidden):
            refused()
    with pytest.raises(SessionNotFound):
        raise_(deputy.station_code, 999999)


def test_the_live_push_addresses_exactly_the_staff_who_may_read_an_opinion():
    """opinions.news.reader_scopes (the Socket.IO rooms an opinion's news
    goes to) agrees with can_view_opinion (REST and the event stream) for
    every staff scope and station of the matrix."""
    from opinions.news import EVERY_STATION, reader_scope, reader_scopes
    staff = [ADMIN] + [Actor(role="dispatcher", station=s.code, name=s.code) for s in MATRIX.stations()]
    for station in MATRIX.stations():
        scopes = set(reader_scopes(MATRIX, station.code))
        for actor in staff:
            assert (reader_scope(actor) in scopes) == store_scope.can_view_opinion(actor, MATRIX, station.code, None), (
                actor, station.code)
    assert reader_scopes(MATRIX, "nowhere") == [EVERY_STATION] and reader_scope(OP_XUCUN) is None
