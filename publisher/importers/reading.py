"""Streaming reader for the national CSV files: encoding and delimiter sniffing, tolerant headers.

National files come as UTF-8 (with or without BOM) or as Windows/Latin-1 exports, `;`-separated
(sometimes `,`), with headers that drift over time and change case between the raw and the "with
labels" exports. :func:`open_csv` decides the encoding for the *whole* file with one streaming pass
of incremental decoders (a first-block sniff can be fooled by a file whose first accented
character comes late), then :func:`records` yields one :class:`Record` per data row without ever
holding more than one row: memory stays constant whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from publisher.core.errors import Location, SourceError

_BLOCK = 1 << 20
#: Cells of national files may be long (descriptions): the limit while one is read.
FIELD_LIMIT = 1 << 24

#: Called with (rows read, fraction of the file read or None) every few thousand rows.
Progress = Callable[[int, float | None], None]


@dataclass(frozen=True)
class Input:
    """A file to read: a path on disk, or a member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.member}" if self.member else self.path.name

    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as zf:
            return zf.getinfo(self.member).file_size

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with self.path.open("rb") as fh:
                yield fh
        else:
            with zipfile.ZipFile(self.path) as zf, zf.open(self.member) as fh:
                yield fh  # type: ignore[misc]


def normalise_header(name: str) -> str:
    """Header key: no BOM, accents or case; spaces and hyphens become ``_``."""
    text = unicodedata.normalize("NFKD", name.replace("\ufeff", "").strip())
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return text.replace(" ", "_").replace("-", "_")


def detect_encoding(source: Input) -> str:
    """``utf-8-sig`` if the whole file is valid UTF-8, else ``cp1252``, else ``latin-1``."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    with source.open() as fh:
        while block := fh.read(_BLOCK):
            if utf8_ok:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            if cp1252_ok:
                try:
                    cp1252.decode(block)
                except UnicodeDecodeError:
                    cp1252_ok = False
            if not utf8_ok and not cp1252_ok:
                break
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    if utf8_ok:
        return "utf-8-sig"
    return "cp1252" if cp1252_ok else "latin-1"


def detect_delimiter(first_line: str) -> str:
    """The most frequent of ``;``, ``,`` and tab in the header line (``;`` on a tie)."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts.values())
    return ";" if counts[";"] == best else max(counts, key=lambda d: counts[d])


class Record:
    """One data row: its spreadsheet line, its cells, and access by (normalised) column name."""

    __slots__ = ("cells", "index", "line")

    def __init__(self, line: int, cells: list[str], index: dict[str, int]) -> None:
        self.line, self.cells, self.index = line, cells, index

    def get(self, name: str) -> str:
        i = self.index.get(name)
        return self.cells[i].strip() if i is not None and i < len(self.cells) else ""

    def first(self, *names: str) -> str:
        """The first non-empty cell among ``names`` (schema drift: a column renamed)."""
        for name in names:
            value = self.get(name)
            if value:
                return value
        return ""


@dataclass
class CsvFile:
    """An opened national CSV file: what was detected, then its records."""

    source: Input
    encoding: str
    delimiter: str
    header: list[str]

    @property
    def index(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, h in enumerate(self.header):
            out.setdefault(normalise_header(h), i)
        return out

    def has(self, *names: str) -> bool:
        index = self.index
        return all(n in index for n in names)


def open_csv(source: Input) -> CsvFile:
    """Detect the encoding and delimiter of ``source`` and read its header line."""
    try:
        encoding = detect_encoding(source)
        with source.open() as fh:
            text = io.TextIOWrapper(fh, encoding=encoding, newline="")
            first = text.readline()
            header = next(csv.reader([first], delimiter=detect_delimiter(first)), [])
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise SourceError([(Location(source.name), f"illisible / unreadable: {exc}")]) from exc
    if not any(h.strip() for h in header):
        raise SourceError([(Location(source.name, 1), "en-tête vide / empty header")])
    return CsvFile(source, encoding, detect_delimiter(first), header)


@contextmanager
def field_limit(limit: int) -> Iterator[None]:
    """The csv module's field size limit is one for the whole process: raised while a national
    file is read, put back after (never changed when this module is imported)."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def records(csvfile: CsvFile, progress: Progress | None = None,
            every: int = 5000) -> Iterator[Record]:
    """Data rows of ``csvfile``, streamed; blank lines skipped; ``line`` is the row's first line
    (cells up to :data:`FIELD_LIMIT` characters)."""
    index = csvfile.index
    total = csvfile.source.size() or None
    with field_limit(FIELD_LIMIT), csvfile.source.open() as fh:
        text = io.TextIOWrapper(fh, encoding=csvfile.encoding, newline="")
        reader = csv.reader(text, delimiter=csvfile.delimiter)
        next(reader, None)
        previous = reader.line_num
        count = 0
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if not cells or not any(c.strip() for c in cells):
                continue
            count += 1
            if progress is not None and count % every == 0:
                done = _tell(fh)
                progress(count, done / total if total and done is not None else None)
            yield Record(line, cells, index)
        if progress is not None:
            progress(count, 1.0)


def _tell(fh: BinaryIO) -> int | None:
    try:
        return fh.tell()
    except (OSError, ValueError):
        return None


def terminal_progress(label: str, stream: io.TextIOBase | None = None) -> Progress:
    """A :data:`Progress` that rewrites one status line on a terminal (at most 5 times a second)."""
    import sys

    out = stream if stream is not None else sys.stderr
    last = [0.0]

    def show(rows: int, fraction: float | None) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and fraction != 1.0:
            return
        last[0] = now
        pct = f" ({fraction:4.0%})" if fraction is not None else ""
        out.write(f"\r{label}: {rows:,} lignes lues / rows read{pct}".replace(",", "\u202f"))
        if fraction == 1.0:
            out.write("\n")
        out.flush()

    return show
