"""Lists of records with facets (Datasette-style), at French paths: ``/formations/``,
``/etablissements/``, ``/partenaires/``, ``/partenariats/``, ``/adhesions/``,
``/certifications/``, ``/chiffres/``, ``/sources/`` (one per kind of
:data:`publisher.release.browse_index.KINDS`).

Query parameters: facet filters named like the columns (``?niveau=5&voie=apprentissage``,
repeated for OR), ``q`` (words, prefix match, within the list), ``tri`` (a column; ``-col``
descending), ``page`` and ``par_page`` (≤ :data:`MAX_PAGE_SIZE`), ``format`` (``html``, ``csv``,
``json``). ``/formations.csv`` and ``/formations.json`` are the same view as files. Downloads have
**no row cap**: every selected record, streamed. Answers come from the release's browse index
(:mod:`publisher.server.browse_query`, facet postings in memory); the cache validators are the
release's. A rendered page is kept in the served release's small cache
(:attr:`~publisher.server.state.ServedRelease.rendered`, least recently used dropped), keyed by
the view, the root path and whether a failed-build banner shows. While the server builds the
index of a release that lacks one (:mod:`publisher.server.browse_cache`), the page answers 503
with ``Retry-After`` and says so (the downloads: the JSON error). A record of another campus
(national release) links to its own IRI.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from publisher.core.spreadsheet import neutralise_row
from publisher.release.browse_index import KINDS, Kind
from publisher.release.browse_source import page_href, record_iri
from publisher.server.browse_cache import IndexPreparing
from publisher.server.browse_query import BrowseIndex, ListQuery, Row, filters_of
from publisher.server.errors import NotFound, prefers_html
from publisher.server.files import CURRENT_CACHE
from publisher.server.list_urls import DEFAULT_PAGE_SIZE, list_base, url_with, view_params
from publisher.server.maps import map_context
from publisher.server.pages import render_page, root_of
from publisher.server.rebuild import failure_link
from publisher.server.state import ServedRelease, served

router = APIRouter(tags=["listes / lists"])

MAX_PAGE_SIZE = 500
FORMATS = ("html", "csv", "json")


def index_of(rel: ServedRelease) -> BrowseIndex:
    return rel.browse  # the served release's: postings in memory, pages cached


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text or default)))
    except ValueError:
        return default


def list_query(kind: Kind, request: Request) -> ListQuery:
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    sort = request.query_params.get("tri", "")
    desc = sort.startswith("-")
    return ListQuery(kind, filters_of(kind, params), request.query_params.get("q", "").strip(),
                     sort.removeprefix("-"), desc,
                     _int(request.query_params.get("page"), 1, 1, 10**9),
                     _int(request.query_params.get("par_page"), DEFAULT_PAGE_SIZE, 1,
                          MAX_PAGE_SIZE))


def toggled(query: ListQuery, name: str, code: str) -> ListQuery:
    """The view with one facet value added or removed (back to page 1)."""
    filters = dict(query.filters)
    codes = filters.get(name, ())
    codes = tuple(c for c in codes if c != code) if code in codes else (*codes, code)
    if codes:
        filters[name] = codes
    else:
        filters.pop(name, None)
    return ListQuery(query.kind, filters, query.text, query.sort, query.desc, 1, query.size)


# ------------------------------------------------------------------ downloads


def csv_lines(kind: Kind, rows: Iterator[Row], base_iri: str, root: str) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    header = ["iri", "page", *[c.name for c in kind.columns]]
    header += [f"{c.name}_code" for c in kind.facets]
    writer.writerow(header)
    facet_at = [i for i, c in enumerate(kind.columns) if c.facet]
    for n, row in enumerate(rows):
        codes = [" ; ".join(c.code for c in row.cells[i]) for i in facet_at]
        texts = neutralise_row([t or "" for t in row.texts])  # a spreadsheet opens this file
        writer.writerow([record_iri(base_iri, row.path), page_href(root, row.path), *texts,
                         *codes])
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def json_chunks(kind: Kind, rows: Iterator[Row], base_iri: str, root: str,
                meta: dict[str, Any]) -> Iterator[str]:
    yield json.dumps(meta, ensure_ascii=False)[:-1] + ', "rows": ['
    for n, row in enumerate(rows):
        item: dict[str, Any] = {"iri": record_iri(base_iri, row.path),
                                "page": page_href(root, row.path)}
        for col, cells in zip(kind.columns, row.cells, strict=True):
            values = [{"label": c.label, "code": c.code} for c in cells]
            item[col.name] = values[0] if len(values) == 1 else values or None
        if row.lat is not None:
            item["position"] = {"lat": row.lat, "lon": row.lon}
        yield ("," if n else "") + json.dumps(item, ensure_ascii=False)
    yield "]}"


def download(kind: Kind, query: ListQuery, request: Request, rel: ServedRelease,
             fmt: str) -> Response:
    root = str(request.base_url)  # scheme, host and root path, ending in "/"
    rows = index_of(rel).all_rows(query)
    headers = {"Cache-Control": CURRENT_CACHE,
               "Content-Disposition": f'inline; filename="{kind.name}.{fmt}"'}
    if fmt == "csv":
        return StreamingResponse(csv_lines(kind, rows, rel.info.config.base_iri, root), headers=headers,
                                 media_type="text/csv; charset=utf-8")
    meta = {"kind": kind.name, "release": rel.info.release_id,
            "filters": {k: list(v) for k, v in query.filters.items()}, "q": query.text,
            "cap": None}
    return StreamingResponse(json_chunks(kind, rows, rel.info.config.base_iri, root, meta),
                             headers=headers, media_type="application/json")


# ------------------------------------------------------------------ the page


def page_links(query: ListQuery, total: int, base: str) -> dict[str, str | None]:
    last = max(1, -(-total // query.size))
    def at(p: int) -> str | None:
        return url_with(base, view_params(query, page=p)) if 1 <= p <= last else None
    return {"prev": at(query.page - 1) if query.page > 1 else None,
            "next": at(query.page + 1) if query.page < last else None,
            "first": at(1), "last": at(last), "count": str(last)}


def show_list(kind: Kind, request: Request, fmt: str | None = None) -> Response:
    rel = served(request)
    query = list_query(kind, request)
    fmt = (fmt or request.query_params.get("format") or "html").lower()
    if fmt not in FORMATS:
        raise NotFound(f"format inconnu / unknown format: {fmt}")
    if fmt != "html":
        return download(kind, query, request, rel, fmt)
    key = ("list", kind.name, tuple(query.filters.items()), query.text, query.sort, query.desc,
           query.page, query.size, root_of(request), failure_link(request) is not None)
    hit = rel.rendered.get(key)
    if not isinstance(hit, bytes):
        hit = render_list(kind, request, rel, query).body
        rel.rendered.put(key, hit)
    return HTMLResponse(hit, headers={"Cache-Control": CURRENT_CACHE})


def render_list(kind: Kind, request: Request, rel: ServedRelease,
                query: ListQuery) -> HTMLResponse:
    """The HTML page of one view: its rows, facets with their links, sort links, pager."""
    index = index_of(rel)
    found = index.page(query)
    root = root_of(request)
    base = list_base(root, kind)
    facets: list[dict[str, Any]] = [{
        "column": f.column, "more": f.more,
        "values": [{"label": v.label, "code": v.code, "count": v.count, "selected": v.selected,
                    "url": url_with(base, view_params(toggled(query, f.column.name, v.code)))}
                   for v in f.values]} for f in found.facets]
    chips = [(f["column"], v) for f in facets for v in f["values"] if v["selected"]]
    empty = {f["column"].name for f in facets if f["column"].national and not f["values"]}
    shown = [(i, c) for i, c in enumerate(kind.columns) if c.shown and c.name not in empty]
    sorts = {c.name: url_with(base, view_params(query, tri=(
        "-" + c.name if query.sort == c.name and not query.desc else c.name))) for _, c in shown}
    points = index.points(query) if kind.position else []
    return render_page(
        "list.html", request, rel, headers={"Cache-Control": CURRENT_CACHE},
        kind=kind, kinds=KINDS, query=query, total=found.total, rows=found.rows, facets=facets,
        shown=shown, sorts=sorts, pages=page_links(query, found.total, base),
        csv_url=url_with(f"{root}{kind.name}.csv", view_params(query)),
        json_url=url_with(f"{root}{kind.name}.json", view_params(query)),
        base=base, map=map_context(request, points) if points else None,
        chips=chips, href=lambda path: page_href(root, path),
    )


def preparing_page(kind: Kind, request: Request, exc: IndexPreparing) -> Response:
    """The list's answer while the server builds the release's browse index (decision 0026)."""
    rel = served(request)
    return render_page("list_preparing.html", request, rel, status=503,
                       headers=preparing_headers(exc), kind=kind, kinds=KINDS,
                       retry=exc.retry_after_s)


def preparing_headers(exc: IndexPreparing) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after_s), "Cache-Control": "no-store"}


def preparing_other(request: Request, exc: IndexPreparing, fr: str, en: str) -> Response:
    """The answer of another page of the index (search, charts) meanwhile, for browsers."""
    if not prefers_html(request):
        raise exc
    return render_page("preparing.html", request, served(request), status=503,
                       headers=preparing_headers(exc), heading_fr=fr, heading_en=en,
                       retry=exc.retry_after_s)


def answer_list(kind: Kind, request: Request, fmt: str | None = None) -> Response:
    """The list, or (a browser asking for the page) the page saying the index is on its way."""
    try:
        return show_list(kind, request, fmt)
    except IndexPreparing as exc:
        if fmt is not None or not prefers_html(request):
            raise
        return preparing_page(kind, request, exc)


def _register(kind: Kind) -> None:
    async def as_page(request: Request) -> Response:
        return await asyncio.to_thread(answer_list, kind, request)

    async def as_csv(request: Request) -> Response:
        return await asyncio.to_thread(answer_list, kind, request, "csv")

    async def as_json(request: Request) -> Response:
        return await asyncio.to_thread(answer_list, kind, request, "json")

    async def to_slash(request: Request) -> Response:
        target = list_base(root_of(request), kind)
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(target, status_code=301)

    summary = f"Liste : {kind.fr} / list: {kind.en}"
    router.add_api_route(f"/{kind.name}/", as_page, methods=["GET", "HEAD"], summary=summary)
    router.add_api_route(f"/{kind.name}.csv", as_csv, methods=["GET", "HEAD"],
                         summary=summary + " (CSV)")
    router.add_api_route(f"/{kind.name}.json", as_json, methods=["GET", "HEAD"],
                         summary=summary + " (JSON)")
    router.add_api_route(f"/{kind.name}", to_slash, methods=["GET", "HEAD"],
                         include_in_schema=False)


for _kind in KINDS:
    _register(_kind)
