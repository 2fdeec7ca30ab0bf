"""Tables as French offices save them (issue 12): each converts to exactly the shipped graph.

Excel's « CSV (séparateur: point-virgule) » (Windows-1252, ``;``, CRLF, dates ``03/09/2024``,
decimal commas), Excel's « CSV UTF-8 » (BOM, ``;``), an .xlsx written by openpyxl with typed cells
(numbers, dates), an .ods written by odfpy; the detection is said once per file; a file whose
separator cannot be told is refused with what to choose; a table too large is refused before it
is read, naming the file and the limit.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import copy_campus
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from publisher.convert.mapping import load_mapping
from publisher.convert.sniff import MAX_TABLE_BYTES
from publisher.convert.tables import convert
from publisher.project.folder import Project

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
#: Columns an office types as numbers or dates (read back as such from a workbook).
_NUMBERS = {"places", "valeur"}
_COORDINATES = {"latitude", "longitude"}


def _tables(project: Project) -> dict[str, list[list[str]]]:
    out = {}
    for table in load_mapping(project.mapping_path).tables:
        with (project.data_dir / table.file).open(encoding="utf-8", newline="") as fh:
            out[table.name] = list(csv.reader(fh))
    return out


def _as_office_shows(header: list[str], row: list[str]) -> list[str]:
    """Cells as French Excel writes them: dates day first, decimal commas."""
    out = []
    for name, cell in zip(header, row, strict=True):
        iso = _ISO.match(cell)
        if iso:
            cell = f"{iso[3]}/{iso[2]}/{iso[1]}"
        elif name in _COORDINATES and _DECIMAL.match(cell):
            cell = cell.replace(".", ",")
        out.append(cell)
    return out


def _save_csv(project: Project, encoding: str, sep: str) -> None:
    tables = _tables(project)
    for table in load_mapping(project.mapping_path).tables:
        rows = tables[table.name]
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=sep, lineterminator="\r\n")
        writer.writerow(rows[0])
        writer.writerows(_as_office_shows(rows[0], r) for r in rows[1:])
        (project.data_dir / table.file).write_bytes(text.getvalue().encode(encoding))


def _typed(name: str, cell: str) -> object:
    """A cell as an officer types it in a workbook: numbers as numbers, full dates as dates
    (coordinates stay text: a number cell would drop their trailing zeros)."""
    iso = _ISO.match(cell)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    if name in _NUMBERS and cell.isdigit():
        return int(cell)
    return cell or None


def _use_workbook(project: Project, name: str) -> None:
    config = project.data_dir / "campus.toml"
    config.write_text(config.read_text("utf-8") + f'\n[tableaux]\nclasseur = "{name}"\n', "utf-8")
    for table in load_mapping(project.mapping_path).tables:
        os.remove(project.data_dir / table.file)  # the workbook alone holds the tables now


def _save_xlsx(project: Project) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in _tables(project).items():
        sheet = book.create_sheet(name)
        sheet.append(rows[0])
        for r in rows[1:]:
            sheet.append([_typed(h, c) for h, c in zip(rows[0], r, strict=True)])
    book.save(project.data_dir / "campus.xlsx")
    _use_workbook(project, "campus.xlsx")


def _save_ods(project: Project) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in _tables(project).items():
        sheet = Table(name=name)
        for r in rows:
            tr = TableRow()
            for cell in r:
                if cell.isdigit() and len(cell) < 5 and not cell.startswith("0"):
                    tc = TableCell(valuetype="float", value=cell)
                else:
                    tc = TableCell(valuetype="string")
                if cell:
                    tc.addElement(P(text=cell))
                tr.addElement(tc)
            sheet.addElement(tr)
        doc.spreadsheet.addElement(sheet)
    doc.save(str(project.data_dir / "campus.ods"))
    _use_workbook(project, "campus.ods")


def _excel_semicolon(p: Project) -> None:
    _save_csv(p, "cp1252", ";")


def _excel_utf8(p: Project) -> None:
    _save_csv(p, "utf-8-sig", ";")


def _tab_separated(p: Project) -> None:
    _save_csv(p, "utf-8", "\t")


SAVES = {"excel-csv-point-virgule-windows-1252-crlf": _excel_semicolon,
         "excel-csv-utf8-bom": _excel_utf8, "tab-separated": _tab_separated,
         "xlsx-openpyxl": _save_xlsx, "ods-odfpy": _save_ods}


def _dump_diff(expected: Graph, got: Graph) -> str:
    _both, only_expected, only_got = graph_diff(to_isomorphic(expected), to_isomorphic(got))
    lines = [f"- {t}" for t in sorted(only_expected)][:20]
    lines += [f"+ {t}" for t in sorted(only_got)][:20]
    return "\n".join(lines)


@pytest.mark.parametrize("save", list(SAVES), ids=list(SAVES))
def test_a_table_saved_by_an_office_gives_the_same_graph(
        tmp_path: Path, shipped_graph: Graph, save: str) -> None:
    project = copy_campus(tmp_path / "campus")
    SAVES[save](project)
    conv = convert(project)
    assert conv.problems == []
    assert [r for r in conv.remarks() if r[0] != "Info"] == []
    got = conv.graph
    assert isomorphic(shipped_graph, got), _dump_diff(shipped_graph, got)


def test_what_was_detected_is_said_once_per_file(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "campus")
    _excel_semicolon(project)
    notes = [msg for sev, _loc, msg in convert(project).remarks() if sev == "Info"]
    assert "etablissements.csv : lu en Windows-1252, séparateur « ; » / read as Windows-1252, " \
           "separator « ; »" in notes
    assert len(notes) == len(load_mapping(project.mapping_path).tables)
    project = copy_campus(tmp_path / "campus-utf8")
    _excel_utf8(project)
    notes = [msg for sev, _loc, msg in convert(project).remarks() if sev == "Info"]
    assert "sources.csv : lu en UTF-8 (BOM), séparateur « ; » / read as UTF-8 (BOM), " \
           "separator « ; »" in notes


def test_the_shipped_utf8_comma_tables_say_nothing(shipped_project: Project) -> None:
    assert convert(shipped_project).remarks() == []


def test_an_ambiguous_separator_is_refused_with_what_to_choose(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "campus")
    (project.data_dir / "sources.csv").write_text("titre;editeur,date\nx;y,z\n", "utf-8")
    conv = convert(project)
    [(loc, msg)] = [(loc, m) for loc, m in conv.problems if loc.file == "sources.csv"]
    assert loc.row == 1
    assert "séparateur ambigu" in msg and "« ; »" in msg and "« , »" in msg
    assert "point-virgule" in msg and "ambiguous separator" in msg


def test_a_table_too_large_is_refused_before_it_is_read(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "campus")
    path = project.data_dir / "formations.csv"
    with path.open("r+b") as fh:  # a sparse file: large, yet costs no disk and no time
        fh.truncate(MAX_TABLE_BYTES + 1)
    conv = convert(project)
    [(loc, msg)] = [(loc, m) for loc, m in conv.problems if loc.file == "formations.csv"]
    limit = f"limite {MAX_TABLE_BYTES // 1_048_576} Mo"
    assert loc.row is None and "fichier formations.csv trop gros" in msg and limit in msg
    assert "too large" in msg and conv.tables["formations"].fatal
