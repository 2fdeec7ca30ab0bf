"""Sources → graph: apply the declarative mapping to the campus's tables.

Every subject made is remembered with the file and row it came from, so that validation results
can be reported against the spreadsheet (see :mod:`publisher.validate`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from publisher.campus import CONFIG_KEYS, campus_triples
from publisher.errors import Location, SourceError
from publisher.mapping import Field, Mapping, Table, load_mapping
from publisher.namespaces import CMQ_NS, PREFIXES
from publisher.project import Project

Triple = tuple[URIRef, URIRef, Node]

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VAR = re.compile(r"\{([^{}]+)\}")
_BOOL = {"oui": True, "non": False, "true": True, "false": False, "1": True, "0": False,
         "vrai": True, "faux": False, "yes": True, "no": False}
_DATES = ((re.compile(r"^\d{4}$"), XSD.gYear), (re.compile(r"^\d{4}-\d{2}$"), XSD.gYearMonth),
          (re.compile(r"^\d{4}-\d{2}-\d{2}$"), XSD.date))
_CHECKS: dict[URIRef, tuple[re.Pattern[str], str]] = {
    XSD.integer: (re.compile(r"^[+-]?\d+$"), "nombre entier attendu / integer expected"),
    XSD.decimal: (re.compile(r"^[+-]?\d+(\.\d+)?$"), "nombre décimal attendu / decimal expected"),
    XSD.date: (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "date AAAA-MM-JJ attendue / date expected"),
    XSD.duration: (
        re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"),
        "durée ISO 8601 attendue, par ex. P2Y / ISO 8601 duration expected, e.g. P2Y",
    ),
}


@dataclass
class Conversion:
    """The converted graph and where each of its subjects came from."""

    graph: Graph
    origins: dict[URIRef, tuple[Location, Table | None]] = field(default_factory=dict)
    problems: list[tuple[Location, str]] = field(default_factory=list)

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


#: Key under which :func:`read_table` puts the cells beyond the header's columns, if any.
EXTRA_CELLS = "\x00extra"


def read_table(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV table as (spreadsheet line, {column: stripped value}); BOM tolerated.

    Cells beyond the header's columns (an unquoted comma…) are joined under :data:`EXTRA_CELLS`.
    """
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            line = reader.line_num
            out = {(k or "").strip(): (v or "").strip() for k, v in row.items()
                   if not isinstance(v, list)}
            extra = row.get(None)
            if isinstance(extra, list):
                out[EXTRA_CELLS] = ",".join(extra)
            yield line, out


def _fill(template: str, row: dict[str, str], *, encode: bool) -> str:
    def sub(m: re.Match[str]) -> str:
        v = row.get(m.group(1), "")
        return quote(v, safe="@.-_~") if encode else v

    return _VAR.sub(sub, template)


class _TableConverter:
    def __init__(self, conv: Conversion, mapping: Mapping, table: Table, base: str) -> None:
        self.conv, self.mapping, self.table, self.base = conv, mapping, table, base
        self.types = [URIRef(t) for t in table.types]

    def problem(self, line: int | None, column: str | None, msg: str) -> None:
        self.conv.problems.append((Location(self.table.file, line, column), msg))

    def run(self, path: Path) -> None:
        if not path.is_file():
            self.problem(None, None, "fichier absent / file missing")
            return
        seen: dict[URIRef, int] = {}
        try:
            rows = list(read_table(path))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.problem(None, None, f"illisible (UTF-8 attendu) / unreadable (UTF-8 expected): {exc}")
            return
        header = set(rows[0][1]) if rows else self._header(path)
        for col in sorted(self.table.columns() - header):
            self.problem(1, col, "colonne absente de l'en-tête / column missing from the header")
        if self.table.columns() - header:
            return
        for line, row in rows:
            if not any(row.values()):
                continue
            if EXTRA_CELLS in row:
                self.problem(line, None, "plus de cellules que de colonnes (virgule sans guillemets ?)"
                             f" / more cells than columns (unquoted comma?): {row[EXTRA_CELLS]!r}")
                continue
            subject = self.subject(self.table.subject, row, line)
            if subject is None:
                continue
            if subject in seen:
                self.problem(line, None, f"doublon de la ligne {seen[subject]} / duplicate of row "
                             f"{seen[subject]}: {subject}")
                continue
            seen[subject] = line
            self.conv.origins[subject] = (Location(self.table.file, line), self.table)
            g = self.conv.graph
            for t in self.types:
                g.add((subject, RDF.type, t))
            for f in self.table.fields:
                self.field(f, subject, row, line)

    @staticmethod
    def _header(path: Path) -> set[str]:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return {h.strip() for h in next(csv.reader(fh), [])}

    def subject(self, template: str, row: dict[str, str], line: int) -> URIRef | None:
        ok = True
        for var in _VAR.findall(template):
            if not _KEY.match(row.get(var, "")):
                ok = False
                self.problem(line, var, f"identifiant vide ou invalide (minuscules, chiffres, tirets) "
                             f"/ empty or invalid key (lowercase, digits, hyphens): {row.get(var)!r}")
        return URIRef(self.base + _fill(template, row, encode=True)) if ok else None

    def field(self, f: Field, subject: URIRef, row: dict[str, str], line: int) -> None:
        if f.when and not any(row.get(c) for c in f.when):
            return
        s = subject
        if f.subject:
            sub = self.subject(f.subject, row, line)
            if sub is None:
                return
            s = sub
            self.conv.origins.setdefault(s, (Location(self.table.file, line), self.table))
        if f.column:
            cell = row.get(f.column, "")
            values = [v.strip() for v in cell.split(f.separator)] if f.separator else [cell]
            values = [v for v in values if v]
        else:
            values = [_fill(f.value or "", row, encode=f.kind != "literal")]
        for v in values:
            obj = self.object(f, v, row, line)
            if obj is not None:
                self.conv.graph.add((s, URIRef(f.property), obj))

    def object(self, f: Field, v: str, row: dict[str, str], line: int) -> Node | None:
        col = f.column
        if f.kind == "literal":
            return self.literal(f, v, line)
        if f.kind == "iri":
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", v) or any(c in v for c in '<>"{}|\\^`'):
                self.problem(line, col, f"adresse (IRI) invalide / invalid IRI: {v!r}")
                return None
            return URIRef(v)
        if f.kind == "ref" and f.template:
            if not _KEY.match(v):
                self.problem(line, col, f"référence invalide / invalid reference: {v!r}")
                return None
            return URIRef(self.base + f.template.replace("{value}", v))
        if f.kind == "ref":
            return URIRef(self.base + v)
        # concept
        if not _KEY.match(v):
            self.problem(line, col, f"code invalide / invalid code: {v!r}")
            return None
        if f.local_scheme:
            return URIRef(f"{self.base}{f.local_scheme}/{v}")
        return URIRef(f"{CMQ_NS}{f.scheme}/{v}")

    def literal(self, f: Field, v: str, line: int) -> Literal | None:
        if f.lang:
            return Literal(v, lang=f.lang)
        if f.datatype is None:
            return Literal(v)
        if f.datatype == "date":
            for pattern, dt in _DATES:
                if pattern.match(v):
                    lit = Literal(v, datatype=dt)
                    if not lit.ill_typed:
                        return lit
            self.problem(line, f.column, f"date invalide (AAAA, AAAA-MM ou AAAA-MM-JJ) / invalid "
                         f"date (YYYY, YYYY-MM or YYYY-MM-DD): {v!r}")
            return None
        dt = URIRef(f.datatype)
        if dt == XSD.boolean:
            if v.lower() not in _BOOL:
                self.problem(line, f.column, f"oui ou non attendu / yes or no expected: {v!r}")
                return None
            return Literal(_BOOL[v.lower()])
        check = _CHECKS.get(dt)
        if check and not check[0].match(v):
            self.problem(line, f.column, f"{check[1]}: {v!r}")
            return None
        return Literal(v, datatype=dt)


def convert(project: Project) -> Conversion:
    """Build the campus graph from the project's sources; problems are collected, not raised."""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    conv = Conversion(graph)
    try:
        mapping = load_mapping(project.mapping_path)
        config = project.config
    except SourceError as exc:
        conv.problems.extend(exc.problems)
        return conv
    for t in campus_triples(config):
        graph.add(t)
    campus = URIRef(config.campus_iri)
    for s in set(graph.subjects()):
        if isinstance(s, URIRef):
            column = None if s == campus else "territoires"
            conv.origins[s] = (Location("campus.toml", column=column), None)
    for table in mapping.tables:
        _TableConverter(conv, mapping, table, config.base_iri).run(project.data_dir / table.file)
    known = {t.file for t in mapping.tables}
    for path in sorted(project.data_dir.glob("*.csv")):
        if path.name not in known:
            msg = ("tableau inconnu : aucune table de mapping.toml ne le lit / unknown table: "
                   "no table of mapping.toml reads it")
            conv.problems.append((Location(path.name), msg))
    return conv


def build_graph(project: Project) -> Graph:
    """The campus graph, or :class:`SourceError` listing every malformed cell."""
    conv = convert(project)
    if conv.problems:
        raise SourceError(conv.problems)
    return conv.graph
