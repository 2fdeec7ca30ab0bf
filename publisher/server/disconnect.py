"""Cancel a request's handler when its client disconnects (a pure ASGI middleware).

uvicorn does not cancel a handler whose client has gone: a ``/sparql`` query or a resource page
would keep its query worker busy until the time limit, and a client that sends a long query and
hangs up, again and again, would hold every worker. :class:`CancelOnDisconnect` watches the
connection once the request body has been read (at once for a request without a body) and
cancels the handler's task when the client disconnects before the response is complete; the
engine's ``arun`` then kills the worker and replaces it (``publisher.sparql.execute``).

Contract with the application below: ``receive()`` gives the body as usual, then (if called
again) the ``http.disconnect`` message once the client is gone; nothing is read ahead of the
application, so ``max_body_bytes`` keeps bounding what is buffered. Decision:
docs/decisions/0017-admission.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

_EMPTY_BODY: Message = {"type": "http.request", "body": b"", "more_body": False}

__all__ = ["CancelOnDisconnect"]


def _has_body(scope: MutableMapping[str, Any]) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class _Watch:
    """One request: the task to cancel, and the disconnect message once the body is read."""

    def __init__(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        self.receive = receive
        self.task = task
        self.gone = False
        self.responded = False
        self.body_given = False
        self.disconnect: asyncio.Future[Message] | None = None
        self.watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.disconnect = loop.create_future()
        self.watcher = loop.create_task(self._watch())

    async def _watch(self) -> None:
        message = await self.receive()
        while message["type"] == "http.request":  # the empty body of a request without one
            message = await self.receive()
        assert self.disconnect is not None
        self.disconnect.set_result(message)
        if not self.responded:
            self.gone = True
            self.task.cancel()

    async def app_receive(self) -> Message:
        if self.disconnect is not None:
            if not self.body_given:
                self.body_given = True
                return dict(_EMPTY_BODY)
            return await asyncio.shield(self.disconnect)
        message = await self.receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self.body_given = True
            self.start()
        return message

    def stop(self) -> None:
        if self.watcher is not None and not self.watcher.done():
            self.watcher.cancel()


class CancelOnDisconnect:
    """ASGI middleware: a handler whose client disconnects is cancelled (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        task = asyncio.current_task()
        if scope["type"] != "http" or task is None:
            await self.app(scope, receive, send)
            return
        watch = _Watch(receive, task)
        if not _has_body(scope):
            watch.start()

        async def app_send(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                watch.responded = True
            await send(message)

        try:
            await self.app(scope, watch.app_receive, app_send)
        except asyncio.CancelledError:
            if not watch.gone or task.uncancel() > 0:
                raise
            # the client is gone: nobody to answer; the handler's work was cancelled
        finally:
            watch.stop()
