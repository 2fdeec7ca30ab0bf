"""``cmq workbook``: the campus's tables as one spreadsheet workbook with drop-down lists.

Contract: :func:`current_sheets` reads the tables from the project's source (its CSV files, or the
workbook its config names) as :class:`~publisher.convert.sheets.Sheet` objects;
:func:`write_workbook` writes them into one ``.xlsx`` (openpyxl):

- one sheet per table of the mapping, named as the table, its header frozen (row 1), each header
  cell with a comment: what the column holds and how to write it (``columns.toml`` and the
  mapping, :mod:`publisher.convert.columns`); every cell written as text (leading zeros of postcodes
  and INSEE codes stay);
- a hidden sheet ``listes``: one column per code list, each entry ``code — label``
  (:func:`publisher.convert.codes.entry`);
- a data validation (drop-down list) on every coded column, over the column of ``listes`` for
  its list: the officer picks a label, the cell stores ``code — label``, and the converter keeps
  the code (:func:`publisher.convert.codes.strip_label`). A column that takes several codes
  (``a;b``) gets the list as a suggestion (an "information" alert lets other text through).
  Coded cells already holding a known code are written as their entry.

Reading the workbook back (:func:`current_sheets` on a project whose config names it) gives the
same cells, so workbook → tables → workbook loses nothing (docs/decisions/0018-office-files.md).
:func:`write_tables` writes the CSV tables (UTF-8, ``,``) back from the current source, coded
cells as their codes (``cmq workbook --tables``: back to CSV files).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from publisher.convert.codes import code_lists, column_list, entry, strip_label
from publisher.convert.columns import Code, table_docs
from publisher.convert.mapping import Table, load_mapping
from publisher.convert.sheets import Sheet, column_letter, csv_sheet, workbook_sheets
from publisher.convert.sniff import Unreadable
from publisher.core.errors import Location, SourceError
from publisher.core.files import write_bytes
from publisher.project.folder import Project

LISTS_SHEET = "listes"
#: Rows below the data that still get the drop-down lists (room for new rows).
SPARE_ROWS = 500
TEXT = "@"


def current_sheets(project: Project) -> dict[str, Sheet]:
    """The tables of the project's source by table name; raises :class:`SourceError`."""
    mapping = load_mapping(project.mapping_path)
    book = project.config.workbook
    try:
        if book:
            sheets = workbook_sheets(project.data_dir / book)
            return {t.name: sheets[t.name] for t in mapping.tables if t.name in sheets}
        return {t.name: csv_sheet(t.file, (project.data_dir / t.file).read_bytes(), t.columns())
                for t in mapping.tables if (project.data_dir / t.file).is_file()}
    except Unreadable as exc:
        raise SourceError([(Location(book or "data", exc.row, exc.column), exc.message)]) from exc


def _lists_sheet(book: object, lists: Mapping[str, Sequence[Code]]) -> dict[str, str]:
    """Write the hidden sheet of code lists; list name → its range for a data validation."""
    sheet = book.create_sheet(LISTS_SHEET)  # type: ignore[attr-defined]
    sheet.sheet_state = "hidden"
    ranges = {}
    for i, (name, codes) in enumerate(sorted(lists.items())):
        letter = column_letter(i)
        sheet.cell(row=1, column=i + 1, value=name)
        for j, code in enumerate(codes):
            sheet.cell(row=j + 2, column=i + 1, value=entry(code))
        ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(codes) + 1}"
    return ranges


def _coded(cell: str, codes: Sequence[Code], separator: str | None) -> str:
    """A coded cell as its drop-down entries (codes not in the list are left as they are)."""
    by_code = {c.code: c for c in codes}
    parts = [p.strip() for p in cell.split(separator)] if separator else [cell]
    shown = [entry(by_code[strip_label(p)]) if strip_label(p) in by_code else p for p in parts]
    return separator.join(shown) if separator else shown[0]


def _separator(table: Table, column: str) -> str | None:
    return next((f.separator for f in table.fields if f.column == column and f.separator), None)


def _validation(list_range: str, multiple: bool) -> object:
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        type="list", formula1=list_range, allow_blank=True, showDropDown=False,
        showErrorMessage=True, errorStyle="information" if multiple else "stop",
        errorTitle="Code inconnu / unknown code",
        error=("Choisissez dans la liste (plusieurs codes : séparez-les par « ; ») / pick from "
               "the list (several codes: separate them with ';')" if multiple else
               "Choisissez dans la liste / pick from the list"),
        promptTitle="Liste de codes / code list",
        prompt="Choisissez dans la liste / pick from the list", showInputMessage=True)


def write_workbook(project: Project, dest: Path) -> Path:
    """Write the workbook of the project's current tables to ``dest`` (see the module doc)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    mapping = load_mapping(project.mapping_path)
    sheets = current_sheets(project)
    lists = code_lists(project.ontology_files(), project.config)
    docs = {d.name: d for d in table_docs(mapping)}
    book = Workbook()
    book.remove(book.active)
    for table in mapping.tables:
        sheet = sheets.get(table.name)
        header = list(sheet.header) if sheet is not None else docs[table.name].header
        ws = book.create_sheet(table.name)
        columns = {c.name: c for c in docs[table.name].columns}
        for j, name in enumerate(header):
            cell = ws.cell(row=1, column=j + 1, value=name)
            cell.font = Font(bold=True)
            doc = columns.get(name)
            if doc is not None:
                text = f"{doc.fr}\n{doc.format_fr}\n\n{doc.en}\n{doc.format_en}".strip()
                cell.comment = Comment(text, "cmq", width=320, height=160)
            ws.column_dimensions[column_letter(j)].width = max(12, min(40, len(name) + 4))
        rows = sheet.rows if sheet is not None else []
        coded = {j: column_list(table, name) for j, name in enumerate(header)}
        for i, (_row, cells) in enumerate(rows):
            for j, value in enumerate(cells):
                listed = lists.get(coded.get(j) or "")
                if value and listed:
                    value = _coded(value, listed, _separator(table, header[j]))
                cell = ws.cell(row=i + 2, column=j + 1, value=value or None)
                cell.number_format = TEXT
        ws.freeze_panes = "A2"
        _validations(ws, table, header, coded, len(rows) + 1 + SPARE_ROWS, book, lists)
    ranges = _lists_sheet(book, lists)
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            dv.formula1 = ranges[dv.formula1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)
    return dest


def _validations(ws: object, table: Table, header: Sequence[str], coded: Mapping[int, str | None],
                 last_row: int, book: object, lists: Mapping[str, Sequence[Code]]) -> None:
    """One drop-down list per coded column (its formula is the list's name until the lists
    sheet is written)."""
    for j, name in enumerate(header):
        listed = coded.get(j)
        if not listed or listed not in lists:
            continue
        dv = _validation(listed, _separator(table, name) is not None)
        letter = column_letter(j)
        dv.add(f"{letter}2:{letter}{last_row}")  # type: ignore[attr-defined]
        ws.add_data_validation(dv)  # type: ignore[attr-defined]


def _plain(cell: str, separator: str | None) -> str:
    """A coded cell with its drop-down entries as codes."""
    if not separator:
        return strip_label(cell)
    return separator.join(strip_label(p) for p in cell.split(separator))


def write_tables(project: Project) -> list[Path]:
    """Write the CSV tables from the project's current source (see the module doc)."""
    mapping = load_mapping(project.mapping_path)
    sheets = current_sheets(project)
    written = []
    for table in mapping.tables:
        sheet = sheets.get(table.name)
        if sheet is None:
            continue
        coded = {j: _separator(table, name) for j, name in enumerate(sheet.header)
                 if column_list(table, name)}
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(sheet.header)
        for _row, cells in sheet.rows:
            writer.writerow([_plain(c, coded[j]) if j in coded else c
                             for j, c in enumerate(cells)])
        path = project.data_dir / table.file
        write_bytes(path, out.getvalue().encode("utf-8"))
        written.append(path)
    return written
