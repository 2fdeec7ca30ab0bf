"""The one rule against spreadsheet formula injection ("CSV injection", OWASP).

A spreadsheet opening a CSV or TSV file runs a cell whose first character is ``=``, ``+``, ``-``
or ``@`` as a formula (``=cmd|' /C calc'!A0``, ``+HYPERLINK(…)``), and some also after a leading
tab or carriage return. Where cmq writes a file a spreadsheet will open, such a cell is
*neutralised*: :func:`neutralise` prefixes it with ``'``, which makes it plain text.

Two kinds of values start with ``+`` or ``-`` and are no formula a spreadsheet could abuse (no
function call, no cell reference): numbers (``-3``, ``+1.5``, ``-2,5``, ``1e-3``) and telephone
numbers (``+33 1 23 45 67 89``, ``+33 (0)3 22 00 00 00``). They are left alone (:func:`is_formula`
is False for them), so a table's coordinates, figures and phone column keep their values.

:data:`HARMLESS_PATTERN` is a regular expression that SPARQL ``REGEX`` reads alike (no
backslash); the validation warning ``shapes/cells.ttl``
spells the rule in SPARQL, and tests/test_spreadsheet.py checks it decides like
:func:`is_formula` on every sample.
"""

from __future__ import annotations

import csv
import io
import re

#: First characters that make a spreadsheet read a cell as a formula.
TRIGGERS = frozenset("=+-@\t\r")
#: Numbers and telephone numbers: start with + or - yet run nothing (same syntax as above).
HARMLESS_PATTERN = (r"^([+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?"
                    r"|[+][0-9][0-9 .()/-]*[0-9])$")
_HARMLESS = re.compile(HARMLESS_PATTERN)
#: Where a CSV text may hold a formula: a field (quoted or not) starting with a trigger.
_MAYBE_FORMULA = re.compile(r'(?:^|[,\n])"?[=+@\t\r-]')
#: The prefix that turns a formula into text.
PREFIX = "'"


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet would run ``cell`` as a formula (numbers and phone numbers aside)."""
    return cell[:1] in TRIGGERS and _HARMLESS.fullmatch(cell) is None


def neutralise(cell: str) -> str:
    """``cell`` made safe to open in a spreadsheet: ``'`` before a formula, else unchanged."""
    return PREFIX + cell if is_formula(cell) else cell


def neutralise_row(cells: list[str]) -> list[str]:
    """Every cell of a row through :func:`neutralise`."""
    return [neutralise(c) for c in cells]


def neutralise_csv(body: bytes) -> bytes:
    """A UTF-8 CSV text (RFC 4180, CRLF line ends) with every formula cell neutralised; the text
    is returned as is when no field can be one (the common case costs one regular-expression
    scan)."""
    text = body.decode("utf-8")
    if _MAYBE_FORMULA.search(text) is None:
        return body
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not any(is_formula(cell) for row in rows for cell in row):
        return body
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(neutralise_row(row) for row in rows)
    return out.getvalue().encode("utf-8")
