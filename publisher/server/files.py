"""Files of the releases: ``/dumps/{file}``, ``/releases/{id}/{file}`` and ``/healthz``; the RDF
side of ``/catalog`` and ``/.well-known/void`` (:func:`rdf_document`, routed by
:mod:`publisher.server.catalogue`).

Only names listed in a release's manifest are served (a whitelist: no path is ever built from
what the client sends, so ``..`` cannot leave the release folder), and only regular files: each
was checked against the manifest's size and SHA-256 when the server opened the release
(:func:`publisher.server.state.release_files`), and a symlink is never followed. Validators:
``ETag`` is the file's SHA-256 from the manifest (quoted), ``Last-Modified`` the release's build
time; ``412`` on a failed ``If-Match`` (strong comparison), else on a failed
``If-Unmodified-Since``; ``304`` on ``If-None-Match`` (weak comparison), else on
``If-Modified-Since`` (RFC 9110 §13.2.2 order). A client that accepts gzip
and asks for ``campus.nt`` gets the precomputed ``campus.nt.gz`` with ``Content-Encoding: gzip``
(its own ETag); ``campus.nt.gz`` asked by name is the gzip file itself (``application/gzip``).

The catalogue and the VoID description are converted with pyoxigraph into the RDF format the
client negotiated (:mod:`publisher.server.catalogue` chooses it); no format table is kept here.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import FileResponse, JSONResponse, Response

from publisher.release.model import FileEntry
from publisher.server.errors import NotFound, PreconditionFailed
from publisher.server.state import ServedRelease, served
from publisher.sparql import QueryEngine

router = APIRouter(tags=["fichiers / files"])

_RELEASE_ID = re.compile(r"^[0-9a-f]{16}$")
_GZIP = "application/gzip"
CURRENT_CACHE = "public, max-age=60, must-revalidate"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"

def quoted_etag(sha256: str, suffix: str = "") -> str:
    return f'"{sha256}{"-" + suffix if suffix else ""}"'


def http_date(when: datetime) -> str:
    return format_datetime(when.replace(microsecond=0), usegmt=True)


def _etags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def check_preconditions(request: Request, etag: str, modified: datetime) -> None:
    """RFC 9110 §13.1.1 and §13.1.4: 412 when ``If-Match`` names no current ETag (strong
    comparison: a weak tag never matches), else when ``If-Unmodified-Since`` is before the
    release's build time. An invalid date is ignored, as the RFC says."""
    failed = PreconditionFailed(
        "précondition non remplie / precondition failed: the file is not the one you have")
    im = request.headers.get("if-match")
    if im is not None:
        tags = {t.strip() for t in im.split(",") if t.strip()}
        if "*" not in tags and etag not in tags:
            raise failed
        return
    ius = request.headers.get("if-unmodified-since")
    since = _http_date(ius) if ius else None
    if since is not None and modified.replace(microsecond=0) > since:
        raise failed


def not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """RFC 9110 §13.1: ``If-None-Match`` wins; ``If-Modified-Since`` only without it."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = _etags(inm)
        return "*" in tags or etag.removeprefix("W/") in tags
    ims = request.headers.get("if-modified-since")
    since = _http_date(ims) if ims else None
    return since is not None and modified.replace(microsecond=0) <= since


def accepts_gzip(request: Request) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip``, else ``*``, with q > 0)."""
    star: float | None = None
    for item in request.headers.get("accept-encoding", "").split(","):
        name, _, params = item.partition(";")
        q = 1.0
        key, _, value = params.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        name = name.strip().lower()
        if name in {"gzip", "x-gzip"}:
            return q > 0
        if name == "*":
            star = q
    return star is not None and star > 0


def _content_type(entry: FileEntry) -> str:
    media = entry.media_type
    if media == _GZIP or "charset=" in media:
        return media
    return f"{media}; charset=utf-8"


def validators(etag: str, modified: datetime, cache: str, vary: str | None) -> dict[str, str]:
    headers = {"ETag": etag, "Last-Modified": http_date(modified), "Cache-Control": cache}
    if vary:
        headers["Vary"] = vary
    return headers


def serve_file(
    request: Request, folder: Path, files: dict[str, FileEntry], name: str,
    created: datetime, cache: str,
) -> Response:
    """One file of a release folder, with validators, 304 and precomputed gzip."""
    entry = files.get(name)
    if entry is None:
        raise NotFound(f"fichier inconnu / no such file: {name}")
    gz = files.get(name + ".gz")
    headers: dict[str, str]
    if gz is not None and accepts_gzip(request):
        headers = validators(quoted_etag(gz.sha256), created, cache, "Accept-Encoding")
        headers["Content-Encoding"] = "gzip"
        path, media = folder / gz.name, _content_type(entry)
    else:
        vary = "Accept-Encoding" if gz is not None else None
        headers = validators(quoted_etag(entry.sha256), created, cache, vary)
        path, media = folder / entry.name, _content_type(entry)
    check_preconditions(request, headers["ETag"], created)
    if not_modified(request, headers["ETag"], created):
        return Response(status_code=304, headers=headers)
    if path.is_symlink() or not path.is_file():
        raise NotFound(f"fichier absent de la version / file missing from the release: {name}")
    return FileResponse(path, media_type=media, headers=headers)


@router.get("/healthz", summary="État du serveur / server health",
            description="`{status: ready, release, triples, engine}` (200) once the current "
            "release is loaded and its query engine answers; `status` `restarting` or "
            "`unavailable` (503) while the engine restarts after its process died.")
async def healthz(request: Request) -> JSONResponse:
    rel = served(request)
    engine = rel.engine.health() if isinstance(rel.engine, QueryEngine) else {"status": "ready"}
    status = str(engine["status"])
    ready = status == "ready"
    headers = {"Cache-Control": "no-store"}
    if not ready:
        headers["Retry-After"] = "2"
    return JSONResponse(
        {"status": status, "release": rel.info.release_id, "triples": rel.info.triples,
         "engine": engine},
        status_code=200 if ready else 503, headers=headers,
    )


@router.api_route("/dumps/{file}", methods=["GET", "HEAD"],
                  summary="Fichiers de la version courante / files of the current release",
                  description="Any file listed in the current release's manifest (`campus.nt`, "
                  "`campus.ttl`, `campus.jsonld`, their `.gz`, `catalog.ttl`, `void.ttl`, "
                  "`validation.html`, `manifest.json`…), with ETag (SHA-256), Last-Modified, "
                  "304 and precomputed gzip.")
async def dump(request: Request, file: str) -> Response:
    rel = served(request)
    return serve_file(request, rel.path, rel.files, file, rel.info.created, CURRENT_CACHE)


@router.api_route("/releases/{release_id}/{file}", methods=["GET", "HEAD"],
                  summary="Fichiers d'une version conservée / files of a kept release",
                  description="The stable download URLs of the catalogue "
                  "(`{public_url}releases/<id>/<file>`); immutable.")
async def release_file(request: Request, release_id: str, file: str) -> Response:
    rel = served(request)
    if not _RELEASE_ID.match(release_id):
        raise NotFound(f"version inconnue / no such release: {release_id}")
    kept = await asyncio.to_thread(rel.kept_release, release_id)
    if kept is None:
        raise NotFound(f"version inconnue / no such release: {release_id}")
    folder, info, files = kept
    return serve_file(request, folder, files, file, info.created, IMMUTABLE_CACHE)


async def rdf_document(request: Request, name: str, target: ox.RdfFormat,
                       extra: dict[str, str] | None = None) -> Response:
    """A release's Turtle file in the RDF format ``target`` (converted by pyoxigraph), with
    validators, ``Vary: Accept`` and the ``extra`` headers (e.g. ``Link``)."""
    rel = served(request)
    entry = rel.files.get(name)
    if entry is None:
        raise NotFound(f"fichier absent de la version / file missing from the release: {name}")
    suffix = "" if target == ox.RdfFormat.TURTLE else target.file_extension
    headers = validators(quoted_etag(entry.sha256, suffix), rel.info.created, CURRENT_CACHE,
                         "Accept") | (extra or {})
    check_preconditions(request, headers["ETag"], rel.info.created)
    if not_modified(request, headers["ETag"], rel.info.created):
        return Response(status_code=304, headers=headers)
    body = await asyncio.to_thread(rel.converted, name, target)
    return Response(body, media_type=f"{target.media_type}; charset=utf-8", headers=headers)


__all__ = ["ServedRelease", "accepts_gzip", "check_preconditions", "not_modified", "rdf_document",
           "router", "serve_file", "validators"]
