"""Where releases live in a remote store, and the metadata graph that names the current one.

For a campus with base IRI ``{base}`` and a release ``{id}`` (docs/decisions/0011):

| graph | holds |
|---|---|
| ``{base}graph/{id}`` | ``campus.nt`` (the data) |
| ``{base}graph/{id}/ontology`` / ``…/catalog`` / ``…/void`` | the release's side files |
| ``{base}graph/meta`` | which releases are loaded and which one is current |

The metadata graph, in DCAT 3 and VoID terms (no term of our own)::

    <{base}dataset> a dcat:Dataset ;                       # the anchor, always there
        dcat:hasVersion <{base}dataset/{id}> , … ;         # registered before loading
        dcat:hasCurrentVersion <{base}dataset/{id}> .      # what readers query
    <{base}dataset/{id}> dct:identifier "{id}" ; void:triples N ; dct:created "…"^^xsd:dateTime .

The switch is one SPARQL Update operation (DELETE/INSERT), so it is atomic in any store that
executes an operation atomically. Its WHERE clause matches the anchor triple with an OPTIONAL old
value: Virtuoso 7 inserts nothing when a DELETE/INSERT's WHERE is only an unmatched OPTIONAL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from publisher.release.model import ReleaseInfo
from publisher.remote.store import RemoteStore
from publisher.sparql.errors import StoreError

ID_RE = re.compile(r"^[0-9a-f]{16}$")
SIDE_GRAPHS = ("ontology", "catalog", "void")
_PREFIXES = (
    "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
    "PREFIX dct: <http://purl.org/dc/terms/>\n"
    "PREFIX void: <http://rdfs.org/ns/void#>\n"
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
)


def meta_graph(base: str) -> str:
    return f"{base}graph/meta"


def dataset_iri(base: str) -> str:
    return f"{base}dataset"


def version_iri(base: str, release_id: str) -> str:
    return f"{base}dataset/{release_id}"


@dataclass(frozen=True)
class ReleaseGraphs:
    """The store graphs of one release (see the module docstring)."""

    base: str
    release_id: str

    def __post_init__(self) -> None:
        if not ID_RE.match(self.release_id):
            raise ValueError(f"not a release id: {self.release_id!r}")

    @property
    def data(self) -> str:
        return f"{self.base}graph/{self.release_id}"

    def side(self, name: str) -> str:
        return f"{self.data}/{name}"

    @property
    def named(self) -> dict[str, str]:
        """Side graph name → store graph IRI."""
        return {name: self.side(name) for name in SIDE_GRAPHS}

    @property
    def all(self) -> tuple[str, ...]:
        return (self.data, *self.named.values())

    @property
    def empty(self) -> str:
        """A graph IRI nothing is ever written to (an empty default graph or no named graph)."""
        return self.side("empty")

    @property
    def aliases(self) -> dict[str, str]:
        """The embedded store's graph names (``{base}graph/ontology``…) → this release's."""
        return {f"{self.base}graph/{name}": iri for name, iri in self.named.items()}


def register_update(info: ReleaseInfo) -> str:
    """Record a release about to be loaded (readers do not look at it until it is current)."""
    base, rid = info.config.base_iri, info.release_id
    created = ox.Literal(info.created.isoformat(),
                         datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"))
    return (
        f"{_PREFIXES}INSERT DATA {{ GRAPH <{meta_graph(base)}> {{\n"
        f"  <{dataset_iri(base)}> a dcat:Dataset ; dcat:hasVersion <{version_iri(base, rid)}> .\n"
        f"  <{version_iri(base, rid)}> dct:identifier \"{rid}\" ; void:triples {int(info.triples)}"
        f" ; dct:created {created} .\n}} }}"
    )


def switch_update(base: str, release_id: str) -> str:
    """Make ``release_id`` the current release: one DELETE/INSERT operation."""
    meta, ds = meta_graph(base), dataset_iri(base)
    return (
        f"{_PREFIXES}DELETE {{ GRAPH <{meta}> {{ <{ds}> dcat:hasCurrentVersion ?old }} }}\n"
        f"INSERT {{ GRAPH <{meta}> {{ <{ds}> dcat:hasCurrentVersion "
        f"<{version_iri(base, release_id)}> }} }}\n"
        f"WHERE {{ GRAPH <{meta}> {{ <{ds}> a dcat:Dataset "
        f"OPTIONAL {{ <{ds}> dcat:hasCurrentVersion ?old }} }} }}"
    )


def forget_update(base: str, release_id: str) -> str:
    """Drop a release's graphs and its metadata (never used on the current release)."""
    graphs = ReleaseGraphs(base, release_id)
    version = version_iri(base, release_id)
    drops = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs.all)
    return (
        f"{_PREFIXES}{drops} ;\n"
        f"DELETE WHERE {{ GRAPH <{meta_graph(base)}> {{ <{version}> ?p ?o }} }} ;\n"
        f"DELETE DATA {{ GRAPH <{meta_graph(base)}> {{ <{dataset_iri(base)}> dcat:hasVersion "
        f"<{version}> }} }}"
    )


def current_query(base: str) -> str:
    return (f"{_PREFIXES}SELECT ?v WHERE {{ GRAPH <{meta_graph(base)}> {{ "
            f"<{dataset_iri(base)}> dcat:hasCurrentVersion ?v }} }}")


def versions_query(base: str) -> str:
    return (
        f"{_PREFIXES}SELECT ?id ?created ?triples WHERE {{ GRAPH <{meta_graph(base)}> {{\n"
        f"  <{dataset_iri(base)}> dcat:hasVersion ?v . ?v dct:identifier ?id .\n"
        "  OPTIONAL { ?v dct:created ?created } OPTIONAL { ?v void:triples ?triples } } }"
    )


def release_id_from(version: str, base: str) -> str | None:
    """The id in a version IRI ``{base}dataset/{id}`` (None if it is not one)."""
    prefix = f"{base}dataset/"
    rid = version[len(prefix):] if version.startswith(prefix) else ""
    return rid if ID_RE.match(rid) else None


@dataclass(frozen=True)
class StoredVersion:
    release_id: str
    created: datetime | None
    triples: int | None


def parse_created(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def read_current(store: RemoteStore, base: str, *, timeout_s: float = 30.0) -> str | None:
    """The id of the store's current release of the campus ``base`` (None before the first)."""
    rows = store.select(current_query(base), "version courante / current release",
                        timeout_s=timeout_s)
    versions = [v.value for row in rows if isinstance(v := row.get("v"), ox.NamedNode)]
    ids = sorted({rid for v in versions if (rid := release_id_from(v, base)) is not None})
    if len(ids) > 1:  # cannot happen through the switch; say so rather than pick one
        raise StoreError(f"{meta_graph(base)}: plusieurs versions courantes / several current "
                         f"releases ({', '.join(ids)})")
    return ids[0] if ids else None


def read_versions(store: RemoteStore, base: str) -> list[StoredVersion]:
    """The releases registered in the store, newest build first."""
    found: dict[str, StoredVersion] = {}
    for row in store.select(versions_query(base), "versions / releases"):
        rid = row.get("id")
        if not isinstance(rid, ox.Literal) or not ID_RE.match(rid.value):
            continue
        created, triples = row.get("created"), row.get("triples")
        found[rid.value] = StoredVersion(
            rid.value,
            parse_created(created.value) if isinstance(created, ox.Literal) else None,
            int(triples.value) if isinstance(triples, ox.Literal)
            and triples.value.isdigit() else None)
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(found.values(), key=lambda v: (v.created or epoch, v.release_id), reverse=True)
