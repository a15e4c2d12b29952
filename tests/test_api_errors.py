"""REST: the error envelope in zh-CN and en, malformed requests, login,
cookies and throttling, the audit of every dispatcher action, the OpenAPI
description and docs page, and a schemathesis fuzz against the running app."""

from __future__ import annotations

import json
import re
import urllib.request

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.routes import OPERATIONS

from test_api_support import (  # noqa: F401
    PASSWORD,
    ThreadedHub,
    at,
    api_hub,
    cheap_passwords,
    iso,
    session_body,
    sync_login,
)


async def test_errors_in_chinese_and_english(hub):
    status, body = await hub.call("GET", "/sessions/999", "hn")
    assert status == 404 and body == {
        "error": {"code": "session_not_found", "message": "会议不存在：编号 999", "reason": "session_number"}
    }
    status, body = await hub.call("GET", "/sessions/999", "hn", lang="en-US,en;q=0.9")
    assert body["error"]["message"] == "The session does not exist: 999"
    status, body = await hub.call("GET", "/sessions/999", "hn", lang="fr-FR, en;q=0.5")
    assert body["error"]["message"].startswith("The session")
    status, body = await hub.call("GET", "/sessions/999", "hn", lang="fr-FR")
    assert body["error"]["message"].startswith("会议不存在")
    status, body = await hub.call("GET", "/auth/me", lang="en")
    assert status == 401 and body["error"] == {"code": "login_required", "message": "Your login has expired; log in again"}


LATIN_SENTENCE = re.compile(r"[A-Za-z]{2,}[\s,;:'’]+[A-Za-z]{2,}")


def assert_wholly_chinese(message: str) -> None:
    assert re.search(r"[\u4e00-\u9fff]", message), message
    assert not LATIN_SENTENCE.search(message), message


async def test_a_refusal_with_a_reason_is_wholly_in_the_language_asked_for(hub):
    # issue 8: "会议安排有误: a linked session joins at least 2 stations"
    alone = session_body(stations=["haining"], chair="haining")
    status, body = await hub.call("POST", "/sessions/check", "hn", json=alone)
    assert status == 400 and body["error"]["code"] == "schedule_invalid" and body["error"]["reason"] == "too_few_stations"
    assert body["error"]["message"] == "会议安排有误：联动会议至少需要 2 个联络站"
    status, body = await hub.call("POST", "/sessions/check", "hn", json=alone, lang="en")
    assert body["error"]["message"] == "The session plan is not valid: a linked session joins at least 2 stations"
    # a pydantic refusal, a rule of the store, a scope refusal, a state refusal: each in both languages
    no_title = session_body()
    del no_title["title"]
    cases = [
        ("POST", "/sessions", {"json": no_title}, "field_missing", "title: required"),
        ("POST", "/sessions", {"json": session_body(colour="red")}, "field_unknown", "colour: unknown field"),
        ("POST", "/sessions", {"json": session_body(start="2025-03-07T14:00:00")}, "field_datetime", "start"),
        ("GET", "/sessions", {"params": {"colour": "red"}}, "query_unknown", "query colour: unknown parameter"),
        ("POST", "/sessions", {"json": session_body(rrule="FREQ=HOURLY")}, "rrule_freq", "a linked session repeats"),
        ("POST", "/sessions", {"json": session_body(title="  ")}, "title_required", "a title is required"),
        ("POST", "/opinions", {"json": {"station": "xucun", "category": "traffic", "requestType": "suggestion",
                                        "summary": "路灯坏了"}}, None, None),
        ("GET", "/stations/nowhere/calendar-link", {}, "station_code", "nowhere"),
    ]
    for method, path, kwargs, reason, english in cases:
        status, zh = await hub.call(method, path, "hn", **kwargs)
        assert status >= 400, (path, zh)
        assert_wholly_chinese(zh["error"]["message"])
        status, en = await hub.call(method, path, "hn", lang="en", **kwargs)
        assert not re.search(r"[\u4e00-\u9fff]", en["error"]["message"]), en
        assert en["error"].get("reason") == zh["error"].get("reason")
        if reason is not None:
            assert zh["error"]["reason"] == reason and english in en["error"]["message"], en


async def test_malformed_requests_are_400_naming_the_field(hub):
    status, body = await hub.call("POST", "/sessions", "hn", data=b"{not json", lang="en")
    assert status == 400 and body["error"]["code"] == "invalid_payload" and "not valid JSON" in body["error"]["message"]
    no_title = session_body()
    del no_title["title"]
    status, body = await hub.call("POST", "/sessions", "hn", json=no_title, lang="en")
    assert status == 400 and body["error"]["code"] == "invalid_payload" and "title" in body["error"]["message"]
    status, body = await hub.call("POST", "/sessions", "hn", json=session_body(colour="red"))
    assert status == 400 and "colour" in body["error"]["message"] and "不支持字段" in body["error"]["message"]
    status, body = await hub.call("POST", "/sessions", "hn", json=session_body(start="2025-03-07T14:00:00"))
    assert status == 400 and "start" in body["error"]["message"]
    status, body = await hub.call("POST", "/sessions", "hn", json=[1, 2])
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    status, body = await hub.call("GET", "/sessions/abc", "hn")
    assert status == 400 and "id" in body["error"]["message"]
    status, body = await hub.call("GET", "/sessions", "hn", params={"from": "yesterday"})
    assert status == 400 and "from" in body["error"]["message"]
    status, body = await hub.call("GET", "/sessions", "hn", params={"colour": "red"})
    assert status == 400 and "colour" in body["error"]["message"]
    status, body = await hub.call("POST", "/sessions", "hn", json=session_body(rrule="FREQ=HOURLY"))
    assert status == 400 and body["error"]["code"] == "recurrence_invalid"
    status, body = await hub.call("GET", "/nowhere", "hn")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await hub.call("PATCH", "/sessions", "hn")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


async def test_unknown_failures_are_500_internal_error(hub, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(hub.services.repo, "load", broken)
    status, body = await hub.call("GET", "/sessions/1", "hn", lang="en")
    assert status == 500 and body["error"]["code"] == "internal_error"
    assert "fire" not in body["error"]["message"]
    assert "database on fire" in caplog.text


async def test_login_cookie_logout_and_throttling(hub):
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": "hn", "password": PASSWORD}) as r:
        assert r.status == 200
        body = await r.json()
        cookie = r.cookies["hub_login"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie.value == body["token"]
    assert body["account"]["role"] == "dispatcher" and body["account"]["station"] == "haining"
    assert body["expiresAt"].endswith("+08:00")
    # the cookie alone authenticates (as a browser sends it)
    jar = {"Cookie": f"hub_login={cookie.value}"}
    async with hub.http.get(f"{hub.url}/auth/me", headers=jar) as r:
        assert r.status == 200 and (await r.json())["username"] == "hn"
    # but not a cross-site write
    async with hub.http.post(f"{hub.url}/sessions", json=session_body(), headers={**jar, "Origin": "https://evil.example"}) as r:
        assert r.status == 403
    async with hub.http.post(f"{hub.url}/auth/logout", headers=jar) as r:
        assert r.status == 204
        assert r.cookies["hub_login"].value == ""
    status, _ = await hub.call("GET", "/auth/me", None)
    assert status == 401
    async with hub.http.get(f"{hub.url}/auth/me", headers={"Authorization": f"Bearer {body['token']}"}) as r:
        assert r.status == 401  # revoked

    for _ in range(5):
        status, body = await hub.call("POST", "/auth/login", json={"username": "jx", "password": "wrong-password"})
        assert status == 401 and body["error"]["code"] == "login_failed"
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": "jx", "password": PASSWORD},
                             headers={"Accept-Language": "en"}) as r:
        assert r.status == 429 and int(r.headers["Retry-After"]) > 0
        assert (await r.json())["error"]["code"] == "login_throttled"


async def test_every_dispatcher_action_appears_in_the_audit(hub):
    deputy = (await hub.ok("POST", "/deputies", "hn", expect=201,
                           json={"name": "新代表", "level": "town", "station": "xucun", "group": "许村小组"}))["id"]
    series = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(rrule="FREQ=WEEKLY;COUNT=3")))["id"]
    await hub.ok("PUT", f"/sessions/{series}", "hn", json=session_body(title="改名", rrule="FREQ=WEEKLY;COUNT=3", version=1))
    await hub.ok("POST", f"/sessions/{series}/occurrences/cancel", "hn", json={"originalStart": iso(at(3, 14, 14))})
    await hub.ok("POST", f"/sessions/{series}/occurrences/move", "hn",
                 json={"originalStart": iso(at(3, 21, 14)), "start": iso(at(3, 22, 9)), "end": iso(at(3, 22, 10))})
    invitation = (await hub.ok("POST", f"/sessions/{series}/invitations", "hn", expect=201, json={"deputyId": deputy}))
    await hub.ok("DELETE", f"/sessions/{series}/invitations/{invitation['invitation']['id']}", "hn")
    hub.clock.now = at(3, 7, 14, 30)
    await hub.ok("POST", f"/sessions/{series}/occurrences/end", "hn", json={"originalStart": iso(at(3, 7, 14))})
    other = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(
        start=iso(at(4, 1, 9)), end=iso(at(4, 1, 10)))))["id"]
    await hub.ok("POST", f"/sessions/{other}/cancel", "hn")
    await hub.ok("POST", f"/deputies/{deputy}/deactivate", "hn")

    mine = [(e["action"], e["targetId"]) for e in (await hub.ok("GET", "/audit", "hn"))["items"] if e["actorName"] == "hn"]
    assert mine == [
        ("deputy.deactivate", str(deputy)),
        ("session.cancel", str(other)),
        ("session.create", str(other)),
        ("session.occurrence.end", str(series)),
        ("session.invitation.revoke", str(series)),
        ("session.invite", str(series)),
        ("session.occurrence.move", str(series)),
        ("session.occurrence.cancel", str(series)),
        ("session.update", str(series)),
        ("session.create", str(series)),
        ("deputy.create", str(deputy)),
    ]
    # the administrator sees them too; paging by id works
    everything = (await hub.ok("GET", "/audit", "admin"))["items"]
    assert len(everything) > len(mine)
    page = (await hub.ok("GET", "/audit", "admin", params={"limit": 2, "beforeId": everything[1]["id"]}))["items"]
    assert [e["id"] for e in page] == [e["id"] for e in everything[2:4]]


async def test_openapi_is_built_from_the_route_table_and_the_docs_page_is_self_contained(hub):
    spec = await hub.ok("GET", "/openapi.json")
    assert spec["openapi"] == "3.1.0"
    declared = {(op.method.lower(), op.path) for op in OPERATIONS}
    described = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert declared == described
    create = spec["paths"]["/sessions"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SessionIn"}
    assert {"201", "400", "401", "403", "409", "500"} <= set(create["responses"])
    assert "schedule_conflict" in create["responses"]["409"]["description"]
    assert spec["components"]["schemas"]["SessionIn"]["additionalProperties"] is False
    status, page = await hub.call("GET", "/docs")
    assert status == 200
    html = page.decode()
    assert "openapi.json" in html and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)


def test_schemathesis_finds_no_server_error(tmp_path):
    with ThreadedHub(tmp_path) as hub:
        token = sync_login(hub, "admin")
        spec = json.loads(urllib.request.urlopen(f"{hub.url}/openapi.json").read())
        schema = schemathesis.openapi.from_dict(spec)
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        errors: list[str] = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path == "/auth/logout":
                continue  # would revoke the fuzzer's own token
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(max_examples=4, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                          suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy(generation_mode=mode))
                def fuzz(case):
                    response = case.call(base_url=hub.url, session=http, headers=headers)
                    if response.status_code >= 500:
                        errors.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                                      f"{response.status_code} {response.text[:200]}")

                try:
                    fuzz()
                except Unsatisfiable:
                    pass  # no invalid request of this kind exists (e.g. no parameters at all)
        assert not errors, "\n".join(errors[:10])


async def test_a_body_that_trickles_in_gets_408_and_the_connection_closes(hub):
    """Regression: a login body announced as 100000 bytes and sent a byte at a
    time kept its connection open for as long as the sender liked."""
    import asyncio
    import time
    from urllib.parse import urlsplit

    hub.services.body_timeout = 1.0
    try:
        for path, kind in (("/api/auth/login", "application/json"), ("/api/opinions/1/photos/0", "image/png")):
            where = urlsplit(hub.url)
            reader, writer = await asyncio.open_connection(where.hostname, where.port)
            writer.write((f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
                          f"Content-Length: 100000\r\n\r\n").encode() if "login" in path else
                         (f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
                          f"Authorization: Bearer {await hub.login('hn')}\r\nContent-Length: 100000\r\n\r\n").encode())
            started = time.monotonic()

            async def trickle():
                try:
                    while True:
                        writer.write(b"{")
                        await writer.drain()
                        await asyncio.sleep(0.2)
                except OSError:  # the hub hung up
                    pass

            sender = asyncio.create_task(trickle())
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                assert head.startswith(b"HTTP/1.1 408"), head
                assert b"request_timeout" in await asyncio.wait_for(reader.read(1000), 5)
                # the hub drops the connection: reads end within aiohttp's lingering time
                try:
                    while await asyncio.wait_for(reader.read(1000), 15):
                        pass
                except ConnectionResetError:
                    pass  # closed with the trickled bytes unread: the kernel says so with a reset
                assert 0.9 < time.monotonic() - started < 15
            finally:
                sender.cancel()
                writer.close()
    finally:
        hub.services.body_timeout = 60.0


async def test_the_hourly_purge_drops_spent_login_tokens(hub):
    """The job the hub runs every hour (hub.app.PURGE_SECONDS)."""
    from datetime import timedelta

    from sqlmodel import Session, func, select

    from hub.app import PURGE_SECONDS, purge_login_records
    from store.models import LoginAttempt, LoginToken

    def rows():
        with Session(hub.engine) as db:
            return (db.exec(select(func.count()).select_from(LoginAttempt)).one(),
                    db.exec(select(func.count()).select_from(LoginToken)).one())

    assert PURGE_SECONDS <= 3600
    status, _ = await hub.call("POST", "/auth/login", json={"username": "hn", "password": "wrong-password"})
    assert status == 401
    await hub.login("jx")
    before = rows()
    assert before[0] >= 2 and before[1] >= 1
    assert await purge_login_records(hub.services) == (0, 0)
    hub.clock.now += hub.services.login_ttl + timedelta(days=2)  # every token expired, every try old
    assert await purge_login_records(hub.services) == before
    assert rows() == (0, 0)


async def test_twelve_parallel_wrong_passwords_over_http_get_five_401s(hub, monkeypatch):
    """The reviewer's reproducer: 12 parallel wrong passwords for one user
    gave nine 401s and three 429s through a limit of 5."""
    import asyncio
    import time

    from store import passwords

    verify = passwords.verify_password

    def slow_verify(stored: str, password: str) -> bool:
        time.sleep(0.2)  # as long as a real argon2 verification
        return verify(stored, password)

    monkeypatch.setattr(passwords, "verify_password", slow_verify)

    async def attempt(i: int) -> int:
        async with hub.http.post(f"{hub.url}/auth/login", json={"username": "jx", "password": f"wrong-{i:04d}"}) as r:
            return r.status

    statuses = await asyncio.gather(*(attempt(i) for i in range(12)))
    assert sorted(statuses) == [401] * 5 + [429] * 7
