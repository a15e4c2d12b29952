"""``liaison-hub``: start the hub and make join links.

    liaison-hub serve [--host H] [--port P]
    liaison-hub link SESSION STATION
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional

from hub.config import Config, ConfigError, load_config


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="liaison-hub", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config-dir", help="directory of hub.yaml, matrix.yaml, categories.yaml (default: configs/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the hub")
    serve.add_argument("--host", help="address to listen on (default from hub.yaml: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default from hub.yaml: 8080)")
    serve.add_argument("--log-level", default="INFO")

    link = commands.add_parser("link", help="print a one-click join URL, valid for 12 hours")
    link.add_argument("session", help="session id, e.g. demo")
    link.add_argument("station", help="station code, e.g. xucun")

    args = parser.parse_args(argv)
    try:
        config = load_config(args.config_dir)
    except ConfigError as exc:
        print(f"liaison-hub: configuration error\n{exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        return _serve(config, args)
    return _link(config, args)


def _serve(config: Config, args: argparse.Namespace) -> int:
    from aiohttp import web

    from hub.app import create_app

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aioice").setLevel(logging.WARNING)
    settings = config.settings
    if args.host or args.port:
        settings = settings.model_copy(
            update={"host": args.host or settings.host, "port": args.port or settings.port}
        )
        config = Config(settings, config.matrix, config.categories, config.config_dir)
    app = create_app(config)
    print(f"liaison-hub listening on http://{settings.host}:{settings.port}", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


def _link(config: Config, args: argparse.Namespace) -> int:
    from hub.app import join_url, make_sessions, secret_key

    session = make_sessions(config).get(args.session)
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


if __name__ == "__main__":
    sys.exit(main())
