"""Real headless Chromium (Debian's, driven by Playwright) and a real hub
process, for end-to-end tests.  See shared/notes/chromium-webrtc-tests.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def require_chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium) "
            "or `apt-get install chromium`"
        )
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    """``liaison-hub serve`` in a subprocess, with its own var/ directory."""

    def __init__(self, var_dir: Path, port: Optional[int] = None, env: Optional[dict] = None,
                 fresh: bool = False) -> None:
        """``fresh``: the hub migrates its own new database at its first start (as on a new
        machine); otherwise var/ starts with one already migrated (``tests/databases.py``)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "LIAISON_HUB_VAR_DIR": str(var_dir),
            "LIAISON_HUB_PORT": str(self.port),
            **(env or {}),
        }
        self.log_path = var_dir / "hub.log"
        self.proc: Optional[subprocess.Popen] = None
        database = var_dir / "hub.db"
        if not fresh and "LIAISON_HUB_DATABASE_URL" not in self.env and not database.exists():
            from tests.databases import migrated_sqlite

            migrated_sqlite(database)

    def start(self) -> "HubProcess":
        if not (ROOT / "web" / "dist" / "index.html").exists():
            pytest.fail("web/dist is not built: run `make test` (or `bash scripts/setup.sh`)")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve"], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )
        # Generous: on a loaded machine the first start (migrations, imports) takes a while.
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()  # not left running behind a failed start
                    raise RuntimeError("hub did not start:\n" + self.log())
                time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *argv: str, stdin: str = "") -> str:
        """``liaison-hub ARGV…`` against this hub's var/ directory, run in the test's own process
        (the same code as the command, without paying a Python start and the hub's imports
        for each link: ``tests/test_hub_cli.py`` runs the command itself)."""
        import contextlib
        import io

        from hub.cli import main

        out, err = io.StringIO(), io.StringIO()
        previous_stdin = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _cwd(ROOT):
                code = main(list(argv), environ=self.env)
        finally:
            sys.stdin = previous_stdin
        assert code == 0, f"liaison-hub {' '.join(argv)} exited with {code}: {err.getvalue()}"
        return out.getvalue()

    def link(self, session: str, station: str) -> str:
        out = self.cli("link", session, station)
        lines = out.splitlines()
        assert len(lines) == 1, out
        return lines[0]

    def create_account(self, username: str, password: str, role: str, station: Optional[str] = None) -> None:
        """``liaison-hub account create`` against this hub's database."""
        argv = ["account", "create", username, "--role", role, "--password-stdin"]
        if station:
            argv += ["--station", station]
        self.cli(*argv, stdin=password + "\n")

    def health(self) -> dict[str, Any]:
        import json
        with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


#: Playwright's device descriptors ('Pixel 7', …), filled by the ``browser`` fixture.
DEVICES: dict = {}


def autojoin(link: str) -> str:
    """The join link with the page's ``autojoin`` option (before the fragment)."""
    base, _, fragment = link.partition("#")
    return f"{base}?autojoin=1#{fragment}"


def bypass_csp_by_default(browser: Any) -> None:
    """Playwright's ``wait_for_function`` evaluates its predicate with eval,
    which the hub's Content-Security-Policy forbids: the browser's contexts
    (and ``new_page``'s own) bypass the policy unless a test asks for it
    (``tests/test_e2e_csp.py`` does, and checks the pages under it)."""
    new_context = browser.new_context

    async def new_context_bypassing_csp(**options: Any) -> Any:
        options.setdefault("bypass_csp", True)
        return await new_context(**options)

    async def new_page_bypassing_csp(**options: Any) -> Any:
        context = await new_context_bypassing_csp(**options)
        page = await context.new_page()
        page.on("close", lambda _: asyncio.ensure_future(context.close()))
        return page

    browser.new_context = new_context_bypassing_csp
    browser.new_page = new_page_bypassing_csp


def api_json(hub: "HubProcess", path: str, token: Optional[str] = None, body: Optional[dict] = None) -> Any:
    """One REST call to a test hub (``/api`` + ``path``): POST with ``body``,
    GET without; the decoded JSON reply (an HTTP error raises)."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(hub.url + "/api" + path, data=data, headers=headers, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def png_bytes(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (30, 120, 60)) -> bytes:
    """A small real PNG (photos are proven by Pillow, ``store/photos.py``)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()
