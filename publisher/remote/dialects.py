"""Store dialects: the few things that differ between SPARQL 1.1 stores, as data.

Everything else is the W3C standards every store speaks (SPARQL 1.1 Protocol for queries and
updates, Graph Store HTTP Protocol for loading). A dialect only says where the three endpoints
are under the store's base URL, which HTTP authentication scheme its protected endpoints use,
and how to pass it a per-query time limit. ``auto`` recognises a store by its ``Server`` header.

Tested (tests/test_store_*.py): ``oxigraph`` (Oxigraph server) and ``virtuoso`` (OpenLink
Virtuoso 7, whose authenticated endpoints are ``/sparql-auth`` and ``/sparql-graph-crud-auth``
with HTTP Digest). The others are presets from each store's documentation (docs/deploy.md);
``generic`` takes the endpoints from the ``store_query_url`` / ``store_update_url`` /
``store_gsp_url`` settings, which also override any preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from publisher.core.errors import CmqError


class StoreConfigError(CmqError):
    """The store settings do not describe usable endpoints (a usage error)."""

    status = 400


@dataclass(frozen=True)
class Dialect:
    name: str
    query: str  # path of the query endpoint under the base URL ("" = the base URL itself)
    update: str | None  # path of the SPARQL Update endpoint (None: unknown, must be given)
    gsp: str | None  # path of the Graph Store HTTP Protocol endpoint
    auth: str = "basic"  # scheme of the protected endpoints: "basic" | "digest"
    anonymous_query: bool = False  # True: never send credentials to the query endpoint
    timeout_param: str | None = None  # query parameter carrying a per-query time limit
    timeout_unit_s: float = 1.0  # its unit, in seconds (Virtuoso: milliseconds = 0.001)
    row_limit_param: str | None = None  # query parameter capping SELECT rows (we send cap + 1)
    partial_header: str | None = None  # response header whose value S1TAT marks a partial answer
    bnode_prefix: str = ""  # prefix of blank node ids in SPARQL XML results, not a valid id
    #: (the store's datatype, the one it stands for): put back in answers
    datatypes: tuple[tuple[str, str], ...] = ()
    server: str = ""  # lower-case word of the HTTP Server header that identifies it
    tested: bool = False


DIALECTS: dict[str, Dialect] = {d.name: d for d in (
    Dialect("oxigraph", "/query", "/update", "/store", server="oxigraph", tested=True),
    # Virtuoso: /sparql is anonymous and read-only; writing needs the Digest-protected paths.
    # Its `timeout` is the "anytime query" limit in ms: a partial answer then comes with
    # `X-SQL-State: S1TAT`, which the engine never passes off as complete. `maxrows` stops a
    # SELECT at our row cap (+1, to know it was cut) instead of computing everything first.
    # Its XML results name blank nodes `nodeID://b123`, which is not a blank node id. It stores
    # a geo:wktLiteral as its own geometry type, which it gives back (with its coordinates
    # rounded to single precision: that loss stays).
    Dialect("virtuoso", "/sparql", "/sparql-auth", "/sparql-graph-crud-auth", auth="digest",
            anonymous_query=True, timeout_param="timeout", timeout_unit_s=0.001,
            row_limit_param="maxrows", partial_header="x-sql-state", bnode_prefix="nodeID://",
            datatypes=(("http://www.openlinksw.com/schemas/virtrdf#Geometry",
                        "http://www.opengis.net/ont/geosparql#wktLiteral"),),
            server="virtuoso", tested=True),
    # Apache Jena Fuseki: the base URL is the dataset's (http://host:3030/ds).
    Dialect("fuseki", "/query", "/update", "/data", timeout_param="timeout", server="fuseki"),
    # Ontotext GraphDB: the base URL is the repository's (http://host:7200/repositories/id).
    Dialect("graphdb", "", "/statements", "/rdf-graphs/service", timeout_param="timeout",
            server="graphdb"),
    # Amazon Neptune (clusters without IAM authentication: SigV4 signing is not implemented).
    Dialect("neptune", "/sparql", "/sparql", "/sparql/gsp/"),
    Dialect("generic", "", None, None),
)}

#: Dialects ``auto`` can recognise, in the order the Server header is checked.
DETECTABLE = tuple(d for d in DIALECTS.values() if d.server)


@dataclass(frozen=True)
class Endpoints:
    base: str  # for messages ("" when only explicit endpoints were given)
    query: str
    update: str | None
    gsp: str | None
    dialect: Dialect

    @property
    def host(self) -> str:
        return urlsplit(self.query).hostname or ""

    @property
    def port(self) -> int | None:
        return urlsplit(self.query).port


def dialect_named(name: str) -> Dialect:
    try:
        return DIALECTS[name.strip().lower()]
    except KeyError:
        raise StoreConfigError(
            f"dialecte inconnu / unknown store_dialect {name!r}: auto, "
            f"{', '.join(DIALECTS)}") from None


def detect(server_header: str) -> Dialect | None:
    """The dialect whose name appears in an HTTP ``Server`` header (``Virtuoso/07.20…``)."""
    low = server_header.lower()
    return next((d for d in DETECTABLE if d.server in low), None)


def endpoints(base: str, dialect: Dialect, query: str = "", update: str = "",
              gsp: str = "") -> Endpoints:
    """The endpoint URLs: explicit ones win, else the dialect's paths under ``base``."""
    root = base.rstrip("/")

    def pick(explicit: str, path: str | None, what: str) -> str | None:
        if explicit:
            return explicit
        if path is None or not root:
            return None
        return root + path if path else root

    q = pick(query, dialect.query, "query")
    if q is None:
        raise StoreConfigError(
            "point d'accès de requête inconnu / no query endpoint: set `store` (with a known "
            "dialect) or `store_query_url`")
    return Endpoints(root, q, pick(update, dialect.update, "update"),
                     pick(gsp, dialect.gsp, "gsp"), dialect)
