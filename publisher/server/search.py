"""``GET /recherche?q=`` — search over every record of the served release (titles, names,
communes, UAI, SIRET, RNCP, CFD, ROME): case- and accent-insensitive, every word a prefix,
ranked by bm25 (:meth:`publisher.server.browse_query.BrowseIndex.search`). ``format=json`` gives
the hits as JSON; ``type`` restricts them to one kind of record. (The 404 page's nearest records: :func:`publisher.server.pages.nearest_records`.)
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from publisher.release.browse_index import KINDS, KINDS_BY_NAME
from publisher.release.browse_source import page_href, record_iri
from publisher.server.browse_cache import IndexPreparing
from publisher.server.lists import preparing_other
from publisher.server.pages import render_page, root_of
from publisher.server.state import served

router = APIRouter(tags=["recherche / search"])

MAX_HITS = 100


@router.get("/recherche", summary="Recherche / search")
async def search_page(request: Request, q: str = "", type: str = "",
                      format: str = "html") -> Response:
    rel = served(request)
    kind = type if type in KINDS_BY_NAME else None
    try:
        hits = await asyncio.to_thread(lambda: rel.browse.search(q, MAX_HITS, kind))
    except IndexPreparing as exc:
        if format == "json":
            raise
        return preparing_other(request, exc, "Recherche", "Search")
    root = root_of(request)
    if format == "json":
        return JSONResponse({"q": q, "hits": [
            {"kind": h.kind, "page": page_href(root, h.path),
             "iri": record_iri(rel.info.config.base_iri, h.path),
             "title": h.title} for h in hits]})
    return render_page("search.html", request, rel, headers={"Cache-Control": "no-cache"},
                       q=q, hits=hits, kinds={k.name: k for k in KINDS}, type=kind,
                       max_hits=MAX_HITS, href=lambda path: page_href(root, path))
