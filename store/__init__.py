"""Durable storage: SQLModel tables, alembic migrations, and the small
repository APIs that keep domain rules and the audit log in one transaction.

Embedded SQLite under ``var/`` by default, PostgreSQL by configuration (a URL);
:func:`store.db.upgrade` brings either to the newest schema.
"""
