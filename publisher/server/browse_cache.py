"""Which browse index a served release answers its lists from, and the server's own build of the
missing ones (docs/decisions/0026-browse-index-coverage.md).

A release's own ``browse.sqlite`` (:mod:`publisher.release.browse_index`) is used when it is
*current*: its ``meta`` names this cmq's ``SCHEMA_VERSION`` and ``COLUMNS_DIGEST``. Otherwise (a
release built before the index existed, or by a cmq with other list declarations) the server
builds one from the release's files into **its own cache folder** — setting ``browse_cache``,
default ``$XDG_CACHE_HOME/cmq/browse`` (``~/.cache/cmq/browse``) — as
``<cache>/<release id>/browse.sqlite``; nothing is ever written into a release folder (it may be
read-only).

:class:`BrowseIndexes` runs one build at a time, in a child process at low priority (the
server's event loop and query workers go on), started when the release is served
(:meth:`BrowseIndexes.prepare`). Until the file is there, :meth:`BrowseIndexes.folder_for`
raises :class:`IndexPreparing` (503 with ``Retry-After``; the lists show a page saying so); a
failed build is logged and raises :class:`~publisher.server.browse_query.IndexMissing` until the
server loads that release again (a restart, or ``current`` back to it). :data:`KEEP` cache entries are kept, the oldest removed.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

from publisher.release.browse_index import (
    COLUMNS_DIGEST,
    INDEX_FILE,
    SCHEMA_VERSION,
    read_only,
    write_index,
)
from publisher.server.browse_query import IndexMissing

log = logging.getLogger("cmq.server")
KEEP = 8  # cache entries kept (the newest)
#: the child process: ``python -c CHILD <release folder> <base IRI> <release id> <out folder>``
CHILD = ("import sys; from publisher.server.browse_cache import child_build; "
         "child_build(sys.argv[1:])")


class IndexPreparing(IndexMissing):
    """The server is building this release's browse index; ask again after ``retry_after_s``."""

    status = 503

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def default_cache() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cmq" / "browse"


def is_current(index: Path, release_id: str, base_iri: str) -> bool:
    """Whether ``index`` is a browse index of that release made with this cmq's declarations."""
    if not index.is_file():
        return False
    try:
        with closing(read_only(index)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta"))
    except sqlite3.Error:
        return False
    return (meta.get("schema"), meta.get("columns"), meta.get("release_id"),
            meta.get("base_iri")) == (SCHEMA_VERSION, COLUMNS_DIGEST, release_id, base_iri)


def child_build(args: list[str]) -> None:
    """The child process's work: write the index of one release into the cache entry."""
    folder, base_iri, release_id, out = args
    try:
        os.nice(10)  # the server's requests first
    except OSError:
        pass
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    write_index(Path(folder), base_iri, release_id, out=target)


def prune(cache: Path, keep: int = KEEP) -> None:
    """Remove the cache entries beyond the ``keep`` newest."""
    entries = sorted((p for p in cache.iterdir() if p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


class BrowseIndexes:
    """The browse index of each served release (see the module)."""

    def __init__(self, cache: Path, retry_after_s: int = 5) -> None:
        self.cache = cache
        self.retry_after_s = retry_after_s
        self._lock = threading.Lock()
        self._ready: dict[Path, Path] = {}  # release folder → folder of its current index
        self._failed: dict[Path, str] = {}
        self._queue: list[tuple[Path, str, str]] = []
        self._worker: threading.Thread | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._closed = False

    def entry(self, release_id: str) -> Path:
        return self.cache / release_id

    def folder_for(self, folder: Path, release_id: str, base_iri: str) -> Path:
        """The folder holding the release's current index; raises :class:`IndexPreparing` while
        the server builds it, :class:`IndexMissing` when it cannot."""
        with self._lock:
            ready = self._ready.get(folder)
        if ready is not None and (ready / INDEX_FILE).is_file():
            return ready
        found = self._check(folder, release_id, base_iri)
        if found is not None:
            return found
        with self._lock:
            failed = self._failed.get(folder)
        if failed is not None:
            raise IndexMissing(f"index de navigation impossible à construire / browse index "
                               f"could not be built: {failed}")
        self.prepare(folder, release_id, base_iri)
        raise IndexPreparing(
            "index de navigation en préparation : le serveur le construit pour cette version, "
            "réessayez dans quelques secondes / browse index being prepared for this release, "
            "try again in a few seconds", self.retry_after_s)

    def _check(self, folder: Path, release_id: str, base_iri: str) -> Path | None:
        for candidate in (folder, self.entry(release_id)):
            if is_current(candidate / INDEX_FILE, release_id, base_iri):
                with self._lock:
                    self._ready[folder] = candidate
                return candidate
        return None

    def prepare(self, folder: Path, release_id: str, base_iri: str, again: bool = False) -> None:
        """Queue the build of the release's index unless it has a current one (or is queued);
        ``again``: even if it failed before (the release is being loaded anew)."""
        if self._check(folder, release_id, base_iri) is not None:
            return
        with self._lock:
            if again:
                self._failed.pop(folder, None)
            if self._closed or folder in self._failed or any(q[0] == folder for q in self._queue):
                return
            self._queue.append((folder, release_id, base_iri))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="cmq-browse-index",
                                                daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed or not self._queue:
                    self._worker = None
                    return
                folder, release_id, base_iri = self._queue[0]
            problem = self._build(folder, release_id, base_iri)
            with self._lock:
                self._queue.pop(0)
                if problem is not None:
                    self._failed[folder] = problem

    def _build(self, folder: Path, release_id: str, base_iri: str) -> str | None:
        out = self.entry(release_id)
        log.info("browse index of release %s: building into %s", release_id, out)
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-c", CHILD, str(folder), base_iri, release_id, str(out)]
            with self._lock:
                if self._closed:
                    return None
                self._child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, err = self._child.communicate()
            code = self._child.returncode
        except OSError as exc:
            log.warning("browse index of release %s not built: %s", release_id, exc)
            return str(exc)
        if code != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {code}"]
            log.warning("browse index of release %s not built: %s", release_id, tail[0])
            return tail[0]
        log.info("browse index of release %s ready", release_id)
        prune(self.cache)
        return None

    def close(self) -> None:
        """Stop a running build (its temporary file is left to the next build to remove)."""
        with self._lock:
            self._closed = True
            child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
