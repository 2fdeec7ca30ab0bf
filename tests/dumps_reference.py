"""The whole-graph dump writer the tests compare the release's chunked writer against.

Not part of the package: a release writes its dumps chunk by chunk
(:mod:`publisher.release.dumps.chunks`); this writes the same files in one go from sorted rows,
from the same format functions, so that the two can be compared byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from publisher.core.errors import ReleaseError
from publisher.core.files import durable, gzip_file, write_bytes
from publisher.core.ntriples import Row, nt_bytes
from publisher.release.dumps.formats import HeaderRewriter, context_document, dump_prefixes
from publisher.release.dumps.jsonld import (
    FIRST_SEP,
    FOOTER,
    NODE_SEP,
    Compactor,
    header,
    node_objects,
)

NAMES = ("campus.nt", "campus.ttl", "campus.jsonld", "context.jsonld")


def write_data_dumps(rows: list[Row], folder: Path, base_iri: str, *, nt: bytes | None = None,
                     names: tuple[str, str, str, str] = NAMES) -> dict[str, str]:
    """Write the N-Triples, Turtle, JSON-LD (+ context) dumps of sorted rows and their gzips.

    ``nt`` is the N-Triples document when the caller already has it. Returns the prefixes used.
    """
    nt_name, ttl_name, jsonld_name, context_name = names
    prefixes = dump_prefixes(rows, base_iri)
    write_bytes(folder / nt_name, nt if nt is not None else nt_bytes(rows))
    write_turtle_from_nt(folder / nt_name, folder / ttl_name, prefixes)
    write_context(folder / context_name, prefixes)
    write_jsonld(rows, folder / jsonld_name, prefixes, context_name)
    for name in (nt_name, ttl_name, jsonld_name):
        gzip_file(folder / name, folder / f"{name}.gz")
    return prefixes


def write_turtle_from_nt(nt_path: Path, path: Path, prefixes: Mapping[str, str]) -> None:
    """Turtle of a sorted N-Triples file, written by pyoxigraph (order kept, so deterministic)."""
    with durable(path) as fh:
        sink = HeaderRewriter(fh, prefixes)
        try:
            ox.serialize(ox.parse(path=str(nt_path), format=ox.RdfFormat.N_TRIPLES), cast("IO[bytes]", sink),
                         format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
        except (SyntaxError, ValueError) as exc:  # an IRI pyoxigraph finds invalid (RFC 3987)
            raise ReleaseError(f"{nt_path.name}: écriture Turtle impossible / cannot write "
                               f"Turtle: {exc}") from exc
        if sink.skip:
            raise ReleaseError("en-tête Turtle incomplet / incomplete Turtle header")



def write_context(path: Path, prefixes: Mapping[str, str]) -> None:
    text = json.dumps(context_document(prefixes), ensure_ascii=False, indent=2) + "\n"
    write_bytes(path, text.encode("utf-8"))



def write_jsonld(rows: Iterable[Row], path: Path, prefixes: Mapping[str, str],
                 context_ref: str) -> None:
    """Compacted JSON-LD of sorted rows; ``@context`` is a relative reference to the context file.

    ``@type`` comes first in each node; other properties follow in N-Triples order
    (:mod:`publisher.release.dumps.jsonld`).
    """
    write_jsonld_lines((r[0] for r in rows), path, prefixes, context_ref)



def write_jsonld_lines(lines: Iterable[str], path: Path, prefixes: Mapping[str, str],
                       context_ref: str) -> None:
    compact = Compactor(prefixes)
    with durable(path) as fh:
        fh.write(header(context_ref).encode("utf-8"))
        sep = FIRST_SEP
        for node in node_objects(lines, compact):
            fh.write((sep + node).encode("utf-8"))
            sep = NODE_SEP
        fh.write(FOOTER.encode("utf-8"))
