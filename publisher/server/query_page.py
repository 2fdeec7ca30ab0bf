"""The YASGUI query page (``GET /sparql`` for browsers, ``GET /query`` redirects there).

- :func:`query_page` renders ``query.html``: a picker of the named queries (``queries/*.rq``,
  French title and description first, English beside), the YASGUI editor querying our
  ``/sparql``, and the plain list of the queries (what remains when YASGUI is not installed or
  JavaScript is off). ``?q=<name>`` chooses the query the picker shows and the editor opens;
  an unknown name falls back to the first query.
- :func:`page_config` is what ``static/query.js`` reads from the page: the endpoint, the named
  queries, the IRI prefixes this server has local pages for (the campus's base IRI, the
  ontology) so that result IRIs link to them, and the map tile server (``map_tiles``) for the
  map view of results with WKT points (Leaflet, from ``publisher.server.maps``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse

from publisher.project.queries import QUERIES_DIR, NamedQuery, load_queries
from publisher.server.jsonld_schema import script_json, web_page
from publisher.server.maps import PACKAGES, asset_folder
from publisher.server.pages import linker_for, render_page, root_of
from publisher.server.state import served, server_state

router = APIRouter(tags=["pages"])


def queries_folder(request: Request) -> Path:
    """The project's own ``queries/`` folder, else the queries shipped with cmq."""
    own = server_state(request).project.root / "queries"
    return own if own.is_dir() else QUERIES_DIR


def chosen_query(queries: list[NamedQuery], name: str | None) -> NamedQuery | None:
    """The query called ``name``, else the first one (``None`` when there is none)."""
    return next((q for q in queries if q.name == name), queries[0] if queries else None)


def page_config(request: Request, queries: list[NamedQuery]) -> dict[str, Any]:
    """The JSON the page's script reads (``#cmq-query-config``)."""
    rel = served(request)
    settings = server_state(request).settings
    root = root_of(request)
    endpoint = root + "sparql"
    tabs = [{"name": q.name, "title": q.title_fr, "title_en": q.title_en,
             "description_fr": q.description_fr, "description": q.description, "text": q.text}
            for q in queries]
    digest = hashlib.sha256(json.dumps([endpoint, tabs], sort_keys=True).encode()).hexdigest()
    return {"endpoint": endpoint, "storageKey": f"cmq-{digest[:12]}", "queries": tabs,
            "local": linker_for(request, rel).prefixes(),
            "tiles": settings.map_tiles, "attribution": settings.map_attribution}


async def query_page(request: Request) -> HTMLResponse:
    """The query page: picker, YASGUI editor, plain list of the named queries."""
    rel = served(request)
    settings = server_state(request).settings
    queries = load_queries(queries_folder(request))
    assets = settings.yasgui_assets()
    about = web_page("Requêtes SPARQL / SPARQL queries", rel.info.sparql_url,
                     rel.info.dataset_iri)
    return render_page(
        "query.html", request, rel, headers={"Cache-Control": "no-cache"},
        jsonld=Markup(script_json(about)), queries=queries,
        chosen=chosen_query(queries, request.query_params.get("q")),
        endpoint=root_of(request) + "sparql",
        config_json=Markup(script_json(page_config(request, queries))),
        assets=assets is not None and (assets / "yasgui.min.js").is_file(),
        leaflet=all(asset_folder(settings, p) is not None for p in PACKAGES),
    )


@router.get("/query", summary="Page de requêtes / query page (redirects to /sparql)")
async def query_alias(request: Request) -> RedirectResponse:
    """``/query?q=<name>`` → ``/sparql?q=<name>``: the query page has one address."""
    query = request.url.query
    target = root_of(request) + "sparql" + (f"?{query}" if query else "")
    return RedirectResponse(target, status_code=303)
