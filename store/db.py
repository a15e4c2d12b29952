"""Engines, migrations and the station sync.

* :func:`make_engine` opens the configured URL: ``sqlite:///…/var/hub.db``
  by default (the folder is created, the file made readable by the hub's
  user only; foreign keys on, WAL journal, full sync so a commit is on
  disk), or PostgreSQL (``postgresql+psycopg://…``).
  A plain ``postgresql://`` URL is taken to mean the psycopg 3 driver.
* :func:`upgrade` brings a database, empty or older, to the newest schema
  with alembic, in code: what ``liaison-hub`` runs before it serves.
* :func:`sync_stations` writes the configured matrix into ``station``;
  running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from core.matrix import Matrix
from store.models import Station

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from core.files import private_file

            database = Path(parsed.database)
            if not database.parent.exists():
                database.parent.mkdir(parents=True, mode=0o700)
            private_file(database)  # 0600: password hashes, residents' contacts
            for journal in ("-wal", "-shm", "-journal"):  # SQLite makes new ones with the file's mode
                companion = database.with_name(database.name + journal)
                if companion.exists():
                    private_file(companion)
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def alembic_config(connection: Optional[sa.Connection] = None) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(target: Union[str, Engine], revision: str = "head") -> None:
    """Migrate the database at ``target`` (a URL or an engine) to ``revision``."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def downgrade(target: Union[str, Engine], revision: str) -> None:
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def current_revision(engine: Engine) -> Optional[str]:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated)


def sync_stations(db: Session, matrix: Matrix) -> SyncReport:
    """Make ``station`` match ``matrix``: add new stations, update changed
    ones, deactivate those no longer configured (sessions still refer to them).
    Idempotent; commits."""
    report = SyncReport()
    stored = {s.code: s for s in db.exec(select(Station)).all()}
    position = 0
    for root in matrix.roots:
        for station in root.walk():
            parent = matrix.parent(station.code)
            wanted: dict[str, Any] = {
                "name": station.name,
                "name_en": station.name_en,
                "level": station.level,
                "kind": station.kind,
                "example": station.example,
                "parent_code": parent.code if parent else None,
                "position": position,
                "active": True,
            }
            position += 1
            row = stored.get(station.code)
            if row is None:
                db.add(Station(code=station.code, **wanted))
                report.added.append(station.code)
                db.flush()  # parents before children
                continue
            if any(getattr(row, key) != value for key, value in wanted.items()):
                for key, value in wanted.items():
                    setattr(row, key, value)
                db.add(row)
                report.updated.append(station.code)
    for code, row in stored.items():
        if code not in matrix and row.active:
            row.active = False
            db.add(row)
            report.deactivated.append(code)
    db.commit()
    return report
