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

Every release the server can serve gets one (docs/decisions/0026-browse-index-coverage.md): a
campus release (``campus.nt``) and a national one (``campus.nq``, ``cmq harvest``: one named
graph per campus), whose queries see the union of the graphs, as the endpoint's do. The
*record's campus* is the ``cmq:Campus`` of the graph the record is described in (of the release,
for a campus release); a :class:`Column` may fall back on a path from it (``campus``: the
formations' sector is their certification's, else their campus's) or be the campus itself,
coded by its graph's name (``/formations/?campus=alpha``, national releases only). A value that
is a campus is coded the same way in any column: the memberships' ``membre_de`` (the
``org:organization`` a membership is in, ``/adhesions/?membre_de=campus`` in a campus release;
not named ``campus``, the national facet above). A record not under the release's base IRI (a
harvested campus's) has its full IRI as ``path``. ``meta`` holds :data:`SCHEMA_VERSION` and
:data:`COLUMNS_DIGEST`: an index written with another schema or other declarations is not
current (the server builds its own, :mod:`publisher.server.browse_cache`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from publisher.core import wkt
from publisher.release.browse_source import Source, Value, column_values, open_source, sorted_values

INDEX_FILE = "browse.sqlite"
#: 2: prefix indexes of 2 and 3 characters in search; 3: a value that is a campus coded by its
#: graph's name (:func:`~publisher.release.browse_source.column_values`)
SCHEMA_VERSION = "3"
JOIN = " ; "

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
    #: a path from the record's campus, for the records that have no value at ``path``
    #: ("" = the campus itself, coded by its graph's name)
    campus: str | None = None
    national: bool = False  # filled only in a release of several campuses (cmq harvest)


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
#: the record's campus, a facet of every list of a national release
CAMPUS = Column("campus", "Campus", "Campus", "", facet=True, campus="", national=True)
SECTOR = "cmq:sector"

KINDS: tuple[Kind, ...] = (
    Kind("formations", "Formations", "Programmes",
         "?s a schema:EducationalOccupationalProgram .", (
             Column("intitule", "Intitulé", "Title", "rdfs:label", search="title"), CAMPUS,
             Column("niveau", "Niveau", "Level", f"{CERT}/schema:educationalLevel", facet=True),
             Column("voie", "Voies", "Routes", "schema:educationalProgramMode", facet=True),
             Column("type_certification", "Type de certification", "Certification kind",
                    f"{CERT}/schema:credentialCategory", facet=True),
             Column("secteur", "Secteur", "Sector", f"{CERT}/{SECTOR}", facet=True,
                    campus=SECTOR),
             Column("etablissement", "Établissement", "Establishment", "schema:provider",
                    facet=True),
             Column("commune", "Commune", "Municipality", f"schema:provider/{ADDRESS}",
                    facet=True, search="place"),
             Column("territoire", "Territoire", "Territory", "schema:provider/cmq:territory",
                    facet=True),
             Column("nsf", "NSF", "NSF", f"{CERT}/cmq:nsf", facet=True),
             Column("certification", "Certification", "Certification", CERT, facet=True,
                    shown=False),
             Column("rncp", "RNCP", "RNCP", f"{CERT}/cmq:rncp", search="ids", shown=False),
             Column("cfd", "CFD", "CFD", f"{CERT}/cmq:cfd", search="ids", shown=False),
             Column("rome", "ROME", "ROME", f"{CERT}/cmq:rome", search="ids", shown=False),
             Column("duree", "Durée", "Duration", "schema:timeToComplete", shown=False),
             Column("places", "Places", "Places", "schema:maximumEnrollment", shown=False),
         )),
    Kind("etablissements", "Établissements", "Establishments",
         "?s a schema:EducationalOrganization .", (
             TITLE_ORG, CAMPUS,
             Column("nature", "Nature", "Kind", "org:classification", facet=True),
             Column("statut", "Statut", "Status", "cmq:status", facet=True),
             TERRITORY, COMMUNE,
             Column("uai", "UAI", "UAI", "cmq:uai", search="ids"),
             SIRET,
         ), position="locn:geometry/geo:asWKT"),
    Kind("partenaires", "Partenaires", "Partners",
         "?s a org:Organization . FILTER NOT EXISTS { ?s a schema:EducationalOrganization } "
         "FILTER NOT EXISTS { ?s a cmq:Campus }", (
             TITLE_ORG, CAMPUS,
             Column("nature", "Nature", "Kind", "org:classification", facet=True),
             TERRITORY, COMMUNE, SIRET,
         ), position="locn:geometry/geo:asWKT"),
    Kind("partenariats", "Partenariats", "Partnerships", "?s a cmq:Partnership .", (
        Column("intitule", "Intitulé", "Title", "rdfs:label", search="title"), CAMPUS,
        Column("type", "Type", "Kind", "dct:type", facet=True),
        Column("partie", "Parties", "Parties", "cmq:party", facet=True),
        Column("debut", "Début", "Start", f"dct:temporal/{PERIOD[0]}"),
        Column("fin", "Fin", "End", f"dct:temporal/{PERIOD[1]}"),
    )),
    Kind("adhesions", "Adhésions", "Memberships", "?s a org:Membership .", (
        Column("membre", "Membre", "Member", "org:member", facet=True, search="title"), CAMPUS,
        # the organisation the membership is in (the campus): not ``campus``, the national facet
        Column("membre_de", "Membre de", "Member of", "org:organization", facet=True,
               shown=False),
        Column("role", "Rôle", "Role", "org:role", facet=True),
        Column("debut", "Début", "Start", f"org:memberDuring/{PERIOD[0]}"),
        Column("fin", "Fin", "End", f"org:memberDuring/{PERIOD[1]}"),
    )),
    Kind("certifications", "Certifications", "Certifications",
         "?s a schema:EducationalOccupationalCredential .", (
             Column("intitule", "Intitulé", "Title", "rdfs:label", search="title"), CAMPUS,
             Column("type", "Type", "Kind", "schema:credentialCategory", facet=True),
             Column("niveau", "Niveau", "Level", "schema:educationalLevel", facet=True),
             Column("secteur", "Secteur", "Sector", SECTOR, facet=True, campus=SECTOR),
             Column("nsf", "NSF", "NSF", "cmq:nsf", facet=True),
             Column("rncp", "RNCP", "RNCP", "cmq:rncp", search="ids"),
             Column("cfd", "CFD", "CFD", "cmq:cfd", search="ids"),
             Column("rome", "ROME", "ROME", "cmq:rome", facet=True, search="ids"),
         )),
    Kind("chiffres", "Chiffres clés", "Key figures", "?s a cmq:KeyFigure .", (
        Column("libelle", "Libellé", "Label", "rdfs:label", search="title"), CAMPUS,
        Column("indicateur", "Indicateur", "Indicator", "cmq:indicator", facet=True),
        Column("voie", "Voie", "Route", "schema:educationalProgramMode", facet=True),
        Column("valeur", "Valeur", "Value", "schema:value"),
        Column("date", "Date", "Date", "schema:observationDate", facet=True),
    )),
    Kind("sources", "Sources", "Sources", "?s a dct:BibliographicResource .", (
        Column("titre", "Titre", "Title", "dct:title", search="title"), CAMPUS,
        Column("editeur", "Éditeur", "Publisher", "dc:publisher", facet=True),
        Column("date", "Date", "Date", "dct:issued"),
    )),
)
KINDS_BY_NAME = {k.name: k for k in KINDS}
#: what the declarations above make of a release: an index with another digest is not current
COLUMNS_DIGEST = hashlib.sha256(repr(KINDS).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class IndexStats:
    """What :func:`write_index` wrote."""

    path: Path
    records: int
    seconds: float
    bytes: int


def read_only(index: Path) -> sqlite3.Connection:
    """A connection that only reads ``index`` and trusts it never to change (no locks, no
    journal): an index is written once, then renamed into place."""
    uri = index.resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def position_of(values: list[Value]) -> tuple[float | None, float | None]:
    for v in values:
        lon_lat = wkt.point(v.label)
        if lon_lat is not None:
            return lon_lat[1], lon_lat[0]  # WKT is "lon lat"
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


def column_of(source: Source, kind: Kind, col: Column) -> dict[str, list[Value]]:
    """Record IRI → its values in ``col``: at its path, else from its campuses (see Column)."""
    if col.national and not source.national:
        return {}
    own = column_values(source, kind.pattern, col.path) if col.path else {}
    if col.campus is None:
        return own
    at_campus = source.from_campus(col.campus)
    for iri in source.record_paths(kind.pattern):
        if not own.get(iri):
            found = [v for c in source.campuses_of(iri) for v in at_campus.get(c, [])]
            if found:
                own[iri] = sorted_values(found)
    return own


def _kind_rows(source: Source, kind: Kind) -> Iterator[tuple[str, dict[str, list[Value]]]]:
    per_column = {c.name: column_of(source, kind, c) for c in kind.columns}
    positions = column_values(source, kind.pattern, kind.position) if kind.position else {}
    for iri in source.record_paths(kind.pattern):
        values = {name: col.get(iri, []) for name, col in per_column.items()}
        values["_position"] = positions.get(iri, [])
        yield iri, values


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


def _write_kind(db: sqlite3.Connection, source: Source, kind: Kind, next_id: int,
                ids: FacetIds) -> int:
    for iri, values in _kind_rows(source, kind):
        rid = next_id
        next_id += 1
        path = source.page_of(iri) or iri
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


def write_index(folder: Path, base_iri: str, release_id: str,
                out: Path | None = None) -> IndexStats:
    """Write ``browse.sqlite`` from the release files in ``folder`` (``campus.nt`` or
    ``campus.nq``, ``ontology.ttl``; see the module) into ``out`` (default: ``folder``), through
    a temporary file of this process renamed at the end."""
    clock = time.monotonic()
    source = open_source(folder, base_iri)
    for kind in KINDS:  # every record first: a value that is a record links to its page
        source.record_paths(kind.pattern)
    out = out or folder
    target = out / INDEX_FILE
    tmp = out / f"{INDEX_FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        _schema(db)
        next_id, ids = 1, FacetIds()
        for kind in KINDS:
            next_id = _write_kind(db, source, kind, next_id, ids)
        _indexes(db)
        seconds = time.monotonic() - clock
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema", SCHEMA_VERSION), ("release_id", release_id), ("base_iri", base_iri),
            ("columns", COLUMNS_DIGEST), ("national", "1" if source.national else "0"),
            ("build_seconds", f"{seconds:.3f}")])
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()
    tmp.replace(target)
    return IndexStats(target, next_id - 1, time.monotonic() - clock, target.stat().st_size)
