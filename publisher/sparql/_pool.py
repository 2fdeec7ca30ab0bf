"""Process management for :mod:`publisher.sparql.execute` (private).

:class:`Pool` owns one zygote interpreter (see ``_worker``), the SOCK_SEQPACKET control socket to
it and the engine's end of every worker's socket. It keeps no reference to the engine; the
engine's current pool sits in a :class:`PoolHolder` whose ``shutdown`` it hands to
``weakref.finalize`` (run at GC or interpreter exit). When a zygote dies the engine starts a new
:class:`Pool`; workers remember their pool, so those of a dead one are never handed out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from publisher.sparql.errors import EngineUnavailable

__all__ = ["Pool", "PoolHolder", "Worker", "arecv_exact"]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# -c rather than -m: with -m the module would exist twice (as __main__ and under its own name)
_ZYGOTE_MAIN = "import sys; from publisher.sparql._worker import main; main(int(sys.argv[1]))"


@dataclass(slots=True, eq=False)
class Worker:
    """A worker process: its pid, the engine's end of its socket (non-blocking), the pool that
    forked it, and whether it runs a query moved to the slow lane (reniced, retired after)."""

    pid: int
    sock: socket.socket
    pool: Pool
    slow: bool = False
    cpu_s: float = 0.0  # its CPU time at its last reply: what its current query used is above

    def query_cpu_s(self) -> float:
        """CPU seconds the worker's current query has used so far (0.0 if unknown)."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS - self.cpu_s


class Pool:
    """The zygote process, its control socket and the live workers (no reference to the engine,
    so that ``weakref.finalize`` can shut it down at garbage collection or interpreter exit)."""

    def __init__(self, config: dict[str, object], start_timeout_s: float) -> None:
        self.lock = threading.Lock()
        self.workers: dict[int, Worker] = {}
        self.closed = False
        self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        env["RUST_BACKTRACE"] = "0"  # a worker over its memory limit aborts: no 40-frame trace
        with theirs:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_MAIN, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # a Ctrl-C meant for the server must not hit the workers
            )
        try:
            self.ctl.settimeout(start_timeout_s)
            self.ctl.send(pickle.dumps(config))
            data = self.ctl.recv(1 << 16)
            reply = pickle.loads(data) if data else ("error", "the zygote process exited")
        except (OSError, pickle.UnpicklingError) as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        if reply[0] != "ready":
            self.shutdown()
            raise EngineUnavailable(f"Could not load the query engine's data: {reply[1]}")
        stats = reply[1]
        assert isinstance(stats, dict)
        self.stats: dict[str, object] = stats
        self.ctl.settimeout(30.0)

    def _call(self, command: tuple[object, ...], fd: int | None = None) -> tuple[object, ...]:
        with self.lock:
            if self.closed:
                raise EngineUnavailable("The query engine is closed")
            try:
                payload = pickle.dumps(command)
                if fd is None:
                    self.ctl.send(payload)
                else:
                    socket.send_fds(self.ctl, [payload], [fd])
                data = self.ctl.recv(1 << 16)
                if not data:
                    raise EOFError("zygote closed the control socket")
                reply: tuple[object, ...] = pickle.loads(data)
                return reply
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                self.closed = True
                raise EngineUnavailable("The query engine's worker pool has died") from exc

    def alive(self) -> bool:
        """False once the pool is shut down or its zygote has exited (killed, crashed)."""
        return not self.closed and self.proc.poll() is None

    def spawn(self) -> Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with theirs:
                reply = self._call(("spawn",), theirs.fileno())
        except BaseException:
            ours.close()
            raise
        pid = reply[1]
        assert isinstance(pid, int)
        ours.setblocking(False)
        worker = Worker(pid, ours, self)
        self.workers[pid] = worker
        return worker

    @staticmethod
    def lower_priority(worker: Worker) -> None:
        """Renice the worker to 19 (best effort): light queries get the CPU first. Irreversible
        for an unprivileged process, so such a worker is retired after its query."""
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, worker.pid, 19)

    def kill(self, worker: Worker) -> None:
        """SIGKILL the worker and wait until the zygote has reaped it."""
        self.workers.pop(worker.pid, None)
        try:
            self._call(("kill", worker.pid))
        finally:
            worker.sock.close()

    def shutdown(self) -> None:
        """Idempotent: ask the zygote to kill and reap its workers, then reap the zygote."""
        got = self.lock.acquire(timeout=2.0)
        try:
            if not self.closed:
                self.closed = True
                with contextlib.suppress(OSError):
                    self.ctl.send(pickle.dumps(("shutdown",)))
        finally:
            if got:
                self.lock.release()
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # workers follow through PR_SET_PDEATHSIG
            self.proc.wait()
        self.ctl.close()
        for worker in list(self.workers.values()):
            worker.sock.close()
        self.workers.clear()


class PoolHolder:
    """The engine's current pool, for ``weakref.finalize`` (no reference to the engine): the
    pool changes when the engine restarts a dead zygote."""

    def __init__(self) -> None:
        self.pool: Pool | None = None

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


async def arecv_exact(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    """``size`` bytes from the non-blocking ``sock``, awaited on ``loop`` (no deadline here: the
    caller wraps the exchange in ``asyncio.timeout``)."""
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = await loop.sock_recv_into(sock, view[got:])
        if not n:
            raise EOFError("worker closed its socket")
        got += n
    return bytes(buf)
