"""The browsing index of a release: ``browse.sqlite``, written by the release build for the lists,
facets and search of the site (docs/decisions/0019-browse-index.md).

:data:`KINDS` declares each kind of record people browse (``formations``, ``etablissements``…):
its French path, the SPARQL pattern that selects its records and its :class:`Column` s, each a
SPARQL property path from the record. :func:`write_index` loads the release's ``campus.nt`` and
``ontology.ttl`` into an in-memory Oxigraph store, asks one SELECT per column, and writes (stdlib
``sqlite3``):

- ``records(id, kind, path, title, lat, lon)`` — one row per record (``path`` is the record's
  IRI relative to the base IRI, the page's local path);
- one table per kind, named like the kind, with one TEXT column per :class:`Column` (the labels
  of its values joined by ``" ; "``, for sorting and the CSV), and ``cells(id, json)`` (per
  column the list of ``[label, code, path-or-null]``, for the HTML table) apart, so that sorting
  reads narrow rows;
- ``facet_values(id, kind, col, code, label, n)`` — each distinct value of a facet column, with
  ``n`` its count over the whole kind; ``facets(value, record)`` — one row per record and
  distinct value (integers only); a count is ``COUNT(*)`` of one value's rows among the selected
  records: the number of distinct records that have it, as SPARQL's ``COUNT(DISTINCT ?s)``;
- ``search`` — FTS5 (``unicode61 remove_diacritics 2``: case- and accent-insensitive; prefix
  indexes of 2 and 3 characters, so that a short word prefix is one lookup) over the titles,
  national identifiers and communes, ``rowid`` = ``records.id``; the records of a kind have
  consecutive ids (written kind after kind), so a kind is a ``rowid`` range;
- ``meta(key, value)`` — release id, base IRI, build seconds.

The ``code`` of a value is its ``skos:notation``, else the last segment of its IRI (a record's or
a local concept's), else the literal itself: the value of the list's query parameters
(``/formations/?niveau=5&voie=apprentissage``). The file is written once and only read after
(the server opens it read-only, ``immutable``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

INDEX_FILE = "browse.sqlite"
SCHEMA_VERSION = "2"  # 2: prefix indexes of 2 and 3 characters in search
JOIN = " ; "
POINT = re.compile(r"^\s*POINT\s*\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)\s*$", re.IGNORECASE)

PREFIXES = """\
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX cmq: <https://w3id.org/cmq/ontology/>
PREFIX locn: <http://www.w3.org/ns/locn#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dc: <http://purl.org/dc/elements/1.1/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""


@dataclass(frozen=True)
class Column:
    """One column of a list: ``name`` is the SQL column and the query parameter."""

    name: str
    fr: str
    en: str
    path: str  # SPARQL property path from ?s
    facet: bool = False
    search: str = ""  # "" | "title" | "ids" | "place": the search column it feeds
    shown: bool = True  # False: in the CSV/JSON only


@dataclass(frozen=True)
class Kind:
    """A kind of record with its list page ``/{name}/``."""

    name: str
    fr: str
    en: str
    pattern: str  # SPARQL group pattern selecting ?s
    columns: tuple[Column, ...]
    position: str = ""  # property path to a WKT literal, for the map

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def facets(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.facet)


CERT = "schema:educationalCredentialAwarded"
ADDRESS = "locn:address/locn:postName"
TITLE_ORG = Column("nom", "Nom", "Name", "skos:prefLabel", search="title")
COMMUNE = Column("commune", "Commune", "Municipality", ADDRESS, facet=True, search="place")
TERRITORY = Column("territoire", "Territoire", "Territory", "cmq:territory", facet=True)
SIRET = Column("siret", "SIRET", "SIRET", "cmq:siret", search="ids", shown=False)
PERIOD = ("dcat:startDate", "dcat:endDate")

KINDS: tuple[Kind, ...] = (
    Kind("formations", "Formations", "Programmes",
         "?s a schema:EducationalOccupationalProgram .", (
             Column("intitule", "Intitulé", "Title", "rdfs:label", search="title"),
             Column("niveau", "Niveau", "Level", f"{CERT}/schema:educationalLevel", facet=True),
             Column("voie", "Voies", "Routes", "schema:educationalProgramMode", facet=True),
             Column("type_certification", "Type de certification", "Certification kind",
                    f"{CERT}/schema:credentialCategory", facet=True),
             Column("etablissement", "Établissement", "Establishment", "schema:provider",
                    facet=True),
             Column("commune", "Commune", "Municipality", f"schema:provider/{ADDRESS}",
                    facet=True, search="place"),
             Column("territoire", "Territoire", "Territory", "schema:provider/cmq:territory",
                    facet=True),
             Column("nsf", "NSF", "NSF", f"{CERT}/cmq:nsf", facet=True),
             Column("certification", "Certification", "Certification", CERT, shown=False),
             Column("rncp", "RNCP", "RNCP", f"{CERT}/cmq:rncp", search="ids", shown=False),
             Column("cfd", "CFD", "CFD", f"{CERT}/cmq:cfd", search="ids", shown=False),
             Column("rome", "ROME", "ROME", f"{CERT}/cmq:rome", search="ids", shown=False),
             Column("duree", "Durée", "Duration", "schema:timeToComplete", shown=False),
             Column("places", "Places", "Places", "schema:maximumEnrollment", shown=False),
         )),
    Kind("etablissements", "Établissements", "Establishments",
         "?s a schema:EducationalOrganization .", (
             TITLE_ORG,
             Column("nature", "Nature", "Kind", "org:classification", facet=True),
             Column("statut", "Statut", "Status", "cmq:status", facet=True),
             TERRITORY, COMMUNE,
             Column("uai", "UAI", "UAI", "cmq:uai", search="ids"),
             SIRET,
         ), position="locn:geometry/geo:asWKT"),
    Kind("partenaires", "Partenaires", "Partners",
         "?s a org:Organization . FILTER NOT EXISTS { ?s a schema:EducationalOrganization } "
         "FILTER NOT EXISTS { ?s a cmq:Campus }", (
             TITLE_ORG,
             Column("nature", "Nature", "Kind", "org:classification", facet=True),
             TERRITORY, COMMUNE, SIRET,
         ), position="locn:geometry/geo:asWKT"),
    Kind("partenariats", "Partenariats", "Partnerships", "?s a cmq:Partnership .", (
        Column("intitule", "Intitulé", "Title", "rdfs:label", search="title"),
        Column("type", "Type", "Kind", "dct:type", facet=True),
        Column("partie", "Parties", "Parties", "cmq:party", facet=True),
        Column("debut", "Début", "Start", f"dct:temporal/{PERIOD[0]}"),
        Column("fin", "Fin", "End", f"dct:temporal/{PERIOD[1]}"),
    )),
    Kind("adhesions", "Adhésions", "Memberships", "?s a org:Membership .", (
        Column("membre", "Membre", "Member", "org:member", facet=True, search="title"),
        Column("role", "Rôle", "Role", "org:role", facet=True),
        Column("debut", "Début", "Start", f"org:memberDuring/{PERIOD[0]}"),
        Column("fin", "Fin", "End", f"org:memberDuring/{PERIOD[1]}"),
    )),
    Kind("certifications", "Certifications", "Certifications",
         "?s a schema:EducationalOccupationalCredential .", (
             Column("intitule", "Intitulé", "Title", "rdfs:label", search="title"),
             Column("type", "Type", "Kind", "schema:credentialCategory", facet=True),
             Column("niveau", "Niveau", "Level", "schema:educationalLevel", facet=True),
             Column("nsf", "NSF", "NSF", "cmq:nsf", facet=True),
             Column("rncp", "RNCP", "RNCP", "cmq:rncp", search="ids"),
             Column("cfd", "CFD", "CFD", "cmq:cfd", search="ids"),
             Column("rome", "ROME", "ROME", "cmq:rome", facet=True, search="ids"),
         )),
    Kind("chiffres", "Chiffres clés", "Key figures", "?s a cmq:KeyFigure .", (
        Column("libelle", "Libellé", "Label", "rdfs:label", search="title"),
        Column("indicateur", "Indicateur", "Indicator", "cmq:indicator", facet=True),
        Column("voie", "Voie", "Route", "schema:educationalProgramMode", facet=True),
        Column("valeur", "Valeur", "Value", "schema:value"),
        Column("date", "Date", "Date", "schema:observationDate", facet=True),
    )),
    Kind("sources", "Sources", "Sources", "?s a dct:BibliographicResource .", (
        Column("titre", "Titre", "Title", "dct:title", search="title"),
        Column("editeur", "Éditeur", "Publisher", "dc:publisher", facet=True),
        Column("date", "Date", "Date", "dct:issued"),
    )),
)
KINDS_BY_NAME = {k.name: k for k in KINDS}


@dataclass(frozen=True)
class Value:
    """One value of a column for one record."""

    code: str
    label: str
    path: str | None  # local path when the value is a record of the campus


@dataclass(frozen=True)
class IndexStats:
    """What :func:`write_index` wrote."""

    path: Path
    records: int
    seconds: float
    bytes: int


def value_query(kind: Kind, path: str) -> str:
    """The SELECT giving, for each record of ``kind``, the values at ``path`` with their codes
    and French labels."""
    return PREFIXES + f"""SELECT ?s ?v ?n ?pl ?rl WHERE {{
  {kind.pattern}
  ?s {path} ?v .
  OPTIONAL {{ ?v skos:notation ?n }}
  OPTIONAL {{ ?v skos:prefLabel ?pl FILTER(lang(?pl) IN ("fr", "")) }}
  OPTIONAL {{ ?v rdfs:label ?rl FILTER(lang(?rl) IN ("fr", "")) }}
}}"""


def records_query(kind: Kind) -> str:
    return PREFIXES + f"SELECT DISTINCT ?s WHERE {{ {kind.pattern} FILTER(isIRI(?s)) }}"


def local_path(iri: str, base: str) -> str | None:
    return iri[len(base):] if iri.startswith(base) and len(iri) > len(base) else None


def code_of(term: ox.NamedNode | ox.Literal | ox.BlankNode, notation: str | None) -> str:
    if notation:
        return notation
    if isinstance(term, ox.NamedNode):
        return term.value.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return term.value


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    found = store.query(query)
    assert isinstance(found, ox.QuerySolutions)
    return found


def _text(term: object) -> str | None:
    return term.value if isinstance(term, (ox.Literal, ox.NamedNode)) else None


def column_values(store: ox.Store, kind: Kind, path: str,
                  base: str) -> dict[str, list[Value]]:
    """Record IRI → its distinct values at ``path`` (first label wins), in a stable order."""
    out: dict[str, dict[str, Value]] = defaultdict(dict)
    for sol in _select(store, value_query(kind, path)):
        s, v = sol["s"], sol["v"]
        if not isinstance(s, ox.NamedNode) or v is None:
            continue
        code = code_of(v, _text(sol["n"]))
        if code in out[s.value]:
            continue
        label = _text(sol["pl"]) or _text(sol["rl"])
        if label is None:
            label = v.value if isinstance(v, ox.Literal) else code
        lpath = local_path(v.value, base) if isinstance(v, ox.NamedNode) else None
        out[s.value][code] = Value(code, label, lpath)
    return {s: sorted(vals.values(), key=lambda x: (x.label.casefold(), x.code))
            for s, vals in out.items()}


def position_of(values: list[Value]) -> tuple[float | None, float | None]:
    for v in values:
        m = POINT.match(v.label)
        if m:
            return float(m.group(2)), float(m.group(1))  # WKT is "lon lat"
    return None, None


def _schema(db: sqlite3.Connection) -> None:
    db.executescript("""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE records(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL,
                     title TEXT NOT NULL, lat REAL, lon REAL);
CREATE TABLE facet_values(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, col TEXT NOT NULL,
                          code TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0);
CREATE TABLE facets(value INTEGER NOT NULL, record INTEGER NOT NULL,
                    PRIMARY KEY (value, record)) WITHOUT ROWID;
CREATE TABLE cells(id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE VIRTUAL TABLE search USING fts5(title, ids, place, prefix = '2 3',
                                       tokenize = "unicode61 remove_diacritics 2");
""")
    for kind in KINDS:
        cols = ", ".join(f'"{c.name}" TEXT' for c in kind.columns)
        db.execute(f'CREATE TABLE "{kind.name}"(id INTEGER PRIMARY KEY, {cols})')


def _indexes(db: sqlite3.Connection) -> None:
    db.executescript("""
CREATE INDEX facets_record ON facets(record, value);
CREATE UNIQUE INDEX facet_values_code ON facet_values(kind, col, code);
CREATE INDEX records_kind ON records(kind, id);
CREATE UNIQUE INDEX records_path ON records(path);
""")
    for kind in KINDS:
        for c in kind.columns:
            db.execute(f'CREATE INDEX "{kind.name}_{c.name}" ON "{kind.name}"("{c.name}", id)')
    db.execute("UPDATE facet_values SET n = (SELECT COUNT(*) FROM facets f "
               "WHERE f.value = facet_values.id)")
    db.execute("INSERT INTO search(search) VALUES ('optimize')")


def _search_text(kind: Kind, values: dict[str, list[Value]]) -> tuple[str, str, str]:
    parts: dict[str, list[str]] = {"title": [], "ids": [], "place": []}
    for c in kind.columns:
        if c.search:
            parts[c.search] += [v.label for v in values.get(c.name, [])]
            if c.search == "ids":  # RNCP37537 is also found as 37537
                parts["ids"] += [re.sub(r"^[A-Za-z]+", "", v.code) for v in values[c.name]]
    return " ".join(parts["title"]), " ".join(parts["ids"]), " ".join(parts["place"])


def _kind_rows(store: ox.Store, kind: Kind, base: str) -> Iterator[tuple[str, dict[str, list[Value]]]]:
    per_column = {c.name: column_values(store, kind, c.path, base) for c in kind.columns}
    positions = column_values(store, kind, kind.position, base) if kind.position else {}
    for sol in _select(store, records_query(kind)):
        iri = sol["s"]
        if not isinstance(iri, ox.NamedNode) or local_path(iri.value, base) is None:
            continue
        values = {name: col.get(iri.value, []) for name, col in per_column.items()}
        values["_position"] = positions.get(iri.value, [])
        yield iri.value, values


class FacetIds:
    """Ids of the facet values, given as they are first met."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str, str], int] = {}

    def of(self, db: sqlite3.Connection, kind: str, col: str, value: Value) -> int:
        key = (kind, col, value.code)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids) + 1
            db.execute("INSERT INTO facet_values(id, kind, col, code, label) VALUES (?, ?, ?, ?, ?)",
                       (found, kind, col, value.code, value.label))
        return found


def _write_kind(db: sqlite3.Connection, store: ox.Store, kind: Kind, base: str,
                next_id: int, ids: FacetIds) -> int:
    rows = sorted(_kind_rows(store, kind, base))
    for iri, values in rows:
        rid = next_id
        next_id += 1
        path = local_path(iri, base) or iri
        title_values = values[kind.columns[0].name]
        title = JOIN.join(v.label for v in title_values) or path
        lat, lon = position_of(values["_position"])
        db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)",
                   (rid, kind.name, path, title, lat, lon))
        texts = [JOIN.join(v.label for v in values[c.name]) or None for c in kind.columns]
        cells = [[[v.label, v.code, v.path] for v in values[c.name]] for c in kind.columns]
        marks = ", ".join("?" for _ in range(len(kind.columns) + 1))
        db.execute(f'INSERT INTO "{kind.name}" VALUES ({marks})', (rid, *texts))
        db.execute("INSERT INTO cells VALUES (?, ?)", (rid, json.dumps(cells, ensure_ascii=False)))
        db.executemany("INSERT INTO facets VALUES (?, ?)",
                       ((ids.of(db, kind.name, c.name, v), rid)
                        for c in kind.facets for v in values[c.name]))
        db.execute("INSERT INTO search(rowid, title, ids, place) VALUES (?, ?, ?, ?)",
                   (rid, *_search_text(kind, values)))
    return next_id


def load_store(files: Iterable[tuple[Path, ox.RdfFormat]]) -> ox.Store:
    store = ox.Store()
    for path, fmt in files:
        if path.is_file():
            store.bulk_load(path=str(path), format=fmt, lenient=True)
    return store


def write_index(folder: Path, base_iri: str, release_id: str,
                data_file: str = "campus.nt", ontology_file: str = "ontology.ttl") -> IndexStats:
    """Write ``folder/browse.sqlite`` from the release files in ``folder`` (see the module)."""
    clock = time.monotonic()
    store = load_store([(folder / data_file, ox.RdfFormat.N_TRIPLES),
                        (folder / ontology_file, ox.RdfFormat.TURTLE)])
    target = folder / INDEX_FILE
    tmp = folder / (INDEX_FILE + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        _schema(db)
        next_id, ids = 1, FacetIds()
        for kind in KINDS:
            next_id = _write_kind(db, store, kind, base_iri, next_id, ids)
        _indexes(db)
        seconds = time.monotonic() - clock
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema", SCHEMA_VERSION), ("release_id", release_id), ("base_iri", base_iri),
            ("build_seconds", f"{seconds:.3f}")])
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()
    tmp.replace(target)
    return IndexStats(target, next_id - 1, time.monotonic() - clock, target.stat().st_size)
