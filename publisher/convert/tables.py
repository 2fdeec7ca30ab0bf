"""Sources → graph: apply the declarative mapping to the campus's tables.

Every subject made is remembered with the file and row it came from, so that validation results
can be reported against the spreadsheet (see :mod:`publisher.validate.validation`). A problem of
one cell is located at it with the cell's text (:class:`~publisher.core.errors.Location`
``value``), which the reports show beside its message; the build cache keeps it with the problem.

The graph is produced as canonical N-Triples lines (:mod:`publisher.core.ntriples`,
:mod:`publisher.convert.rows`): cheap to make, sort, load into Oxigraph and dump at 1M triples.
``Conversion.graph`` builds the rdflib graph from them on first use (tests, small graphs,
pyshacl). Each table's result is a :class:`TableState`, which the build cache keeps so that an
unchanged table, or an unchanged row of a changed table, is not converted again
(docs/decisions/0010-incremental-build.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

from publisher.convert.campus import CONFIG_KEYS, campus_triples
from publisher.convert.codes import CodeLists, code_lists
from publisher.convert.mapping import Table, load_mapping
from publisher.convert.rows import RowConverter, RowOut
from publisher.convert.sheets import (
    Sheet,
    check_header,
    csv_sheet,
    sheet_digest,
    workbook_sheets,
)
from publisher.convert.sniff import Unreadable, size_problem
from publisher.convert.workbook import LISTS_SHEET
from publisher.core.errors import Location, SourceError
from publisher.core.namespaces import PREFIXES
from publisher.core.ntriples import dedupe_sorted, lines_to_graph, subject_of
from publisher.project.folder import Project

#: A row whose first cell starts with this is a comment (an example row in a new table).
COMMENT = "#"
#: Key under which :func:`read_table` puts the cells beyond the header's columns, if any.
EXTRA_CELLS = "\x00extra"
CAMPUS_FILE = "campus.toml"
#: Severities of a table's remarks (the report's words; violations are ``problems``).
WARNING_NOTE, INFO_NOTE = "Warning", "Info"


#: What a table's rows gave: row key (its cells) → output, and (line, key) of every row that gave
#: triples, in file order (a key can repeat).
RowsAndUse = tuple[dict[str, RowOut], list[tuple[int, str]]]


@dataclass
class TableState:
    """What one table of the mapping gave: kept by the build cache, reused when unchanged.

    ``loader`` (from the build cache) reads ``rows`` and ``used`` only when they are needed.
    """

    file: str
    sha256: str | None  # of the file's bytes; None when it is missing or unreadable
    header: tuple[str, ...] = ()
    problems: list[tuple[Location, str]] = field(default_factory=list)
    loader: Callable[[], RowsAndUse] | None = field(default=None, repr=False, compare=False)
    _data: RowsAndUse | None = field(default=None, repr=False, compare=False)
    #: (severity, location, message) said once beside the problems: how the file was read, a
    #: harmless empty column (warnings and notes, not violations).
    remarks: tuple[tuple[str, Location, str], ...] = ()
    #: The table could not be read as a whole: nothing of it is converted, and what other
    #: tables' records say about its records is not reported (knock-on problems).
    fatal: bool = False

    def _get(self) -> RowsAndUse:
        if self._data is None:
            self._data = self.loader() if self.loader is not None else ({}, [])
        return self._data

    @property
    def rows(self) -> dict[str, RowOut]:
        return self._get()[0]

    @property
    def used(self) -> list[tuple[int, str]]:
        return self._get()[1]

    def lines(self) -> Iterator[str]:
        rows = self.rows
        for _line, key in self.used:
            yield from rows[key].lines


@dataclass
class Conversion:
    """The converted graph (as N-Triples lines) and where each of its subjects came from."""

    problems: list[tuple[Location, str]] = field(default_factory=list)
    tables: dict[str, TableState] = field(default_factory=dict)
    campus_lines: list[str] = field(default_factory=list)
    campus_iri: str | None = None
    mapping_tables: tuple[Table, ...] = ()
    _graph: Graph | None = field(default=None, repr=False)
    _origins: dict[URIRef, tuple[Location, Table | None]] | None = field(default=None, repr=False)
    _sorted: list[str] | None = field(default=None, repr=False)
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        """Every line in conversion order (may repeat): the campus's, then each table's."""
        if self._lines is None:
            out = list(self.campus_lines)
            for table in self.mapping_tables:
                state = self.tables.get(table.name)
                if state is not None:
                    out.extend(state.lines())
            self._lines = out
        return self._lines

    @property
    def graph(self) -> Graph:
        """The campus graph as an rdflib Graph, made on first use (costly at scale)."""
        if self._graph is None:
            g = Graph()
            for prefix, ns in PREFIXES.items():
                g.bind(prefix, ns)
            self._graph = lines_to_graph(self.sorted_lines(), g)
        return self._graph

    def remarks(self) -> list[tuple[str, Location, str]]:
        """Warnings and notes of the tables (how each file was read…), in mapping order."""
        return [r for t in self.mapping_tables
                for r in (self.tables[t.name].remarks if t.name in self.tables else ())]

    def unreadable(self) -> list[Table]:
        """The tables that could not be read as a whole (see :attr:`TableState.fatal`)."""
        return [t for t in self.mapping_tables
                if t.name in self.tables and self.tables[t.name].fatal]

    def sorted_lines(self) -> list[str]:
        """The distinct lines in code-point order (the content of ``campus.nt``)."""
        if self._sorted is None:
            self._sorted = dedupe_sorted(self.lines)
        return self._sorted

    def set_sorted(self, lines: list[str]) -> None:
        """Give the sorted distinct lines when they are already known (incremental build)."""
        self._sorted = lines
        self._lines = lines

    @property
    def origins(self) -> dict[URIRef, tuple[Location, Table | None]]:
        """Subject → (file and row, table); made on first use."""
        if self._origins is None:
            out: dict[URIRef, tuple[Location, Table | None]] = {}
            for text in self.campus_lines:
                s = subject_of(text)
                if s.startswith("<"):
                    iri = s[1:-1]
                    column = None if iri == self.campus_iri else "territoires"
                    out[URIRef(iri)] = (Location(CAMPUS_FILE, column=column), None)
            for table in self.mapping_tables:
                state = self.tables.get(table.name)
                if state is None:
                    continue
                for row_line, key in state.used:
                    row = state.rows[key]
                    loc = (Location(table.file, row_line), table)
                    out[URIRef(row.subject or "")] = loc
                    for sub in row.subs:
                        out.setdefault(URIRef(sub), loc)
            self._origins = out
        return self._origins

    def locate(self, subject: Node, prop: Node | None = None) -> Location | None:
        """File, row and column for a subject and (optionally) one of its properties."""
        hit = self.origins.get(subject) if isinstance(subject, URIRef) else None
        if hit is None:
            return None
        loc, table = hit
        if prop is None:
            column = loc.column
        elif table is not None:
            column = table.column_for(str(prop))
        else:  # campus.toml: the territories carry their key, the campus maps its properties
            column = loc.column or CONFIG_KEYS.get(URIRef(str(prop)))
        return Location(loc.file, loc.row, column)


def read_table(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV table as (spreadsheet row, {column: stripped value}), the encoding and
    separator detected (:mod:`publisher.convert.sniff`); raises :class:`Unreadable`.

    Cells beyond the header's columns (an unquoted separator…) are joined under
    :data:`EXTRA_CELLS`.
    """
    sheet = csv_sheet(path.name, path.read_bytes(), set())
    yield from _rows(sheet)


def _rows(sheet: Sheet) -> Iterator[tuple[int, dict[str, str]]]:
    header = sheet.header
    n = len(header)
    for line, cells in sheet.rows:
        if not cells:  # a blank line (as csv.DictReader skips it)
            continue
        row = {k: v for k, v in zip(header, cells, strict=False) if k}
        if len(cells) > n:
            row[EXTRA_CELLS] = ",".join(cells[n:])
        elif len(cells) < n:
            for k in header[len(cells):]:
                if k:
                    row.setdefault(k, "")
        yield line, row


def _row_key(row: dict[str, str]) -> str:
    """The cells of a row as one string (the build cache's key for the row's output)."""
    key = "\x1f".join(row.values())
    if key.count("\x1f") != len(row) - 1:  # a cell holds the separator itself: unambiguous form
        key = "\x00" + repr(tuple(row.values()))
    return key


def _problem(table: Table, line: int | None, column: str | None, msg: str) -> tuple[Location, str]:
    return Location(table.file, line, column), msg


def _cell(file: str, line: int, column: str | None, row: Mapping[str, str]) -> Location:
    """A cell's location with its text as read (none for an empty cell or a whole row)."""
    return Location(file, line, column, (row.get(column) or None) if column else None)


def _unreadable(file: str, exc: Unreadable) -> TableState:
    return TableState(file, None, problems=[(Location(file, exc.row, exc.column), exc.message)],
                      fatal=True)


def convert_table(table: Table, path: Path, base: str, previous: TableState | None = None,
                  codes: CodeLists | None = None) -> TableState:
    """Convert one CSV table; rows found unchanged in ``previous`` (same cells) are not converted
    again, and an unchanged file (same SHA-256) is not even read as CSV."""
    if not path.is_file():
        return TableState(table.file, None, problems=[
            _problem(table, None, None, "fichier absent / file missing")], fatal=True)
    try:
        too_big = size_problem(table.file, path.stat().st_size)
        if too_big is not None:
            raise Unreadable(too_big)
        raw = path.read_bytes()
    except OSError as exc:
        return _unreadable(table.file, Unreadable(f"illisible / unreadable: {exc.strerror}"))
    except Unreadable as exc:
        return _unreadable(table.file, exc)
    digest = hashlib.sha256(raw).hexdigest()
    if previous is not None and previous.sha256 == digest:
        return previous
    try:
        sheet = csv_sheet(table.file, raw, table.columns())
    except Unreadable as exc:
        return _unreadable(table.file, exc)
    del raw
    return convert_sheet(table, sheet, digest, base, previous, codes)


def convert_sheet(table: Table, sheet: Sheet, digest: str, base: str,
                  previous: TableState | None = None,
                  codes: CodeLists | None = None) -> TableState:
    """Convert one table read as a :class:`Sheet` (a CSV file or a workbook's sheet)."""
    if previous is not None and previous.sha256 == digest:
        return previous
    file = sheet.name
    state = TableState(file, digest, header=sheet.header)
    if sheet.note:
        state.remarks += ((INFO_NOTE, Location(file), sheet.note),)
    for hp in check_header(sheet.header, table.columns(), sheet.rows):
        loc = Location(file, 1, hp.column)
        if hp.fatal:
            state.problems.append((loc, hp.message))
        else:
            state.remarks += ((WARNING_NOTE, loc, hp.message),)
    if state.problems:
        state.fatal = True
        return state
    header = sheet.header
    old = previous.rows if previous is not None and previous.header == header else {}
    converter: RowConverter | None = None
    first = header[0] if header else ""
    seen: dict[str, int] = {}
    for line, row in _rows(sheet):
        if not any(row.values()) or row.get(first, "").startswith(COMMENT):
            continue
        if EXTRA_CELLS in row:
            state.problems.append((Location(file, line), (
                "plus de cellules que de colonnes (séparateur dans une cellule sans guillemets ?) "
                f"/ more cells than columns (separator in an unquoted cell?): "
                f"{row[EXTRA_CELLS]!r}")))
            continue
        key = _row_key(row)
        out = state.rows.get(key) or old.get(key)
        if out is None:
            if converter is None:
                converter = RowConverter(table, base, codes)
            out = converter.convert(row)
        state.rows[key] = out
        state.problems.extend((_cell(file, line, c, row), m) for c, m in out.subject_problems)
        if out.subject is None:
            continue
        if out.subject in seen:
            n = seen[out.subject]
            state.problems.append((Location(file, line), (
                f"doublon de la ligne {n} / duplicate of row {n}: "
                f"{out.subject.removeprefix(base)}")))
            continue
        seen[out.subject] = line
        state.used.append((line, key))
        state.problems.extend((_cell(file, line, c, row), m) for c, m in out.problems)
    return state


def _workbook_tables(project: Project, mapping_tables: tuple[Table, ...], name: str,
                     codes: CodeLists, previous: Mapping[str, TableState] | None,
                     conv: Conversion) -> None:
    """Convert every table from the sheets of the project's workbook ``name``."""
    path = project.data_dir / name
    base = project.config.base_iri
    try:
        if not path.is_file():
            raise Unreadable("fichier absent / file missing")
        too_big = size_problem(name, path.stat().st_size)
        if too_big is not None:
            raise Unreadable(too_big)
        sheets = workbook_sheets(path)
    except Unreadable as exc:
        for table in mapping_tables:
            conv.tables[table.name] = TableState(name, None, fatal=True)
        conv.problems.append((Location(name, exc.row, exc.column), exc.message))
        return
    for table in mapping_tables:
        sheet = sheets.get(table.name)
        before = previous.get(table.name) if previous is not None else None
        if sheet is None:
            state = TableState(f"{name} › {table.name}", None, fatal=True, problems=[(
                Location(name), (f"feuille « {table.name} » absente du classeur / sheet "
                f"'{table.name}' missing from the workbook"))])
        else:
            state = convert_sheet(table, sheet, sheet_digest(sheet), base, before, codes)
        conv.tables[table.name] = state
        conv.problems.extend(state.problems)
    known = {t.name for t in mapping_tables} | {LISTS_SHEET}
    for other in sorted(set(sheets) - known):
        conv.problems.append((Location(name), (
            f"feuille inconnue « {other} » : aucune table de mapping.toml ne la lit / unknown "
            f"sheet '{other}': no table of mapping.toml reads it")))


def _campus_lines(project: Project) -> list[str]:
    from publisher.core.ntriples import nt_term

    return [f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n"
            for s, p, o in campus_triples(project.config)]


def convert(project: Project, previous: Mapping[str, TableState] | None = None) -> Conversion:
    """Build the campus graph from the project's sources; problems are collected, not raised.

    ``previous`` (table name → state of an earlier conversion with the same mapping and
    configuration, from the build cache) lets unchanged tables and rows be reused.
    """
    conv = Conversion()
    try:
        mapping = load_mapping(project.mapping_path)
        config = project.config
    except SourceError as exc:
        conv.problems.extend(exc.problems)
        return conv
    conv.campus_iri = config.campus_iri
    conv.mapping_tables = mapping.tables
    conv.campus_lines = _campus_lines(project)
    codes = code_lists(project.ontology_files(), config)
    if config.workbook:
        _workbook_tables(project, mapping.tables, config.workbook, codes, previous, conv)
        return conv
    for table in mapping.tables:
        before = previous.get(table.name) if previous is not None else None
        state = convert_table(table, project.data_dir / table.file, config.base_iri, before,
                              codes)
        conv.tables[table.name] = state
        conv.problems.extend(state.problems)
    known = {t.file for t in mapping.tables}
    for path in sorted(project.data_dir.glob("*.csv")):
        if path.name not in known:
            msg = ("tableau inconnu : aucune table de mapping.toml ne le lit / unknown table: "
                   "no table of mapping.toml reads it")
            conv.problems.append((Location(path.name), msg))
    return conv
