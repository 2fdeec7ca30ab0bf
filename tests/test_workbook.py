"""``cmq workbook`` (issue 12): one sheet per table, frozen header with help, a drop-down list on
every coded column equal to its code list; the workbook as the source gives the shipped graph,
workbook → tables → workbook loses nothing, and a cell edited in the workbook changes the graph
as expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, copy_campus
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from publisher.cli.main import EXIT_OK, main
from publisher.convert.codes import code_lists, column_list, strip_label
from publisher.convert.mapping import load_mapping
from publisher.convert.tables import convert
from publisher.core.namespaces import CMQ_NS
from publisher.project.folder import Project
from publisher.release.folder import current_release
from publisher.release.model import DATA_NT


def _workbook(project: Project, name: str = "campus.xlsx") -> Path:
    dest = project.data_dir / name
    assert main(["--project", str(project.root), "workbook", "-q", "-o", str(dest)]) == EXIT_OK
    return dest


def _use(project: Project, name: str) -> None:
    config = project.data_dir / "campus.toml"
    config.write_text(config.read_text("utf-8") + f'\n[tableaux]\nclasseur = "{name}"\n', "utf-8")
    for table in load_mapping(project.mapping_path).tables:
        (project.data_dir / table.file).unlink()


def _cells(path: Path) -> dict[str, list[list[Any]]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def _list_values(book: Any, formula: str) -> list[str]:
    sheet, cells = formula.split("!")
    first, last = cells.replace("$", "").split(":")
    return [c.value for row in book[sheet.strip("'")][f"{first}:{last}"] for c in row]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    project = copy_campus(tmp_path_factory.mktemp("workbook"))
    return project, _workbook(project)


def test_every_coded_column_has_a_drop_down_equal_to_its_code_list(
        written: tuple[Project, Path]) -> None:
    from openpyxl import load_workbook

    project, path = written
    book = load_workbook(path)
    lists = code_lists(project.ontology_files(), project.config)
    checked = 0
    for table in load_mapping(project.mapping_path).tables:
        ws = book[table.name]
        assert ws.freeze_panes == "A2"
        header = [c.value for c in ws[1]]
        assert header[0] == "id" or table.name == "adhesions"
        assert all(c.comment is not None and c.comment.text for c in ws[1]), table.name
        for j, name in enumerate(header):
            scheme = column_list(table, name)
            if scheme is None:
                continue
            letter = ws.cell(row=1, column=j + 1).column_letter
            [dv] = [dv for dv in ws.data_validations.dataValidation
                    if f"{letter}2" in str(dv.sqref).split(":")[0]]
            assert dv.type == "list"
            codes = [strip_label(v) for v in _list_values(book, dv.formula1)]
            assert codes == [c.code for c in lists[scheme]], (table.name, name)
            checked += 1
    assert checked >= 12, "every coded column of the shipped mapping"
    assert book["listes"].sheet_state == "hidden"


def test_the_workbook_as_source_gives_the_shipped_graph_and_round_trips(
        tmp_path: Path, shipped_graph: Graph) -> None:
    project = copy_campus(tmp_path / "campus")
    first = _workbook(project)
    _use(project, first.name)
    conv = convert(project)
    assert conv.problems == [] and conv.remarks() == []
    assert isomorphic(conv.graph, shipped_graph)
    again = _workbook(project, "again.xlsx")
    assert _cells(again) == _cells(first), "workbook → tables → workbook loses nothing"
    # and back to the CSV files: the shipped tables, byte for byte
    assert main(["--project", str(project.root), "workbook", "-q", "--tables"]) == EXIT_OK
    for table in load_mapping(project.mapping_path).tables:
        shipped = REPO / "data" / table.file
        assert (project.data_dir / table.file).read_bytes() == shipped.read_bytes(), table.file


def test_editing_a_cell_changes_the_graph_as_expected(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    project = copy_campus(tmp_path / "campus")
    path = _workbook(project)
    _use(project, path.name)
    root = str(project.root)
    assert main(["--project", root, "build", "-q"]) == EXIT_OK
    before = _release_graph(project)
    book = load_workbook(path)
    ws = book["certifications"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "cap-plasturgie")
    cell = row[header.index("niveau")]
    assert strip_label(str(cell.value)) == "3"
    cell.value = "4 — niveau 4 (baccalauréat, BP, bac pro)"  # what the drop-down puts there
    book.save(path)
    assert main(["--project", root, "build", "-q"]) == EXIT_OK
    after = _release_graph(project)
    cert = URIRef(project.config.base_iri + "certification/cap-plasturgie")
    level = URIRef("https://schema.org/educationalLevel")
    assert set(before - after) == {(cert, level, URIRef(CMQ_NS + "niveau/3"))}
    assert set(after - before) == {(cert, level, URIRef(CMQ_NS + "niveau/4"))}


def _release_graph(project: Project) -> Graph:
    release = current_release(project.releases_dir)
    assert release is not None
    return Graph().parse(release / DATA_NT, format="nt")
