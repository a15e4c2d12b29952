"""Benchmark: category ranking + statistics for one year over 1,000,000
opinions in PostgreSQL.

Creates a throwaway database, migrates it, loads the opinions with COPY
(three years, every station of the matrix), runs VACUUM ANALYZE (so the
covering indexes answer index-only), then times ``store.reports.summary``
and ``store.reports.ranking`` for 2025 in several scopes.  The database is
dropped at the end.

    .venv/bin/python bench/opinions_bench.py [--rows 1000000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Target: ranking + statistics for a year and scope under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from hub.config import load_config  # noqa: E402
from store import db as storedb, opinion_reports as reports, opinions, scope as store_scope  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
COLUMNS = ("client_key", "fingerprint", "station_code", "town_code", "raised_by", "resident_name",
           "resident_contact", "category", "request_type", "summary", "details", "captured_at", "received_at",
           "status", "level", "first_assigned_at", "first_answered_at", "answered_at", "answer_seconds",
           "resolved_at", "rating", "extensions", "returns", "reopenings", "flag_suggestion", "flag_hot",
           "flag_supervision", "updated_at", "version")


def load(engine: sa.Engine, rows: int, matrix, categories: list[str]) -> float:
    rng = random.Random(2025)
    stations = [s.code for s in matrix.stations()]
    towns = {code: store_scope.town_of(matrix, code) for code in stations}
    weights = [1 + 9 * (matrix[c].level in ("town", "room")) for c in stations]
    station_pick = rng.choices(stations, weights, k=rows)
    base = datetime(2023, 1, 1, tzinfo=timezone.utc)
    span = 3 * 365 * 86400
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY opinion ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(rows):
                received = base + timedelta(seconds=rng.randrange(span))
                assigned = rng.random() < 0.85
                answered = assigned and rng.random() < 0.9
                resolved = answered and rng.random() < 0.8
                answer = received + timedelta(seconds=rng.randrange(3600, 20 * 86400)) if answered else None
                station = station_pick[i]
                copy.write_row((
                    uuid.UUID(int=rng.getrandbits(128)).hex, "bench", station, towns[station], "resident", "居民",
                    "", rng.choice(categories[: rng.randint(5, len(categories))]), "help", "基准测试民情", "",
                    received, received, "answered" if answered else ("assigned" if assigned else "submitted"),
                    rng.choice(("town", "town", "county", "city")) if assigned else None,
                    received if assigned else None, answer, answer,
                    int((answer - received).total_seconds()) if answer else None, answer if resolved else None,
                    rng.choice((None, "satisfied", "basic", "unsatisfied")) if answered else None,
                    0, 0, 0, False, rng.random() < 0.01, rng.random() < 0.002, received, 1,
                ))
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    config = load_config(environ={})
    rules = opinions.OpinionRules.from_config(config)
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    name = f"liaison_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        storedb.upgrade(url)
        engine = storedb.make_engine(url)
        with Session(engine) as db:
            storedb.sync_stations(db, config.matrix)
        seconds = load(engine, args.rows, config.matrix, list(rules.categories))
        print(f"loaded {args.rows:,} opinions with COPY in {seconds:.1f} s")
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE opinion"))
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
        start, end = datetime(2025, 1, 1, tzinfo=SH), datetime(2026, 1, 1, tzinfo=SH)
        print(f"\nranking + statistics for {start:%Y}, median of {args.repeat} runs (first run in brackets):")
        print(f"{'scope':<18}{'received':>10}{'summary ms':>12}{'ranking ms':>12}{'total ms':>10}")
        with Session(engine) as db:
            for scope in (None, "haining", "xucun", "xucun-rongxing"):
                summary_times, ranking_times = [], []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    summary = reports.summary(db, config.matrix, scope, start, end)
                    t1 = time.perf_counter()
                    reports.ranking(db, config.matrix, rules, scope, start, end)
                    t2 = time.perf_counter()
                    summary_times.append((t1 - t0) * 1000)
                    ranking_times.append((t2 - t1) * 1000)
                s, r = statistics.median(summary_times), statistics.median(ranking_times)
                print(f"{scope or 'all (Jiaxing)':<18}{summary.received:>10,}{s:>12.1f}{r:>12.1f}{s + r:>10.1f}"
                      f"   [{summary_times[0] + ranking_times[0]:.0f}]")
            plan = db.execute(sa.text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT category, count(*) FROM opinion "
                "WHERE received_at >= :a AND received_at < :b AND town_code = 'xucun' GROUP BY category"),
                {"a": start, "b": end}).scalars().all()
            print("\nplan, ranking for one town:\n  " + "\n  ".join(plan))
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
