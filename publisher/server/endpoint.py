"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query only) and its Service Description.

- query by ``GET ?query=``, ``POST`` form (``application/x-www-form-urlencoded``) or ``POST``
  ``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` honoured (in the URL,
  or in the form); they, or else the query's FROM / FROM NAMED, define exactly the graphs the
  query sees; relative IRIs resolve against the endpoint's public URL;
- one ``query`` parameter, in UTF-8: a repeated one, percent-encoded bytes that are not UTF-8, or
  a ``charset`` other than UTF-8 are refused (400 / 415) the same way on GET and POST;
- the result format is negotiated by the engine (``Accept`` with q-values, or ``format=``);
- updates are refused (``update=`` field, ``application/sparql-update`` body, or an update in
  ``query=``): nothing is ever written;
- a truncated answer carries ``X-SPARQL-Truncated: true``, ``X-SPARQL-Max-Rows`` and a
  ``Warning`` header;
- ``GET /sparql`` without a query: the Service Description for RDF clients, the YASGUI query
  page for browsers.

Handlers only parse HTTP and await the engine's async API; the work (and its time limit) is in
:mod:`publisher.sparql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, quote

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import Response

from publisher.core.namespaces import SD, VOID
from publisher.project.settings import Settings
from publisher.release.model import ReleaseInfo
from publisher.server import query_page, representations
from publisher.server.errors import PayloadTooLarge, UnsupportedMediaType
from publisher.server.graphs import COMMENT, RDF_TYPE, SEE_ALSO, named_graphs
from publisher.server.state import served
from publisher.sparql import TRUNCATED_LINK, MalformedQuery, QueryResult, UpdateRefused
from publisher.sparql.negotiate import GRAPH_FORMATS, SOLUTION_FORMATS

router = APIRouter(tags=["sparql"])

TRUNCATED_HEADER = "X-SPARQL-Truncated"
MAX_ROWS_HEADER = "X-SPARQL-Max-Rows"
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
_W3C_FORMATS = "http://www.w3.org/ns/formats/"

_QUERY_DOC = "La requête SPARQL / the SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE)."
_DGU_DOC = "Graphe(s) par défaut du jeu de données de la requête / default graph(s) (repeatable)."
_NGU_DOC = "Graphe(s) nommé(s) du jeu de données de la requête / named graph(s) (repeatable)."
_FORMAT_DOC = ("Format de réponse, à la place de `Accept` (json, xml, csv, tsv, ttl, nt, jsonld, "
               "rdf, ou un type de média) / response format overriding `Accept`.")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _media(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes (announced or streamed)."""
    declared = request.headers.get("content-length")
    too_big = PayloadTooLarge(
        f"corps de requête trop grand / request body too large (max {limit} bytes)")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedQuery(f"corps non UTF-8 / body is not UTF-8: {exc}") from exc


def url_params(request: Request) -> dict[str, list[str]]:
    """The URL's parameters, decoded as strict UTF-8 (Starlette replaces invalid bytes with
    U+FFFD, which would run an altered query): 400 on invalid UTF-8."""
    raw = request.scope.get("query_string", b"")
    return _form(raw.decode("latin-1") if isinstance(raw, bytes) else str(raw))


def _form(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise MalformedQuery(f"paramètres non UTF-8 / parameters are not UTF-8: {exc}") from exc


def _last(values: list[str] | None) -> str | None:
    """A repeated ``format`` (as SPARQLWrapper sends it): the last value."""
    return values[-1] if values else None


def _charset(header: str | None) -> None:
    """Refuse a ``charset`` parameter other than UTF-8 (SPARQL 1.1 Protocol §2.1.3)."""
    for param in (header or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8", "utf8"):
            raise UnsupportedMediaType(
                f"jeu de caractères non pris en charge / unsupported charset {value.strip()!r}: "
                "use UTF-8")


def _one(values: list[str] | None, name: str) -> str | None:
    if not values:
        return None
    if len(values) > 1:
        raise MalformedQuery(f"un seul paramètre « {name} » / exactly one '{name}' parameter")
    return values[0]


def _refuse_update() -> UpdateRefused:
    return UpdateRefused(
        "point d'accès en lecture seule : mise à jour refusée / read-only endpoint: "
        "SPARQL Update is refused", operation="update")


async def answer(
    request: Request, query: str, default_graphs: list[str], named_graphs: list[str],
    format_param: str | None,
) -> Response:
    """Run ``query`` on the served release's engine and send its result."""
    rel = served(request)
    result: QueryResult = await rel.engine.arun(
        query,
        accept=request.headers.get("accept"),
        format=format_param,
        default_graph_uris=default_graphs,
        named_graph_uris=named_graphs,
    )
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if result.truncated:
        cap = result.max_rows
        headers[TRUNCATED_HEADER] = "true"
        headers[MAX_ROWS_HEADER] = str(cap)
        headers["Warning"] = f'199 cmq "result truncated to {cap} rows or triples"'
        headers["Link"] = f'<{TRUNCATED_LINK}>; rel="describedby"'
    return Response(result.body, media_type=result.media_type, headers=headers)


# ------------------------------------------------------------------ service description


def format_iri(iri: str) -> ox.NamedNode:
    """W3C format IRI (``http://www.w3.org/ns/formats/<Name>``) from pyoxigraph's."""
    return ox.NamedNode(_W3C_FORMATS + iri.rstrip("/").rsplit("/", 1)[-1])


def _graph_node(endpoint: str, info: ReleaseInfo, name: str, index: int) -> ox.NamedNode:
    prefix = f"{info.config.base_iri}graph/"
    local = name[len(prefix):] if name.startswith(prefix) else str(index)
    return ox.NamedNode(f"{endpoint}#graph-{quote(local, safe='/')}")


def service_description(endpoint: str, info: ReleaseInfo, settings: Settings,
                        void_url: str, graphs: Sequence[str] = ()) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint`` (no blank nodes).

    ``graphs`` are the names of the dataset's named graphs (:func:`graphs.named_graphs`). The
    default graph of a query that names no dataset is the merge of the release's data and of
    every named graph; it is described as such, not as ``sd:UnionDefaultGraph`` (the merge of
    the named graphs only), since the data of a campus release is in no named graph. A query
    that names a dataset (FROM / FROM NAMED or the protocol's parameters) sees exactly it:
    ``sd:RequiresDataset`` is not declared, and relative IRIs resolve against the public URL
    of the endpoint (``sd:endpoint`` of this description when served there).
    """
    sd = str(SD)

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    service, dataset, default = n(endpoint + "#service"), n(info.version_iri), n(
        endpoint + "#default-graph")
    triples = [
        ox.Triple(service, RDF_TYPE, n(sd + "Service")),
        ox.Triple(service, n(sd + "endpoint"), n(endpoint)),
        ox.Triple(service, n(sd + "supportedLanguage"), n(sd + "SPARQL11Query")),
        ox.Triple(service, n(sd + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, n(sd + "Dataset")),
        ox.Triple(dataset, RDF_TYPE, n(str(VOID) + "Dataset")),
        ox.Triple(dataset, SEE_ALSO, n(void_url)),
        ox.Triple(dataset, n(sd + "defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, n(sd + "Graph")),
        ox.Triple(default, COMMENT, ox.Literal(
            "Les données de la version et tous ses graphes nommés, réunis.", language="fr")),
        ox.Triple(default, COMMENT, ox.Literal(
            "The release's data and every named graph of the dataset, merged.", language="en")),
    ]
    if settings.service_allow_list:
        triples.append(ox.Triple(service, n(sd + "feature"), n(sd + "BasicFederatedQuery")))
    iris = [f.iri for f in SOLUTION_FORMATS] + [f.iri for f in GRAPH_FORMATS]
    for iri in iris:
        triples.append(ox.Triple(service, n(sd + "resultFormat"), format_iri(iri)))
    for index, name in enumerate(graphs):
        node = _graph_node(endpoint, info, name, index)
        triples += [
            ox.Triple(dataset, n(sd + "namedGraph"), node),
            ox.Triple(node, RDF_TYPE, n(sd + "NamedGraph")),
            ox.Triple(node, n(sd + "name"), n(name)),
        ]
    return triples


async def describe_service(request: Request, format_param: str | None) -> Response:
    choice = representations.choose(request.headers.get("accept"), format_param)
    if choice.rdf is None:
        page: Response = await query_page.query_page(request)
        page.headers.setdefault("Vary", "Accept")
        return page
    rel = served(request)
    endpoint = str(request.url_for("sparql_get"))
    void_url = str(request.url_for("void"))
    names = await named_graphs(rel.engine)
    body = ox.serialize(
        service_description(endpoint, rel.info, settings_of(request), void_url, names),
        format=choice.rdf,
        prefixes={"sd": str(SD), "void": str(VOID)},
    )
    return Response(body, media_type=f"{choice.rdf.media_type}; charset=utf-8",
                    headers={"Vary": "Accept"})


# ------------------------------------------------------------------ routes

_RESULTS = {
    200: {"description": "Résultats / results (SPARQL JSON/XML/CSV/TSV, or an RDF graph); "
          f"`{TRUNCATED_HEADER}: true` when cut at the row cap.",
          "content": {m: {} for m in (
              "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
              "text/tab-separated-values", "text/turtle", "application/n-triples",
              "application/ld+json", "application/rdf+xml")}},
    400: {"description": "Requête mal formée (message et position) / malformed query."},
    403: {"description": "Mise à jour ou SERVICE refusés / update or SERVICE refused."},
    406: {"description": "Aucun format acceptable / no acceptable format."},
    413: {"description": "Corps trop grand / body too large."},
    503: {"description": "Délai dépassé ou serveur occupé / time limit hit or overloaded."},
}


def _param(name: str, doc: str, repeat: bool = False) -> dict[str, object]:
    schema: dict[str, object] = {"type": "string"}
    if repeat:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "description": doc,
            "schema": schema, **({"explode": True} if repeat else {})}


#: The GET parameters, documented here and read from ``request.query_params`` by the handler
#: (FastAPI's per-parameter validation costs more than the rest of a lookup's handling).
_GET_PARAMETERS = {"parameters": [
    _param("query", _QUERY_DOC), _param("default-graph-uri", _DGU_DOC, True),
    _param("named-graph-uri", _NGU_DOC, True), _param("format", _FORMAT_DOC)]}


@router.get(
    "/sparql", name="sparql_get", responses=_RESULTS,  # type: ignore[arg-type]
    openapi_extra=_GET_PARAMETERS,
    summary="Requête SPARQL (GET) ou description du service / SPARQL query (GET) or service "
    "description",
    description="With `query`: runs it (read-only). Without: the SPARQL Service Description "
    "(Turtle, JSON-LD, N-Triples, RDF/XML) or, for browsers, the YASGUI query page.",
)
async def sparql_get(request: Request) -> Response:
    params = url_params(request)
    if "update" in params:
        raise _refuse_update()
    query = _one(params.get("query"), "query")
    if query is None:
        return await describe_service(request, _last(params.get("format")))
    return await answer(request, query, params.get("default-graph-uri", []),
                        params.get("named-graph-uri", []), _last(params.get("format")))


_POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {"schema": {"type": "object", "required": ["query"], "properties": {
                "query": {"type": "string", "description": _QUERY_DOC},
                "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                "format": {"type": "string", "description": _FORMAT_DOC}}}},
            QUERY_BODY: {"schema": {"type": "string", "description": _QUERY_DOC}},
        },
    }
}


@router.post(
    "/sparql", name="sparql_post", responses=_RESULTS,  # type: ignore[arg-type]
    openapi_extra=_POST_BODY,
    summary="Requête SPARQL (POST) / SPARQL query (POST)",
    description="Form-encoded `query=` (with `default-graph-uri`, `named-graph-uri`) or a "
    "`application/sparql-query` body (dataset parameters in the URL). `application/"
    "sparql-update` and `update=` are refused.",
)
async def sparql_post(request: Request) -> Response:
    ctype = _media(request.headers.get("content-type"))
    if ctype == UPDATE_BODY:
        raise _refuse_update()
    if ctype not in (FORM, QUERY_BODY):
        raise UnsupportedMediaType(
            f"type de contenu non pris en charge / unsupported content type {ctype!r}: use "
            f"{FORM} or {QUERY_BODY}")
    _charset(request.headers.get("content-type"))
    body = await read_body(request, settings_of(request).max_body_bytes)
    url = url_params(request)
    if ctype == QUERY_BODY:
        return await answer(request, _text(body), url.get("default-graph-uri", []),
                            url.get("named-graph-uri", []), _last(url.get("format")))
    form = _form(_text(body))
    if "update" in form or "update" in url:
        raise _refuse_update()
    query = _one(form.get("query", []) + url.get("query", []), "query")
    if query is None:
        raise MalformedQuery("paramètre « query » absent / missing 'query' parameter")

    def both(name: str) -> list[str]:  # the dataset may be given in the URL too (W3C cases)
        return url.get(name, []) + form.get(name, [])

    fmt = _last(form.get("format") or url.get("format"))
    return await answer(request, query, both("default-graph-uri"), both("named-graph-uri"), fmt)
