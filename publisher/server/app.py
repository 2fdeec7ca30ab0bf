"""The FastAPI application: ``create_app(settings)`` wires the views; the lifespan opens the
current release and its query engine, watches ``releases/current`` and closes everything.

No global state: everything the views need hangs off ``app.state.cmq``
(:class:`~publisher.server.state.ServerState`) and ``app.state.settings``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from publisher import __version__
from publisher.project.folder import Project
from publisher.project.settings import Settings
from publisher.server import (
    catalogue,
    charts,
    endpoint,
    errors,
    files,
    graphs,
    lists,
    maps,
    methods,
    pages,
    query_page,
    rebuild,
    search,
)
from publisher.server.state import ServerState

#: Response headers a cross-origin script may read (the rest are CORS-safelisted).
EXPOSED_HEADERS = ("ETag", "Last-Modified", "Link", "Warning", "Vary", "Content-Encoding",
                   endpoint.TRUNCATED_HEADER, endpoint.MAX_ROWS_HEADER)

DESCRIPTION = """\
Données liées d'un Campus des métiers et des qualifications : point d'accès SPARQL 1.1
(lecture seule), fichiers de la version publiée, catalogue DCAT-AP, description VoID et pages
des ressources. / Linked open data of a Campus des métiers et des qualifications: read-only
SPARQL 1.1 endpoint, files of the published release, DCAT-AP catalogue, VoID description and
resource pages.
"""


def create_app(settings: Settings) -> FastAPI:
    """The application serving ``settings.project``'s current release (opened at startup)."""
    state = ServerState(settings, Project.open(settings.project))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.open()
        watchers = [asyncio.create_task(state.watch())]
        if settings.watch:  # cmq serve --watch: rebuild when a table changes
            watchers.append(asyncio.create_task(rebuild.SourceWatcher(state).run()))
        try:
            yield
        finally:
            for watcher in watchers:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await state.close()

    app = FastAPI(
        title="cmq-lod",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "sparql", "description": "SPARQL 1.1 Protocol (query only)."},
            {"name": "fichiers / files", "description": "Release files, catalogue, VoID."},
        ],
    )
    app.state.cmq = state
    app.state.settings = settings
    errors.install(app)
    if settings.cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Accept-Language", "Content-Type", "If-None-Match",
                           "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range"],
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=600,
        )
    routers = (endpoint, files, catalogue, rebuild, graphs, lists, maps, charts, search,
               query_page, pages)
    for module in routers:  # pages last: its catch-all route answers resource IRIs
        methods.allow_head(module.router)  # HEAD wherever GET is
        app.include_router(module.router)
    return app
