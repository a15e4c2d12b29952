"""The audit log viewer's filters (issue 13, the console's 审计日志):
``GET /audit`` by acting account, action, object and date window, within
the reader's scope as before."""

from __future__ import annotations

from test_api_support import at, cheap_passwords, api_hub, iso, session_body  # noqa: F401


async def test_the_audit_filters_by_actor_action_object_and_date(hub):
    hub.clock.now = at(3, 2, 10)
    first = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    hub.clock.now = at(3, 4, 10)
    second = await hub.ok("POST", "/sessions", "jx", expect=201, json=session_body(start=iso(at(3, 8, 14)), end=iso(at(3, 8, 16))))

    def seen(body) -> list[tuple[str, str, str]]:
        return [(e["actorName"], e["action"], e["targetId"]) for e in body["items"]]

    by_hn = seen(await hub.ok("GET", "/audit", "admin", params={"actor": "hn"}))
    assert by_hn and {a for a, _, _ in by_hn} == {"hn"} and ("hn", "session.create", str(first["id"])) in by_hn
    created = {"action": "session.create", "targetType": "session"}
    assert seen(await hub.ok("GET", "/audit", "admin", params={**created, "from": iso(at(3, 3, 0))})) == [
        ("jx", "session.create", str(second["id"]))]
    assert seen(await hub.ok("GET", "/audit", "admin", params={**created, "to": iso(at(3, 3, 0))})) == [
        ("hn", "session.create", str(first["id"]))]
    assert seen(await hub.ok("GET", "/audit", "admin", params={**created, "targetId": str(first["id"])})) == [
        ("hn", "session.create", str(first["id"]))]
    # the Haining dispatcher still reads only its scope: not what Jiaxing's did outside it
    assert seen(await hub.ok("GET", "/audit", "hn", params={"actor": "jx", "targetType": "account"})) == []
    status, body = await hub.call("GET", "/audit", "admin", params={"from": "yesterday"})
    assert status == 400
