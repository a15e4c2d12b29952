"""Fresh, uniquely named test databases: SQLite files, and real PostgreSQL
databases dropped at the end (never the shared ``test`` database itself)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_admin_engine() -> sa.Engine:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc.orig}): run `make test`, which starts it",
            pytrace=False,
        )
    return engine


class Databases:
    """Fresh, uniquely named databases; dropped at the end of the run."""

    def __init__(self, tmp_path_factory) -> None:
        self.tmp = tmp_path_factory
        self.pg_admin: sa.Engine | None = None
        self.pg_names: list[str] = []

    def new(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp.mktemp('db') / 'hub.db'}"
        if self.pg_admin is None:
            self.pg_admin = pg_admin_engine()
        name = f"liaison_test_{uuid.uuid4().hex[:12]}"
        with self.pg_admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.pg_names.append(name)
        return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.pg_admin is None:
            return
        with self.pg_admin.connect() as connection:
            for name in self.pg_names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.pg_admin.dispose()


def new_database(backend: str, tmp_path) -> tuple[str, object]:
    """A URL of one fresh database and a function that drops it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}", lambda: None
    databases = Databases(None)
    return databases.new(backend), databases.drop_all


_TEMPLATE: list[Path] = []


def migrated_sqlite(dest: Path) -> None:
    """Put at ``dest`` a SQLite database already migrated to the newest schema: a copy of one
    migrated once per test process (running the migrations costs about a second a database,
    and hundreds of tests each start with a fresh one).  ``tests/test_store.py`` runs the
    migrations themselves, from empty and step by step."""
    import shutil
    import tempfile

    from store import db as storedb

    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="liaison-template-")) / "hub.db"
        storedb.upgrade(f"sqlite:///{template}")
        _TEMPLATE.append(template)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], dest)
