"""The deputy roster's Excel import (issue 13): how long reading, validating
and writing take for a file of N rows, on SQLite or PostgreSQL.

    .venv/bin/python bench/roster_bench.py [--rows 500] [--backend sqlite|postgresql]

Store level, no HTTP: read the workbook (``api.roster.read_rows``), validate
against the roster (``store.roster.context`` + ``core.roster.validate``: the
dry run), write the good rows (``store.roster.apply_import``: the
confirmation), then validate the same file again (every row now unchanged:
what an export imported back costs).  Each step's wall time is printed.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from openpyxl import Workbook  # noqa: E402
from sqlmodel import Session  # noqa: E402

from api.roster import read_rows  # noqa: E402
from core import roster as rules  # noqa: E402
from core.scope import Actor, Role  # noqa: E402
from hub.config import load_config  # noqa: E402
from store import db as storedb, roster  # noqa: E402


def workbook(n: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(rules.COLUMNS))
    stations = ("许村镇人大代表联络站", "长安镇人大代表联络站", "xucun-rongxing", "haining")
    for i in range(n):
        ws.append([f"代表{i:05d}", f"139{i:08d}", "海宁市人大代表、镇人大代表" if i % 3 else "镇人大代表",
                   stations[i % 4], f"第{i % 9}小组"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    from databases import new_database

    with tempfile.TemporaryDirectory() as tmp:
        url, drop = new_database(args.backend, Path(tmp))
        try:
            matrix = load_config(environ={"LIAISON_HUB_VAR_DIR": tmp}).matrix
            storedb.upgrade(url)
            engine = storedb.make_engine(url)
            with Session(engine) as db:
                storedb.sync_stations(db, matrix)
            actor = Actor(Role.DISPATCHER, station="haining", name="bench")
            data = workbook(args.rows)
            timings = {}
            t = time.perf_counter()
            rows = read_rows(data)
            timings["read workbook"] = time.perf_counter() - t
            with Session(engine) as db:
                t = time.perf_counter()
                result = rules.validate(rows, roster.context(db, actor, matrix))
                timings["dry run (validate)"] = time.perf_counter() - t
                t = time.perf_counter()
                counts = roster.apply_import(db, actor, matrix, result, "bench.xlsx")
                timings["confirm (write good rows)"] = time.perf_counter() - t
            with Session(engine) as db:
                t = time.perf_counter()
                again = rules.validate(rows, roster.context(db, actor, matrix))
                timings["validate again (all unchanged)"] = time.perf_counter() - t
            assert counts["created"] == args.rows and again.unchanged == args.rows, (counts, again.unchanged)
            print(f"{args.rows} rows, {args.backend}, {len(data) // 1024} KiB")
            for name, seconds in timings.items():
                print(f"  {name:32s} {seconds * 1000:8.0f} ms")
            engine.dispose()
        finally:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
