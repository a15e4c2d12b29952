"""Layers by imports (STYLE.md habit 6): the media plane and the domain rules
know nothing of the layers above them."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(folder: str) -> dict[str, set[str]]:
    out = {}
    for path in (ROOT / folder).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


def test_media_imports_nothing_of_the_control_plane():
    for path, names in imported_packages("media").items():
        assert not names & {"hub", "signaling", "scheduler"}, path


def test_media_interface_imports_nothing_of_the_project():
    names = imported_packages("media")["media/interface.py"]
    assert not names & {"hub", "signaling", "scheduler", "media"}


def test_domain_rules_import_no_web_or_database_code():
    forbidden = {"aiohttp", "socketio", "sqlmodel", "sqlalchemy", "redis", "aiortc", "av"}
    for module in (
        "core/matrix.py", "core/tokens.py", "core/scope.py", "core/turn.py",
        "signaling/speaker.py", "signaling/presence.py", "signaling/control.py", "signaling/monitor.py",
        "signaling/receive.py",
        "opinions/news.py",
        "scheduler/sessions.py", "scheduler/recurrence.py", "scheduler/conflicts.py", "scheduler/lifecycle.py",
    ):
        names = imported_packages(module.split("/")[0])[module]
        assert not names & forbidden, (module, names & forbidden)


def test_storage_knows_nothing_of_the_web_or_media():
    for path, names in imported_packages("store").items():
        assert not names & {"aiohttp", "socketio", "signaling", "media", "aiortc"}, path


PROJECT = {"api", "core", "duty", "hub", "media", "opinions", "scheduler", "signaling", "store"}


def test_nothing_imports_the_shell():
    """hub/ is the roof (wiring, command line, configuration): nothing stands on it.  The one
    exception is alembic's own entry point, run from the command line without the hub."""
    for folder in PROJECT - {"hub"}:
        for path, names in imported_packages(folder).items():
            if path == "store/migrations/env.py":
                continue
            assert "hub" not in names, path


def test_domain_rules_stand_on_core_only():
    for folder in ("scheduler", "opinions", "duty"):
        for path, names in imported_packages(folder).items():
            assert not (names & PROJECT) - {"core", folder}, (path, names & PROJECT)


def test_core_imports_nothing_of_the_project_but_itself():
    for path, names in imported_packages("core").items():
        assert not (names & PROJECT) - {"core"}, (path, names & PROJECT)


def test_media_imports_nothing_of_the_project():
    for path, names in imported_packages("media").items():
        assert not (names & PROJECT) - {"media"}, (path, names & PROJECT)
