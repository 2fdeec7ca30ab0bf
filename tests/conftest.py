"""Shared fixtures and helpers for the whole test suite.

Everything is found from this file's place (``REPO = Path(__file__).parents[1]``), so the suite
runs from a fresh clone.

Helpers (plain functions, importable as ``from conftest import copy_campus, set_cell``):

``copy_campus(dest)``
    copy ``data/``, ``ontology/`` and ``shapes/`` of the repository into ``dest`` and open it as a
    :class:`~publisher.project.folder.Project` (use it from module/session fixtures with
    ``tmp_path_factory``).
``set_cell(project, file, key, column, value)``
    change one cell of a CSV table of a project (the row whose first column is ``key``); returns
    the spreadsheet line of that row (header = line 1), as reported by the validation.

Fixtures:

``campus_copy``
    a factory over ``tmp_path``: ``campus_copy()`` returns a fresh, writable copy of the shipped
    campus (call it again for another copy); edit its files, then convert or validate it.
``shipped_project`` (session)
    the shipped campus itself (read-only: never write to it).
``shipped_conversion`` / ``shipped_graph`` (session)
    the shipped campus converted once (:class:`~publisher.convert.tables.Conversion` and its graph).
    Treat them as read-only; copy the graph (``Graph() + g``) before changing it.
``shipped_report`` (session)
    the validation of the shipped campus (:class:`~publisher.validate.validation.Report`, ~4 s, computed
    once for the whole run and only when a test asks for it), made with ``shapes_graph``.
``shapes_graph`` / ``ontology_graph`` (session)
    the shipped shapes and ontology, parsed once (read-only).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph

from publisher.convert.tables import Conversion, convert
from publisher.core.errors import SourceError
from publisher.core.graphs import load_graph
from publisher.project.folder import Project
from publisher.validate.validation import VIOLATION, Problem, Report, validate_graph

REPO = Path(__file__).resolve().parents[1]
COPIED = ("data", "ontology", "shapes")


def copy_campus(dest: Path) -> Project:
    """Copy the repository's ``data/``, ``ontology/`` and ``shapes/`` into ``dest``; open it."""
    dest.mkdir(parents=True, exist_ok=True)
    for folder in COPIED:
        shutil.copytree(REPO / folder, dest / folder)
    return Project.open(dest)


def set_cell(project: Project, file: str, key: str, column: str, value: str) -> int:
    """Set ``column`` of the row of ``data/<file>`` whose first column is ``key``.

    The rest of the file is written back unchanged in content (UTF-8, ``\\n`` line ends).
    Returns the spreadsheet line of the row; raises ``KeyError`` for an unknown row or column.
    """
    path = project.data_dir / file
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    if column not in header:
        raise KeyError(f"{file}: no column {column!r}")
    hits = [i for i, row in enumerate(rows) if i > 0 and row and row[0] == key]
    if len(hits) != 1:
        raise KeyError(f"{file}: {len(hits)} rows with key {key!r} (expected 1)")
    rows[hits[0]][header.index(column)] = value
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return hits[0] + 1


def build_graph(project: Project) -> Graph:
    """The campus graph, or :class:`SourceError` listing every malformed cell."""
    conv = convert(project)
    if conv.problems:
        raise SourceError(conv.problems)
    return conv.graph


@pytest.fixture
def campus_copy(tmp_path: Path) -> Callable[[], Project]:
    """Factory: each call returns a fresh copy of the shipped campus under ``tmp_path``."""
    count = 0

    def make() -> Project:
        nonlocal count
        count += 1
        return copy_campus(tmp_path / f"campus-{count}")

    return make


@pytest.fixture(scope="session")
def shipped_project() -> Project:
    return Project.open(REPO)


@pytest.fixture(scope="session")
def shipped_conversion(shipped_project: Project) -> Conversion:
    return convert(shipped_project)


@pytest.fixture(scope="session")
def shipped_graph(shipped_conversion: Conversion) -> Graph:
    return shipped_conversion.graph


@pytest.fixture(scope="session")
def shipped_report(
    shipped_conversion: Conversion, shapes_graph: Graph, ontology_graph: Graph
) -> Report:
    """What ``validate_project`` reports for the shipped campus, computed with ``shapes_graph``
    (so that the blank-node ``Problem.shape`` of a result can be looked up there)."""
    report = validate_graph(
        shipped_conversion.graph, shapes_graph, ontology_graph, shipped_conversion
    )
    report.problems[:0] = [Problem(VIOLATION, loc, m, m) for loc, m in shipped_conversion.problems]
    return report


@pytest.fixture(scope="session")
def shapes_graph(shipped_project: Project) -> Graph:
    return load_graph(shipped_project.shape_files())


@pytest.fixture(scope="session")
def ontology_graph(shipped_project: Project) -> Graph:
    return load_graph(shipped_project.ontology_files())
