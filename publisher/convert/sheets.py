"""A source table as the officer sees it: a header and rows numbered as in the spreadsheet.

Contract: :func:`csv_sheet` (a CSV file's bytes, via :mod:`publisher.convert.sniff`) and
:func:`workbook_sheets` (the sheets of one ``.xlsx``/``.ods`` workbook, read with python-calamine)
give :class:`Sheet` objects, or raise :class:`~publisher.convert.sniff.Unreadable` with the one
message that says what to fix. Row numbers are spreadsheet rows (the header is row 1, a blank line
is a row, a cell over several lines is one row). :func:`check_header` compares a header with the
columns the mapping reads and gives one message per root cause: a duplicated column, a missing
column (with the renamed or emptied header cell that most likely held it, e.g. merged cells), an
empty column without a header (a warning).

A quote opened and never closed swallows the rows after it into one cell: it is reported at the
row where it opens, naming the lines it swallowed. A cell longer than the CSV reader's limit is
reported at its row.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from publisher.convert.sniff import Detected, Unreadable, detect

#: The largest cell of a table (characters): the csv module's default limit, checked here too
#: since the limit is process-wide and other code may raise it.
MAX_CELL = 131_072
WORKBOOK_SUFFIXES = (".xlsx", ".ods", ".xlsm", ".xls")


@dataclass
class Sheet:
    """One table: header cells (stripped) and (spreadsheet row, cells) of the rows after it."""

    name: str  # as the officer sees it: "etablissements.csv", "campus.xlsx › etablissements"
    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    note: str | None = None  # what was detected, said once (see sniff.Detected.note)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _quote_message(start: int, end: int, column: str, closed: bool) -> str:
    where = f"colonne « {column} », " if column else ""
    fr, en = ((f"refermé seulement ligne {end}", f"closed only on line {end}") if closed
              else ("jamais refermé", "never closed"))
    return (f"guillemet (\") ouvert ligne {start}, {where}{fr} : les lignes {start} à {end} du "
            f"fichier sont lues comme une seule cellule ; refermez-le ou retirez-le / quote (\") "
            f"opened on row {start} {en}: lines {start} to {end} are read as one cell; close it "
            "or remove it")


def _long_cell(row: int) -> str:
    limit = f"{MAX_CELL:,}".replace(",", "\u202f")
    return (f"ligne {row} : cellule de plus de {limit} caractères (un guillemet non refermé ?) ; "
            f"raccourcissez-la / row {row}: cell longer than {limit} characters (an unclosed "
            "quote?); shorten it")


def _records(text: str, sep: str) -> Iterator[tuple[int, int, list[str]]]:
    """(spreadsheet row, first physical line, cells); csv errors become :class:`Unreadable`."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    row = line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise Unreadable(_long_cell(row + 1), row + 1) from exc
        row += 1
        if any(len(c) > MAX_CELL for c in cells):
            raise Unreadable(_long_cell(row), row)
        yield row, line + 1, cells
        line = reader.line_num


def csv_sheet(name: str, raw: bytes, expected: set[str]) -> Sheet:
    """A CSV table from its bytes (see the module doc)."""
    found: Detected = detect(raw, expected)
    records = iter(_records(found.text, found.separator))
    first = next(records, None)
    header = tuple(c.strip() for c in first[2]) if first is not None else ()
    sheet = Sheet(name, header, note=found.note(name))
    last_line = found.text.count("\n") + (0 if found.text.endswith("\n") else 1)
    for row, start, cells in records:
        spilled = [i for i, c in enumerate(cells) if "\n" in c]
        if spilled and (len(cells) != len(header) or _looks_like_rows(cells[spilled[0]],
                                                                      found.separator)):
            col = header[spilled[0]] if spilled[0] < len(header) else ""
            end = min(start + sum(c.count("\n") for c in cells), last_line)
            raise Unreadable(_quote_message(start, end, col, end < last_line), row, col or None)
        sheet.rows.append((row, [c.strip() for c in cells]))
    return sheet


def _looks_like_rows(cell: str, sep: str) -> bool:
    """A cell over several lines that holds what looks like whole rows (separators on most of
    its lines): the mark of a quote opened by mistake."""
    lines = cell.split("\n")[1:]
    return len(lines) >= 2 and sum(1 for ln in lines if ln.count(sep) >= 2) >= len(lines) // 2 + 1


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold (whole numbers without ``.0``, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta | time):
        return str(value)
    return str(value).strip()


def workbook_sheets(path: Path) -> dict[str, Sheet]:
    """Every sheet of a workbook by name (python-calamine); raises :class:`Unreadable`."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        out = {}
        for sheet_name in book.sheet_names:
            cells = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
            rows = [[cell_text(v) for v in r] for r in cells]
            header = tuple(rows[0]) if rows else ()
            out[sheet_name] = Sheet(f"{path.name} › {sheet_name}", header,
                                    [(i + 2, r) for i, r in enumerate(rows[1:])])
        return out
    except Unreadable:
        raise
    except Exception as exc:  # the reader's own errors (zip, XML, format): one message
        raise Unreadable(f"classeur illisible : réenregistrez-le en .xlsx ou .ods / unreadable "
                         f"workbook: save it again as .xlsx or .ods ({exc})") from exc


def sheet_digest(sheet: Sheet) -> str:
    """A SHA-256 of a sheet's cells (the build cache's key for a workbook's table)."""
    h = hashlib.sha256(repr(sheet.header).encode())
    for row, cells in sheet.rows:
        h.update(repr((row, cells)).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class HeaderProblem:
    column: str  # the column's name, or its letter when it has none
    message: str
    fatal: bool = True  # the table cannot be read as it is


def _empty_column(rows: Sequence[tuple[int, list[str]]], index: int) -> bool:
    return all(index >= len(cells) or not cells[index] for _row, cells in rows)


def check_header(header: Sequence[str], expected: set[str],
                 rows: Sequence[tuple[int, list[str]]]) -> list[HeaderProblem]:
    """One problem per root cause in a header (see the module doc)."""
    out: list[HeaderProblem] = []
    positions: dict[str, list[int]] = {}
    for index, col in enumerate(header):
        positions.setdefault(col, []).append(index)
    for name, where in positions.items():
        if name and len(where) > 1:
            cols = " et ".join(column_letter(i) for i in where)
            out.append(HeaderProblem(name, (
                f"colonne « {name} » en double dans l'en-tête (colonnes {cols}) : gardez-en une "
                f"seule / column '{name}' appears twice in the header (columns "
                f"{cols.replace(' et ', ' and ')}): keep one")))
    missing = [c for c in sorted(expected) if c not in positions]
    unknown = [i for i, n in enumerate(header) if n and n not in expected]
    blank = [i for i, n in enumerate(header) if not n]
    for name in missing:
        i = _likely_cell(name, header, unknown, blank)
        if i is None:
            out.append(HeaderProblem(name, (
                f"colonne « {name} » absente de l'en-tête : ajoutez-la (elle peut rester vide) / "
                f"column '{name}' missing from the header: add it (it may stay empty)")))
        elif header[i]:
            unknown.remove(i)
            out.append(HeaderProblem(name, (
                f"colonne « {name} » absente : la colonne {column_letter(i)} s'appelle "
                f"« {header[i]} » ; renommez son en-tête « {name} » / column '{name}' missing: "
                f"column {column_letter(i)} is named '{header[i]}'; rename it '{name}'")))
        else:
            blank.remove(i)
            out.append(HeaderProblem(name, (
                f"en-tête vide en colonne {column_letter(i)}{_between(header, i)} (cellules "
                f"fusionnées ?) : défusionnez et écrivez « {name} » / empty header in column "
                f"{column_letter(i)} (merged cells?): unmerge and write '{name}'")))
    for i in blank:
        letter = column_letter(i)
        if _empty_column(rows, i):
            out.append(HeaderProblem(letter, (
                f"colonne {letter} vide et sans en-tête : ignorée, vous pouvez la supprimer / "
                f"column {letter} is empty and has no header: ignored, you may delete it"),
                fatal=False))
        else:
            out.append(HeaderProblem(letter, (
                f"colonne {letter} sans en-tête mais remplie : donnez-lui le nom d'une colonne "
                f"ou supprimez-la / column {letter} has values but no header: name it or "
                "delete it")))
    return out


def _between(header: Sequence[str], i: int) -> str:
    before = next((header[j] for j in range(i - 1, -1, -1) if header[j]), "")
    return f" (après « {before} »)" if before else ""


def _likely_cell(name: str, header: Sequence[str], unknown: list[int],
                 blank: list[int]) -> int | None:
    """The header cell that most likely held ``name``: a renamed one close to it, the only
    renamed one, or a blank one (merged cells)."""
    names = {header[i].lower(): i for i in unknown}
    close = difflib.get_close_matches(name.lower(), list(names), n=1, cutoff=0.5)
    if close:
        return names[close[0]]
    hits = [i for i in unknown if name.lower() in header[i].lower()]
    if len(hits) == 1:
        return hits[0]
    if len(unknown) == 1 and not blank:
        return unknown[0]
    return blank[0] if blank else None
