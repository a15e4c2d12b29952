"""REST: the authorization matrix, role × action × scope, with status codes.

Roles: administrator, the Haining dispatcher (hn), the Jiaxing dispatcher
(jx), the Xucun operator (op-xucun) and anonymous (None)."""

from __future__ import annotations

import itertools

from test_api_support import at, cheap_passwords, api_hub, iso, session_body  # noqa: F401

WHO = ["admin", "hn", "jx", "op-xucun", None]
_day = itertools.count(2)


def fresh(**kw):
    """A session body on a day of its own (no conflicts between cells)."""
    day = next(_day)
    return session_body(start=iso(at(4, day, 9)), end=iso(at(4, day, 10)), **kw)


EXPECTED = {
    # action: statuses for admin, hn, jx, op-xucun, anonymous
    "create in Haining's scope": (201, 201, 201, 403, 401),
    "create including jiaxing": (201, 403, 201, 403, 401),
    "view a session with xucun": (200, 200, 200, 200, 401),
    "view a session without xucun": (200, 200, 200, 403, 401),
    "cancel a Haining session": (200, 200, 200, 403, 401),
    "cancel a session including jiaxing": (200, 403, 200, 403, 401),
    "invite a Xucun deputy": (201, 201, 201, 403, 401),
    "invite a Jiaxing deputy": (201, 403, 201, 403, 401),
    "list accounts": (200, 403, 403, 403, 401),
    "create an account": (201, 403, 403, 403, 401),
    "deactivate an account": (200, 403, 403, 403, 401),
    "create a Xucun deputy": (201, 201, 201, 403, 401),
    "create a Jiaxing deputy": (201, 403, 201, 403, 401),
    "read the audit log": (200, 200, 200, 403, 401),
}


async def test_authorization_matrix(hub):
    async def session(**kw):
        return (await hub.ok("POST", "/sessions", "admin", expect=201, json=fresh(**kw)))["id"]

    with_xucun = await session()
    without_xucun = await session(chair="yanguan", stations=["huangwan"])
    xucun_deputy, jiaxing_deputy = hub.deputies["许村代表"], hub.deputies["嘉兴代表"]
    names = itertools.count()

    async def act(action: str, who):
        if action == "create in Haining's scope":
            return await hub.call("POST", "/sessions", who, json=fresh())
        if action == "create including jiaxing":
            return await hub.call("POST", "/sessions", who, json=fresh(stations=["jiaxing", "xucun"]))
        if action == "view a session with xucun":
            return await hub.call("GET", f"/sessions/{with_xucun}", who)
        if action == "view a session without xucun":
            return await hub.call("GET", f"/sessions/{without_xucun}", who)
        if action == "cancel a Haining session":
            return await hub.call("POST", f"/sessions/{await session()}/cancel", who)
        if action == "cancel a session including jiaxing":
            return await hub.call("POST", f"/sessions/{await session(chair='jiaxing')}/cancel", who)
        if action == "invite a Xucun deputy":
            return await hub.call("POST", f"/sessions/{with_xucun}/invitations", who, json={"deputyId": xucun_deputy})
        if action == "invite a Jiaxing deputy":
            target = await session(stations=["jiaxing", "xucun"])
            return await hub.call("POST", f"/sessions/{target}/invitations", who, json={"deputyId": jiaxing_deputy})
        if action == "list accounts":
            return await hub.call("GET", "/accounts", who)
        if action == "create an account":
            body = {"username": f"new{next(names)}", "password": "long-password", "role": "operator", "station": "xucun"}
            return await hub.call("POST", "/accounts", who, json=body)
        if action == "deactivate an account":
            body = {"username": f"gone{next(names)}", "password": "long-password", "role": "operator", "station": "changan"}
            victim = (await hub.ok("POST", "/accounts", "admin", expect=201, json=body))["id"]
            return await hub.call("POST", f"/accounts/{victim}/deactivate", who)
        if action == "create a Xucun deputy":
            return await hub.call("POST", "/deputies", who, json={"name": "代表甲", "level": "town", "station": "xucun"})
        if action == "create a Jiaxing deputy":
            return await hub.call("POST", "/deputies", who, json={"name": "代表乙", "level": "jiaxing", "station": "jiaxing"})
        if action == "read the audit log":
            return await hub.call("GET", "/audit", who)
        raise AssertionError(action)

    wrong = []
    for action, statuses in EXPECTED.items():
        for who, expected in zip(WHO, statuses):
            status, body = await act(action, who)
            if status != expected:
                wrong.append(f"{action} by {who or 'anonymous'}: {status} (expected {expected}) {body}")
            if status >= 400:
                assert set(body) == {"error"} and body["error"]["code"] in {"forbidden", "login_required"}, body
    assert not wrong, "\n".join(wrong)


async def test_each_role_sees_only_its_scope_in_lists_and_audit(hub):
    haining = await hub.ok("POST", "/sessions", "hn", expect=201, json=fresh())
    elsewhere = await hub.ok("POST", "/sessions", "hn", expect=201, json=fresh(chair="yanguan", stations=["huangwan"]))
    window = {"from": iso(at(4, 1, 0)), "to": iso(at(5, 1, 0))}
    ids = lambda body: {s["id"] for s in body["items"]}  # noqa: E731
    assert ids(await hub.ok("GET", "/sessions", "op-xucun", params=window)) == {haining["id"]}
    assert ids(await hub.ok("GET", "/sessions", "hn", params=window)) == {haining["id"], elsewhere["id"]}
    assert ids(await hub.ok("GET", "/sessions", "hn", params={**window, "station": "yanguan"})) == {elsewhere["id"]}
    # the Haining dispatcher does not read about the Jiaxing dispatcher's account; the administrator does
    about_jx = {"targetType": "account", "targetId": str(hub.ids["jx"])}
    assert (await hub.ok("GET", "/audit", "hn", params=about_jx))["items"] == []
    assert [e["action"] for e in (await hub.ok("GET", "/audit", "admin", params=about_jx))["items"]] == ["account.create"]
    # deputies: the Haining dispatcher lists Haining's, not Jiaxing's
    names = {d["name"] for d in (await hub.ok("GET", "/deputies", "hn"))["items"]}
    assert names == {"许村代表", "长安代表"}
    assert (await hub.call("GET", "/deputies", "hn", params={"station": "jiaxing"}))[0] == 403
    assert (await hub.call("GET", "/deputies", "op-xucun"))[0] == 403
    # an administrator cannot lock itself out
    status, body = await hub.call("POST", f"/accounts/{hub.ids['admin']}/deactivate", "admin")
    assert status == 403


async def test_the_station_tree_for_pickers(hub):
    tree = await hub.ok("GET", "/stations", "op-xucun")
    (jiaxing,) = tree["items"]
    assert (jiaxing["code"], jiaxing["level"], jiaxing["nameEn"]) == ("jiaxing", "general", "Jiaxing General Liaison Station")
    (haining,) = jiaxing["children"]
    towns = haining["children"]
    assert len(towns) == 12 and {t["kind"] for t in towns} == {"street", "town"}
    xucun = next(t for t in towns if t["code"] == "xucun")
    assert xucun["children"][0]["example"] is True
    assert (await hub.call("GET", "/stations"))[0] == 401
    assert (await hub.ok("GET", "/me/sessions", "admin"))["items"] == []
