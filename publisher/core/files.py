"""Durable file writing and hashing: what every stage that writes files shares.

Contract: :func:`durable` opens a file for binary writing and fsyncs it when the block ends (an
``OSError`` without a file name gets the path); :func:`write_bytes` writes a whole file that way;
:func:`fsync_dir` makes a folder's new entries durable; :func:`sha256_file` and :func:`gzip_file`
stream in 1 MiB chunks (a gzip is deterministic: no file name, mtime 0, fixed level).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
GZIP_LEVEL = 6


@contextmanager
def durable(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for writing (binary); flush and fsync it when the block ends.

    An OSError without a file name (disk full, file too large…) gets ``path`` as its file name.
    """
    try:
        with path.open("wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> tuple[int, str]:
    """Byte size and SHA-256 (hex) of a file."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def gzip_file(src: Path, dst: Path) -> None:
    """Deterministic gzip of ``src``: no file name, mtime 0, fixed level."""
    with (
        durable(dst) as raw,
        src.open("rb") as fh,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                      compresslevel=GZIP_LEVEL) as gz,
    ):
        shutil.copyfileobj(fh, gz, CHUNK)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` durably (replacing it)."""
    with durable(path) as fh:
        fh.write(data)
