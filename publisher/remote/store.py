"""A remote SPARQL 1.1 store over HTTP (httpx): endpoints, credentials, errors.

:func:`open_store` builds a :class:`RemoteStore` from the settings (``store``, ``store_dialect``,
``store_*_url``, ``store_credentials``) and the environment (``CMQ_STORE_USER`` /
``CMQ_STORE_PASSWORD``). With ``store_dialect = auto`` it asks the store once (``GET`` its base
URL) and recognises it by its ``Server`` header.

Every failure becomes one of the SPARQL engine's errors with an HTTP status and a message that
names the store but never a secret: unreachable → :class:`StoreUnavailable` (503), no answer in
time → :class:`StoreTimeout` (504), credentials refused → :class:`StoreAuthError` (502), any other
error answer → :class:`StoreError` (502, with the start of the store's own message).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Literal

import httpx
import pyoxigraph as ox

from publisher import __version__
from publisher.project.settings import Settings
from publisher.remote.credentials import ENV_PASSWORD, ENV_USER, Credentials, load_credentials
from publisher.remote.dialects import (
    Dialect,
    Endpoints,
    StoreConfigError,
    detect,
    dialect_named,
    endpoints,
)
from publisher.sparql.errors import (
    QueryError,
    StoreAuthError,
    StoreError,
    StoreTimeout,
    StoreUnavailable,
)

Kind = Literal["query", "update", "gsp"]
CONNECT_TIMEOUT_S = 5.0
#: Bytes of an error answer read to build a message (the rest is dropped).
ERROR_BODY_BYTES = 4096
XML_RESULTS = ox.QueryResultsFormat.XML.media_type
_TAGS = re.compile(r"<[^>]*>")
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _snippet(body: bytes, limit: int = 300) -> str:
    """The start of a store's error text, without markup, on one line."""
    text = html.unescape(_TAGS.sub(" ", body[:ERROR_BODY_BYTES].decode("utf-8", "replace")))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def transport_error(exc: httpx.TransportError, what: str, url: str,
                    timeout_s: float) -> QueryError:
    """A network failure as the error a client should see (503 unreachable, 504 too slow)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return StoreTimeout(f"{what}: le magasin {url} n'accepte pas la connexion / the store "
                            f"did not accept the connection within {CONNECT_TIMEOUT_S:g} s",
                            timeout_s=CONNECT_TIMEOUT_S)
    if isinstance(exc, httpx.TimeoutException):
        return StoreTimeout(f"{what}: le magasin {url} n'a pas répondu à temps / the store did "
                            f"not answer within {timeout_s:g} s; the request was abandoned",
                            timeout_s=timeout_s)
    reason = type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        detail = str(exc).split("]")[-1].strip() or "connection failed"
        return StoreUnavailable(f"{what}: magasin injoignable / the store at {url} is "
                                f"unreachable ({detail})")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return StoreUnavailable(f"{what}: connexion au magasin perdue / the connection to the "
                                f"store at {url} was lost ({reason})")
    return StoreError(f"{what}: échec de l'échange avec le magasin / exchange with the store at "
                      f"{url} failed ({reason})")


class RemoteStore(AbstractContextManager["RemoteStore"]):
    """The endpoints of one store and an HTTP client for them (thread-safe; close it)."""

    def __init__(self, ends: Endpoints, credentials: Credentials | None = None, *,
                 max_connections: int = 16) -> None:
        self.endpoints = ends
        self.dialect: Dialect = ends.dialect
        self.credentials = credentials
        self.client = httpx.Client(
            timeout=httpx.Timeout(30.0, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            headers={"User-Agent": f"cmq-lod/{__version__}"},
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc picked up behind our back
        )

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoints.query!r}, dialect={self.dialect.name!r})"

    @property
    def label(self) -> str:
        """How messages name the store (its base URL, else its query endpoint)."""
        return self.endpoints.base or self.endpoints.query

    def url(self, kind: Kind) -> str:
        url = getattr(self.endpoints, kind)
        if not url:
            raise StoreConfigError(
                f"le magasin {self.label} n'a pas de point d'accès {kind} connu / no {kind} "
                f"endpoint known for this store (dialect {self.dialect.name}): set "
                f"store_{kind}_url")
        return str(url)

    def auth(self, kind: Kind) -> httpx.Auth | None:
        c = self.credentials
        if c is None or (kind == "query" and self.dialect.anonymous_query):
            return None
        if self.dialect.auth == "digest":
            return httpx.DigestAuth(c.user, c.password)
        return httpx.BasicAuth(c.user, c.password)

    # ------------------------------------------------------------------ requests

    def request(self, kind: Kind, method: str, what: str, *, timeout_s: float,
                params: list[tuple[str, str]] | None = None,
                data: Mapping[str, str | Sequence[str]] | None = None,
                content: bytes | None = None, headers: Mapping[str, str] | None = None,
                ) -> httpx.Response:
        """One request to an endpoint; a non-2xx answer or a network failure is raised as the
        matching :class:`QueryError`. ``what`` starts every message (e.g. "chargement")."""
        url = self.url(kind)
        timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
        try:
            response = self.client.request(method, url, params=tuple(params or ()), data=data,
                                           content=content, headers=headers,
                                           auth=self.auth(kind) or httpx.USE_CLIENT_DEFAULT,
                                           timeout=timeout)
        except httpx.TransportError as exc:
            raise transport_error(exc, what, self.label, timeout_s) from None
        if response.status_code >= 300:
            raise self.status_error(response.status_code, response.content, what, kind)
        return response

    def status_error(self, status: int, body: bytes, what: str, kind: Kind) -> QueryError:
        """The error for an HTTP error answer of the store (the body gives the message)."""
        where = f"{self.label} ({kind})"
        if status in (401, 403):
            if self.credentials is None:
                return StoreAuthError(
                    f"{what}: le magasin {where} exige des identifiants / requires credentials "
                    f"(HTTP {status}): set {ENV_USER} and {ENV_PASSWORD}, or store_credentials")
            return StoreAuthError(
                f"{what}: le magasin {where} refuse les identifiants / refused the credentials "
                f"of {self.credentials} (HTTP {status})")
        text = _snippet(body)
        if status == 503:
            return StoreUnavailable(f"{what}: magasin indisponible / the store at {where} is "
                                    f"unavailable (HTTP 503) {text}".rstrip())
        if status == 504:
            return StoreTimeout(f"{what}: le magasin {where} a dépassé son délai / timed out "
                                f"(HTTP 504) {text}".rstrip(), timeout_s=0.0)
        return StoreError(f"{what}: le magasin {where} a répondu / the store answered HTTP "
                          f"{status}: {text or '(no message)'}", store_status=status,
                          store_message=text)

    def select(self, query: str, what: str, *, timeout_s: float = 30.0
               ) -> list[dict[str, Term]]:
        """A small SELECT (metadata, counts) run as is, read whole: one dict per row."""
        response = self.request("query", "POST", what, timeout_s=timeout_s,
                                data={"query": query}, headers={"Accept": XML_RESULTS})
        try:
            parsed = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"{what}: réponse illisible / unreadable answer from {self.label}: "
                             f"{exc}") from None
        if not isinstance(parsed, ox.QuerySolutions):
            raise StoreError(f"{what}: {self.label} answered a SELECT with a boolean")
        names = [v.value for v in parsed.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in parsed]

    def count(self, graph: str, what: str, *, timeout_s: float = 120.0) -> int:
        """Number of triples in the named graph ``graph``."""
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                           what, timeout_s=timeout_s)
        value = rows[0].get("n") if rows else None
        try:
            return int(value.value) if isinstance(value, ox.Literal) else 0
        except ValueError:
            raise StoreError(f"{what}: compte illisible / unreadable count {value}") from None

    def update(self, text: str, what: str, *, timeout_s: float = 120.0) -> None:
        self.request("update", "POST", what, timeout_s=timeout_s, data={"update": text})

    def put_graph(self, graph: str, body: bytes, media_type: str, what: str, *,
                  timeout_s: float = 120.0) -> None:
        """Graph Store Protocol PUT: the graph becomes exactly ``body``."""
        self.request("gsp", "PUT", what, timeout_s=timeout_s, params=[("graph", graph)],
                     content=body, headers={"Content-Type": media_type})

    def post_graph(self, graph: str, body: bytes, media_type: str, what: str, *,
                   timeout_s: float = 120.0) -> None:
        """Graph Store Protocol POST: ``body`` is added to the graph (created if needed)."""
        self.request("gsp", "POST", what, timeout_s=timeout_s, params=[("graph", graph)],
                     content=body, headers={"Content-Type": media_type})

    def close(self) -> None:
        self.client.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _detect(base: str) -> Dialect:
    try:
        with httpx.Client(timeout=CONNECT_TIMEOUT_S, trust_env=False) as client:
            server = client.get(base.rstrip("/") + "/").headers.get("server", "")
    except httpx.TransportError as exc:
        raise transport_error(exc, "détection / detecting the store", base,
                              CONNECT_TIMEOUT_S) from None
    found = detect(server)
    if found is None:
        raise StoreConfigError(
            f"type de magasin inconnu / cannot tell which store {base} is (Server: "
            f"{server or 'none'}): set store_dialect, or store_query_url / store_update_url / "
            "store_gsp_url")
    return found


def open_store(settings: Settings, env: Mapping[str, str] | None = None, *,
               max_connections: int = 16) -> RemoteStore:
    """The store the settings name (``store`` and/or explicit endpoints) with its credentials."""
    env = os.environ if env is None else env
    base = settings.store
    explicit = (settings.store_query_url, settings.store_update_url, settings.store_gsp_url)
    if not base and not any(explicit):
        raise StoreConfigError("aucun magasin / no store: set `store` (--store URL)")
    if settings.store_dialect.strip().lower() == "auto":
        dialect = _detect(base) if base else dialect_named("generic")
    else:
        dialect = dialect_named(settings.store_dialect)
    ends = endpoints(base, dialect, *explicit)
    credentials = load_credentials(ends.host, ends.port, settings.store_credentials, env)
    return RemoteStore(ends, credentials, max_connections=max_connections)
