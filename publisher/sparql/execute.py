"""Run SPARQL queries against the release graph with a time limit that really stops the work.

pyoxigraph's ``Store.query`` has no timeout and cannot be interrupted from another thread, so
queries run in worker *processes*; at the deadline the worker is SIGKILLed (CPU released at once)
and replaced, while the other workers keep serving. Workers are forked from a *zygote*: a fresh
interpreter (fork+exec from here, so nothing of a threaded web server is inherited) that loads
the files once; forked workers share its store copy-on-write, so a replacement costs a few
milliseconds instead of a reload. Decision record: docs/decisions/0003-query-time-limit.md.

Pipeline of :meth:`QueryEngine.run`: :func:`parse.analyse` (update / SERVICE refusal, form,
FROM / FROM NAMED) → :func:`negotiate.choose_format` (406) → the dataset → wait for a free worker (503
Overloaded when the queue is full) → worker: pyoxigraph parse (400) + evaluation + row cap +
serialisation → :class:`QueryResult`, or QueryTimeout after ``timeout_s``.

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
import os
import pickle
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pyoxigraph import NamedNode

from publisher.sparql import _worker
from publisher.sparql._handoff import Waiter
from publisher.sparql._pool import Pool, Timeout, Worker, arecv_exact, recv_exact
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

#: ``WorkRequest`` and ``solutions_reply`` are re-exported for the remote engine, which
#: re-serialises a store's answer exactly as the workers do.
__all__ = ["TRUNCATED_LINK", "GraphFile", "QueryEngine", "QueryResult", "WorkRequest",
           "solutions_reply"]


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
    """A pool of worker processes answering read-only SPARQL queries over the loaded files.

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
        max_queue: int = 16,
        worker_memory_mb: int | None = 2048,
        start_timeout_s: float = 120.0,
    ) -> None:
        if workers < 1 or max_rows < 1 or timeout_s <= 0 or max_queue < 0:
            raise ValueError("workers and max_rows must be >= 1, timeout_s > 0, max_queue >= 0")
        self.files = tuple(_as_graph_file(f) for f in files)
        self.union_default_graph = union_default_graph
        self.base_iri = base_iri
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.workers = workers
        self.service_allow_list = frozenset(service_allow_list)
        self.max_queue = max_queue
        config: dict[str, object] = {
            "files": [(str(f.path), f.graph, f.media_type) for f in self.files],
            # no SERVICE is ever allowed: take the workers off the network altogether (best effort)
            "isolate_network": not self.service_allow_list,
            "worker_memory_mb": worker_memory_mb,
        }
        self._pool = Pool(config, start_timeout_s)
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._cond = threading.Condition()
        self._idle: collections.deque[Worker] = collections.deque()  # FIFO: spread the load
        # arun() calls waiting for a worker, served first come first served by _checkin
        self._waiters: collections.deque[Waiter] = collections.deque()
        self._pending = 0
        self._closed = False
        self._executor: ThreadPoolExecutor | None = None
        try:
            for _ in range(workers):
                self._idle.append(self._pool.spawn())
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ introspection

    @property
    def zygote_pid(self) -> int:
        return self._pool.proc.pid

    @property
    def worker_pids(self) -> tuple[int, ...]:
        return tuple(self._pool.workers)

    @property
    def busy_workers(self) -> int:
        with self._cond:
            return len(self._pool.workers) - len(self._idle)

    @property
    def stats(self) -> dict[str, object]:
        """``load_s`` (zygote load time), ``quads`` loaded, ``network_isolated``."""
        return dict(self._pool.stats)

    @property
    def closed(self) -> bool:
        return self._closed

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
        """Answer ``query`` (blocking). ``format`` (json, xml, csv, tsv, ttl, nt, jsonld, rdfxml
        or a media type) overrides ``accept``; the graph URIs are the SPARQL protocol's
        ``default-graph-uri`` / ``named-graph-uri`` parameters. Raises :class:`QueryError`s."""
        form, fmt, request = self._prepare(query, accept, format, default_graph_uris,
                                           named_graph_uris)  # fmt: skip
        self._admit()
        try:
            return self._execute(form, fmt, request)
        finally:
            self._release()

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
        self._admit()
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.timeout_s
            worker = await self._acheckout(loop, deadline)
            reply = await self._aexchange(loop, worker, request)
        finally:
            self._release()
        return self._result(form, fmt, reply)

    def close(self) -> None:
        """Kill the workers and the zygote and reap them. Idempotent."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            waiters, self._waiters = list(self._waiters), collections.deque()
        for waiter in waiters:
            waiter.fail(EngineUnavailable("The query engine is closed"))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

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

    def _admit(self) -> None:
        with self._cond:
            if self._closed:
                raise EngineUnavailable("The query engine is closed")
            if self._pending >= self.workers + self.max_queue:
                raise Overloaded(
                    f"All {self.workers} query workers are busy and {self.max_queue} queries "
                    "are already waiting; try again shortly"
                )
            self._pending += 1

    def _release(self) -> None:
        with self._cond:
            self._pending -= 1

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._cond:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.workers, thread_name_prefix="sparql"
                )
            return self._executor

    @contextlib.contextmanager
    def _checked_out(self) -> Iterator[Worker]:
        deadline = time.monotonic() + self.timeout_s
        with self._cond:
            while not self._idle:
                if self._closed or self._pool.closed:
                    raise EngineUnavailable("The query engine is closed or its workers are gone")
                if not self._cond.wait(deadline - time.monotonic()):
                    raise Overloaded(f"No query worker became free within {self.timeout_s:g} s")
            worker = self._idle.popleft()
        try:
            yield worker
        except BaseException:
            self._replace(worker)
            raise
        self._checkin(worker)

    def _checkin(self, worker: Worker) -> None:
        """A worker is free: hand it to the first waiting arun() call, else make it idle."""
        with self._cond:
            while self._waiters:
                if self._waiters.popleft().deliver(worker, self._checkin):
                    return
            self._idle.append(worker)
            self._cond.notify()

    async def _acheckout(self, loop: asyncio.AbstractEventLoop, deadline: float) -> Worker:
        with self._cond:
            if self._closed or self._pool.closed:
                raise EngineUnavailable("The query engine is closed or its workers are gone")
            if self._idle:
                return self._idle.popleft()
            while self._waiters and self._waiters[0].future.done():
                self._waiters.popleft()  # timed out or cancelled meanwhile
            waiter = Waiter(loop)
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                return await waiter.future
        except BaseException as exc:
            if waiter.future.done() and not waiter.future.cancelled() \
                    and waiter.future.exception() is None:
                self._checkin(waiter.future.result())  # delivered, but we are leaving
            if isinstance(exc, TimeoutError):
                raise Overloaded(
                    f"No query worker became free within {self.timeout_s:g} s") from None
            raise

    def _replace(self, worker: Worker) -> None:
        with contextlib.suppress(EngineUnavailable):
            self._pool.kill(worker)
            fresh = self._pool.spawn()
            self._checkin(fresh)

    async def _aexchange(
        self, loop: asyncio.AbstractEventLoop, worker: Worker, request: WorkRequest
    ) -> WorkReply:
        """Send ``request`` to the checked-out ``worker`` and await its reply; the worker is
        checked in again, or killed and replaced when the exchange did not complete."""
        try:
            worker.sock.setblocking(False)
            async with asyncio.timeout(self.timeout_s):
                await loop.sock_sendall(worker.sock, frame(request))
                size = int.from_bytes(await arecv_exact(loop, worker.sock, 8), "big")
                reply = pickle.loads(await arecv_exact(loop, worker.sock, size))
        except asyncio.CancelledError:
            # the client is gone: do not wait for the kill, but do it (in a thread)
            self._get_executor().submit(self._replace, worker)
            raise
        except BaseException as exc:
            await loop.run_in_executor(self._get_executor(), self._replace, worker)
            if isinstance(exc, TimeoutError):
                raise QueryTimeout(
                    f"The query did not finish within {self.timeout_s:g} s and was stopped",
                    timeout_s=self.timeout_s,
                ) from None
            if isinstance(exc, OSError | EOFError | pickle.UnpicklingError):
                raise QueryFailed(
                    "The worker process running the query died (it may have exceeded its "
                    "memory limit)"
                ) from exc
            raise
        self._checkin(worker)
        assert isinstance(reply, WorkReply)
        return reply

    def _execute(
        self,
        form: QueryForm,
        fmt: ResultFormat,
        request: WorkRequest,
    ) -> QueryResult:
        with self._checked_out() as worker:
            deadline = time.monotonic() + self.timeout_s
            try:
                worker.sock.settimeout(self.timeout_s)
                _worker.send_msg(worker.sock, request)
                header = recv_exact(worker.sock, 8, deadline, None)
                size = int.from_bytes(header, "big")
                reply = pickle.loads(recv_exact(worker.sock, size, deadline, None))
            except Timeout:
                raise QueryTimeout(
                    f"The query did not finish within {self.timeout_s:g} s and was stopped",
                    timeout_s=self.timeout_s,
                ) from None
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                raise QueryFailed(
                    "The worker process running the query died (it may have exceeded its "
                    "memory limit)"
                ) from exc
        assert isinstance(reply, WorkReply)
        return self._result(form, fmt, reply)

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

