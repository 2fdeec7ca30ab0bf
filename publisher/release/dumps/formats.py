"""Deterministic dumps of a graph: sorted N-Triples, Turtle, compacted JSON-LD, and gzip.

The campus graph is turned once into *rows* — ``(N-Triples line, s, p, o)`` sorted by the line —
and every data dump is written from them (see docs/decisions/0004-deterministic-dumps.md):

- ``campus.nt``: the lines, in code-point order (= UTF-8 byte order, ``LC_ALL=C sort``), canonical
  N-Triples as pyoxigraph writes it (lower-case language tags, ``xsd:string`` implicit);
- ``campus.ttl``: pyoxigraph's Turtle writer fed with the sorted triples (fast at 1M triples);
  the ``@prefix`` header is rewritten in a fixed order;
- ``campus.jsonld``: streamed compaction against ``context.jsonld`` (one node object per line);
- ``*.gz``: gzip with no file name and mtime 0 in the header.

Small graphs with blank nodes (ontology, shapes, provenance) are canonicalised first and written
with rdflib's pretty Turtle writer, which is deterministic for a canonical graph.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, BinaryIO, cast

import pyoxigraph as ox
from rdflib import RDF, Graph
from rdflib.compare import to_canonical_graph

from publisher.core.errors import ReleaseError
from publisher.core.files import durable, write_bytes
from publisher.core.namespaces import PREFIXES
from publisher.core.ntriples import Row, nt_bytes, sorted_rows

RDF_TYPE = str(RDF.type)
_KIND = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")


# ---------------------------------------------------------------- files


# ---------------------------------------------------------------- prefixes


def dump_prefixes(rows: Iterable[Row], base_iri: str) -> dict[str, str]:
    """PREFIXES plus one prefix per kind of record (``{base}{kind}/``) found among the subjects.

    A kind is only used when its name is a plain lower-case word that is not already a prefix.
    The result is sorted by prefix name so every writer uses the same order.
    """
    return prefixes_for([r[0] for r in rows], base_iri)


def prefixes_for(lines: list[str], base_iri: str) -> dict[str, str]:
    """:func:`dump_prefixes` of sorted N-Triples lines (jumps over each kind's records)."""
    kinds: set[str] = set()
    head = f"<{base_iri}"
    i = bisect.bisect_left(lines, head)
    while i < len(lines) and lines[i].startswith(head):
        line = lines[i]
        subject = line[len(head): line.index(" ") - 1]
        kind, sep, _rest = subject.partition("/")
        if sep:
            kinds.add(kind)
            i = bisect.bisect_left(lines, f"{head}{kind}0", i)  # "0" follows "/"
        else:
            i += 1
    out = dict(PREFIXES)
    for k in sorted(kinds):
        if _KIND.match(k) and k not in out:
            out[k] = f"{base_iri}{k}/"
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- Turtle


class HeaderRewriter:
    """Binary sink for pyoxigraph: drops its ``@prefix`` lines and writes ours in a fixed order.

    pyoxigraph writes every given prefix first, in an order of its own; we replace that header.
    """

    def __init__(self, out: BinaryIO, prefixes: Mapping[str, str]) -> None:
        self.out = out
        self.skip = len(prefixes)
        self.pending = b""
        out.write("".join(f"@prefix {k}: <{v}> .\n" for k, v in prefixes.items()).encode())
        if prefixes:
            out.write(b"\n")

    def write(self, data: bytes) -> int:
        b = bytes(data)
        if self.skip:
            self.pending += b
            while self.skip and b"\n" in self.pending:
                line, _, self.pending = self.pending.partition(b"\n")
                if not line.startswith(b"@prefix "):
                    raise ReleaseError(f"en-tête Turtle inattendu / unexpected Turtle header: "
                                       f"{line[:80]!r}")
                self.skip -= 1
            if self.skip:
                return len(b)
            b, self.pending = self.pending, b""
        self.out.write(b)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def _io(sink: HeaderRewriter) -> IO[bytes]:
    return cast("IO[bytes]", sink)  # pyoxigraph only calls write() and flush()


def write_turtle_fast(graph: Graph, path: Path, prefixes: Mapping[str, str]) -> None:
    """Turtle of any graph (blank nodes allowed) via pyoxigraph; for large, non-shipped graphs."""
    data = nt_bytes(sorted_rows(graph, bnodes=True))
    with durable(path) as fh:
        sink = HeaderRewriter(fh, prefixes)
        ox.serialize(ox.parse(data, format=ox.RdfFormat.N_TRIPLES), _io(sink),
                     format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))


def write_turtle_canonical(graph: Graph, path: Path,
                           prefixes: Mapping[str, str] | None = None) -> None:
    """Pretty, deterministic Turtle of a small graph: blank nodes get canonical labels first."""
    canon = Graph(bind_namespaces="core")
    canon += to_canonical_graph(graph)
    for k, v in graph.namespaces():
        if k and not str(k).startswith(("ns", "_")):
            canon.bind(k, v, override=True)
    for name, ns in (prefixes or PREFIXES).items():
        canon.bind(name, ns, override=True, replace=True)
    write_bytes(path, canon.serialize(format="turtle", encoding="utf-8"))


# ---------------------------------------------------------------- JSON-LD


def context_document(prefixes: Mapping[str, str]) -> dict[str, object]:
    """The release's JSON-LD context (``context.jsonld``): prefixes only, no remote context."""
    return {"@context": dict(prefixes)}


# ---------------------------------------------------------------- all data dumps
