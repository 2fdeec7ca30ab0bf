"""``/catalog`` and ``/.well-known/void``: the release's DCAT-AP catalogue and VoID description,
as RDF for programs and as a page for people (docs/decisions/0024-catalogue-html.md).

Contract: the representation is chosen by :func:`publisher.server.representations.choose` on
:data:`~publisher.server.representations.DATA_OFFERS` — RDF first, so a missing ``Accept``, ``*/*``
(curl, data.gouv.fr's harvester, which sends a HEAD then a GET with ``*/*``) and any RDF client get
exactly the release's file as before (Turtle, or JSON-LD, N-Triples, RDF/XML converted by
:func:`publisher.server.files.rdf_document`); the HTML page only when HTML is preferred, as
browsers' ``Accept`` says; ``?format=`` (``html``, ``ttl``, ``jsonld``, ``nt``, ``rdf`` or a media
type) wins over ``Accept``; 406 when nothing offered fits. Every answer carries ``Vary: Accept``,
the ``Link`` alternates of the linked-data pages and validators (ETag of the file's SHA-256 and the
representation, plus cmq's version for the page; 304, 412). The page is built from the very file
the RDF comes from (parsed once per release file), through :mod:`publisher.server.catalog_view` and
:mod:`publisher.server.void_view`; the VoID page also asks the engine for the labels of its classes
and properties.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from rdflib import Graph, URIRef
from starlette.responses import Response

from publisher import __version__
from publisher.core.namespaces import VOID
from publisher.release import model as rm
from publisher.release.model import FileEntry
from publisher.server import describe, representations
from publisher.server.catalog_view import Catalog, catalog_view
from publisher.server.errors import NotFound
from publisher.server.files import (
    CURRENT_CACHE,
    check_preconditions,
    not_modified,
    quoted_etag,
    rdf_document,
    validators,
)
from publisher.server.maps import map_context
from publisher.server.pages import browse_summary, linker_for, local_path, render_page, root_of
from publisher.server.state import ServedRelease, served
from publisher.server.void_view import void_view

router = APIRouter(tags=["fichiers / files"])

FormatParam = Annotated[
    str | None,
    Query(description="Format forcé (`html`, `ttl`, `jsonld`, `nt`, `rdf` ou type de média) / "
          "format override (`html`, file extension or media type), instead of `Accept`."),
]
#: The VoID terms whose objects the page shows with their labels (from the engine).
LABELLED = (VOID["class"], VOID.property, VOID.rootResource, VOID.exampleResource,
            VOID.linkPredicate)
#: Makes the page of a release file from its graph.
PageBuilder = Callable[[Request, ServedRelease, Graph], Awaitable[Response]]
_DESC = ("RDF: " + ", ".join(f.media_type for f in representations.RDF_FORMATS) + " (`Accept` or "
         "`format`; Turtle for `*/*` or no `Accept`). HTML page for browsers (`Accept` preferring "
         "`text/html`, or `format=html`).")


@functools.lru_cache(maxsize=8)
def parsed(path: Path, sha256: str) -> Graph:
    """The release file at ``path`` as an rdflib graph (``sha256`` keys the cache; never
    modified by its readers)."""
    return Graph().parse(path, format="turtle")


def entry_of(rel: ServedRelease, name: str) -> FileEntry:
    entry = rel.files.get(name)
    if entry is None:
        raise NotFound(f"fichier absent de la version / file missing from the release: {name}")
    return entry


def release_graph(rel: ServedRelease, name: str) -> Graph:
    entry = entry_of(rel, name)
    return parsed(rel.path / entry.name, entry.sha256)


def page_headers(request: Request, rel: ServedRelease, name: str) -> dict[str, str]:
    """Validators, ``Vary: Accept`` and ``Link`` of the HTML page of the release file ``name``."""
    entry = entry_of(rel, name)
    tag = quoted_etag(entry.sha256, f"html-{__version__}")  # the page changes with cmq too
    headers = validators(tag, rel.info.created, CURRENT_CACHE, "Accept")
    return headers | link(request)


def link(request: Request) -> dict[str, str]:
    return {"Link": representations.link_header(root_of(request) + local_path(request))}


def page(request: Request, rel: ServedRelease, template: str, name: str,
         **values: Any) -> Response:
    """The HTML page of the release file ``name``: its headers, and its alternates both as
    ``<link rel="alternate">`` and as the page's list of RDF formats (``rdf_links``)."""
    alternates = representations.alternates(root_of(request) + local_path(request))
    rdf = [(url, media) for url, media in alternates if media != representations.HTML]
    return render_page(template, request, rel, headers=page_headers(request, rel, name),
                       alternates=alternates, rdf_links=rdf, **values)


async def negotiated(request: Request, name: str, fmt: str | None) -> Response | None:
    """The RDF answer, a 304 for the page, or None when the page is to be rendered."""
    choice = representations.choose(request.headers.get("accept"), fmt,
                                     representations.DATA_OFFERS)
    if choice.rdf is not None:
        return await rdf_document(request, name, choice.rdf, link(request))
    rel = served(request)
    headers = page_headers(request, rel, name)
    check_preconditions(request, headers["ETag"], rel.info.created)
    if not_modified(request, headers["ETag"], rel.info.created):
        return Response(status_code=304, headers=headers)
    return None


async def extent_map(request: Request, rel: ServedRelease, view: Catalog) -> dict[str, Any] | None:
    """The map of the first dataset's extent (dashed box) over the members' positions; None
    without positions (no browse index) or without a bounding box."""
    box = next((p.bbox for d in view.datasets[:1] for p in d.places if p.bbox), None)
    if box is None:
        return None
    _, points = await asyncio.to_thread(browse_summary, rel)
    if not points:
        return None
    return map_context(request, points) | {"bbox": list(box)}


async def document(request: Request, name: str, fmt: str | None, build: PageBuilder) -> Response:
    """The negotiated answer for the release file ``name``: RDF, a 304, or the page ``build``
    makes from the file's graph."""
    answer = await negotiated(request, name, fmt)
    if answer is not None:
        return answer
    rel = served(request)
    graph = await asyncio.to_thread(release_graph, rel, name)
    return await build(request, rel, graph)


async def catalog_page(request: Request, rel: ServedRelease, graph: Graph) -> Response:
    info = rel.info
    view = catalog_view(graph, info.catalog_iri, linker_for(request, rel), info.config.public_url,
                        info.dataset_iri)
    if view is None:
        raise NotFound("pas de dcat:Catalog dans le catalogue / no dcat:Catalog in catalog.ttl")
    return page(request, rel, "catalog.html", rm.CATALOG_TTL, catalog=view,
                map=await extent_map(request, rel, view))


async def void_page(request: Request, rel: ServedRelease, graph: Graph) -> Response:
    wanted = {o for p in LABELLED for o in graph.objects(None, p) if isinstance(o, URIRef)}
    context = await describe.context_graph(rel.engine, wanted)
    context += await asyncio.to_thread(release_graph, rel, rm.CATALOG_TTL)  # the licence's title
    view = void_view(graph, context, rel.info, linker_for(request, rel),
                     rel.has_browse)
    if view is None:
        raise NotFound("pas de void:Dataset dans la description / no void:Dataset in void.ttl")
    return page(request, rel, "void.html", rm.VOID_TTL, void=view)


@router.api_route("/catalog", methods=["GET", "HEAD"],
                  summary="Catalogue DCAT-AP / DCAT-AP catalogue", description=_DESC)
async def catalog(request: Request, format: FormatParam = None) -> Response:
    return await document(request, rm.CATALOG_TTL, format, catalog_page)


@router.api_route("/.well-known/void", methods=["GET", "HEAD"],
                  summary="Description VoID du jeu de données / VoID dataset description",
                  description=_DESC)
async def void(request: Request, format: FormatParam = None) -> Response:
    return await document(request, rm.VOID_TTL, format, void_page)


__all__ = ["parsed", "router"]
