"""Run SPARQL queries against the release graph with a time limit that really stops the work.

pyoxigraph's ``Store.query`` has no timeout and cannot be interrupted from another thread, so
queries run in worker *processes*; at the deadline the worker is SIGKILLed (CPU released at once)
and replaced, while the other workers keep serving. Workers are forked from a *zygote*: a fresh
interpreter (fork+exec from here, so nothing of a threaded web server is inherited) that loads
the files once; forked workers share its store copy-on-write, so a replacement costs a few
milliseconds instead of a reload. Decision records: docs/decisions/0003-query-time-limit.md
(processes, time limit) and 0017-admission.md (lanes, waiting time, restart of a dead zygote).

Pipeline of :meth:`QueryEngine.arun`: :func:`parse.analyse` (update / SERVICE refusal, nesting
guard, form, FROM / FROM NAMED) → :func:`negotiate.choose_format` (406) → the dataset → wait for a
light worker (503 Overloaded after ``queue_timeout_s``) → worker: pyoxigraph parse (400) +
evaluation + row cap + serialisation → :class:`QueryResult`; after ``slow_after_s`` the query
moves to the slow lane (or is stopped with 503 when it is full); QueryTimeout after ``timeout_s``.

The dataset a query sees (SPARQL 1.1 Query §13, Protocol §2.1.4): the protocol's
``default-graph-uri`` / ``named-graph-uri`` when given, else the query's FROM / FROM NAMED, each
defining exactly the graphs seen (a named graph that is not stored is empty); only a query that
names no dataset sees the endpoint's default one (with ``union_default_graph``: every graph
merged). Relative IRIs resolve against ``base_iri`` (the endpoint's URL) unless the query has
its own BASE.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import pickle
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pyoxigraph import NamedNode

from publisher.sparql._handoff import Waiter
from publisher.sparql._pool import Pool, PoolHolder, Worker, arecv_exact
from publisher.sparql._worker import (
    TRUNCATED_LINK,
    WorkReply,
    WorkRequest,
    frame,
    solutions_reply,
)
from publisher.sparql.errors import (
    EngineUnavailable,
    MalformedQuery,
    Overloaded,
    QueryFailed,
    QueryTimeout,
)
from publisher.sparql.negotiate import ResultFormat, choose_format, media_type_with_charset
from publisher.sparql.parse import QueryForm, analyse, malformed_from_syntax_error

log = logging.getLogger("cmq.sparql")

#: ``WorkRequest`` and ``solutions_reply`` are re-exported for the remote engine, which
#: re-serialises a store's answer exactly as the workers do.
__all__ = ["TRUNCATED_LINK", "GraphFile", "QueryEngine", "QueryResult", "WorkRequest",
           "solutions_reply"]


@dataclass(slots=True)
class Watch:
    """One exchange's look-out: the timer of its next slow-lane check, and whether it was
    stopped for want of a slow-lane slot (then the client gets 503, not a cancellation)."""

    timer: asyncio.TimerHandle | None = None
    refused: bool = False

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


@dataclass(frozen=True, slots=True)
class GraphFile:
    """An RDF file to load; into the named graph ``graph`` if given, else the default graph.
    The format comes from ``media_type`` or else from the extension (.nt, .ttl, .nq, .trig…)."""

    path: Path
    graph: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class QueryResult:
    form: QueryForm
    format: ResultFormat
    media_type: str  # Content-Type value, with "; charset=utf-8"
    body: bytes
    truncated: bool  # True: the result had more than max_rows rows/triples; body holds max_rows
    max_rows: int


def _as_graph_file(spec: GraphFile | str | os.PathLike[str]) -> GraphFile:
    graph_file = spec if isinstance(spec, GraphFile) else GraphFile(Path(spec))
    path = Path(graph_file.path).resolve()
    if not path.is_file():
        raise FileNotFoundError(path)
    return GraphFile(path, graph_file.graph, graph_file.media_type)


class QueryEngine:
    """Worker processes answering read-only SPARQL queries over the loaded files, in two lanes.

    Every query starts in the *light lane* (``workers`` processes). One still running after
    ``slow_after_s`` moves to the *slow lane*: its process is reniced (light queries get the CPU
    first) and counted against ``slow_workers``, and a fresh process takes its place in the
    light lane, so cheap queries and pages keep being answered while long ones run. When
    ``slow_workers`` long queries already run, a query that becomes long is stopped at once
    (:class:`Overloaded`, 503 + Retry-After). A query waits at most ``queue_timeout_s`` for a
    light worker (no count limit); the whole run is stopped after ``timeout_s``. If the zygote
    dies (OOM kill…), the engine starts a new one by itself; :meth:`health` says so meanwhile.
    Decision records: docs/decisions/0003-query-time-limit.md, 0017-admission.md.

    Thread-safe; use as a context manager or call :meth:`close` (also run at interpreter exit).
    Create it inside the server process that uses it (e.g. in the FastAPI lifespan).
    """

    def __init__(
        self,
        files: Iterable[GraphFile | str | os.PathLike[str]],
        *,
        union_default_graph: bool = False,
        base_iri: str | None = None,
        timeout_s: float = 10.0,
        max_rows: int = 10000,
        workers: int = 2,
        service_allow_list: frozenset[str] = frozenset(),
        queue_timeout_s: float = 10.0,
        slow_after_s: float = 0.25,
        slow_workers: int | None = None,
        worker_memory_mb: int | None = 2048,
        start_timeout_s: float = 120.0,
    ) -> None:
        slow_workers = workers if slow_workers is None else slow_workers
        if workers < 1 or max_rows < 1 or timeout_s <= 0 or queue_timeout_s <= 0 \
                or slow_after_s <= 0 or slow_workers < 0:
            raise ValueError("workers and max_rows must be >= 1, slow_workers >= 0, "
                             "timeout_s, queue_timeout_s and slow_after_s > 0")
        self.files = tuple(_as_graph_file(f) for f in files)
        self.union_default_graph = union_default_graph
        self.base_iri = base_iri
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.workers = workers
        self.service_allow_list = frozenset(service_allow_list)
        self.queue_timeout_s = queue_timeout_s
        self.slow_after_s = slow_after_s
        self.slow_workers = slow_workers
        self._config: dict[str, object] = {
            "files": [(str(f.path), f.graph, f.media_type) for f in self.files],
            # no SERVICE is ever allowed: take the workers off the network altogether (best effort)
            "isolate_network": not self.service_allow_list,
            "worker_memory_mb": worker_memory_mb,
        }
        self._start_timeout_s = start_timeout_s
        self._holder = PoolHolder()
        self._finalizer = weakref.finalize(self, self._holder.shutdown)
        self._lock = threading.Lock()
        self._idle: collections.deque[Worker] = collections.deque()  # FIFO: spread the load
        # arun() calls waiting for a light worker, served first come first served by _checkin
        self._waiters: collections.deque[Waiter] = collections.deque()
        self._slow = 0  # queries running in the slow lane (current pool)
        self._closed = False
        self._status = "starting"
        self._restarts = 0
        self._last_error = ""
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sparql")
        try:
            self._install(Pool(self._config, start_timeout_s))
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ introspection

    @property
    def _pool(self) -> Pool | None:
        return self._holder.pool

    @property
    def zygote_pid(self) -> int:
        pool = self._pool
        return pool.proc.pid if pool is not None else -1

    @property
    def worker_pids(self) -> tuple[int, ...]:
        pool = self._pool
        return tuple(pool.workers) if pool is not None else ()

    @property
    def busy_workers(self) -> int:
        with self._lock:
            pool = self._pool
            return len(pool.workers) - len(self._idle) if pool is not None else 0

    @property
    def stats(self) -> dict[str, object]:
        """``load_s`` (zygote load time), ``quads`` loaded, ``network_isolated``."""
        pool = self._pool
        return dict(pool.stats) if pool is not None else {}

    @property
    def closed(self) -> bool:
        return self._closed

    def health(self) -> dict[str, object]:
        """``status`` (``ready``, ``restarting`` after the zygote died, ``unavailable`` when a
        restart failed and is retried, ``closed``), ``restarts``, ``error``, and the lanes:
        ``workers``, ``busy``, ``slow`` (long queries running), ``waiting``."""
        with self._lock:
            pool = self._pool
            if self._status == "ready" and (pool is None or not pool.alive()):
                self._status = "restarting"  # noticed before the watcher thread
            return {
                "status": self._status, "restarts": self._restarts, "error": self._last_error,
                "workers": self.workers, "slow_workers": self.slow_workers,
                "busy": len(pool.workers) - len(self._idle) if pool is not None else 0,
                "slow": self._slow,
                "waiting": sum(1 for w in self._waiters if not w.future.done()),
            }

    # ------------------------------------------------------------------ public API

    def run(
        self,
        query: str,
        *,
        accept: str | None = None,
        format: str | None = None,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> QueryResult:
        """Answer ``query`` (blocking: :meth:`arun` on an event loop of this call). ``format``
        (json, xml, csv, tsv, ttl, nt, jsonld, rdfxml or a media type) overrides ``accept``;
        the graph URIs are the SPARQL protocol's ``default-graph-uri`` / ``named-graph-uri``
        parameters. Raises :class:`QueryError`s."""
        return asyncio.run(self.arun(query, accept=accept, format=format,
                                     default_graph_uris=default_graph_uris,
                                     named_graph_uris=named_graph_uris))

    async def arun(
        self,
        query: str,
        *,
        accept: str | None = None,
        format: str | None = None,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> QueryResult:
        """:meth:`run` for async handlers, on the event loop itself: the wait for a worker and
        the exchange with it are awaited (no thread, no blocking call); if the awaiting task is
        cancelled (client gone), the worker is killed and replaced in the background."""
        form, fmt, request = self._prepare(query, accept, format, default_graph_uris,
                                           named_graph_uris)  # fmt: skip
        loop = asyncio.get_running_loop()
        worker = await self._acquire(loop)
        reply = await self._aexchange(loop, worker, request)
        return self._result(form, fmt, reply)

    def close(self) -> None:
        """Kill the workers and the zygote and reap them. Idempotent."""
        with self._lock:
            self._closed = True
            self._status = "closed"
            waiters, self._waiters = list(self._waiters), collections.deque()
            self._idle.clear()
        for waiter in waiters:
            waiter.fail(EngineUnavailable("The query engine is closed"))
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ pool life

    def _install(self, pool: Pool, restart: bool = False) -> None:
        """Spawn the light lane of a freshly loaded ``pool`` and make it the current one (a
        ``restart`` is counted in the same step that says ``ready``: health never shows one
        without the other)."""
        try:
            fresh = [pool.spawn() for _ in range(self.workers)]
        except BaseException:
            pool.shutdown()
            raise
        with self._lock:
            if self._closed:
                pool.shutdown()
                return
            self._holder.pool = pool
            self._slow = 0
            self._status = "ready"
            if restart:
                self._restarts += 1
                self._last_error = ""
        for worker in fresh:
            self._checkin(worker)
        threading.Thread(target=_watch_zygote, args=(weakref.ref(self), pool), daemon=True,
                         name="sparql-zygote-watch").start()

    def _zygote_died(self, pool: Pool) -> None:
        """The watcher saw ``pool``'s zygote exit (and reaped it): start a new one."""
        with self._lock:
            if self._closed or pool is not self._pool:
                return
            self._status = "restarting"
            self._idle.clear()
        pool.shutdown()
        log.error("the query engine's zygote (pid %d) died with status %s; restarting it",
                  pool.proc.pid, pool.proc.returncode)
        threading.Thread(target=self._restart, daemon=True, name="sparql-restart").start()

    def _restart(self) -> None:
        delay = 0.0
        while not self._closed:
            time.sleep(delay)
            try:
                self._install(Pool(self._config, self._start_timeout_s), restart=True)
            except EngineUnavailable as exc:
                with self._lock:
                    self._status, self._last_error = "unavailable", exc.message
                log.error("cannot restart the query engine (retry in %g s): %s",
                          max(1.0, delay * 2), exc.message)
                delay = min(30.0, max(1.0, delay * 2))
                continue
            log.warning("query engine restarted")
            return

    # ------------------------------------------------------------------ lanes

    async def _acquire(self, loop: asyncio.AbstractEventLoop) -> Worker:
        """A light worker: an idle one, or the next one freed within ``queue_timeout_s``."""
        with self._lock:
            if self._closed:
                raise EngineUnavailable("The query engine is closed")
            if self._idle:
                return self._idle.popleft()
            while self._waiters and self._waiters[0].future.done():
                self._waiters.popleft()  # timed out or cancelled meanwhile
            waiter = Waiter(loop)
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                return await waiter.future
        except BaseException as exc:
            if waiter.future.done() and not waiter.future.cancelled() \
                    and waiter.future.exception() is None:
                self._checkin(waiter.future.result())  # delivered, but we are leaving
            if isinstance(exc, TimeoutError):
                if self._status != "ready":
                    raise EngineUnavailable(
                        "The query engine is restarting; try again shortly") from None
                raise Overloaded(
                    f"No query worker became free within {self.queue_timeout_s:g} s",
                    retry_after_s=max(1, round(self.queue_timeout_s))) from None
            raise

    def _checkin(self, worker: Worker) -> None:
        """A light worker is free: hand it to the first waiting call, else make it idle. A
        worker of a dead pool is dropped (its process is gone with its zygote)."""
        with self._lock:
            if self._closed or worker.pool is not self._pool:
                worker.sock.close()
                return
            while self._waiters:
                if self._waiters.popleft().deliver(worker, self._checkin):
                    return
            self._idle.append(worker)

    def _demote(self, worker: Worker, task: asyncio.Task[object], watch: Watch) -> None:
        """Every ``slow_after_s`` of a run (on the loop): move the query to the slow lane and
        give the light lane a fresh worker. With the slow lane full, stop it, but only if it
        has used at least half of that time in CPU (one merely starved of CPU by a busy machine
        is not long: it is looked at again later)."""
        if task.done():
            return
        with self._lock:
            if self._closed or worker.pool is not self._pool:
                return
            room = self._slow < self.slow_workers
            if room:
                self._slow += 1
                worker.slow = True
        if room:
            worker.pool.lower_priority(worker)
            self._executor.submit(self._spawn_light, worker.pool)
        elif worker.query_cpu_s() >= self.slow_after_s / 2:
            watch.refused = True
            task.cancel()
        else:
            loop = asyncio.get_running_loop()
            watch.timer = loop.call_later(self.slow_after_s, self._demote, worker, task, watch)

    def _spawn_light(self, pool: Pool) -> None:
        try:
            worker = pool.spawn()
        except EngineUnavailable:
            return  # the zygote is gone: the watcher restarts it
        self._checkin(worker)

    def _discard(self, worker: Worker) -> None:
        """Kill ``worker`` (thread); a light one is replaced, a slow one frees its slot."""
        pool = worker.pool
        with contextlib.suppress(EngineUnavailable):
            pool.kill(worker)
        with self._lock:
            current = pool is self._pool and not self._closed
            if current and worker.slow:
                self._slow -= 1
        if current and not worker.slow:
            self._spawn_light(pool)

    async def _aexchange(
        self, loop: asyncio.AbstractEventLoop, worker: Worker, request: WorkRequest
    ) -> WorkReply:
        """Send ``request`` to the checked-out ``worker`` and await its reply; the worker is
        checked in again (light) or retired (slow), or killed when the exchange did not
        complete."""
        task = asyncio.current_task()
        assert task is not None
        watch = Watch()
        watch.timer = loop.call_later(self.slow_after_s, self._demote, worker, task, watch)
        try:
            async with asyncio.timeout(self.timeout_s):
                await loop.sock_sendall(worker.sock, frame(request))
                size = int.from_bytes(await arecv_exact(loop, worker.sock, 8), "big")
                reply = pickle.loads(await arecv_exact(loop, worker.sock, size))
        except asyncio.CancelledError:
            watch.stop()
            if watch.refused and task.uncancel() == 0:
                await loop.run_in_executor(self._executor, self._discard, worker)
                raise Overloaded(
                    f"{self.slow_workers} long queries are already running; this one was "
                    f"stopped after {self.slow_after_s:g} s. Try again shortly",
                    retry_after_s=max(1, round(self.timeout_s / 2))) from None
            # the client is gone: do not wait for the kill, but do it (in a thread)
            self._executor.submit(self._discard, worker)
            raise
        except BaseException as exc:
            watch.stop()
            await loop.run_in_executor(self._executor, self._discard, worker)
            failure = self._failure(worker, exc)
            if failure is exc:
                raise
            raise failure from exc
        watch.stop()
        assert isinstance(reply, WorkReply)
        worker.cpu_s = reply.cpu_s
        if worker.slow:
            self._executor.submit(self._discard, worker)  # reniced for good: retire it
        else:
            self._checkin(worker)
        return reply

    def _failure(self, worker: Worker, exc: BaseException) -> BaseException:
        if not worker.pool.alive():
            return EngineUnavailable("The query engine is restarting (its process died); try "
                                     "again shortly")
        if isinstance(exc, TimeoutError):
            return QueryTimeout(
                f"The query did not finish within {self.timeout_s:g} s and was stopped",
                timeout_s=self.timeout_s,
            )
        if isinstance(exc, OSError | EOFError | pickle.UnpicklingError):
            return QueryFailed(
                "The worker process running the query died (it may have exceeded its "
                "memory limit)"
            )
        return exc

    def _prepare(
        self,
        query: str,
        accept: str | None,
        format_name: str | None,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
    ) -> tuple[QueryForm, ResultFormat, WorkRequest]:
        info = analyse(query, self.service_allow_list)
        fmt = choose_format(info.form, accept=accept, format_name=format_name)
        for name, uris in (("default-graph-uri", default_graph_uris),
                           ("named-graph-uri", named_graph_uris)):  # fmt: skip
            for uri in uris:
                try:
                    NamedNode(uri)
                except ValueError as exc:
                    raise MalformedQuery(f"Invalid IRI in {name}: {uri!r} ({exc})") from exc
        has_dataset = bool(default_graph_uris) or bool(named_graph_uris)
        request = WorkRequest(
            query=query,
            form=info.form.value,
            media_type=fmt.media_type,
            max_rows=self.max_rows,
            default_graphs=tuple(default_graph_uris) if has_dataset else None,
            named_graphs=tuple(named_graph_uris) if has_dataset else None,
            # a query naming its own dataset (FROM / FROM NAMED) sees exactly that dataset
            union_default_graph=self.union_default_graph and not info.dataset,
            prefixes=dict(info.prefixes),
            base_iri=self.base_iri,
        )
        return info.form, fmt, request

    def _result(self, form: QueryForm, fmt: ResultFormat, reply: WorkReply) -> QueryResult:
        if reply.error == "syntax":
            raise malformed_from_syntax_error(reply.message)
        if reply.error is not None:
            raise QueryFailed(f"Query evaluation failed: {reply.message}")
        return QueryResult(
            form=form,
            format=fmt,
            media_type=media_type_with_charset(fmt),
            body=reply.body,
            truncated=reply.truncated,
            max_rows=self.max_rows,
        )


def _watch_zygote(engine_ref: weakref.ref[QueryEngine], pool: Pool) -> None:
    """Thread: wait for ``pool``'s zygote to exit (reaping it: no zombie), then tell the engine
    (if it still exists) so that it starts a new one."""
    pool.proc.wait()
    engine = engine_ref()
    if engine is not None:
        engine._zygote_died(pool)
