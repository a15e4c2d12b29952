"""Kept for scripts that import it: everything is in :mod:`bench.harness`."""

from bench.harness import CODES, OUT_DIR, stop_workers, write_results

__all__ = ["CODES", "OUT_DIR", "stop_workers", "write_results"]
