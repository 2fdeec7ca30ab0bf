"""Answer SPARQL queries from a remote store with the guarantees of the embedded engine.

:class:`RemoteEngine` has :class:`~publisher.sparql.execute.QueryEngine`'s interface (``run``,
``arun``, ``close``; :class:`QueryResult`; the same :mod:`publisher.sparql.errors`), so the server
uses either. Per query (docs/decisions/0011-remote-stores.md):

1. our own checks first, nothing sent on failure: :func:`parse.analyse` (updates and SERVICE
   refused with 403), the format (406), the dataset IRIs and undeclared prefixes (400);
2. the dataset: the current release's graphs as ``default-graph-uri`` (their union, as the
   embedded store's union default graph) and its side graphs as ``named-graph-uri``. A dataset
   the client names (protocol parameters, else the query's FROM / FROM NAMED) is mapped onto the
   release: the embedded graph names (``{base}graph/ontology``…) are aliases of this release's,
   any other graph becomes an empty one, so no query reads another release or campus. FROM
   clauses are rewritten in the text as well (Virtuoso reads them even when the protocol names
   the dataset). Relative IRIs resolve against ``base_iri`` (the endpoint's public URL), as in
   the embedded engine: a query without BASE is sent with ``BASE <base_iri>`` put before it on
   its first line (a store's error positions on that line are given back without it);
3. the store is asked for SPARQL XML results (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE),
   with the dialect's time-limit (and SELECT row-limit) parameters; the answer is *streamed*
   into pyoxigraph's parser and re-serialised by the same code as the embedded workers
   (:func:`publisher.sparql.execute.solutions_reply`), which stops reading at the row cap (``truncated``) — so formats,
   truncation marks and bodies are those of the embedded path;
4. the time limit is ours too: a watchdog shuts the connection's socket at the deadline (the
   socket comes from httpcore's ``trace`` hook at connect time, so the wait for the first byte
   is covered), and a cancelled ``arun`` (client gone) shuts it at once. A store that reports
   its own time limit (Virtuoso's ``X-SQL-State: S1TAT`` partial answer, or an error after the
   limit) gives :class:`QueryTimeout` (503) — unless it is a CONSTRUCT/DESCRIBE whose partial
   answer already exceeds the row cap and any part of which is part of the whole answer, then a
   truncated answer; our deadline gives :class:`StoreTimeout` (504); an unreachable store
   :class:`StoreUnavailable` (503); an error answer :class:`StoreError` (502).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Self, cast

import httpx
import pyoxigraph as ox

from publisher.remote.dataset import (
    Clause,
    StoreDataset,
    check_prefixes,
    dataset_clauses,
    rewrite,
    set_like,
)
from publisher.remote.dialects import Dialect
from publisher.remote.store import ERROR_BODY_BYTES, RemoteStore, transport_error
from publisher.remote.stream import Abort, Body
from publisher.sparql.errors import (
    EngineUnavailable,
    MalformedQuery,
    Overloaded,
    QueryError,
    QueryFailed,
    QueryTimeout,
    StoreError,
    StoreTimeout,
)
from publisher.sparql.execute import QueryResult, WorkRequest, solutions_reply
from publisher.sparql.negotiate import ResultFormat, choose_format, media_type_with_charset
from publisher.sparql.parse import (
    QueryForm,
    QueryInfo,
    analyse,
    malformed_from_syntax_error,
    tokenize,
)

__all__ = ["GRACE_S", "RemoteEngine", "StoreDataset"]

#: Extra wait on our side when the store enforces the time limit itself (it answers late):
#: GRACE_S + GRACE_RATIO × the limit.
GRACE_S = 2.0
GRACE_RATIO = 0.5
_RESULTS_XML = ox.QueryResultsFormat.XML
_NT = ox.RdfFormat.N_TRIPLES
_ECHO = re.compile(r"\bSPARQL query:", re.IGNORECASE)
_POSITION = re.compile(r"^error at (\d+):(\d+):")


@dataclass(frozen=True)
class _Prepared:
    query: str
    info: QueryInfo
    shift: int  # characters put before the client's first line (a BASE)
    fmt: ResultFormat
    default: tuple[str, ...]
    named: tuple[str, ...]
    deadline: float  # time.monotonic() by which the answer must be complete


def _unshift(message: str, shift: int) -> str:
    """oxigraph's ``error at L:C: …`` with the column of line 1 taken back by ``shift``."""
    found = _POSITION.match(message)
    if found is None or found.group(1) != "1" or not shift:
        return message
    column = max(1, int(found.group(2)) - shift)
    return f"error at 1:{column}:{message[found.end():]}"


def answer_fixes(dialect: Dialect) -> list[tuple[bytes, bytes]]:
    """What to put right in a store's SPARQL XML or N-Triples answer: its blank node ids, its
    own datatypes (in ``datatype="…"`` and ``^^<…>``)."""
    fixes = []
    if dialect.bnode_prefix:
        fixes.append((b"<bnode>" + dialect.bnode_prefix.encode(), b"<bnode>"))
    for own, standard in dialect.datatypes:
        fixes += [(f'datatype="{own}"'.encode(), f'datatype="{standard}"'.encode()),
                  (f"^^<{own}>".encode(), f"^^<{standard}>".encode())]
    return fixes


class RemoteEngine:
    """Read-only SPARQL over a remote store, limited to one release's graphs (module doc)."""

    def __init__(self, store: RemoteStore, dataset: StoreDataset, *, timeout_s: float = 10.0,
                 max_rows: int = 10000, workers: int = 2,
                 service_allow_list: frozenset[str] = frozenset(), max_queue: int = 16,
                 own_store: bool = True, base_iri: str | None = None) -> None:
        if workers < 1 or max_rows < 1 or timeout_s <= 0 or max_queue < 0:
            raise ValueError("workers and max_rows must be >= 1, timeout_s > 0, max_queue >= 0")
        self.store, self.dataset = store, dataset
        self.timeout_s, self.max_rows, self.workers = timeout_s, max_rows, workers
        self.service_allow_list = frozenset(service_allow_list)
        self.max_queue, self.own_store, self.base_iri = max_queue, own_store, base_iri
        self.store_limits_time = store.dialect.timeout_param is not None
        grace = GRACE_S + GRACE_RATIO * timeout_s if self.store_limits_time else 0.0
        self.budget_s = timeout_s + grace
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="store")

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Queries admitted and not finished (running or waiting for a connection)."""
        with self._lock:
            return self._pending

    # ------------------------------------------------------------------ public API

    def run(self, query: str, *, accept: str | None = None, format: str | None = None,
            default_graph_uris: Sequence[str] = (),
            named_graph_uris: Sequence[str] = ()) -> QueryResult:
        """Answer ``query`` (blocking); same contract as :meth:`QueryEngine.run`."""
        prepared = self._prepare(query, accept, format, default_graph_uris, named_graph_uris)
        self._admit()
        try:
            return self._execute(prepared, Abort())
        finally:
            self._release()

    async def arun(self, query: str, *, accept: str | None = None, format: str | None = None,
                   default_graph_uris: Sequence[str] = (),
                   named_graph_uris: Sequence[str] = ()) -> QueryResult:
        """:meth:`run` in the engine's threads (at most ``workers`` requests to the store at
        once); cancelling the awaiting task closes the connection to the store."""
        prepared = self._prepare(query, accept, format, default_graph_uris, named_graph_uris)
        self._admit()
        abort = Abort()

        def job() -> QueryResult:
            try:
                if time.monotonic() >= prepared.deadline:
                    raise Overloaded(f"No connection to the store became free within "
                                     f"{self.timeout_s:g} s")
                return self._execute(prepared, abort)
            finally:
                self._release()

        try:
            future = self._executor.submit(job)
        except RuntimeError:  # executor shut down
            self._release()
            raise EngineUnavailable("The query engine is closed") from None
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            abort.fire("cancelled")
            if future.cancel():  # never started: job() will not release its slot
                self._release()
            raise

    def close(self) -> None:
        """Stop taking queries, let the admitted ones end (all within their deadlines: a
        waiting one that starts late gives up at once), then close the store's connections.
        Idempotent."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=True)
        if self.own_store:
            self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ preparation

    def _prepare(self, query: str, accept: str | None, format_name: str | None,
                 default_uris: Sequence[str], named_uris: Sequence[str]) -> _Prepared:
        info = analyse(query, self.service_allow_list)
        fmt = choose_format(info.form, accept=accept, format_name=format_name)
        for name, uris in (("default-graph-uri", default_uris),
                           ("named-graph-uri", named_uris)):  # fmt: skip
            for uri in uris:
                try:
                    ox.NamedNode(uri)
                except ValueError as exc:
                    raise MalformedQuery(f"Invalid IRI in {name}: {uri!r} ({exc})") from exc
        tokens = tokenize(query)
        check_prefixes(query, tokens, info)
        base = "" if info.base_iri is not None or not self.base_iri else f"BASE <{self.base_iri}> "
        if base:  # relative FROM IRIs resolve against it too
            info = dataclasses.replace(info, base_iri=self.base_iri)
        clauses = dataset_clauses(tokens, info)
        default, named = self._dataset(clauses, default_uris, named_uris)
        text = rewrite(query, clauses, self.dataset,
                        drop=bool(default_uris) or bool(named_uris))
        return _Prepared(base + text, info, len(base), fmt, default, named,
                         time.monotonic() + self.budget_s)

    def _dataset(self, clauses: list[Clause], default_uris: Sequence[str],
                 named_uris: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The protocol's dataset wins over the query's (SPARQL 1.1 Protocol §2.1.4)."""
        ds = self.dataset
        given_d: Sequence[str | None] = default_uris
        given_n: Sequence[str | None] = named_uris
        if not given_d and not given_n:
            given_d = [c.iri for c in clauses if not c.named]
            given_n = [c.iri for c in clauses if c.named]
            if not given_d and not given_n:
                return ds.default, ds.named
        default = tuple(dict.fromkeys(ds.resolve(u) if u else ds.empty for u in given_d))
        named = tuple(dict.fromkeys(ds.resolve(u) if u else ds.empty for u in given_n))
        return default or (ds.empty,), named or (ds.empty,)

    def _admit(self) -> None:
        with self._lock:
            if self._closed:
                raise EngineUnavailable("The query engine is closed")
            if self._pending >= self.workers + self.max_queue:
                raise Overloaded(f"All {self.workers} connections to the store are busy and "
                                 f"{self.max_queue} queries are already waiting; try again "
                                 "shortly")
            self._pending += 1

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1

    # ------------------------------------------------------------------ execution

    def _form_data(self, p: _Prepared) -> dict[str, str | list[str]]:
        data: dict[str, str | list[str]] = {
            "query": p.query, "default-graph-uri": list(p.default),
            "named-graph-uri": list(p.named)}
        dialect = self.store.dialect
        if dialect.timeout_param:
            data[dialect.timeout_param] = f"{self.timeout_s / dialect.timeout_unit_s:g}"
        if dialect.row_limit_param and p.info.form == QueryForm.SELECT:
            data[dialect.row_limit_param] = str(self.max_rows + 1)
        return data

    def _timeout(self, elapsed_s: float) -> QueryTimeout:
        return QueryTimeout(f"The query did not finish within {self.timeout_s:g} s and was "
                            f"stopped by the store (after {elapsed_s:.1f} s)",
                            timeout_s=self.timeout_s)

    def _execute(self, p: _Prepared, abort: Abort) -> QueryResult:
        remaining = p.deadline - time.monotonic()
        if remaining <= 0:
            raise StoreTimeout(f"The store did not answer within {self.budget_s:g} s",
                               timeout_s=self.timeout_s)
        accept = _NT.media_type if p.info.form.returns_graph else _RESULTS_XML.media_type
        client = self.store.client
        request = client.build_request(
            "POST", self.store.url("query"), data=self._form_data(p),
            headers={"Accept": accept, "Connection": "close"},
            timeout=httpx.Timeout(remaining, connect=min(5.0, remaining)),
            extensions={"trace": abort.trace})
        timer = threading.Timer(remaining, abort.fire, args=("deadline",))
        timer.daemon = True
        timer.start()
        started = time.monotonic()
        response: httpx.Response | None = None
        try:
            response = client.send(request, auth=self.store.auth("query") or
                                   httpx.USE_CLIENT_DEFAULT, stream=True)
            return self._answer(p, response, abort, started)
        except (httpx.HTTPError, OSError, SyntaxError, ValueError, RuntimeError) as exc:
            if abort.reason == "deadline" or isinstance(exc, httpx.TimeoutException):
                raise StoreTimeout(
                    f"le magasin n'a pas répondu à temps / the store at {self.store.label} did "
                    f"not answer within {self.budget_s:g} s; the request was abandoned",
                    timeout_s=self.timeout_s) from None
            if abort.reason == "cancelled":
                raise QueryFailed("The query was cancelled by the client") from None
            if isinstance(exc, httpx.TransportError):
                raise transport_error(exc, "requête / query", self.store.label,
                                      self.budget_s) from None
            raise StoreError(f"réponse illisible du magasin / unreadable answer from the store "
                             f"at {self.store.label}: {type(exc).__name__}: {exc}") from None
        finally:
            timer.cancel()
            if response is not None:
                response.close()

    def _answer(self, p: _Prepared, response: httpx.Response, abort: Abort,
                started: float) -> QueryResult:
        if response.status_code != 200:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_BYTES:
                    break
            raise self._error(response.status_code, body, time.monotonic() - started, p.shift)
        header = self.store.dialect.partial_header
        partial = bool(header) and response.headers.get(header or "", "").upper() == "S1TAT"
        stream = cast(IO[bytes], Body(response.iter_bytes(), abort,
                                      answer_fixes(self.store.dialect)))
        if partial and not (p.info.form.returns_graph and set_like(p.query)):
            raise self._timeout(time.monotonic() - started)  # a partial answer: never sent on
        if p.info.form.returns_graph:
            try:
                result = self._graph(p, stream)
            except (SyntaxError, ValueError):
                if partial:  # the store cut its answer off at the time limit, mid-triple
                    raise self._timeout(time.monotonic() - started) from None
                raise
            if partial and not result.truncated:  # too short to stand for the whole result
                raise self._timeout(time.monotonic() - started)
            return result
        parsed = ox.parse_query_results(stream, format=_RESULTS_XML)
        if p.info.form == QueryForm.ASK:
            return self._boolean(p, parsed)
        if not isinstance(parsed, ox.QuerySolutions):
            raise StoreError("le magasin a répondu un booléen / the store answered a SELECT "
                             "with a boolean")
        request = WorkRequest(query=p.query, form=p.info.form.value,
                                      media_type=p.fmt.media_type, max_rows=self.max_rows,
                                      prefixes=dict(p.info.prefixes))
        reply = solutions_reply(parsed, request)
        return self._result(p, reply.body, reply.truncated)

    def _error(self, status: int, body: bytes, elapsed_s: float, shift: int = 0) -> QueryError:
        error = self.store.status_error(status, body, "requête / query", "query")
        if status == 400 and isinstance(error, StoreError):
            text = error.store_message
            if text.startswith("error at "):  # oxigraph's parser, as in the embedded engine
                return malformed_from_syntax_error(_unshift(text, shift))
            # other stores echo the query as they rewrote it (Virtuoso prepends its `define`
            # lines, so its line numbers are not the client's): keep the diagnosis only
            text = _ECHO.split(text, maxsplit=1)[0].strip()
            return MalformedQuery(f"Syntax error (from the store): {text}")
        if status >= 500 and self.store_limits_time and elapsed_s >= self.timeout_s:
            return self._timeout(elapsed_s)  # the store gave up at the limit we passed on
        return error

    def _boolean(self, p: _Prepared, parsed: ox.QuerySolutions | ox.QueryBoolean
                 ) -> QueryResult:
        if isinstance(parsed, ox.QueryBoolean):
            answer = bool(parsed)
        else:  # Virtuoso 7 answers ASK with a one-column table: a row (with 1/true) is "yes"
            row = next(iter(parsed), None)
            value = row[0] if row is not None and len(parsed.variables) == 1 else None
            answer = row is not None and not (
                isinstance(value, ox.Literal) and value.value in ("0", "false"))
        boolean = ox.parse_query_results(
            b'{"head":{},"boolean":' + (b"true" if answer else b"false") + b"}",
            format=ox.QueryResultsFormat.JSON)
        body = boolean.serialize(format=cast(ox.QueryResultsFormat, p.fmt))
        return self._result(p, cast(bytes, body), False)

    def _graph(self, p: _Prepared, body: IO[bytes]) -> QueryResult:
        triples: list[ox.Triple] = []
        seen: set[ox.Triple] = set()
        truncated = False
        for quad in ox.parse(body, format=_NT):
            triple = quad.triple
            if triple in seen:
                continue
            if len(triples) >= self.max_rows:
                truncated = True
                break
            seen.add(triple)
            triples.append(triple)
        fmt = cast(ox.RdfFormat, p.fmt)
        prefixes = None if fmt == _NT else (dict(p.info.prefixes) or None)
        out = ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
        if truncated and fmt in (ox.RdfFormat.TURTLE, _NT):
            out = (f"# truncated: only the first {self.max_rows} triples of the result\n"
                   .encode() + out)
        return self._result(p, out, truncated)

    def _result(self, p: _Prepared, body: bytes, truncated: bool) -> QueryResult:
        return QueryResult(form=p.info.form, format=p.fmt,
                           media_type=media_type_with_charset(p.fmt), body=body,
                           truncated=truncated, max_rows=self.max_rows)
