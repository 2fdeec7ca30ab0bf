"""The HTTP connections of ``cmq serve``: time limits, a cap, and hang-ups cancel the work.

uvicorn has no time limit on a request's headers (its keep-alive timer is reset by every byte),
so a client sending one header line every few seconds holds its connection for ever, and ~1,000
of them exhaust a 1,024-descriptor limit. :func:`protocol_class` returns uvicorn's httptools
protocol with a small guard (uvicorn takes a protocol class as its ``http`` option):

- **headers**: a request's headers must be complete within ``header_timeout`` seconds of the
  connection being opened or of the previous response (the time counts from there, not per
  line); else ``408`` (if a request had begun) and the connection is closed;
- **body**: a request body must arrive within ``body_timeout`` seconds of its headers; else the
  connection is closed (the handler sees the client gone);
- **connections**: at most ``max_connections`` at once (capped below the process's descriptor
  limit). One more evicts the oldest connection still waiting for its headers (an idle
  keep-alive or a slow client), else it gets ``503`` and is closed: the descriptors stay
  bounded and a client that sends its request at once is served;
- **hang-ups**: uvicorn does not cancel a handler whose client has gone, so a ``/sparql`` query
  or a page would keep its query worker busy until the time limit. When the connection is lost
  before the response is complete, the request's task is cancelled (the engine's ``arun`` then
  kills the worker and replaces it) and the cancellation ends there, silently. This costs one
  wrapper call per request, no task (an ASGI middleware watching ``receive()`` needed one).

Settings: ``publisher/project/settings.py``; deployment: ``docs/deploy.md``.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from publisher.project.settings import Settings

log = logging.getLogger("cmq.server")

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
#: Descriptors kept for everything but client connections (engine sockets, files, logs…).
RESERVED_DESCRIPTORS = 64
_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_503 = (b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\n"
        b"connection: close\r\n\r\n")

#: Longest request target written to the access log (a hostile query can be 1 MB long).
ACCESS_LOG_TARGET = 200

__all__ = ["ACCESS_LOG_TARGET", "GuardedProtocol", "ShortRequestTargets", "connection_cap",
           "protocol_class"]


class ShortRequestTargets(logging.Filter):
    """For uvicorn's access log: cut request targets longer than :data:`ACCESS_LOG_TARGET`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) \
                and len(args[2]) > ACCESS_LOG_TARGET:
            cut = f"{args[2][:ACCESS_LOG_TARGET]}… ({len(args[2])} chars)"
            record.args = (args[0], args[1], cut, args[3], args[4])
        return True


def connection_cap(wanted: int) -> int:
    """``wanted``, lowered to fit the soft descriptor limit (minus :data:`RESERVED_DESCRIPTORS`)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or wanted <= soft - RESERVED_DESCRIPTORS:
        return wanted
    cap = max(1, soft - RESERVED_DESCRIPTORS)
    log.warning("max_connections %d lowered to %d (descriptor limit %d)", wanted, cap, soft)
    return cap


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header/body time limits and a connection cap."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 512

    _timer: asyncio.TimerHandle | None = None
    _waiting_since: float | None = None  # loop time the wait for headers began; None: not waiting
    _begun = False  # bytes of a request arrived since that time

    _task: asyncio.Task[None] | None = None  # the request being answered
    _gone = False  # its client hung up: the task was cancelled for that

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app = self._cancellable(self.app)
        self._wait_for_headers()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._waiting_since = None
        task, cycle = self._task, self.cycle
        if task is not None and cycle is not None and not cycle.response_complete:
            self._gone = True
            task.cancel()
        super().connection_lost(exc)

    def _cancellable(self, app: ASGIApp) -> ASGIApp:
        async def run(scope: Any, receive: Any, send: Any) -> None:
            task = self._task = asyncio.current_task()
            try:
                await app(scope, receive, send)
            except asyncio.CancelledError:
                if not self._gone or task is None or task.uncancel() > 0:
                    raise
                # the client hung up: nobody to answer, the work was cancelled
            finally:
                self._task = None

        return run

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begun = True

    def on_headers_complete(self) -> None:
        self._disarm()
        self._waiting_since = None
        super().on_headers_complete()
        if any(name in (b"content-length", b"transfer-encoding") and value.strip() != b"0"
               for name, value in self.headers):
            self._timer = self.loop.call_later(self.body_timeout, self._close)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # the next request's headers are already in
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._wait_for_headers()

    # ------------------------------------------------------------------ the guard

    def _wait_for_headers(self) -> None:
        self._disarm()
        self._waiting_since = self.loop.time()
        self._begun = False
        self._timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _headers_too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            if self._begun:
                self.transport.write(_408)
            self._close()

    def _make_room(self) -> None:
        waiting = [c for c in self.connections
                   if c is not self and isinstance(c, GuardedProtocol)
                   and c._waiting_since is not None and not c.transport.is_closing()]
        if waiting:
            min(waiting, key=lambda c: c._waiting_since or 0.0)._close()
        else:
            self.transport.write(_503)
            self._close()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close(self) -> None:
        self._disarm()
        self._waiting_since = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_class(settings: Settings) -> type[GuardedProtocol]:
    """The protocol class to give uvicorn (``http=``), with ``settings``' limits."""

    class CmqHttpProtocol(GuardedProtocol):
        header_timeout = settings.header_timeout
        body_timeout = settings.body_timeout
        max_connections = connection_cap(settings.max_connections)

    return CmqHttpProtocol
