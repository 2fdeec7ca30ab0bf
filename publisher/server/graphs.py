"""The named graphs of the served dataset: their names, and a document for each graph name.

- :func:`named_graphs` — the names of the graphs a query without a dataset can reach with
  ``GRAPH ?g``, asked of the engine itself (embedded or remote store), so the Service
  Description lists what the endpoint really holds;
- ``GET /graph/{name}`` — the graph name ``{base}graph/{name}`` (every graph name the endpoint
  declares is under ``{base}graph/``): a description of that graph (its size, the release it
  belongs to, the file it comes from, the SPARQL query that reads it), as HTML or RDF by content
  negotiation like every linked-data document; 404 for a name that is not one of the graphs
  (none of the dataset's graphs holds a triple under that name).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Request
from rdflib import Graph
from starlette.responses import Response

from publisher.core.graphs import graph_of
from publisher.core.namespaces import SD, VOID
from publisher.html.render import ResourceData, render_resource
from publisher.release import model as rm
from publisher.release.model import ReleaseInfo
from publisher.server import describe, pages, representations
from publisher.server.errors import NotFound
from publisher.server.files import CURRENT_CACHE, not_modified
from publisher.server.state import NAMED_GRAPHS, ServedRelease, graph_iri, served

#: The RDF terms of the graph documents and of the Service Description (``endpoint``).
__all__ = ["COMMENT", "GRAPHS_QUERY", "LABEL", "RDF_TYPE", "SEE_ALSO", "graph_document",
           "named_graphs", "router"]

router = APIRouter(tags=["sparql"])

#: Every (non-empty) named graph of the default dataset. ``GRAPH ?g {}`` would read the names
#: only in Oxigraph, but Virtuoso answers it with nothing.
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
_JSON = "application/sparql-results+json"
_DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
_XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
#: (French, English) titles of the release's side graphs.
_TITLES = {
    "ontology": ("L'ontologie CMQ", "The CMQ ontology"),
    "catalog": ("Le catalogue DCAT-AP de la version", "The release's DCAT-AP catalogue"),
    "void": ("La description VoID de la version", "The release's VoID description"),
    "provenance": ("La provenance des données (PROV-O)", "Where the data comes from (PROV-O)"),
}
#: The file of the release each side graph is loaded from.
_FILES = {**dict(NAMED_GRAPHS), "provenance": rm.PROVENANCE_TTL}


async def named_graphs(engine: describe.Engine) -> list[str]:
    """The graph names of the endpoint's default dataset, sorted."""
    result = await engine.arun(GRAPHS_QUERY, accept=_JSON)
    bindings = json.loads(result.body)["results"]["bindings"]
    return sorted(b["g"]["value"] for b in bindings if b.get("g", {}).get("type") == "uri")


async def _size(engine: describe.Engine, iri: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {describe.sparql_iri(iri)} {{ ?s ?p ?o }} }}"
    result = await engine.arun(query, accept=_JSON)
    return int(json.loads(result.body)["results"]["bindings"][0]["n"]["value"])


def _side_name(info: ReleaseInfo, iri: str) -> str | None:
    return next((name for name in _FILES if graph_iri(info, name) == iri), None)


def graph_document(info: ReleaseInfo, iri: str, triples: int) -> list[ox.Triple]:
    """What the document of the graph name ``iri`` says about that graph."""
    graph, sparql = ox.NamedNode(iri), info.sparql_url
    side = _side_name(info, iri)
    fr, en = _TITLES.get(side or "", (f"Graphe nommé {iri}", f"Named graph {iri}"))
    read = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
    out = [
        ox.Triple(graph, RDF_TYPE, ox.NamedNode(str(SD) + "Graph")),
        ox.Triple(graph, RDF_TYPE, ox.NamedNode(str(VOID) + "Dataset")),
        ox.Triple(graph, LABEL, ox.Literal(fr, language="fr")),
        ox.Triple(graph, LABEL, ox.Literal(en, language="en")),
        ox.Triple(graph, ox.NamedNode(str(VOID) + "triples"),
                  ox.Literal(str(triples), datatype=_XSD_INTEGER)),
        ox.Triple(graph, ox.NamedNode(_DCT + "isPartOf"), ox.NamedNode(info.version_iri)),
        ox.Triple(graph, ox.NamedNode(str(VOID) + "sparqlEndpoint"), ox.NamedNode(sparql)),
        ox.Triple(graph, SEE_ALSO, ox.NamedNode(f"{sparql}?query={quote(read, safe='')}")),
    ]
    if side is not None and _FILES[side] in {f.name for f in info.files}:
        dump = ox.NamedNode(info.download_url(_FILES[side]))
        out.append(ox.Triple(graph, ox.NamedNode(str(VOID) + "dataDump"), dump))
    return out


@router.api_route(
    "/graph/{name:path}", methods=["GET", "HEAD"],
    summary="Graphe nommé du jeu de données / named graph of the dataset",
    description="The graph name `{base_iri}graph/{name}`: a description of the graph (size, "
    "release, file, SPARQL query), as HTML, Turtle, JSON-LD, N-Triples or RDF/XML.",
)
async def graph(request: Request, name: str, format: pages.FormatParam = None) -> Response:
    rel: ServedRelease = served(request)
    choice = representations.choose(request.headers.get("accept"), format)
    linker = pages.linker_for(request, rel)
    iri = linker.iri_for_path(pages.local_path(request))
    try:
        size = await _size(rel.engine, iri)
    except describe.InvalidIri:
        size = 0
    if size == 0:  # not a graph of the dataset (an empty graph is no graph in SPARQL)
        raise NotFound(f"graphe inconnu / no such graph: {iri}")
    tag = pages.page_tag() if choice.rdf is None else choice.rdf.file_extension
    headers = {"Link": representations.link_header(pages.root_of(request) + "graph/" + name),
               "Vary": "Accept", "Cache-Control": CURRENT_CACHE,
               "ETag": f'"{rel.info.release_id}-graph-{tag}"'}
    if not_modified(request, headers["ETag"], rel.info.created):
        return Response(status_code=304, headers=headers)
    triples = graph_document(rel.info, iri, size)
    if choice.rdf is not None:
        body = ox.serialize(triples, format=choice.rdf,
                            prefixes={"sd": str(SD), "void": str(VOID), "dct": _DCT})
        return Response(body, media_type=f"{choice.media_type}; charset=utf-8", headers=headers)
    doc = graph_of(triples)
    view = render_resource(ResourceData(iri, doc, Graph(), doc), linker)
    return pages.render_page("resource.html", request, rel, headers=headers, view=view,
                             alternates=representations.alternates(
                                 pages.root_of(request) + "graph/" + name))
