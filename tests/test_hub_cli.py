import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from hub import tokens
from hub.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_link_prints_one_join_url_valid_for_12_hours(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LIAISON_HUB_BASE_URL", "https://hub.example.org")
    assert main(["link", "demo", "xucun"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    url = out.strip()
    assert url.startswith("https://hub.example.org/join/demo#token=")
    grant = tokens.verify((tmp_path / "secret.key").read_bytes(), url.split("#token=")[1])
    assert grant.subject == "station:xucun" and grant.session_id == "demo"
    assert grant.expires_at - grant.issued_at == 12 * 3600


def test_link_refuses_unknown_session_and_station(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    assert main(["link", "nope", "xucun"]) == 2
    assert "no session 'nope'" in capsys.readouterr().err
    assert main(["link", "demo", "atlantis"]) == 2
    assert "no station 'atlantis'" in capsys.readouterr().err


def test_broken_configuration_stops_with_a_clear_message(tmp_path, capsys):
    import shutil
    shutil.copytree(ROOT / "configs", tmp_path / "c")
    (tmp_path / "c" / "hub.yaml").write_text("port: [1\n")
    assert main(["--config-dir", str(tmp_path / "c"), "serve"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "hub.yaml, line" in err


def test_serve_starts_with_the_demo_session(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "LIAISON_HUB_VAR_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "hub did not start"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/join/demo", timeout=2) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
        assert (tmp_path / "secret.key").exists()
    finally:
        proc.terminate()
        proc.wait(10)


def test_db_upgrade_and_first_administrator(tmp_path, capsys, monkeypatch):
    import io

    from sqlmodel import Session, select

    from hub.config import load_config
    from store import db as store_db
    from store.models import Account

    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert f"revision {store_db.head_revision()}" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["account", "create", "admin", "--role", "administrator", "--password-stdin"]) == 0
    assert "created administrator admin" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert main(["account", "create", "hn", "--role", "dispatcher", "--station", "atlantis", "--password-stdin"]) == 2
    assert "atlantis" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["account", "create", "x", "--role", "operator", "--station", "xucun", "--password-stdin"]) == 2
    config = load_config()
    with Session(store_db.make_engine(config.database_url)) as db:
        assert [a.username for a in db.exec(select(Account)).all()] == ["admin"]


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                assert r.status == 200
                return
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "hub did not start"
            time.sleep(0.2)


def test_serve_host_and_port_flags_keep_every_configuration_file(tmp_path, capsys, monkeypatch):
    """Regression: ``serve --port/--host`` rebuilt the configuration from
    hub.yaml, matrix.yaml and categories.yaml only, dropping departments.yaml
    and scoring.yaml (0 departments, 4 of 7 duty kinds, no holidays)."""
    import io
    import json

    from hub.config import load_config

    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["account", "create", "admin", "--role", "administrator", "--password-stdin"]) == 0
    shipped = load_config()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_HUB_")}
    env["LIAISON_HUB_VAR_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, url)
        login = urllib.request.Request(
            f"{url}/api/auth/login", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "admin", "password": "a-long-password"}).encode(),
        )
        with urllib.request.urlopen(login, timeout=5) as r:
            token = json.load(r)["token"]

        def get(path: str) -> dict:
            request = urllib.request.Request(f"{url}/api{path}", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=5) as r:
                return json.load(r)

        departments = get("/opinion-options")["departments"]
        assert len(departments) == len(shipped.departments.departments) > 0
        kinds = {k["kind"] for k in get("/duty/kinds")["items"]}
        assert kinds == set(shipped.scoring.rules) and len(kinds) == 7
    finally:
        proc.terminate()
        proc.wait(10)


def test_var_files_are_readable_by_the_hubs_user_only(tmp_path, capsys, monkeypatch):
    """Regression: var/hub.db was created 0644 in a 0755 var/ (password
    hashes, residents' contacts).  Now var/ is 0700 and its files 0600, also
    when an older hub left them open."""
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    var = tmp_path / "var"
    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(var))
    old_umask = os.umask(0o022)
    try:
        assert main(["link", "demo", "xucun"]) == 0  # opens the database, makes the key
        assert mode(var) == 0o700
        assert mode(var / "hub.db") == 0o600 and mode(var / "secret.key") == 0o600
        for companion in var.glob("hub.db-*"):
            assert mode(companion) == 0o600, companion
        # as an older hub left them
        var.chmod(0o755)
        (var / "hub.db").chmod(0o644)
        (var / "secret.key").chmod(0o644)
        assert main(["link", "demo", "xucun"]) == 0
        assert (mode(var), mode(var / "hub.db"), mode(var / "secret.key")) == (0o700, 0o600, 0o600)
    finally:
        os.umask(old_umask)


def test_calendar_rotate_gives_a_new_key_and_the_old_one_stops_working(tmp_path, capsys, monkeypatch):
    from sqlmodel import Session

    from hub.app import make_engine, secret_key
    from hub.config import load_config
    from store import feeds

    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    assert main(["calendar", "link", "xucun"]) == 0
    old = capsys.readouterr().out.strip()
    assert "/api/stations/xucun/calendar.ics?key=" in old
    assert main(["calendar", "rotate", "xucun"]) == 0
    new = capsys.readouterr().out.strip()
    assert new != old
    assert main(["calendar", "link", "xucun"]) == 0 and capsys.readouterr().out.strip() == new
    config = load_config()
    secret = secret_key(config)
    with Session(make_engine(config)) as db:
        generation = feeds.feed_generation(db, "xucun")
    assert generation == 1
    assert feeds.feed_key_ok(secret, "xucun", generation, new.split("key=")[1])
    assert not feeds.feed_key_ok(secret, "xucun", generation, old.split("key=")[1])
    assert main(["calendar", "rotate", "atlantis"]) == 2
