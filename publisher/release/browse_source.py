"""The release's graph as the browse index reads it (docs/decisions/0019-browse-index.md,
docs/decisions/0026-browse-index-coverage.md).

:func:`open_source` loads a release's data — ``campus.nt`` (a campus release) or ``campus.nq``
(a national one, ``cmq harvest``: one named graph per campus) — and its ``ontology.ttl`` into an
in-memory Oxigraph store. :meth:`Source.select` asks a SELECT over the **union** of the graphs,
as the server's endpoint answers a query that names no dataset, so a count of the index is the
endpoint's count of the same question.

Each record has its *campuses* (:meth:`Source.campuses_of`): the ``cmq:Campus`` described in the
named graph where the record is typed (national release), or every ``cmq:Campus`` of the
release (campus release: there is one). A campus's :class:`Value` is coded by the last segment
of its graph's name (``…/graph/campus/alpha`` → ``alpha``: campus IRIs all end in
``organisation/campus``) and labelled by its French name.

:func:`column_values` gives, for the records a SPARQL pattern selects, their values at a property
path: the code (``skos:notation``, else the IRI's last segment, else the literal), the French
label and the record's ``path`` (relative to the base IRI, or the full IRI of a record of
another campus: its page is at its own address). A value that is a campus (a membership's
``org:organization``, a partnership's party) is coded like the campus's :class:`Value`, by its
graph's name, so that the campuses of a national release stay distinct values (in a campus
release the code is the same, ``campus``), and links to the campus's page or IRI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from publisher.core.namespaces import SPARQL_PREFIXES
from publisher.release.model import DATA_NQ, DATA_NT

CAMPUS_PATTERN = "?s a cmq:Campus ."


@dataclass(frozen=True)
class Value:
    """One value of a column for one record."""

    code: str
    label: str
    path: str | None  # the page of the value when it is a record (see the module)


def value_query(pattern: str, path: str) -> str:
    """The SELECT giving, for each ``?s`` of ``pattern``, the values at ``path`` with their codes
    and French labels."""
    return SPARQL_PREFIXES + f"""SELECT ?s ?v ?n ?pl ?rl WHERE {{
  {pattern}
  ?s {path} ?v .
  OPTIONAL {{ ?v skos:notation ?n }}
  OPTIONAL {{ ?v skos:prefLabel ?pl FILTER(lang(?pl) IN ("fr", "")) }}
  OPTIONAL {{ ?v rdfs:label ?rl FILTER(lang(?rl) IN ("fr", "")) }}
}}"""


def records_query(pattern: str) -> str:
    return SPARQL_PREFIXES + f"SELECT DISTINCT ?s WHERE {{ {pattern} FILTER(isIRI(?s)) }}"


def local_path(iri: str, base: str) -> str | None:
    return iri[len(base):] if iri.startswith(base) and len(iri) > len(base) else None


def is_absolute(path: str) -> bool:
    """Whether a record's ``path`` is a full IRI (a record of another campus)."""
    return "://" in path


def page_href(root: str, path: str) -> str:
    """The link to a record's page: ``root`` + its path, or its own IRI."""
    return path if is_absolute(path) else root + path


def record_iri(base: str, path: str) -> str:
    return path if is_absolute(path) else base + path


def last_segment(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def code_of(term: ox.NamedNode | ox.Literal | ox.BlankNode, notation: str | None) -> str:
    if notation:
        return notation
    if isinstance(term, ox.NamedNode):
        return last_segment(term.value)
    return term.value


def text_of(term: object) -> str | None:
    return term.value if isinstance(term, (ox.Literal, ox.NamedNode)) else None


def sorted_values(values: Iterable[Value]) -> list[Value]:
    """Distinct by code (first wins), ordered by label then code."""
    by_code: dict[str, Value] = {}
    for v in values:
        by_code.setdefault(v.code, v)
    return sorted(by_code.values(), key=lambda x: (x.label.casefold(), x.code))


@dataclass
class Source:
    """The loaded release (see the module)."""

    store: ox.Store
    base: str
    national: bool = False
    records: set[str] = field(default_factory=set)  # IRIs of the records of every kind
    _campus_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _every_campus: tuple[str, ...] = ()
    _campus_value: dict[str, Value] = field(default_factory=dict)
    _selected: dict[str, list[str]] = field(default_factory=dict)

    def select(self, query: str) -> ox.QuerySolutions:
        found = self.store.query(query, use_default_graph_as_union=True)
        assert isinstance(found, ox.QuerySolutions)
        return found

    def page_of(self, iri: str) -> str | None:
        """The page of ``iri`` when it is a record (or under the base IRI), else ``None``."""
        return local_path(iri, self.base) or (iri if iri in self.records else None)

    def record_paths(self, pattern: str) -> list[str]:
        """The IRIs of the records ``pattern`` selects, sorted (remembered in ``records``)."""
        found = self._selected.get(pattern)
        if found is None:
            found = self._selected[pattern] = sorted(
                {s.value for sol in self.select(records_query(pattern))
                 if isinstance(s := sol["s"], ox.NamedNode)})
            self.records.update(found)
        return found

    def campuses_of(self, record: str) -> tuple[str, ...]:
        """The IRIs of the record's campuses (see the module)."""
        return self._campus_of.get(record, ()) if self.national else self._every_campus

    def campus_value(self, campus: str) -> Value:
        return self._campus_value[campus]

    def is_campus(self, iri: str) -> bool:
        return iri in self._campus_value

    def read_campuses(self) -> None:
        """Find the campuses, the graph of each and the campuses of each typed subject."""
        graph_of: dict[str, str] = {}
        found = self.store.query(SPARQL_PREFIXES + "SELECT DISTINCT ?s ?g ?c WHERE { GRAPH ?g { "
                                 "?s a ?t . ?c a cmq:Campus } }")
        assert isinstance(found, ox.QuerySolutions)
        for sol in found:
            s, g, c = (sol[k].value for k in ("s", "g", "c"))
            self._campus_of[s] = (*self._campus_of.get(s, ()), c)
            graph_of.setdefault(c, g)
        self.national = bool(graph_of)
        names = column_values(self, CAMPUS_PATTERN, "skos:prefLabel")
        self._every_campus = tuple(sorted(names))
        for c, labels in names.items():
            code = last_segment(graph_of[c]) if c in graph_of else last_segment(c)
            label = labels[0].label if labels else code
            self._campus_value[c] = Value(code, label, local_path(c, self.base) or c)

    def from_campus(self, path: str) -> dict[str, list[Value]]:
        """Campus IRI → its values at ``path`` ("" = the campus itself)."""
        if not path:
            return {c: [v] for c, v in self._campus_value.items()}
        return column_values(self, CAMPUS_PATTERN, path)


def column_values(source: Source, pattern: str, path: str) -> dict[str, list[Value]]:
    """Record IRI → its distinct values at ``path`` (first label wins), in a stable order."""
    out: dict[str, list[Value]] = defaultdict(list)
    for sol in source.select(value_query(pattern, path)):
        s, v = sol["s"], sol["v"]
        if not isinstance(s, ox.NamedNode) or v is None:
            continue
        code = code_of(v, text_of(sol["n"]))
        label = text_of(sol["pl"]) or text_of(sol["rl"])
        if label is None:
            label = v.value if isinstance(v, ox.Literal) else code
        if isinstance(v, ox.NamedNode) and source.is_campus(v.value):
            campus = source.campus_value(v.value)  # coded by its graph's name
            out[s.value].append(Value(campus.code, label, campus.path))
            continue
        page = source.page_of(v.value) if isinstance(v, ox.NamedNode) else None
        out[s.value].append(Value(code, label, page))
    return {s: sorted_values(vals) for s, vals in out.items()}


def load_store(files: Iterable[tuple[Path, ox.RdfFormat]]) -> ox.Store:
    store = ox.Store()
    for path, fmt in files:
        if path.is_file():
            store.bulk_load(path=str(path), format=fmt, lenient=True)
    return store


def open_source(folder: Path, base_iri: str, ontology_file: str = "ontology.ttl") -> Source:
    """The release in ``folder`` (``campus.nq`` when there is one, else ``campus.nt``)."""
    nq = folder / DATA_NQ
    data = (nq, ox.RdfFormat.N_QUADS) if nq.is_file() else (folder / DATA_NT,
                                                              ox.RdfFormat.N_TRIPLES)
    store = load_store([data, (folder / ontology_file, ox.RdfFormat.TURTLE)])
    source = Source(store, base_iri)
    source.read_campuses()
    return source
