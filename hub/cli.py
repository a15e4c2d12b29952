"""``liaison-hub``: start the hub, make join links, manage the database and accounts.

    liaison-hub serve [--host H] [--port P] [--tls-cert FILE --tls-key FILE]
    liaison-hub tls [--name NAME]... [--ip ADDRESS]... [--dir DIR]
    liaison-hub link SESSION STATION
    liaison-hub db upgrade
    liaison-hub account create USERNAME --role ROLE [--station CODE | --department CODE] [--password-stdin]
    liaison-hub calendar link STATION | calendar rotate STATION
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import sys
from typing import TYPE_CHECKING, Iterator, Optional

from hub.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def main(argv: Optional[list[str]] = None, environ: Optional[dict[str, str]] = None) -> int:
    """The ``liaison-hub`` command; ``environ`` instead of the process's environment (the tests
    run ``link`` and ``account`` in-process against a hub's var/ directory)."""
    parser = argparse.ArgumentParser(prog="liaison-hub", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config-dir", help="directory of hub.yaml, matrix.yaml, categories.yaml (default: configs/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the hub")
    serve.add_argument("--host", help="address to listen on (default from hub.yaml: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default from hub.yaml: 8080)")
    serve.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS and WSS with this PEM certificate (chain)")
    serve.add_argument("--tls-key", metavar="FILE", help="the certificate's PEM private key")
    serve.add_argument("--log-level", default="INFO")

    tls = commands.add_parser(
        "tls", help="make a local CA (once) and a server certificate for the hub's LAN names and addresses"
    )
    tls.add_argument("--name", action="append", default=None,
                     help="a DNS name of the hub (repeatable; default: this machine's host name and NAME.local)")
    tls.add_argument("--ip", action="append", default=None,
                     help="an address of the hub (repeatable; default: this machine's non-loopback addresses)")
    tls.add_argument("--dir", help="where ca.crt, ca.key, server.crt, server.key go (default: VAR_DIR/tls)")
    tls.add_argument("--ca-name", default="Liaison hub local CA", help="the CA's common name")

    link = commands.add_parser("link", help="print a one-click join URL, valid for 12 hours")
    link.add_argument("session", help="session id, e.g. demo")
    link.add_argument("station", help="station code, e.g. xucun")

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"], help="upgrade: migrate to the newest schema")

    account = commands.add_parser("account", help="accounts")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    create = account_commands.add_parser("create", help="create an account (the first administrator, say)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=["administrator", "dispatcher", "operator", "department"])
    create.add_argument("--station", help="the station a dispatcher or operator is scoped to")
    create.add_argument("--department", help="a department account's department (a code of configs/departments.yaml)")
    create.add_argument("--name", default="", help="display name")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    calendar = commands.add_parser("calendar", help="a station's calendar subscription address")
    calendar.add_argument("action", choices=["link", "rotate"],
                          help="link: print the address; rotate: give it a new key (the old address stops working)")
    calendar.add_argument("station", help="station code, e.g. xucun")

    args = parser.parse_args(argv)
    try:
        config = load_config(args.config_dir, environ=environ)
    except ConfigError as exc:
        print(f"liaison-hub: configuration error\n{exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        return _serve(config, args)
    if args.command == "tls":
        return _tls(config, args)
    if args.command == "db":
        return _db(config, args)
    if args.command == "account":
        return _account(config, args)
    if args.command == "calendar":
        return _calendar(config, args)
    return _link(config, args)


def _serve(config: Config, args: argparse.Namespace) -> int:
    from aiohttp import web

    from hub.app import create_app

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aioice").setLevel(logging.WARNING)
    from hub.tls import TlsError, server_context

    settings = config.settings
    if args.host or args.port:
        settings = settings.model_copy(
            update={"host": args.host or settings.host, "port": args.port or settings.port}
        )
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            print("liaison-hub: --tls-cert and --tls-key go together", file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"tls": settings.tls.model_copy(
            update={"cert": args.tls_cert, "key": args.tls_key})})
    # Replace the settings alone: every other file of the configuration
    # (departments.yaml, scoring.yaml, ...) stays as loaded.
    config = dataclasses.replace(config, settings=settings)
    ssl_context = None
    if settings.tls.enabled:
        try:  # before anything else: a wrong file stops start-up, named
            ssl_context = server_context(config.project_path(settings.tls.cert), config.project_path(settings.tls.key))
        except TlsError as exc:
            print(f"liaison-hub: TLS error\n{exc}", file=sys.stderr)
            return 2
    app = create_app(config)
    scheme = "https" if ssl_context else "http"
    print(f"liaison-hub listening on {scheme}://{settings.host}:{settings.port}", flush=True)
    print("\n".join(_start_lines(config, app)), flush=True)
    web.run_app(app, host=settings.host, port=settings.port, ssl_context=ssl_context, print=None, access_log=None,
                loop=_event_loop(settings.media.uvloop))
    return 0


def _event_loop(use_uvloop: bool) -> Optional[asyncio.AbstractEventLoop]:
    """uvloop's event loop if asked for (``media.uvloop``, on by default),
    else ``None``: aiohttp makes asyncio's own."""
    if not use_uvloop:
        return None
    import uvloop

    return uvloop.new_event_loop()


def _tls(config: Config, args: argparse.Namespace) -> int:
    """Make (or keep) the local CA and issue a new server certificate."""
    import ipaddress
    from datetime import datetime, timezone

    from hub import tls

    directory = config.project_path(args.dir) if args.dir else config.var_dir / "tls"
    names, addresses = tls.lan_names_and_addresses()
    names = args.name if args.name is not None else names
    addresses = args.ip if args.ip is not None else addresses
    try:
        for address in addresses:
            ipaddress.ip_address(address)
    except ValueError as exc:
        print(f"liaison-hub: {exc}", file=sys.stderr)
        return 2
    if not names and not addresses:
        print("liaison-hub: no name or address for the certificate: give --name or --ip", file=sys.stderr)
        return 2
    now = datetime.now(timezone.utc)
    ca_cert, ca_key = directory / "ca.crt", directory / "ca.key"
    ca = tls.read_issued(ca_cert, ca_key)
    if ca is None:
        ca = tls.make_ca(args.ca_name, now)
        directory.mkdir(parents=True, exist_ok=True)
        ca_cert.write_bytes(ca.cert_pem)
        tls.write_private(ca_key, ca.key_pem)
        print(f"made the CA {ca_cert} (install it on the phones: docs/deployment.md); keep {ca_key} secret")
    else:
        print(f"kept the CA {ca_cert}")
    server = tls.make_server_certificate(ca, names, addresses, now)
    server_cert, server_key = directory / "server.crt", directory / "server.key"
    server_cert.write_bytes(server.cert_pem)
    tls.write_private(server_key, server.key_pem)
    print(f"made {server_cert} for {', '.join([*names, *addresses])}, valid {tls.SERVER_DAYS} days")
    print(f"serve with: liaison-hub serve --host 0.0.0.0 --tls-cert {server_cert} --tls-key {server_key}")
    return 0


def _start_lines(config: Config, app) -> list[str]:
    """The addresses a newcomer needs (``core/firststart.py``)."""
    from sqlmodel import Session, select

    from hub.app import ENGINE_KEY, join_url, secret_key
    from core.firststart import start_lines
    from store.live_sessions import session_info
    from store.models import Account

    secret = secret_key(config)
    demo = config.settings.demo_session
    link, station = None, ""
    with Session(app[ENGINE_KEY]) as db:
        has_accounts = db.exec(select(Account.id).limit(1)).first() is not None
        session = session_info(db, demo.id) if demo.enabled else None
    if session is not None and session.stations:
        station = "xucun" if "xucun" in session.stations else sorted(session.stations)[0]
        link = join_url(config, session.id, station, secret)
    return start_lines(config.base_url, secret, has_accounts, link, station)


@contextlib.contextmanager
def _database(config: Config) -> Iterator["Engine"]:
    """The hub's database, migrated and its matrix mirrored; closed at the end."""
    from hub.app import make_engine, prepare_database

    engine = make_engine(config)
    try:
        prepare_database(config, engine)
        yield engine
    finally:
        engine.dispose()


def _link(config: Config, args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from hub.app import join_url, secret_key
    from store.live_sessions import session_info

    with _database(config) as engine, Session(engine) as db:
        session = session_info(db, args.session)
    if session is None:
        print(f"liaison-hub: no session {args.session!r}", file=sys.stderr)
        return 2
    if args.station not in config.matrix:
        print(f"liaison-hub: no station {args.station!r} in the matrix", file=sys.stderr)
        return 2
    if args.station not in session.stations:
        print(f"liaison-hub: station {args.station!r} is not in session {args.session!r}", file=sys.stderr)
        return 2
    print(join_url(config, session.id, args.station, secret_key(config)))
    return 0


def _calendar(config: Config, args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from hub.app import secret_key
    from store import feeds

    if args.station not in config.matrix:
        print(f"liaison-hub: no station {args.station!r} in the matrix", file=sys.stderr)
        return 2
    with _database(config) as engine, Session(engine) as db:
        if args.action == "rotate":
            generation = feeds.rotate_feed_key(db, None, args.station)
        else:
            generation = feeds.feed_generation(db, args.station)
    key = feeds.feed_key(secret_key(config), args.station, generation)
    print(f"{config.base_url}/api/stations/{args.station}/calendar.ics?key={key}")
    return 0


def _db(config: Config, args: argparse.Namespace) -> int:
    from store import db as store_db

    with _database(config) as engine:
        print(f"database at revision {store_db.current_revision(engine)}")
    return 0


def _account(config: Config, args: argparse.Namespace) -> int:
    import getpass

    from sqlmodel import Session

    from core.errors import HubError
    from store.accounts import create_account

    if args.department is not None and config.departments.get(args.department) is None:
        known = ", ".join(d.code for d in config.departments.departments) or "none"
        print(f"liaison-hub: no department {args.department!r} in configs/departments.yaml (known: {known})",
              file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("liaison-hub: the passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("liaison-hub: a password has at least 8 characters", file=sys.stderr)
        return 2
    try:
        with _database(config) as engine, Session(engine) as db:
            account = create_account(
                db, None, config.matrix, args.username, password, args.role,
                station=args.station, display_name=args.name, department=args.department,
            )
    except HubError as exc:
        print(f"liaison-hub: {exc.message('en')}", file=sys.stderr)
        return 2
    except Exception as exc:  # a duplicate user name, say
        print(f"liaison-hub: cannot create the account: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2
    scope = account.station_code or account.department_code
    print(f"created {account.role} {account.username}" + (f" for {scope}" if scope else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
