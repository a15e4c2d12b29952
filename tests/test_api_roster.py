"""The deputy roster's REST (issue 13, administration): several levels per
person, editing with validation (a refusal changes nothing), reactivation of
deputies and accounts, the Excel export, template and import (a dry run names
every bad row; only the good rows after confirmation, in one transaction),
the scope of each, and the CLI's department accounts."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from test_api_support import PASSWORD, NOW, api_hub, cheap_passwords, start_hub  # noqa: F401

HEADER = ["姓名", "手机号码", "代表层级", "所属联络站", "代表小组"]
XUCUN = "许村镇人大代表联络站"


def workbook(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def upload(hub, who: str, data: bytes, confirm: bool = False, lang: str = "zh-CN", name: str = "名册.xlsx"):
    params = {"fileName": name, **({"confirm": "good_rows"} if confirm else {})}
    return await hub.call("POST", "/deputies/import", who, data=data, params=params, lang=lang)


async def roster(hub, who: str = "admin", **params) -> list[dict]:
    return (await hub.ok("GET", "/deputies", who, params={k: str(v) for k, v in params.items()}))["items"]


def phone(i: int) -> str:
    return f"139{i:08d}"


def the_500_rows() -> tuple[list[list[object]], dict[int, str]]:
    """500 rows for Haining's dispatcher, 20 of them bad: {sheet row: the expected reason}."""
    rows: list[list[object]] = []
    for i in range(500):
        station = ("许村镇人大代表联络站", "changan", "长安镇人大代表联络站", "xucun-rongxing")[i % 4]
        levels = ("海宁市人大代表", "镇人大代表", "海宁市人大代表、镇人大代表", "街道居民代表")[i % 4]
        rows.append([f"代表{i:03d}", int(phone(i + 10)) if i % 2 else phone(i + 10), levels, station, f"第{i % 7}小组"])
    bad: dict[int, str] = {}

    def spoil(index: int, column: int, value: object, reason: str) -> None:
        rows[index][column] = value
        bad[index + 2] = reason  # the header is row 1

    for k in (5, 55, 105):
        spoil(k, 0, "", "roster_name_missing")
    for k in (15, 65, 115):
        spoil(k, 3, "火星联络站", "roster_station_unknown")
    for k in (25, 75, 125):
        spoil(k, 2, "县人大代表", "roster_level_unknown")
    for k in (35, 85, 135):
        spoil(k, 3, "嘉兴市人大代表联络总站", "roster_station_outside_scope")
    for k in (45, 95, 145):
        spoil(k, 1, "1380000", "roster_phone_invalid")
    spoil(200, 1, phone(300 + 10), "roster_phone_repeated")  # the same as row 302
    bad[302] = "roster_phone_repeated"
    spoil(210, 1, phone(99_000), "roster_phone_outside_scope")  # 嘉兴代表's number
    for k in (220, 230):
        spoil(k, 0, "名" * 101, "roster_name_too_long")
    assert len(bad) == 20
    rows[400][1] = phone(77_000)  # 许村代表's number: updates that deputy
    return rows, bad


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_500_rows_with_20_bad_ones_name_each_then_only_the_good_rows_after_confirmation(backend, tmp_path):
    hub, stop = await start_hub(backend, tmp_path)
    try:
        await hub.ok("PATCH", f"/deputies/{hub.deputies['嘉兴代表']}", "admin", json={"phone": phone(99_000)})
        await hub.ok("PATCH", f"/deputies/{hub.deputies['许村代表']}", "admin", json={"phone": phone(77_000)})
        rows, bad = the_500_rows()
        data = workbook(rows)
        before = await roster(hub, includeInactive="true")

        status, report = await upload(hub, "hn", data)
        assert status == 200, report
        assert (report["rows"], report["good"], report["bad"], report["imported"]) == (500, 480, 20, False)
        assert (report["created"], report["updated"]) == (479, 1)
        named = {b["row"]: [p["reason"] for p in b["problems"]] for b in report["badRows"]}
        assert named == {row: [reason] for row, reason in bad.items()}
        first = report["badRows"][0]
        assert first["row"] == 7 and first["problems"][0]["message"] == "缺少姓名"
        assert first["problems"][0]["messages"]["en"] == "the name is missing"
        repeated = next(b for b in report["badRows"] if b["row"] == 202)
        assert repeated["problems"][0]["message"] == "与第 302 行的手机号码重复"
        assert await roster(hub, includeInactive="true") == before  # a dry run writes nothing
        assert (await hub.ok("GET", "/audit", "admin", params={"action": "deputy.import"}))["items"] == []

        status, done = await upload(hub, "hn", data, confirm=True, lang="en")
        assert status == 200, done
        assert (done["imported"], done["created"], done["updated"], done["bad"]) == (True, 479, 1, 20)
        assert next(b for b in done["badRows"] if b["row"] == 7)["problems"][0]["message"] == "the name is missing"
        after = await roster(hub, includeInactive="true")
        assert len(after) == len(before) + 479
        xucun = next(d for d in after if d["id"] == hub.deputies["许村代表"])
        assert (xucun["name"], xucun["group"]) == ("代表400", "第1小组")  # updated by phone, not duplicated
        both = next(d for d in after if d["name"] == "代表002")
        assert (both["level"], both["levels"], both["station"]) == ("haining", ["haining", "town"], "changan")
        assert next(d for d in after if d["name"] == "代表001")["phone"] == phone(11)  # a numeric cell
        audit = (await hub.ok("GET", "/audit", "admin", params={"action": "deputy.import"}))["items"]
        assert len(audit) == 1 and audit[0]["actorName"] == "hn"
        assert audit[0]["after"] == {"file": "名册.xlsx", "rows": 500, "created": 479, "updated": 1, "unchanged": 0,
                                     "bad": 20}
    finally:
        await stop()


async def test_the_export_imports_back_as_nothing_new(hub):
    await hub.ok("PATCH", f"/deputies/{hub.deputies['长安代表']}", "admin",
                 json={"levels": ["haining", "town"], "phone": "13900000001"})
    status, data = await hub.call("GET", "/deputies.xlsx", "hn")
    assert status == 200 and isinstance(data, bytes)
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == [*HEADER, "状态"]
    assert ws.freeze_panes == "A2"
    cells = {(r[0].value): [c.value for c in r] for r in ws.iter_rows(min_row=2)}
    assert cells["长安代表"] == ["长安代表", "13900000001", "海宁市人大代表、镇人大代表", "长安镇人大代表联络站", "许村小组", "在任"]
    assert "嘉兴代表" not in cells  # outside Haining's scope
    assert all(c.data_type == "s" for r in ws.iter_rows(min_row=2) for c in r if c.value is not None)

    status, report = await upload(hub, "hn", data, confirm=True)
    assert status == 200, report
    assert (report["bad"], report["created"], report["updated"], report["unchanged"]) == (0, 0, 0, 2)
    assert len(await roster(hub, "hn")) == 2

    # filters narrow the export like the list
    status, data = await hub.call("GET", "/deputies.xlsx", "admin", params={"level": "town"})
    names = [r[0].value for r in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2)]
    assert names == ["长安代表"]


async def test_the_template_has_the_chinese_header_and_a_file_that_is_not_a_roster_is_refused(hub):
    status, data = await hub.call("GET", "/deputies/template.xlsx", "hn")
    wb = load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.active[1]] == HEADER
    assert [c.value for c in wb.active[2]][3] == "海宁市人大代表联络分站"  # the example row: a station of the caller's
    assert "许村镇人大代表联络站" in [r[0].value for r in wb["填写说明"].iter_rows()]
    status, body = await upload(hub, "hn", b"not a workbook")
    assert status == 400 and body["error"]["reason"] == "roster_file_unreadable"
    status, body = await upload(hub, "hn", workbook([["张三"]], header=["名字"]))
    assert status == 400 and "姓名、手机号码" in body["error"]["message"]
    status, body = await upload(hub, "hn", workbook([]))
    assert status == 400 and body["error"]["reason"] == "roster_empty"
    for who in ("op-xucun", None):
        assert (await upload(hub, who, workbook([["张三", "", "镇", XUCUN, ""]]), confirm=True))[0] in (401, 403)
    assert len(await roster(hub)) == 3


async def test_edit_levels_group_station_phone_and_a_refusal_changes_nothing(hub):
    xid = hub.deputies["许村代表"]
    done = await hub.ok("PATCH", f"/deputies/{xid}", "hn",
                        json={"levels": ["town", "haining"], "group": "二组", "phone": "+86 139-0000-0002",
                              "station": "xucun-rongxing", "name": "许村代表甲"})
    assert (done["level"], done["levels"], done["group"], done["phone"], done["station"], done["name"]) == (
        "haining", ["haining", "town"], "二组", "13900000002", "xucun-rongxing", "许村代表甲")
    assert [d["id"] for d in await roster(hub, "hn", level="town")] == [xid]
    assert [d["id"] for d in await roster(hub, "hn", q="0002")] == [xid]
    assert [d["id"] for d in await roster(hub, "hn", group="二组")] == [xid]
    assert (await hub.ok("GET", "/deputies/groups", "hn"))["items"] == ["二组", "许村小组"]
    unchanged = await roster(hub, includeInactive="true")

    other = hub.deputies["长安代表"]
    refusals = [
        ("admin", xid, {"phone": "123"}, 400),
        ("admin", other, {"phone": "13900000002"}, 409),  # 许村代表's
        ("admin", xid, {"levels": []}, 400),
        ("admin", xid, {"levels": ["county"]}, 400),
        ("admin", xid, {"name": ""}, 400),
        ("admin", xid, {"station": "atlantis"}, 404),
        ("admin", xid, {"name": "x" * 101}, 400),
        ("admin", xid, {"colour": "red"}, 400),
        ("hn", xid, {"station": "jiaxing", "group": "改了"}, 403),  # out of its subtree: nothing changes
        ("hn", hub.deputies["嘉兴代表"], {"group": "改了"}, 403),
        ("jx", 999_999, {"group": "x"}, 404),
        ("op-xucun", xid, {"group": "改了"}, 403),  # an operator manages no deputies, not even its station's
    ]
    for who, deputy_id, body, expected in refusals:
        status, reply = await hub.call("PATCH", f"/deputies/{deputy_id}", who, json=body)
        assert status == expected, (who, body, reply)
    assert (await hub.call("PATCH", f"/deputies/{xid}", None, json={"group": "x"}))[0] == 401
    assert await roster(hub, includeInactive="true") == unchanged
    audit = (await hub.ok("GET", "/audit", "admin", params={"action": "deputy.update"}))["items"]
    assert len(audit) == 1 and audit[0]["after"]["phone"] == "139****0002" and audit[0]["after"]["levels"] == ["haining", "town"]

    # the dispatcher of Jiaxing (above Haining) edits it; the message is in the asker's language
    status, body = await hub.call("PATCH", f"/deputies/{xid}", "hn", json={"station": "jiaxing"}, lang="en")
    assert status == 403 and "jiaxing" in body["error"]["message"]
    await hub.ok("PATCH", f"/deputies/{xid}", "jx", json={"station": "jiaxing"})


async def test_department_and_deputy_accounts_manage_no_deputies(hub):
    from sqlmodel import Session

    from core.scope import Actor, Role
    from store import accounts

    admin = Actor(Role.ADMINISTRATOR, account_id=hub.ids["admin"], name="admin")
    with Session(hub.engine) as db:
        accounts.create_account(db, admin, hub.services.matrix, "dept", PASSWORD, "department",
                                department="xiashi-office")
        accounts.create_account(db, admin, hub.services.matrix, "dep", PASSWORD, "deputy")
    xid = hub.deputies["许村代表"]
    for who in ("dept", "dep"):
        assert (await hub.call("GET", "/deputies", who))[0] == 403
        assert (await hub.call("PATCH", f"/deputies/{xid}", who, json={"group": "x"}))[0] == 403
        assert (await hub.call("POST", f"/deputies/{xid}/reactivate", who))[0] == 403
        assert (await upload(hub, who, workbook([["张三", "", "镇", XUCUN, ""]])))[0] == 403
        assert (await hub.call("GET", "/deputies.xlsx", who))[0] == 403


async def test_a_deputy_and_an_account_are_reactivated(hub):
    xid = hub.deputies["许村代表"]
    await hub.ok("POST", f"/deputies/{xid}/deactivate", "hn")
    assert [d["name"] for d in await roster(hub, "hn", active="false")] == ["许村代表"]
    assert xid not in [d["id"] for d in await roster(hub, "hn")]
    assert (await hub.call("POST", f"/deputies/{xid}/reactivate", "op-xucun"))[0] == 403
    assert (await hub.call("POST", f"/deputies/{hub.deputies['嘉兴代表']}/reactivate", "hn"))[0] == 403
    back = await hub.ok("POST", f"/deputies/{xid}/reactivate", "hn")
    assert back["active"] is True and xid in [d["id"] for d in await roster(hub, "hn")]
    audit = (await hub.ok("GET", "/audit", "admin", params={"action": "deputy.reactivate"}))["items"]
    assert [(e["actorName"], e["before"]["active"], e["after"]["active"]) for e in audit] == [("hn", False, True)]

    oid = hub.ids["op-xucun"]
    await hub.ok("POST", f"/accounts/{oid}/deactivate", "admin")
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": "op-xucun", "password": PASSWORD}) as r:
        assert r.status == 401
    assert (await hub.call("POST", f"/accounts/{oid}/reactivate", "hn"))[0] == 403
    assert (await hub.call("POST", "/accounts/999999/reactivate", "admin"))[0] == 404
    again = await hub.ok("POST", f"/accounts/{oid}/reactivate", "admin")
    assert again["active"] is True
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": "op-xucun", "password": PASSWORD}) as r:
        assert r.status == 200
    audit = (await hub.ok("GET", "/audit", "admin", params={"action": "account.reactivate"}))["items"]
    assert [(e["actorName"], e["targetId"]) for e in audit] == [("admin", str(oid))]


async def test_create_a_deputy_with_levels_and_a_phone(hub):
    made = await hub.ok("POST", "/deputies", "hn", expect=201, json={
        "name": "王五", "levels": ["street_rep", "town"], "station": "xucun", "phone": "13900000003"})
    assert (made["level"], made["levels"], made["phone"]) == ("town", ["town", "street_rep"], "13900000003")
    made = await hub.ok("POST", "/deputies", "hn", expect=201, json={"name": "赵六", "level": "haining", "station": "xucun"})
    assert made["levels"] == ["haining"]
    status, body = await hub.call("POST", "/deputies", "hn", json={"name": "钱七", "station": "xucun", "phone": "13900000003",
                                                                   "level": "town"})
    assert status == 409
    assert (await hub.call("POST", "/deputies", "hn", json={"name": "钱七", "station": "xucun"}))[0] == 400


def test_the_command_line_creates_a_department_account(tmp_path, capsys, monkeypatch):
    from sqlmodel import Session, select

    from hub.cli import main
    from hub.config import load_config
    from store import db as store_db
    from store.models import Account

    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["account", "create", "xiashi", "--role", "department", "--department", "xiashi-office",
                 "--password-stdin"]) == 0
    assert "created department xiashi for xiashi-office" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["account", "create", "nowhere", "--role", "department", "--department", "nowhere",
                 "--password-stdin"]) == 2
    assert "nowhere" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["account", "create", "nodept", "--role", "department", "--password-stdin"]) == 2
    with Session(store_db.make_engine(load_config().database_url)) as db:
        rows = db.exec(select(Account)).all()
        assert [(a.username, a.role, a.department_code) for a in rows] == [("xiashi", "department", "xiashi-office")]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_gives_every_deputy_its_level_and_goes_back(backend, tmp_path):
    import sqlalchemy as sa

    from databases import new_database
    from store import db as store_db

    url, drop = new_database(backend, tmp_path)
    try:
        store_db.upgrade(url, "0010")
        engine = store_db.make_engine(url)
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO station (code, name, name_en, level, example, position, active, "
                              "feed_generation) VALUES ('xucun', '许村', 'Xucun', 'town', false, 0, true, 0)"))
            c.execute(sa.text("INSERT INTO deputy (name, level, station_code, deputy_group, active, created_at) "
                              "VALUES ('甲', 'town', 'xucun', '', true, :t), ('乙', 'street_rep', 'xucun', '', true, :t)"),
                      {"t": NOW})
        store_db.upgrade(engine)
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT d.name, l.level FROM deputy_level l JOIN deputy d ON d.id = l.deputy_id "
                                     "ORDER BY d.name")).all()
            assert [tuple(r) for r in rows] == [("乙", "street_rep"), ("甲", "town")]
        with pytest.raises(sa.exc.IntegrityError):  # each level is checked
            with engine.begin() as c:
                c.execute(sa.text("INSERT INTO deputy_level (deputy_id, level) VALUES (1, 'county')"))
        store_db.downgrade(engine, "0010")
        assert "deputy_level" not in sa.inspect(engine).get_table_names()
        engine.dispose()
    finally:
        drop()
