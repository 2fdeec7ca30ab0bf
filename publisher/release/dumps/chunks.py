"""The data dumps of a release written chunk by chunk, reusing the chunks an earlier release has.

The sorted lines are cut into *chunks* of whole subjects, at content-defined places: after a
subject whose CRC-32 is a multiple of :data:`CHUNK_SUBJECTS` (on average one cut every
:data:`CHUNK_SUBJECTS` subjects). A change to a few records therefore changes a few chunks and
leaves the others, and their place in every file, as they were. Every file is the concatenation
of per-chunk pieces, so a piece can be copied from the previous release's file instead of being
computed again (docs/decisions/0010-incremental-build.md):

- ``campus.nt``: the chunk's lines;
- ``campus.ttl``: the prefix header, then pyoxigraph's Turtle of each chunk (its writer starts
  each subject afresh, so the concatenation is the Turtle of the whole graph, byte for byte);
- ``campus.jsonld``: the header, then the chunk's node objects, then the footer;
- ``*.gz``: one gzip member (header with no name and mtime 0) whose deflate stream is made of
  one segment per piece, each compressed on its own and ended by a full flush: a segment's
  bytes depend only on its piece, so unchanged segments are copied too. CRC-32 and length are
  computed over the whole file.

The index of the pieces written (chunk key, offset, length in each file) is returned, for the
build cache to hand to the next build with the release folder it describes.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import pyoxigraph as ox

from publisher.core.errors import ReleaseError
from publisher.core.files import durable, write_bytes
from publisher.release.dumps.formats import HeaderRewriter, context_document
from publisher.release.dumps.jsonld import (
    FIRST_SEP,
    FOOTER,
    NODE_SEP,
    Compactor,
    header,
    node_objects,
)

#: Average number of subjects per chunk.
CHUNK_SUBJECTS = 1024
GZIP_LEVEL = 6
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, level 6, OS unknown
_DEFLATE_END = b"\x03\x00"  # an empty final block

#: (piece key, offset, length) of each piece of one file, in file order.
Pieces = list[tuple[str, int, int]]


@dataclass
class DumpIndex:
    """Where each chunk's pieces are in the files of one release."""

    release_dir: str
    prefixes_key: str
    files: dict[str, Pieces] = field(default_factory=dict)


@dataclass
class Written:
    """What :func:`write_chunked_dumps` wrote: sizes and digests (for the manifest), index."""

    sizes: dict[str, tuple[int, str]]  # file name → (byte size, sha256 hex)
    index: DumpIndex
    reused: int = 0  # pieces copied from the previous release
    computed: int = 0


def chunk_bounds(lines: list[str], every: int = CHUNK_SUBJECTS) -> list[tuple[int, int]]:
    """(start, end) line ranges of the chunks of sorted lines; boundaries depend on content."""
    bounds: list[tuple[int, int]] = []
    start = 0
    last = ""
    crc = zlib.crc32
    for i, line in enumerate(lines):
        s = line[: line.index(" ")]
        if s != last:
            if last and i > start and crc(last.encode("utf-8")) % every == 0:
                bounds.append((start, i))
                start = i
            last = s
    if start < len(lines):
        bounds.append((start, len(lines)))
    return bounds


def _key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass
class DataChunks:
    """Sorted lines cut into chunks: bounds, N-Triples bytes and key of each, and the SHA-256
    of the whole N-Triples document (= of ``campus.nt``; its first 16 digits are the id)."""

    lines: list[str]
    bounds: list[tuple[int, int]]
    nts: list[bytes]
    keys: list[str]
    sha256: str

    @classmethod
    def of(cls, lines: list[str], every: int = CHUNK_SUBJECTS) -> DataChunks:
        bounds = chunk_bounds(lines, every)
        nts = ["".join(lines[a:b]).encode("utf-8") for a, b in bounds]
        h = hashlib.sha256()
        for chunk in nts:
            h.update(chunk)
        return cls(lines, bounds, nts, [_key(c) for c in nts], h.hexdigest())

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.nts)


def _segment(data: bytes) -> bytes:
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, 8)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def _turtle_body(nt: bytes, prefixes: Mapping[str, str]) -> bytes:
    out = io.BytesIO()
    sink = HeaderRewriter(cast(BinaryIO, out), prefixes)
    try:
        ox.serialize(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES), cast(IO[bytes], sink),
                     format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
    except (SyntaxError, ValueError) as exc:  # an IRI pyoxigraph finds invalid (RFC 3987)
        raise ReleaseError(f"écriture Turtle impossible / cannot write Turtle: {exc}") from exc
    if sink.skip:
        raise ReleaseError("en-tête Turtle incomplet / incomplete Turtle header")
    text = out.getvalue()
    head = turtle_header(prefixes)
    if not text.startswith(head):
        raise ReleaseError("en-tête Turtle inattendu / unexpected Turtle header")
    return text[len(head):]


def turtle_header(prefixes: Mapping[str, str]) -> bytes:
    text = "".join(f"@prefix {k}: <{v}> .\n" for k, v in prefixes.items())
    return (text + "\n").encode() if prefixes else b""


class _Previous:
    """Pieces of the previous release's files, read on demand by key."""

    def __init__(self, index: DumpIndex | None, prefixes_key: str) -> None:
        self.index = index
        self.same_prefixes = index is not None and index.prefixes_key == prefixes_key
        self.where: dict[str, dict[str, tuple[int, int]]] = {}
        if index is not None:
            for name, pieces in index.files.items():
                self.where[name] = {k: (off, n) for k, off, n in pieces}
        self.handles: dict[str, BinaryIO] = {}

    def get(self, name: str, key: str, *, prefixed: bool) -> bytes | None:
        if self.index is None or (prefixed and not self.same_prefixes):
            return None
        hit = self.where.get(name, {}).get(key)
        if hit is None:
            return None
        fh = self.handles.get(name)
        if fh is None:
            try:
                fh = self.handles[name] = (Path(self.index.release_dir) / name).open("rb")
            except OSError:
                self.where.pop(name, None)
                return None
        fh.seek(hit[0])
        data = fh.read(hit[1])
        return data if len(data) == hit[1] else None

    def close(self) -> None:
        for fh in self.handles.values():
            fh.close()


class _Out:
    """One file being written: its pieces, digest, and the matching gzip file."""

    def __init__(self, folder: Path, name: str, stack: ExitStack) -> None:
        self.name = name
        self.raw = stack.enter_context(durable(folder / name))
        self.graw = stack.enter_context(durable(folder / f"{name}.gz"))
        self.sha: Any = hashlib.sha256()
        self.gsha = hashlib.sha256()
        self.known_sha: str | None = None
        self.size = self.gsize = 0
        self.crc = 0
        self.pieces: Pieces = []
        self.gpieces: Pieces = []
        self._gwrite(GZIP_HEADER)

    def _gwrite(self, data: bytes) -> None:
        self.graw.write(data)
        self.gsha.update(data)
        self.gsize += len(data)

    def add(self, key: str, data: bytes, segment: bytes) -> None:
        self.pieces.append((key, self.size, len(data)))
        self.raw.write(data)
        if self.sha is not None:
            self.sha.update(data)
        self.size += len(data)
        self.crc = zlib.crc32(data, self.crc)
        self.gpieces.append((key, self.gsize, len(segment)))
        self._gwrite(segment)

    def close(self) -> dict[str, tuple[int, str]]:
        self._gwrite(_DEFLATE_END + struct.pack("<II", self.crc, self.size & 0xFFFFFFFF))
        digest = self.known_sha if self.sha is None else self.sha.hexdigest()
        assert digest is not None
        return {self.name: (self.size, digest),
                f"{self.name}.gz": (self.gsize, self.gsha.hexdigest())}


def write_chunked_dumps(lines: list[str], folder: Path, prefixes: Mapping[str, str],
                        names: tuple[str, str, str, str], *, data: DataChunks | None = None,
                        previous: DumpIndex | None = None) -> Written:
    """Write ``names`` = (N-Triples, Turtle, JSON-LD, context) and the three ``.gz`` into
    ``folder`` from sorted distinct lines (already cut in ``data``), copying from ``previous``
    every piece it has."""
    nt_name, ttl_name, jsonld_name, context_name = names
    if data is None:
        data = DataChunks.of(lines)
    if data.lines is not lines:
        raise ValueError("chunks do not match the lines")
    pkey = _key(json.dumps(dict(prefixes)).encode())
    prev = _Previous(previous, pkey)
    compact = Compactor(prefixes)
    written = Written({}, DumpIndex(str(folder), pkey))

    def piece(out: _Out, key: str, prefixed: bool, make: Iterator[bytes]) -> None:
        data = prev.get(out.name, key, prefixed=prefixed)
        seg = prev.get(f"{out.name}.gz", key, prefixed=prefixed) if data is not None else None
        if data is None or seg is None:
            data = next(make)
            seg = _segment(data)
            written.computed += 1
        else:
            written.reused += 1
        out.add(key, data, seg)

    with ExitStack() as stack:
        stack.callback(prev.close)
        outs = [_Out(folder, n, stack) for n in (nt_name, ttl_name, jsonld_name)]
        nt_out, ttl_out, js_out = outs
        nt_out.sha, nt_out.known_sha = None, data.sha256  # the N-Triples digest is known
        head = turtle_header(prefixes)
        ttl_out.add("head", head, _segment(head))
        jhead = header(context_name).encode("utf-8")
        js_out.add("head", jhead, _segment(jhead))
        for i, ((a, b), nt, key) in enumerate(zip(data.bounds, data.nts, data.keys,
                                                  strict=True)):
            piece(nt_out, key, False, iter([nt]))
            piece(ttl_out, key, True, (_turtle_body(nt, prefixes) for _ in [0]))
            sep = FIRST_SEP if i == 0 else NODE_SEP
            piece(js_out, ("f" if i == 0 else "n") + key, True,
                  ((sep + NODE_SEP.join(node_objects(lines[a:b], compact))).encode("utf-8")
                   for _ in [0]))
        foot = FOOTER.encode("utf-8")
        js_out.add("foot", foot, _segment(foot))
        for out in outs:
            written.sizes.update(out.close())
            written.index.files[out.name] = out.pieces
            written.index.files[f"{out.name}.gz"] = out.gpieces
    ctx = (json.dumps(context_document(prefixes), ensure_ascii=False, indent=2) + "\n").encode()
    write_bytes(folder / context_name, ctx)
    written.sizes[context_name] = (len(ctx), hashlib.sha256(ctx).hexdigest())
    return written
