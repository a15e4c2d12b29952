"""The hub under test as a subprocess: start, sample CPU and RSS, stop."""

from __future__ import annotations

import os
import signal
import socket
import sys
import subprocess
import time
from pathlib import Path
from typing import Optional

import psutil

PROJECT_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT_DIR / ".venv" / "bin"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


METRICS_TOKEN = "bench-metrics-token"


def hub_environment(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_HUB_")}
    env.update(
        {
            "LIAISON_HUB_VAR_DIR": str(var_dir),
            "LIAISON_HUB_PORT": str(port),
            "LIAISON_HUB_HOST": "127.0.0.1",
            "LIAISON_HUB_BASE_URL": f"http://127.0.0.1:{port}",
            # GET /metrics needs its bearer token (bench/floor_bench.py sends it).
            "LIAISON_HUB_METRICS__TOKEN": METRICS_TOKEN,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(PROJECT_DIR),
        }
    )
    return env


class CpuSample:
    def __init__(self, process: psutil.Process) -> None:
        times = process.cpu_times()
        self.cpu = times.user + times.system
        self.wall = time.monotonic()

    def cores_since(self, earlier: "CpuSample") -> float:
        return (self.cpu - earlier.cpu) / max(1e-9, self.wall - earlier.wall)


class HubProcess:
    def __init__(self, var_dir: Path, port: int, log_path: Path,
                 extra_env: Optional[dict[str, str]] = None) -> None:
        self.var_dir = var_dir
        self.port = port
        self.log_path = log_path
        # Added to the hub's environment (e.g. LIAISON_HUB_SIGNALING__MAX_THUMBNAILS).
        self.extra_env = dict(extra_env or {})
        self.popen: Optional[subprocess.Popen] = None
        self.process: Optional[psutil.Process] = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:  # a loaded shared machine starts it slowly
        self._log = open(self.log_path, "w")
        self.popen = subprocess.Popen(
            # This checkout's hub (PYTHONPATH below), with the interpreter
            # running the bench: a git worktree has no .venv of its own.
            [sys.executable, "-c", "import sys; from hub.cli import main; sys.exit(main())",
             "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "WARNING"],
            cwd=str(PROJECT_DIR),
            env={**hub_environment(self.var_dir, self.port), **self.extra_env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.process = psutil.Process(self.popen.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"hub exited with {self.popen.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"hub did not listen on port {self.port} in {timeout} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def cpu(self) -> CpuSample:
        assert self.process is not None
        return CpuSample(self.process)

    def rss(self) -> int:
        assert self.process is not None
        return self.process.memory_info().rss

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGINT (aiohttp shuts down cleanly), then SIGTERM, then SIGKILL."""
        if self.popen is None:
            return
        try:
            for sig, wait in ((signal.SIGINT, 5), (signal.SIGTERM, 3), (signal.SIGKILL, 3)):
                if self.popen.poll() is not None:
                    break
                try:
                    self.popen.send_signal(sig)
                except ProcessLookupError:
                    break
                try:
                    self.popen.wait(wait)
                except subprocess.TimeoutExpired:
                    continue
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
