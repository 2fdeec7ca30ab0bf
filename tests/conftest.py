"""Shared fixtures, plugins, markers and helpers for the whole test suite.

Everything is found from this file's place (``REPO = Path(__file__).parents[1]``), so the suite
runs from a fresh clone.

Fixture plugins (``pytest_plugins`` below): the fixtures of ``tests/server_fixtures.py``,
``tests/store_fixtures.py`` and ``tests/browser_fixtures.py`` are registered once for the whole run, so a test module asks for them
by name and never imports a fixture (it may import the types and plain helpers of those modules,
e.g. ``from server_fixtures import LiveServer, start_server``; importing a fixture function would
register a second, module-local copy of it). Session fixtures are therefore shared by every
module: one build and one ``cmq serve`` for ``live_server``, one process per kind for ``store``.

``served_project`` / ``live_server`` (session, server_fixtures)
    a built copy of the shipped campus, and ``cmq serve`` over it on a loopback port.
``store`` (session, store_fixtures)
    an Oxigraph server or a Virtuoso process on a loopback port (parametrized: ``[oxigraph]``,
    ``[virtuoso]``; every test using it is marked ``external`` through the params).
``campus_releases`` (session, store_fixtures)
    a copy of the shipped campus with two built releases, for publishing into stores.
``browser`` (module, browser_fixtures)
    a headless Chromium with a fresh profile; a module of such tests sets
    ``pytestmark = BROWSER_TESTS`` (the ``browser`` marker, skipped without Chromium).

Markers (registered in ``pyproject.toml``; ``--strict-markers`` rejects any other name):

``browser``
    drives a headless Chromium (tests/test_*browser*.py: ``BROWSER_TESTS``).
``external``
    starts a Virtuoso or Oxigraph server process (the ``store`` fixture's params,
    :func:`store_fixtures.start_store`). ``cmq serve`` subprocesses of our own do not count.
``reference``
    uses pyshacl, the reference SHACL engine (``publisher.validate.reference``), to cross-check
    the compiled one: the ``pyshacl`` params of :data:`ENGINE_PARAMS` (tests/test_shapes.py,
    tests/test_validate.py), the comparisons of tests/test_shacl_sparql.py, the pyshacl
    end-to-end tests of tests/test_shapes_identifiers.py, the catalogue checks with
    ``validate_with_pyshacl`` (tests/test_catalog.py, tests/test_harvest.py). Not a guarantee
    that the rest runs without pyshacl: tests/test_shapes.py and tests/test_shapes_identifiers.py
    import it, and test_shapes' ``hits_of`` follows nested ``sh:node`` failures with it whatever
    the engine.

The quick run is ``pytest -m "not browser and not external and not reference"``. Every test has a
time limit (pytest-timeout, ``timeout`` in ``pyproject.toml``; a test that legitimately takes
longer says so with ``@pytest.mark.timeout(seconds)``); a hung test fails with its name and the
stacks, and the run goes on (the limit covers the test's fixture setup too).

Helpers (plain functions, importable as ``from conftest import copy_campus, set_cell``):

``copy_campus(dest)``
    copy ``data/``, ``ontology/`` and ``shapes/`` of the repository into ``dest`` and open it as a
    :class:`~publisher.project.folder.Project` (use it from module/session fixtures with
    ``tmp_path_factory``).
``set_cell(project, file, key, column, value)``
    change one cell of a CSV table of a project (the row whose first column is ``key``); returns
    the spreadsheet line of that row (header = line 1), as reported by the validation.

``ENGINE_PARAMS``
    the names of ``publisher.validate.reference.ENGINES`` for ``parametrize`` (or fixture
    ``params``), the pyshacl one marked ``reference`` (same test ids as ``list(ENGINES)``).

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
from publisher.validate.reference import ENGINES
from publisher.validate.validation import VIOLATION, Problem, Report, validate_graph

pytest_plugins = ["server_fixtures", "store_fixtures", "browser_fixtures"]

REPO = Path(__file__).resolve().parents[1]
COPIED = ("data", "ontology", "shapes")
#: The validation engines to cross-check, by name; pyshacl (the reference engine) is marked.
ENGINE_PARAMS = [pytest.param(name, marks=pytest.mark.reference) if name == "pyshacl" else name
                 for name in ENGINES]


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
