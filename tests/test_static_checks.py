"""The static checks as tests, so `make test` runs them: ruff (pyflakes and complexity) and mypy
over the Python packages, and for web/ the TypeScript compiler, the linter and the unit tests of
the pure front-end logic; and that the time zone is named only in core/zone.py. Each fails with
the tool's own findings; the settings live in pyproject.toml, web/tsconfig.json,
web/lint/eslint.config.js and web/vitest.config.ts."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
PACKAGES = ("api", "core", "duty", "hub", "media", "opinions", "scheduler", "signaling", "store")


def run(args: list[str], cwd: Path, timeout: float = 240) -> None:
    """Run a checker; a non-zero exit fails the test with what it printed."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} (exit {done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


def python_tool(module: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True)
    if done.returncode != 0:
        pytest.fail(f"{module} is not installed: pip install -e '.[test]' (scripts/setup.sh does it)", pytrace=False)
    return [sys.executable, "-m", module]


def npm(*args: str) -> list[str]:
    npm_path = shutil.which("npm")
    if npm_path is None:
        pytest.fail("npm is missing: apt-get install nodejs npm (scripts/setup.sh does it)", pytrace=False)
    if not (WEB / "node_modules").is_dir():
        pytest.fail("web/node_modules is missing: cd web && npm ci (scripts/setup.sh does it)", pytrace=False)
    return [npm_path, *args]


def test_ruff_finds_nothing():
    run([*python_tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."], ROOT)


def test_mypy_finds_nothing():
    run([*python_tool("mypy"), "--cache-dir", str(ROOT / "var" / "mypy-cache")], ROOT)


def test_typescript_compiles_under_strict():
    run(npm("run", "--silent", "typecheck"), WEB)


def test_eslint_finds_nothing():
    if not (WEB / "lint" / "node_modules").is_dir():
        pytest.fail("web/lint/node_modules is missing: cd web/lint && npm ci (scripts/setup.sh does it)", pytrace=False)
    run(npm("run", "--silent", "lint"), WEB)


def test_front_end_unit_tests_pass():
    run(npm("run", "--silent", "test"), WEB)



def test_the_time_zone_is_named_once():
    """core/zone.py names the zone; production code uses it instead of its own "Asia/Shanghai"
    or UTC+8 (prose that mentions the zone is fine)."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name == "core/zone.py" or "/migrations/" in name:
                continue
            for node in ast.walk(ast.parse(path.read_text(), name)):
                if isinstance(node, ast.Constant) and node.value == "Asia/Shanghai":
                    found.append(f"{name}:{node.lineno}: \"Asia/Shanghai\"")
                elif (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "timedelta"
                    and any(k.arg == "hours" and getattr(k.value, "value", None) == 8 for k in node.keywords)
                ):
                    found.append(f"{name}:{node.lineno}: timedelta(hours=8)")
    assert not found, "use core.zone.TIME_ZONE / ZONE:\n" + "\n".join(found)


def test_every_bench_script_compiles():
    """bench/ is outside ruff's and mypy's reach (its own harness), and its scripts
    run outside the suite: at least none of them is a syntax error waiting for the
    next person who runs it (an f-string with nested double quotes, on Python 3.11)."""
    failures = []
    for path in sorted((ROOT / "bench").rglob("*.py")):
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as exc:
            failures.append(f"{path.relative_to(ROOT)}:{exc.lineno}: {exc.msg}")
    assert not failures, failures
