"""REST: the residents' online liaison station (网上联络站, issue 13;
``store/residents.py``, ``api/residents.py``): no login; a matter sent to a
town's station enters the same workflow, with photos by its one-time key;
its progress looked up by reference number and the last four phone digits,
masked, nothing of anyone else; rate limits per address and phone; the
anonymous probes (nothing else opens without a login)."""

from __future__ import annotations

import io
import uuid

from test_api_support import cheap_passwords, api_hub  # noqa: F401


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 200, 0)).save(out, "PNG")
    return out.getvalue()


def _matter(**kw):
    body = {"station": "xucun", "category": "11", "requestType": "complaint", "summary": "广场舞音响太响",
            "details": "每晚九点后", "name": "王小明", "phone": "13812345678", "clientKey": str(uuid.uuid4())}
    body.update(kw)
    return body


async def test_send_follow_and_see_the_answer(hub):
    options = await hub.ok("GET", "/public/options")
    codes = {st["code"]: st for st in options["stations"]}
    assert "xucun" in codes and codes["xucun-rongxing"]["town"] == "xucun" and "haining" not in codes
    assert any(c["code"] == "11" for c in options["categories"])
    sent = await hub.ok("POST", "/public/opinions", expect=201, json=_matter())
    assert sent["reference"].startswith("MQ2025-") and sent["maskedName"] == "王**"
    assert sent["maskedPhone"] == "138****5678" and sent["uploadKey"]
    # photos with the one-time key; without it, or for another matter, nothing
    async with hub.http.put(f"{hub.url}/public/opinions/{sent['id']}/photos/0", data=_png(),
                            headers={"X-Upload-Key": sent["uploadKey"], "Content-Type": "image/png"}) as r:
        assert r.status == 200, await r.text()
    async with hub.http.put(f"{hub.url}/public/opinions/{sent['id']}/photos/1", data=_png(),
                            headers={"X-Upload-Key": "guess", "Content-Type": "image/png"}) as r:
        assert r.status == 404
    # the same workflow: the town's dispatcher sees it, handles it
    seen = await hub.ok("GET", f"/opinions/{sent['id']}", "hn")
    assert seen["raisedBy"] == "resident" and seen["residentContact"] == "13812345678" and len(seen["photos"]) == 1
    assert seen["timeline"][0]["actorName"] == "网上联络站"
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"},
                 {"action": "start"}, {"action": "answer", "grade": "A", "answer": "已约谈广场舞队，九点后停止"}):
        await hub.ok("POST", f"/opinions/{sent['id']}/actions", "hn", json=step)
    progress = await hub.ok("GET", "/public/progress", params={"reference": sent["reference"], "digits": "5678"})
    assert progress["status"] == "answered" and progress["answer"] == "已约谈广场舞队，九点后停止"
    assert progress["maskedName"] == "王**" and progress["maskedPhone"] == "138****5678"
    assert [st["action"] for st in progress["steps"]] == ["submit", "accept", "assign", "start", "answer"]
    assert "hn" not in str(progress) and "钱联络" not in str(progress)  # no staff names
    # wrong digits, another year, a staff-captured opinion: the same 404
    staff = await hub.ok("POST", "/opinions", "hn", expect=201, json={
        "clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
        "summary": "x", "residentName": "李", "residentContact": "我家在村口"})
    for reference, digits in ((sent["reference"], "0000"), (sent["reference"].replace("2025", "2024"), "5678"),
                              (f"MQ2025-{staff['id']:06d}", "5678"), ("nonsense", "5678")):
        status, err = await hub.call("GET", "/public/progress", params={"reference": reference, "digits": digits})
        assert status == 404 and err["error"]["code"] == "not_found", (reference, digits)


async def test_bad_input_is_refused_in_the_users_language(hub):
    status, err = await hub.call("POST", "/public/opinions", json=_matter(phone="12"))
    assert status == 400 and err["error"]["reason"] == "phone_invalid" and "手机号码" in err["error"]["message"]
    status, err = await hub.call("POST", "/public/opinions", json=_matter(station="haining"), lang="en")
    assert status == 404 and err["error"]["code"] == "station_not_found"
    status, err = await hub.call("POST", "/public/opinions", json=_matter(category="99"))
    assert status == 400 and err["error"]["reason"] == "category_unknown"
    status, err = await hub.call("POST", "/public/opinions", json=_matter(name=" "))
    assert status == 400 and err["error"]["reason"] == "name_required"


async def test_rate_limits_per_phone_and_address(hub):
    for _ in range(3):
        await hub.ok("POST", "/public/opinions", expect=201, json=_matter())
    status, err = await hub.call("POST", "/public/opinions", json=_matter())
    assert status == 429 and err["error"]["reason"] == "resident_rate_limited" and "稍后再试" in err["error"]["message"]
    for n in range(2):  # other phones, the same address: 5 an hour
        await hub.ok("POST", "/public/opinions", expect=201, json=_matter(phone=f"1390000000{n}"))
    status, _ = await hub.call("POST", "/public/opinions", json=_matter(phone="13900000009"))
    assert status == 429
    hub.clock.now = hub.clock.now.replace(hour=hub.clock.now.hour + 2)  # an hour later: the address may again
    await hub.ok("POST", "/public/opinions", expect=201, json=_matter(phone="13900000009"))
    # lookups: 20 per address in 15 minutes, found or not
    for _ in range(20):
        await hub.call("GET", "/public/progress", params={"reference": "MQ2025-000001", "digits": "0000"})
    status, _ = await hub.call("GET", "/public/progress", params={"reference": "MQ2025-000001", "digits": "5678"})
    assert status == 429


async def test_anonymous_probes(hub):
    """Without a login only the public routes answer."""
    for method, path in (("GET", "/opinions"), ("GET", "/opinions/1"), ("GET", "/department/items"),
                         ("GET", "/me/deputy"), ("GET", "/webhook-deliveries"), ("GET", "/deputies"),
                         ("POST", "/opinions"), ("GET", "/opinions/1/photos/0")):
        status, err = await hub.call(method, path, json={} if method == "POST" else None)
        assert status == 401 and err["error"]["code"] == "login_required", (method, path)
