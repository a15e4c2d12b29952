"""Opinions 民情 (意见建议): pure domain rules, no I/O.

* :mod:`opinions.workflow` — the handling state machine (分级分类), one
  timeline of events per opinion; illegal moves are refused with a reason.
* :mod:`opinions.deadlines` — working days (Mon–Fri, minus holidays, plus
  make-up workdays 调休) for deadlines and overdue checks.
* :mod:`opinions.stats` — statistics and category rankings over plain records.

Storage lives in :mod:`store.opinions`, the REST API in :mod:`api.opinions`.
"""
