"""Maps of the campus's members: Leaflet and leaflet.markercluster from npm (``package.json``),
served from ``node_modules`` like YASGUI (never a CDN) under ``/assets/leaflet/`` and
``/assets/leaflet.markercluster/``, and :func:`map_context`, what the ``_map.html`` template
needs (points, colours by kind, the tile server of the ``map_tiles`` setting).

The markers are drawn by ``static/map.js`` from the points in the page itself: with no tile
server reachable (or ``map_tiles`` empty) they still show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import FileResponse

from publisher.project.folder import PACKAGE_ROOT
from publisher.project.settings import Settings
from publisher.server.errors import NotFound
from publisher.server.state import server_state

router = APIRouter(include_in_schema=False)

ASSET_CACHE = "public, max-age=86400"
PACKAGES = {"leaflet": "node_modules/leaflet/dist",
            "leaflet.markercluster": "node_modules/leaflet.markercluster/dist"}
COLOURS = {"etablissements": "#000091", "partenaires": "#b34000"}
#: (kind, local path, title, lat, lon)
Point = tuple[str, str, str, float, float]


def asset_folder(settings: Settings, package: str) -> Path | None:
    """The package's dist folder: the project's node_modules, else the repository's, else the
    copy an installed wheel carries (``publisher/_assets/<package>``, setup.py)."""
    rel = PACKAGES.get(package)
    if rel is None:
        return None
    packaged = Path(__file__).resolve().parents[1] / "_assets" / package
    for candidate in (settings.project / rel, PACKAGE_ROOT / rel, packaged):
        if candidate.is_dir():
            return candidate.resolve()
    return None


def _asset(folder: Path | None, name: str) -> Path:
    """A file of the dist folder (listed, never built from the name), or 404."""
    if folder is not None:
        parts = name.split("/")
        current = folder
        for part in parts:
            found = [c for c in current.iterdir() if c.name == part] if current.is_dir() else []
            if not found:
                break
            current = found[0]
        else:
            if current.is_file() and current.suffix in (".js", ".css", ".png", ".map"):
                return current
    raise NotFound(f"fichier inconnu / no such file: {name}")


def map_asset(request: Request, package: str, name: str) -> FileResponse:
    folder = asset_folder(server_state(request).settings, package)
    return FileResponse(_asset(folder, name), headers={"Cache-Control": ASSET_CACHE})


@router.get("/assets/leaflet/{name:path}")
async def leaflet_asset(request: Request, name: str) -> FileResponse:
    return map_asset(request, "leaflet", name)


@router.get("/assets/leaflet.markercluster/{name:path}")
async def markercluster_asset(request: Request, name: str) -> FileResponse:
    return map_asset(request, "leaflet.markercluster", name)


def map_context(request: Request, points: list[Point]) -> dict[str, Any]:
    """Values for ``_map.html``: the points as JSON-ready lists and the tile server."""
    settings = server_state(request).settings
    ready = all(asset_folder(settings, p) is not None for p in PACKAGES)
    return {"points": [[k, p, t, lat, lon] for k, p, t, lat, lon in points],
            "colours": COLOURS, "tiles": settings.map_tiles,
            "attribution": settings.map_attribution, "ready": ready}
