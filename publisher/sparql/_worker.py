"""Zygote and worker processes of the query engine (private; see ``execute`` and ADR 0003).

The engine starts this module as a fresh interpreter (``python -c '…_worker.main(FD)'``,
fork+exec, so nothing of the multi-threaded web server is inherited). That *zygote* loads the RDF
files once into an in-memory pyoxigraph Store and then only ever does four things, on request
from the engine over a SOCK_SEQPACKET control socket: ``spawn`` (fork a worker that inherits the
store copy-on-write, given the worker's socket through SCM_RIGHTS), ``kill`` (SIGKILL + reap a
worker), ``shutdown``, or notice that the control socket closed (engine gone) and exit.

Workers loop: receive a :class:`WorkRequest`, run ``Store.query``, serialise with the row cap,
send a :class:`WorkReply`. A worker exits when its socket to the engine closes, and the kernel
kills it (PR_SET_PDEATHSIG) if the zygote dies. Both processes are single-threaded.
"""

from __future__ import annotations

import ctypes
import io
import os
import pickle
import resource
import select
import signal
import socket
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import IO, cast

from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    parse,
    parse_query_results,
    serialize,
)

from publisher.core.spreadsheet import neutralise_csv

#: ``head.link`` value added to truncated SPARQL JSON/XML results (the standard extension point).
TRUNCATED_LINK = "https://w3id.org/cmq/ontology/truncatedResults"

_HEADER = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


# --------------------------------------------------------------------------- messages and framing


@dataclass(frozen=True, slots=True)
class WorkRequest:
    query: str
    form: str  # QueryForm value
    media_type: str  # canonical media type of the QueryResultsFormat / RdfFormat to produce
    max_rows: int
    default_graphs: tuple[str, ...] | None = None  # protocol dataset; None = not given
    named_graphs: tuple[str, ...] | None = None
    union_default_graph: bool = False  # False: the query's FROM / FROM NAMED, if any, apply
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs of the query resolve against it


@dataclass(frozen=True, slots=True)
class WorkReply:
    body: bytes = b""
    truncated: bool = False
    error: str | None = None  # "syntax" | "eval" | "internal"
    message: str = ""
    cpu_s: float = 0.0  # the worker's CPU time when it sent this reply (the engine's baseline)


def frame(obj: object) -> bytes:
    """``obj`` pickled, after its length (8 bytes, big-endian): one message on a stream."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def send_msg(sock: socket.socket, obj: object) -> None:
    sock.sendall(frame(obj))


def recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(min(size - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("peer closed the socket")
        buf += chunk
    return bytes(buf)


def recv_msg(sock: socket.socket) -> object:
    (size,) = _HEADER.unpack(recv_exact(sock, _HEADER.size))
    return pickle.loads(recv_exact(sock, size))


# --------------------------------------------------------------------------- query execution


class _Enough(Exception):
    """Raised from inside pyoxigraph's serializer to stop evaluation once the cap is exceeded."""


class _LineCap(io.RawIOBase):
    """Collects a line-per-record serialisation (TSV rows / N-Triples triples) up to ``limit``
    records; raises :class:`_Enough` as soon as one more record appears. With ``distinct`` the
    records are deduplicated first (a CONSTRUCT result is a set of triples)."""

    def __init__(self, limit: int, *, header_lines: int = 0, distinct: bool = False) -> None:
        super().__init__()
        self.limit, self.header_lines, self.distinct = limit, header_lines, distinct
        self.lines: list[bytes] = []
        self.seen: set[bytes] = set()
        self.pending = b""
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        data = self.pending + bytes(cast(bytes, b))
        *complete, self.pending = data.split(b"\n")
        for line in complete:
            if self.distinct:
                if line in self.seen:
                    continue
                self.seen.add(line)
            if len(self.lines) >= self.limit + self.header_lines:
                self.truncated = True
                raise _Enough
            self.lines.append(line)
        return len(cast(bytes, b))

    def text(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)


def _results_format(media_type: str) -> QueryResultsFormat:
    fmt = QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise ValueError(f"unknown results media type {media_type}")
    return fmt


def _rdf_format(media_type: str) -> RdfFormat:
    fmt = RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise ValueError(f"unknown RDF media type {media_type}")
    return fmt


def _add_truncation_link(body: bytes, fmt: QueryResultsFormat) -> bytes:
    """Put :data:`TRUNCATED_LINK` in ``head.link`` (JSON) / ``<head><link/>`` (XML)."""
    if fmt == QueryResultsFormat.JSON:
        start = b'{"head":{"vars":['
        end = body.find(b"]", len(start))
        if body.startswith(start) and end > 0:
            return (
                body[: end + 1] + b',"link":["' + TRUNCATED_LINK.encode() + b'"]' + body[end + 1 :]
            )
    elif fmt == QueryResultsFormat.XML and b"</head>" in body:
        link = b'<link href="' + TRUNCATED_LINK.encode() + b'"/></head>'
        return body.replace(b"</head>", link, 1)
    return body


def solutions_reply(results: QuerySolutions, req: WorkRequest) -> WorkReply:
    # pyoxigraph can only serialise a whole QuerySolutions, so: stream it as TSV (one row per
    # line, newlines escaped) into a writer that stops evaluation after max_rows rows, then let
    # pyoxigraph re-read that TSV and write the requested format. Lossless (bnodes, RDF 1.2
    # triple terms, directional literals) and all native code.
    fmt = _results_format(req.media_type)
    cap = _LineCap(req.max_rows, header_lines=1)
    try:
        results.serialize(cast(IO[bytes], cap), format=QueryResultsFormat.TSV)
    except _Enough:
        pass
    tsv = cap.text()
    if fmt == QueryResultsFormat.TSV:
        body = tsv
    else:
        reparsed = parse_query_results(tsv, format=QueryResultsFormat.TSV)
        body = cast(bytes, reparsed.serialize(format=fmt))
    if fmt == QueryResultsFormat.CSV:  # opened in spreadsheets; TSV keeps RDF terms (0023)
        body = neutralise_csv(body)
    if cap.truncated:
        body = _add_truncation_link(body, fmt)
    return WorkReply(body=body, truncated=cap.truncated)


def _triples(results: QueryTriples, req: WorkRequest) -> WorkReply:
    fmt = _rdf_format(req.media_type)
    cap = _LineCap(req.max_rows, distinct=True)
    try:
        results.serialize(cast(IO[bytes], cap), format=RdfFormat.N_TRIPLES)
    except _Enough:
        pass
    ntriples = cap.text()
    if fmt == RdfFormat.N_TRIPLES:
        body = ntriples
    else:
        quads = parse(ntriples, format=RdfFormat.N_TRIPLES)
        body = cast(bytes, serialize(quads, format=fmt, prefixes=req.prefixes or None))
    if cap.truncated and fmt in (RdfFormat.TURTLE, RdfFormat.N_TRIPLES):
        note = f"# truncated: only the first {req.max_rows} triples of the result\n"
        body = note.encode() + body
    return WorkReply(body=body, truncated=cap.truncated)


def produce(store: Store, req: WorkRequest) -> WorkReply:
    """Run one query and serialise its (capped) result. Never raises."""
    try:
        if req.default_graphs is not None or req.named_graphs is not None:
            results = store.query(
                req.query,
                base_iri=req.base_iri,
                default_graph=[NamedNode(u) for u in req.default_graphs or ()],
                named_graphs=[NamedNode(u) for u in req.named_graphs or ()],
            )
        else:
            results = store.query(req.query, base_iri=req.base_iri,
                                  use_default_graph_as_union=req.union_default_graph)
    except SyntaxError as exc:
        return WorkReply(error="syntax", message=str(exc))
    except Exception as exc:  # noqa: BLE001 (failing SERVICE, unbound variable…: all reported)
        return WorkReply(error="eval", message=f"{type(exc).__name__}: {exc}")
    try:
        if isinstance(results, QuerySolutions) and req.form == "SELECT":
            return solutions_reply(results, req)
        if isinstance(results, QueryTriples) and req.form in ("CONSTRUCT", "DESCRIBE"):
            return _triples(results, req)
        if isinstance(results, QueryBoolean) and req.form == "ASK":
            body = cast(bytes, results.serialize(format=_results_format(req.media_type)))
            return WorkReply(body=body)
        return WorkReply(error="internal", message=f"{req.form} query gave {type(results)}")
    except Exception as exc:  # noqa: BLE001 (errors raised lazily while iterating)
        return WorkReply(error="eval", message=f"{type(exc).__name__}: {exc}")


def worker_loop(store: Store, sock: socket.socket) -> None:
    while True:
        try:
            req = recv_msg(sock)
        except (EOFError, OSError):
            return  # the engine closed our socket or died
        if not isinstance(req, WorkRequest):
            return
        reply = produce(store, req)
        send_msg(sock, replace(reply, cpu_s=time.process_time()))


# --------------------------------------------------------------------------- zygote


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _isolate_network() -> bool:
    """Move this process (and every worker forked later) into an empty network namespace."""
    libc = _libc()
    if libc is None or not sys.platform.startswith("linux"):
        return False
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        # map our own ids so that files and ids keep looking the same inside the namespace
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):  # fmt: skip
            try:
                with open(f"/proc/self/{name}", "w", encoding="ascii") as fh:
                    fh.write(text)
            except OSError:
                pass
        return True
    return bool(libc.unshare(_CLONE_NEWNET) == 0)  # root without user namespaces


def _vm_size_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _become_worker(
    store: Store, fd: int, ctl: socket.socket, memory_mb: int | None, zygote: int
) -> None:
    ctl.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    libc = _libc()
    if libc is not None and sys.platform.startswith("linux"):
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote:  # the zygote died before prctl took effect
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    vm = _vm_size_bytes()
    if memory_mb is not None and vm is not None:
        limit = vm + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    worker_loop(store, socket.socket(fileno=fd))


def _load(config: dict[str, object]) -> tuple[Store, dict[str, object]]:
    started = time.perf_counter()
    store = Store()
    files = cast(list[tuple[str, str | None, str | None]], config["files"])
    for path, graph, media_type in files:
        fmt = RdfFormat.from_media_type(media_type) if media_type else None
        if fmt is None:
            fmt = RdfFormat.from_extension(os.path.splitext(path)[1].lstrip("."))
        if fmt is None:
            raise ValueError(f"{path}: cannot tell the RDF format from the file name")
        store.load(path=path, format=fmt, to_graph=NamedNode(graph) if graph else None)
    stats: dict[str, object] = {
        "load_s": time.perf_counter() - started,
        "quads": len(store),
        "network_isolated": bool(config.get("isolate_network")) and _isolate_network(),
    }
    return store, stats


def zygote_main(ctl: socket.socket) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    config = pickle.loads(ctl.recv(1 << 16))
    try:
        store, stats = _load(config)
    except Exception as exc:  # noqa: BLE001 (reported to the engine, which raises it)
        ctl.send(pickle.dumps(("error", f"{type(exc).__name__}: {exc}")))
        return
    ctl.send(pickle.dumps(("ready", stats)))
    memory_mb = cast(int | None, config.get("worker_memory_mb"))
    children: set[int] = set()

    def reap(block_on: int | None = None) -> None:
        if block_on is not None:
            try:
                os.waitpid(block_on, 0)
            except ChildProcessError:
                pass
            children.discard(block_on)
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)

    try:
        while True:
            readable, _, _ = select.select([ctl], [], [], 1.0)
            reap()
            if not readable:
                continue
            data, fds, _, _ = socket.recv_fds(ctl, 1 << 16, 1)
            if not data:
                return  # the engine is gone
            command = pickle.loads(data)
            if command[0] == "spawn":
                zygote = os.getpid()
                pid = os.fork()
                if pid == 0:
                    try:
                        _become_worker(store, fds[0], ctl, memory_mb, zygote)
                    except BaseException:  # noqa: BLE001 (a forked child must never return)
                        traceback.print_exc()
                    finally:
                        os._exit(0)
                os.close(fds[0])
                children.add(pid)
                ctl.send(pickle.dumps(("spawned", pid)))
            elif command[0] == "kill":
                pid = command[1]
                if pid in children:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    reap(block_on=pid)
                ctl.send(pickle.dumps(("killed", pid)))
            elif command[0] == "shutdown":
                return
    finally:
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            reap(block_on=pid)


def main(fd: int) -> None:
    """Entry point of the zygote interpreter; ``fd`` is its end of the control socket."""
    zygote_main(socket.socket(fileno=fd))
