"""HTTP methods of the app's routes: ``HEAD`` wherever ``GET`` is, and the true ``Allow`` of a 405.

- :func:`allow_head` adds ``HEAD`` to every route of a router that answers ``GET`` (run on each
  router before the app includes it): the handler runs as for ``GET`` and the server (uvicorn)
  sends the headers only, so a ``HEAD`` gets exactly the status and headers of the ``GET``;
- :func:`allowed` lists every method some route answers at the request's path, for the ``Allow``
  header of a 405 (Starlette names only the methods of the first route matching the path).

Routers are included without a prefix, so their routes' own paths are the app's paths; an
included router (FastAPI keeps it as one entry with an ``original_router``) is walked into.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.routing import BaseRoute, Match, Route

__all__ = ["allow_head", "allowed"]


def _leaves(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    for route in routes:
        inner: Any = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaves(inner.routes)
        elif isinstance(route, Route):
            yield route


def allow_head(router: APIRouter) -> None:
    """``HEAD`` on every ``GET`` route of ``router``."""
    for route in _leaves(router.routes):
        if route.methods and "GET" in route.methods:
            route.methods.add("HEAD")


def allowed(request: Request) -> list[str]:
    """The methods the routes matching the request's path answer, sorted (none outside an app)."""
    methods: set[str] = set()
    scope = dict(request.scope)
    router = getattr(scope.get("app"), "router", None)
    for route in _leaves(getattr(router, "routes", ())):
        match, _ = route.matches(scope)
        if match != Match.NONE and route.methods:
            methods |= route.methods
    return sorted(methods)
