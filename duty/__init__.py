"""Deputy duty records 履职评价: pure scoring rules and ledgers, no I/O.

"一人一次一记一赋分" — one person, one occasion, one record, one score:
:mod:`duty.scoring` turns facts (a session attended, an opinion raised or
resolved, a manual entry) into records with stable keys, so recording the
same fact twice keeps one record.  Storage lives in :mod:`store.duty`.
"""
