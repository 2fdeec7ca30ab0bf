"""Linked-data pages: dereferenceable IRIs, the landing page, the ontology, static files.

- ``GET /{path}`` — the IRI ``{base_iri}{path}`` (``{base}organisation/x`` ↔ ``/organisation/x``;
  hash sub-resources come with their document); ``/ontology`` and ``/ontology/{term}`` — the
  ontology (``https://w3id.org/cmq/ontology``, also at its version IRIs ``/ontology/{version}``)
  and its terms and concepts. HTML for browsers,
  Turtle / JSON-LD / N-Triples / RDF-XML by content negotiation (``Accept`` or ``?format=``),
  with ``Link: <…?format=ttl>; rel="alternate"; type="text/turtle"`` … and ``Vary: Accept``;
  404 (with a helpful page) when the store has no triple about the IRI, 406 when no offered
  format is acceptable. Every lookup is a SPARQL query sent to the engine
  (:mod:`publisher.server.describe`; the records around a record, for its readable summary and
  groups, :mod:`publisher.server.related`; a group cut short links to the browse list holding
  all its records, :mod:`publisher.server.related_lists`).
- ``GET /`` — the landing page (RDF clients are sent to ``/catalog`` with 303).
- YASGUI's files (for the query page, :mod:`publisher.server.query_page`) are served from the
  ``yasgui_dir`` setting under ``/assets/yasgui/``, the pages' own CSS/JS under ``/static/``.

The catch-all route is the router's last: the app includes this router after the others.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from rdflib import Graph, URIRef
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from publisher import __version__
from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI
from publisher.html.environment import STATIC_DIR, environment
from publisher.html.records import record_view
from publisher.html.render import Linker, Renderer, ResourceData, Term, label_of, render_resource
from publisher.ontology.docs import SERVER_LAYOUT, render_html
from publisher.release.browse_index import KINDS, Kind
from publisher.release.browse_source import page_href
from publisher.release.metadata.catalog import LICENCE
from publisher.release.model import DATA_JSONLD, DATA_NT, DATA_TTL
from publisher.server import describe, related, related_lists, representations
from publisher.server.browse_query import Hit, IndexMissing
from publisher.server.errors import NotFound, error_response
from publisher.server.files import CURRENT_CACHE, not_modified
from publisher.server.jsonld_schema import dataset, schema_org, script_json
from publisher.server.landing import landing_view
from publisher.server.maps import Point, map_context
from publisher.server.ontology_doc import ontology_view
from publisher.server.rebuild import failure_link
from publisher.server.state import ServedRelease, graph_iri, served, server_state

router = APIRouter(tags=["pages"])

ASSET_SUFFIXES = (".js", ".css", ".map")
ASSET_CACHE = "public, max-age=86400"
MAX_SUGGESTIONS = 30
FormatParam = Annotated[
    str | None,
    Query(description="Format forcé : html, ttl, jsonld, nt, rdf ou un type de média / format "
          "override (instead of `Accept`)."),
]


def root_of(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def linker_for(request: Request, rel: ServedRelease) -> Linker:
    return Linker(rel.info.config.base_iri, root_of(request))


def local_path(request: Request) -> str:
    """The request path as sent (still percent-encoded, like minted IRIs), without the root."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    path = path.split("?", 1)[0]
    root = str(request.scope.get("root_path", "")).rstrip("/")
    if root and path.startswith(root):
        path = path[len(root):]
    return path.removeprefix("/")


def render_page(name: str, request: Request, rel: ServedRelease, status: int = 200,
                headers: dict[str, str] | None = None, **values: Any) -> HTMLResponse:
    cfg = rel.info.config
    site = {"name": cfg.name, "title": cfg.title or cfg.name, "release_id": rel.info.release_id}
    values.setdefault("alternates", [])
    values.setdefault("jsonld", None)
    values.setdefault("failure", failure_link(request) is not None)  # cmq serve --watch
    html = environment().get_template(name).render(site=site, root=root_of(request), **values)
    return HTMLResponse(html, status_code=status, headers=headers)


def _headers(request: Request, rel: ServedRelease, tag: str) -> dict[str, str]:
    path = root_of(request) + local_path(request)
    return {"Link": representations.link_header(path), "Vary": "Accept", "Cache-Control": CURRENT_CACHE,
            "ETag": f'"{rel.info.release_id}-{tag}"'}


def _alternates(request: Request) -> list[tuple[str, str]]:
    return representations.alternates(root_of(request) + local_path(request))


def _rdf(body: bytes, choice: representations.Choice, headers: dict[str, str]) -> Response:
    return Response(body, media_type=f"{choice.media_type}; charset=utf-8", headers=headers)


def _tag(choice: representations.Choice) -> str:
    """The representation's part of the ETag: a page also changes with cmq (its templates)."""
    return page_tag() if choice.rdf is None else choice.rdf.file_extension


def page_tag() -> str:
    return f"html-{__version__}"


# ------------------------------------------------------------------ static files


def _file_in(folder: Path | None, name: str, suffixes: tuple[str, ...]) -> Path:
    """A file directly inside ``folder`` (listed, never built from the name), or 404."""
    if folder is not None and folder.is_dir() and name.endswith(suffixes):
        for candidate in folder.iterdir():
            if candidate.name == name and candidate.is_file():
                return candidate
    raise NotFound(f"fichier inconnu / no such file: {name}")


@router.get("/static/{name}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    path = _file_in(STATIC_DIR, name, (".css", ".js"))
    return FileResponse(path, headers={"Cache-Control": ASSET_CACHE})


@router.get("/assets/yasgui/{name}", include_in_schema=False)
async def yasgui_asset(request: Request, name: str) -> FileResponse:
    folder = server_state(request).settings.yasgui_assets()
    path = _file_in(folder, name, ASSET_SUFFIXES)
    return FileResponse(path, headers={"Cache-Control": ASSET_CACHE})


# ------------------------------------------------------------------ landing


@router.api_route("/", methods=["GET", "HEAD"], summary="Page d'accueil / landing page")
async def landing(request: Request, format: FormatParam = None) -> Response:
    rel = served(request)
    choice = representations.choose(request.headers.get("accept"), format)
    if choice.rdf is not None:
        target = f"{root_of(request)}catalog?format={choice.rdf.file_extension}"
        return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})
    info = rel.info
    void = (await describe.construct(rel.engine, describe.void_query())).graph()
    linker = linker_for(request, rel)
    wanted = {o for o in void.objects() if isinstance(o, URIRef)}
    wanted.add(URIRef(info.config.campus_iri))
    context = await describe.context_graph(rel.engine, wanted)
    view = landing_view(void, context, info, linker)
    downloads = [(info.download_url(f.name), f.media_type) for f in info.files
                 if f.name in (DATA_NT, DATA_TTL, DATA_JSONLD)]
    data = dataset(view.title, info.config.description or view.title, info.config.public_url,
                   info.dataset_iri, downloads, str(LICENCE), info.config.keywords)
    browse, points = await asyncio.to_thread(browse_summary, rel)
    return render_page("landing.html", request, rel, headers={"Vary": "Accept"},
                       landing=view, jsonld=Markup(script_json(data)), browse=browse,
                       map=map_context(request, points) if points else None)


def browse_summary(rel: ServedRelease) -> tuple[list[tuple[Kind, int]], list[Point]]:
    """Each kind of record with its count, and the positioned members (none without index)."""
    try:
        index = rel.browse
        totals = index.kind_totals()
        return [(k, totals.get(k.name, 0)) for k in KINDS], index.members()
    except IndexMissing:
        return [], []


# ------------------------------------------------------------------ resources


def nearest_records(rel: ServedRelease, local: str) -> list[Hit]:
    """Records whose words are nearest to an unknown path (none without a browse index)."""
    try:
        return rel.browse.nearest(local)
    except IndexMissing:
        return []


async def not_found(request: Request, rel: ServedRelease, iri: str,
                    choice: representations.Choice) -> Response:
    message = f"ressource inconnue / unknown resource: {iri}"
    if choice.rdf is not None:
        return error_response(request, NotFound(message))
    linker = linker_for(request, rel)
    base = rel.info.config.base_iri
    suggestions: list[Term] = []
    doc = iri.split("#", 1)[0]
    for prefix in (base, CMQ_NS):
        head = doc[len(prefix):].split("/", 1)[0] if doc.startswith(prefix) else ""
        if head:
            try:
                query = describe.neighbours_query(prefix + head + "/")
            except describe.InvalidIri:  # a path no IRI can hold: no neighbours to suggest
                break
            found = await describe.construct(rel.engine, query)
            g = found.graph()
            r = Renderer(g, linker, iri)
            subjects = {s for s in g.subjects() if isinstance(s, URIRef)}
            suggestions = sorted((r.term(s) for s in subjects), key=lambda t: t.text.casefold())
            break
    nearest = await asyncio.to_thread(nearest_records, rel, local_path(request))
    return render_page("notfound.html", request, rel, status=404,
                       headers={"Vary": "Accept", "Cache-Control": "no-cache"},
                       iri=iri, base_iri=base, ontology_ns=CMQ_NS,
                       suggestions=suggestions[:MAX_SUGGESTIONS], nearest=nearest,
                       href=lambda path: page_href(root_of(request), path))


async def ontology_page(request: Request, rel: ServedRelease, choice: representations.Choice) -> Response:
    headers = _headers(request, rel, _tag(choice))
    if not_modified(request, headers["ETag"], rel.info.created):
        return Response(status_code=304, headers=headers)
    found = await describe.ontology(rel.engine, graph_iri(rel.info, "ontology"))
    if choice.rdf is not None:
        return _rdf(found.serialize(choice.rdf), choice, headers)
    graph = found.graph()
    view = await ontology_view(rel.engine, graph, rel.path, linker_for(request, rel))
    page_url = rel.info.config.public_url + "ontology"
    jsonld = Markup(script_json(schema_org(graph, ONTOLOGY_IRI, page_url)))
    cfg = rel.info.config  # the same generator as the release's ontology.html, in this site's frame
    site = {"name": cfg.name, "title": cfg.title or cfg.name, "release_id": rel.info.release_id}
    html = render_html(view, layout=SERVER_LAYOUT, site=site, root=root_of(request),
                       alternates=_alternates(request), jsonld=jsonld)
    return HTMLResponse(html, headers=headers)


@router.api_route(
    "/{path:path}", methods=["GET", "HEAD"],
    summary="Ressource (IRI déréférençable) / resource (dereferenceable IRI)",
    description="The IRI `{base_iri}{path}` (or `https://w3id.org/cmq/ontology/{term}` under "
    "`/ontology/`): HTML, Turtle, JSON-LD, N-Triples or RDF/XML by `Accept` or `format`.",
)
async def resource(request: Request, path: str, format: FormatParam = None) -> Response:
    rel = served(request)
    choice = representations.choose(request.headers.get("accept"), format)
    local = local_path(request)
    if local == "ontology/":
        return RedirectResponse(root_of(request) + "ontology", status_code=301)
    linker = linker_for(request, rel)
    iri = linker.iri_for_path(local)
    if local == "ontology":
        return await ontology_page(request, rel, choice)
    try:
        describe.sparql_iri(iri)
    except describe.InvalidIri:
        return await not_found(request, rel, iri, choice)
    headers = _headers(request, rel, _tag(choice))
    if not_modified(request, headers["ETag"], rel.info.created):
        return Response(status_code=304, headers=headers)
    doc = await describe.document(rel.engine, iri)
    if not doc.triples:
        if local.startswith("ontology/") and await describe.is_ontology_version(rel.engine, iri):
            return await ontology_page(request, rel, choice)  # the ontology's version IRIs
        return await not_found(request, rel, iri, choice)
    if choice.rdf is not None:
        return _rdf(doc.serialize(choice.rdf), choice, headers)
    data = await describe.describe(rel.engine, iri, doc)
    around = await related.related(rel.engine, iri, [data.document, data.context])
    labels = all_labels(data, around)
    view = render_resource(data, linker, labels)
    if view is None:  # only hash parts or blank nodes: no statement about the IRI itself
        return await not_found(request, rel, iri, choice)
    record = record_view(iri, data.document, around.graph, Renderer(labels, linker, iri),
                         around.truncated)
    cut = [b.key for b in record.blocks if b.truncated]  # their lists, from the browse index
    lists = (await asyncio.to_thread(related_lists.full_lists, rel, root_of(request), iri,
                                     data.document, cut) if cut else {})
    page_url = rel.info.config.public_url.rstrip("/") + "/" + local
    graph = data.document + data.context
    jsonld = schema_org(graph, iri, page_url)
    if "name" not in jsonld:
        lab = label_of(graph, URIRef(iri))
        jsonld["name"] = str(lab) if lab is not None else view.title
    points = await asyncio.to_thread(record_points, rel, local)
    place = linker.local_path(record.place) if record.place else None
    if not points and place is not None:  # a formation: its establishment's position
        points = await asyncio.to_thread(record_points, rel, place.removeprefix(root_of(request)))
    return render_page("resource.html", request, rel, headers=headers, view=view, record=record,
                       lists=lists, jsonld=Markup(script_json(jsonld)), alternates=_alternates(request),
                       map=map_context(request, points) if points else None, small=True)


def all_labels(data: ResourceData, around: related.Related) -> Graph:
    """One graph of everything a page names: document, incoming links, context, related records
    and their labels (merged in place: one copy)."""
    labels = data.document + data.incoming
    for more in (data.context, around.labels, around.graph):
        labels += more
    return labels


def record_points(rel: ServedRelease, local: str) -> list[Point]:
    """The record's own position, for the small map of its page (none without index)."""
    try:
        return rel.browse.position(local)
    except IndexMissing:
        return []
