"""HTTP methods of the app's routes: ``HEAD`` wherever ``GET`` is, and the true ``Allow`` of a 405.

- :func:`allow_head` adds ``HEAD`` to every route that answers ``GET`` (run once, after the
  routers are included): the handler runs as for ``GET`` and the server (uvicorn) sends the
  headers only, so a ``HEAD`` gets exactly the status and headers of the ``GET``;
- :func:`allowed` lists every method some route answers at the request's path, for the ``Allow``
  header of a 405 (Starlette names only the methods of the first route matching the path).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.routing import Match, Route

__all__ = ["allow_head", "allowed"]


def allow_head(app: FastAPI) -> None:
    """``HEAD`` on every ``GET`` route of ``app``."""
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods and "GET" in route.methods:
            route.methods.add("HEAD")


def allowed(request: Request) -> list[str]:
    """The methods the routes matching the request's path answer, sorted (none outside an app)."""
    methods: set[str] = set()
    scope = dict(request.scope)
    app = scope.get("app")
    for route in app.router.routes if isinstance(app, FastAPI) else ():
        match, _ = route.matches(scope)
        if match != Match.NONE and isinstance(route, Route) and route.methods:
            methods |= route.methods
    return sorted(methods)
