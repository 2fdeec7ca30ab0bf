"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query only) and its Service Description.

- query by ``GET ?query=``, ``POST`` form (``application/x-www-form-urlencoded``) or ``POST``
  ``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` honoured (in the URL,
  or in the form);
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

from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import Response

from publisher.core.namespaces import SD, VOID
from publisher.project.settings import Settings
from publisher.release.model import ReleaseInfo
from publisher.server import pages, representations
from publisher.server.errors import PayloadTooLarge, UnsupportedMediaType
from publisher.server.state import NAMED_GRAPHS, graph_iri, served
from publisher.sparql import TRUNCATED_LINK, MalformedQuery, QueryResult, UpdateRefused
from publisher.sparql.negotiate import GRAPH_FORMATS, SOLUTION_FORMATS

router = APIRouter(tags=["sparql"])

TRUNCATED_HEADER = "X-SPARQL-Truncated"
MAX_ROWS_HEADER = "X-SPARQL-Max-Rows"
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
_W3C_FORMATS = "http://www.w3.org/ns/formats/"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")

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


def service_description(endpoint: str, info: ReleaseInfo, settings: Settings,
                        void_url: str) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint`` (no blank nodes)."""
    sd = str(SD)

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    service, dataset, default = n(endpoint + "#service"), n(info.version_iri), n(
        endpoint + "#default-graph")
    triples = [
        ox.Triple(service, _RDF_TYPE, n(sd + "Service")),
        ox.Triple(service, n(sd + "endpoint"), n(endpoint)),
        ox.Triple(service, n(sd + "supportedLanguage"), n(sd + "SPARQL11Query")),
        ox.Triple(service, n(sd + "feature"), n(sd + "UnionDefaultGraph")),
        ox.Triple(service, n(sd + "defaultDataset"), dataset),
        ox.Triple(dataset, _RDF_TYPE, n(sd + "Dataset")),
        ox.Triple(dataset, _RDF_TYPE, n(str(VOID) + "Dataset")),
        ox.Triple(dataset, _SEE_ALSO, n(void_url)),
        ox.Triple(dataset, n(sd + "defaultGraph"), default),
        ox.Triple(default, _RDF_TYPE, n(sd + "Graph")),
    ]
    if settings.service_allow_list:
        triples.append(ox.Triple(service, n(sd + "feature"), n(sd + "BasicFederatedQuery")))
    iris = [f.iri for f in SOLUTION_FORMATS] + [f.iri for f in GRAPH_FORMATS]
    for iri in iris:
        triples.append(ox.Triple(service, n(sd + "resultFormat"), format_iri(iri)))
    for name, _file in NAMED_GRAPHS:
        node = n(f"{endpoint}#graph-{name}")
        triples += [
            ox.Triple(dataset, n(sd + "namedGraph"), node),
            ox.Triple(node, _RDF_TYPE, n(sd + "NamedGraph")),
            ox.Triple(node, n(sd + "name"), n(graph_iri(info, name))),
        ]
    return triples


async def describe_service(request: Request, format_param: str | None) -> Response:
    choice = representations.choose(request.headers.get("accept"), format_param)
    if choice.rdf is None:
        page: Response = await pages.query_page(request)
        page.headers.setdefault("Vary", "Accept")
        return page
    rel = served(request)
    endpoint = str(request.url_for("sparql_get"))
    void_url = str(request.url_for("void"))
    body = ox.serialize(
        service_description(endpoint, rel.info, settings_of(request), void_url),
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
    params = request.query_params
    if "update" in params:
        raise _refuse_update()
    query = params.get("query")  # repeated: the last one, as for `format`
    if query is None:
        return await describe_service(request, params.get("format"))
    return await answer(request, query, params.getlist("default-graph-uri"),
                        params.getlist("named-graph-uri"), params.get("format"))


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
    body = await read_body(request, settings_of(request).max_body_bytes)
    url = request.query_params
    if ctype == QUERY_BODY:
        return await answer(request, _text(body), url.getlist("default-graph-uri"),
                            url.getlist("named-graph-uri"), url.get("format"))
    form = parse_qs(_text(body), keep_blank_values=True)
    if "update" in form:
        raise _refuse_update()
    query = _one(form.get("query"), "query")
    if query is None:
        raise MalformedQuery("paramètre « query » absent / missing 'query' parameter")
    formats = form.get("format") or url.getlist("format")
    fmt = formats[-1] if formats else None  # repeated (as SPARQLWrapper does): the last, as GET
    return await answer(request, query, form.get("default-graph-uri", []),
                        form.get("named-graph-uri", []), fmt)
