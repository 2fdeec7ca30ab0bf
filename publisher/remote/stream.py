"""Streaming an answer from a remote store: the abort switch and the body as a file.

Private to :mod:`publisher.remote.engine` (docs/decisions/0011-remote-stores.md).
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator, Sequence

__all__ = ["Abort", "Body"]


class Abort:
    """Stops a running exchange: marks why and shuts the connection's socket (thread-safe).

    The socket comes from httpcore's ``trace`` extension as soon as the TCP connection is made
    (queries use a fresh connection each, ``Connection: close``), so a deadline or a
    cancellation also interrupts the wait for the store's first byte."""

    def __init__(self) -> None:
        self.reason: str | None = None  # "deadline" | "cancelled"
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def trace(self, event: str, info: dict[str, object]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if callable(get) else None
        with self._lock:
            self._sock = sock if isinstance(sock, socket.socket) else None
            fired = self.reason is not None
        if fired:
            self._shutdown()

    def fire(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Body(io.RawIOBase):
    """The streamed answer as a file for pyoxigraph's parsers; fails once aborted. ``fixes``
    replace byte strings by others on the way, in order (across chunk boundaries; no
    replacement may make another's text)."""

    def __init__(self, chunks: Iterator[bytes], abort: Abort,
                 fixes: Sequence[tuple[bytes, bytes]] = ()) -> None:
        super().__init__()
        self._chunks, self._abort, self._fixes = chunks, abort, tuple(fixes)
        #: bytes held back at the end of a chunk: a match may start in them
        self._tail = max((len(old) for old, _ in self._fixes), default=1) - 1
        self._pending, self._held, self._done = b"", b"", False

    def readable(self) -> bool:
        return True

    def _next(self) -> bytes:
        if self._abort.reason is not None:
            raise OSError(f"answer abandoned ({self._abort.reason})")
        try:
            data = self._held + next(self._chunks)
        except StopIteration:
            self._done = True
            data, self._held = self._held, b""
            return self._fixed(data)
        if not self._fixes:
            return data
        data = self._fixed(data)
        cut = max(0, len(data) - self._tail)  # a match may start after `cut`
        self._held = data[cut:]
        return data[:cut]

    def _fixed(self, data: bytes) -> bytes:
        for old, new in self._fixes:
            data = data.replace(old, new)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._done:
                return 0
            self._pending = self._next()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
