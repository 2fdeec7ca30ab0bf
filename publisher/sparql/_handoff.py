"""Handing a freed worker to a waiting ``QueryEngine.arun`` call (private; see ``execute``).

A waiter is a future of the caller's event loop. The worker is freed on that loop (the usual case)
or in a thread (a sync ``run()``, or a replacement after a kill); either way it lands through the
loop's own queue, and if the waiter has gone away meanwhile (timed out, cancelled), it is checked
in again for the next one, so that no worker is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from publisher.sparql._pool import Worker

__all__ = ["Waiter", "running_loop"]


class Waiter:
    """An arun() call waiting for a worker: a future of its event loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[Worker] = loop.create_future()

    def deliver(self, worker: Worker, checkin: Callable[[Worker], None]) -> bool:
        """Hand ``worker`` to this waiter from any thread; False if it is gone (cancelled,
        timed out, loop closed). If it goes away before the hand-over lands, ``checkin``
        gives the worker to the next one."""
        if self.future.done():
            return False

        def land() -> None:
            if self.future.done():
                checkin(worker)
            else:
                self.future.set_result(worker)

        try:
            if running_loop() is self.loop:
                self.loop.call_soon(land)
            else:
                self.loop.call_soon_threadsafe(land)
        except RuntimeError:  # the loop is closed
            return False
        return True

    def fail(self, exc: BaseException) -> None:
        def land() -> None:
            if not self.future.done():
                self.future.set_exception(exc)

        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(land)


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
