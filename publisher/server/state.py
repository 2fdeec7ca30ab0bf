"""The release being served and its query engine, swapped atomically when ``current`` moves.

:class:`ServerState` holds one :class:`ServedRelease` (the release read from its manifest, its
folder, the :class:`~publisher.sparql.QueryEngine` loaded from it, and its browse index with the
facet postings read in memory, :class:`~publisher.server.browse_query.BrowseIndex`). A
background task checks the target of ``releases/current`` every ``reload_interval`` seconds;
when it changed, the new release is read, its engine started and its postings read in a thread
(requests keep being answered from the old one meanwhile), then one assignment makes it the
served release (the old one's postings and cached pages go with it). The server's
:class:`~publisher.release.lease.Lease` names the releases it holds (written before a new one is
read), so a build never prunes them. The old engine is closed after
``query_timeout`` more seconds, so the queries already running on it can finish.

Nothing here runs at import: the app's lifespan calls :meth:`ServerState.open` and
:meth:`ServerState.close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from fastapi import Request

from publisher.core.errors import ReleaseError, ReleaseNotFound
from publisher.core.namespaces import PREFIXES
from publisher.project.folder import Project
from publisher.project.settings import Settings
from publisher.release import model as rm
from publisher.release.folder import current_release, resolve_release
from publisher.release.lease import Lease
from publisher.release.manifest import file_entry, read_release, verify_files
from publisher.release.model import FileEntry, ReleaseInfo
from publisher.remote.engine import RemoteEngine
from publisher.remote.serving import StoreSource
from publisher.server.browse_cache import BrowseIndexes, default_cache
from publisher.server.browse_query import BrowseIndex, IndexMissing, Recent
from publisher.sparql import GraphFile, QueryEngine

log = logging.getLogger("cmq.server")

RENDERED_PAGES = 128


async def poll(interval: float, step: Callable[[], Awaitable[object]], failure: str) -> None:
    """Run ``step`` every ``interval`` seconds until cancelled; a failing step is logged (with
    ``failure``) and the next one runs as planned."""
    while True:
        await asyncio.sleep(interval)
        try:
            await step()
        except Exception:
            log.exception(failure)

#: Named graphs of the store, ``{base}graph/<name>`` (docs/decisions/0002-release-layout.md).
NAMED_GRAPHS: tuple[tuple[str, str], ...] = (
    ("ontology", rm.ONTOLOGY_TTL),
    ("catalog", rm.CATALOG_TTL),
    ("void", rm.VOID_TTL),
)


def graph_iri(info: ReleaseInfo, name: str) -> str:
    # a release served from a remote store has its own graph names (publisher.remote.serving)
    return info.graph_iri(name)


def current_target(project: Project) -> Path | None:
    """The folder ``releases/current`` points to, or ``None`` when there is none."""
    try:
        return current_release(project.releases_dir)
    except (ReleaseError, OSError):
        return None


def ensure_release(
    project: Project, build_if_missing: bool, progress: Callable[[str], None] | None = None
) -> Path:
    """The current release's folder; builds the project first when there is none (and allowed)."""
    target = current_target(project)
    if target is not None:
        return target
    if not build_if_missing:
        raise ReleaseNotFound(
            f"{project.releases_dir}: pas de version courante / no current release "
            "(run `cmq build`)"
        )
    if progress is not None:
        progress("pas de version courante : construction / no current release: building")
    from publisher.release.build import build_release  # the builder only when it must run

    build_release(project, progress=progress)
    target = current_target(project)
    if target is None:
        raise ReleaseNotFound(f"{project.releases_dir}: la construction n'a rien publié / "
                              "the build published no current release")
    return target


def start_engine(settings: Settings, info: ReleaseInfo, folder: Path) -> QueryEngine:
    """A query engine over one release: campus.nt as default graph, the ontology, catalogue and
    VoID as named graphs ``{base}graph/<name>``; a query that names no dataset sees their union,
    one that does (FROM / FROM NAMED, or the protocol's parameters) sees exactly the graphs it
    names. Relative IRIs in queries resolve against the endpoint's public URL.

    A national release (``cmq harvest``, docs/decisions/0014-harvest.md) has ``campus.nq``
    instead: each campus in its own named graph, plus its provenance in ``{base}graph/provenance``.
    """
    nq = folder / rm.DATA_NQ
    if nq.is_file():
        files = [GraphFile(nq),
                 GraphFile(folder / rm.PROVENANCE_TTL, graph_iri(info, "provenance"))]
    else:
        files = [GraphFile(folder / rm.DATA_NT)]
    files += [GraphFile(folder / file, graph_iri(info, name)) for name, file in NAMED_GRAPHS
              if (folder / file).is_file()]
    return QueryEngine(
        files,
        union_default_graph=True,
        base_iri=info.sparql_url,
        timeout_s=settings.query_timeout,
        max_rows=settings.max_rows,
        workers=settings.workers,
        service_allow_list=frozenset(settings.service_allow_list),
        queue_timeout_s=settings.queue_timeout,
        slow_after_s=settings.slow_query_after,
        slow_workers=settings.slow_workers,
    )


def release_files(folder: Path, info: ReleaseInfo) -> dict[str, FileEntry]:
    """The files a release serves: those of its manifest, plus ``manifest.json`` itself, each
    checked once to be a regular file of the folder with the manifest's checksum
    (:func:`~publisher.release.manifest.verify_files`; raises :class:`ReleaseError`)."""
    verify_files(folder, info.files)
    files = {f.name: f for f in info.files}
    manifest = folder / rm.MANIFEST
    if manifest.is_file() and not manifest.is_symlink():
        files[rm.MANIFEST] = dataclasses.replace(
            file_entry(manifest), media_type="application/json", kind="manifest")
    return files


#: A kept release: its folder, its manifest and the files it serves.
KeptRelease = tuple[Path, ReleaseInfo, dict[str, FileEntry]]


@dataclass
class ServedRelease:
    """One release as served: manifest, folder, engine and a few small caches."""

    info: ReleaseInfo
    path: Path
    engine: QueryEngine | RemoteEngine
    releases_dir: Path
    files: dict[str, FileEntry] = field(default_factory=dict)
    indexes: BrowseIndexes | None = None  # where the browse index is, when not in the folder
    _converted: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)
    _kept: dict[str, KeptRelease] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _browse: BrowseIndex | None = field(default=None, init=False, repr=False)
    #: rendered list pages (HTML bytes), least recently used dropped
    rendered: Recent = field(default_factory=lambda: Recent(RENDERED_PAGES), repr=False)

    def __post_init__(self) -> None:
        if not self.files:
            self.files = release_files(self.path, self.info)

    @property
    def browse(self) -> BrowseIndex:
        """Its browse index, facet postings in memory and answers cached: dropped with the
        release when another one is served. Raises ``IndexMissing`` / ``IndexPreparing`` (the
        server is building it) as :meth:`browse_folder` does."""
        if self._browse is None:
            folder = self.browse_folder()
            with self._lock:
                if self._browse is None:
                    self._browse = BrowseIndex(folder)
        return self._browse

    @property
    def has_browse(self) -> bool:
        """Whether its browse index can answer now (its own, or the server's build of it)."""
        try:
            self.browse_folder()
        except IndexMissing:
            return False
        return True

    def browse_folder(self) -> Path:
        """The folder holding the release's current browse index (the release's own, else the
        server's build of it: :mod:`publisher.server.browse_cache`; raises ``IndexMissing`` /
        ``IndexPreparing`` meanwhile)."""
        if self.indexes is None:
            return self.path
        return self.indexes.folder_for(self.path, self.info.release_id,
                                       self.info.config.base_iri)

    def converted(self, name: str, target: ox.RdfFormat) -> bytes:
        """A Turtle file of the release in another RDF format (cached; the files never change)."""
        key = (name, target.media_type)
        with self._lock:
            hit = self._converted.get(key)
        if hit is not None:
            return hit
        path = self.path / name
        body: bytes | None
        if target == ox.RdfFormat.TURTLE:
            body = path.read_bytes()
        else:
            triples = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            body = ox.serialize(triples, format=target, prefixes=PREFIXES)
        assert body is not None
        with self._lock:
            self._converted[key] = body
        return body

    def kept_release(self, release_id: str) -> KeptRelease | None:
        """Folder and manifest of a release still kept in ``releases/`` (``None`` if gone)."""
        try:  # an id only: a name sent by a client never reaches another folder
            folder = resolve_release(release_id, self.releases_dir, paths=False)
        except ReleaseNotFound:
            return None
        if not (folder / rm.MANIFEST).is_file():
            return None
        with self._lock:
            hit = self._kept.get(release_id)
        if hit is None:
            info = read_release(folder)
            try:
                hit = (folder, info, release_files(folder, info))
            except ReleaseError:
                log.exception("release %s not served", release_id)
                return None
            with self._lock:
                self._kept[release_id] = hit
        return hit


class ServerState:
    """What the app serves; ``current`` is replaced in one assignment (atomic for readers)."""

    def __init__(self, settings: Settings, project: Project) -> None:
        self.settings = settings
        self.project = project
        self._current: ServedRelease | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._old: list[ServedRelease] = []
        # `store` set: the release and its queries come from a remote store (decision 0011)
        self._store = StoreSource(settings) if settings.store else None
        self._lease: Lease | None = None  # the releases held, so that builds never prune them
        cache = Path(settings.browse_cache) if settings.browse_cache else default_cache()
        self.indexes = BrowseIndexes(cache)  # browse indexes the releases lack (decision 0026)

    @property
    def current(self) -> ServedRelease:
        if self._current is None:
            raise ReleaseNotFound("aucune version servie / no release is being served")
        return self._current

    def _load(self, folder: Path) -> ServedRelease:
        info = read_release(folder, self.project.config)
        files = release_files(folder, info)  # before the engine reads any of them
        engine: QueryEngine | RemoteEngine
        if self._store is not None:
            info, engine = self._store.engine(info)
        else:
            engine = start_engine(self.settings, info, folder)
        self.indexes.prepare(folder, info.release_id, info.config.base_iri, again=True)
        served = ServedRelease(info, folder, engine, self.project.releases_dir, files,
                               indexes=self.indexes)
        try:  # before it is served: its first list pages do not wait for the postings
            served.browse.warm()
        except IndexMissing:  # none, or the server is building it (IndexPreparing)
            log.info("release %s has no browse index yet", info.release_id)
        except sqlite3.Error:  # the lists will answer the error; the rest is served
            log.exception("browse index of release %s unreadable", info.release_id)
        return served

    def _target(self) -> Path | None:
        if self._store is not None:
            return self._store.target(self.project)
        return current_target(self.project)

    def _hold(self, *extra: str) -> None:
        """Record in the lease the releases served (current, retiring) and ``extra``."""
        if self._lease is None:
            return
        ids = [*extra, *(r.info.release_id for r in self._old)]
        if self._current is not None:
            ids.append(self._current.path.name)
        try:
            self._lease.hold(ids)
        except OSError as exc:
            log.warning("lease not updated: %s", exc)

    def _take_lease(self) -> None:
        try:
            self._lease = Lease(self.project.releases_dir)
        except OSError as exc:  # e.g. a read-only releases folder: nothing prunes it either
            log.warning("no lease on %s: %s", self.project.releases_dir, exc)

    async def open(self) -> None:
        if self._store is not None:
            folder = await asyncio.to_thread(self._store.require_target, self.project)
        else:
            folder = await asyncio.to_thread(
                ensure_release, self.project, self.settings.build_if_missing, log.info
            )
        await asyncio.to_thread(self._take_lease)
        self._hold(folder.name)
        self._current = await asyncio.to_thread(self._load, folder)
        log.info("serving release %s (%d triples)", self._current.info.release_id,
                 self._current.info.triples)

    async def refresh(self) -> bool:
        """Serve the release ``current`` points to now, if it changed; True when swapped."""
        target = await asyncio.to_thread(self._target)
        old = self._current
        if target is None or (old is not None and target == old.path):
            return False
        self._hold(target.name)  # before reading it: a build cannot prune it meanwhile
        try:
            new = await asyncio.to_thread(self._load, target)
        except Exception:  # a half-written or broken release: keep serving the old one
            log.exception("cannot load release %s; still serving the previous one", target)
            self._hold()
            return False
        self._current = new
        log.info("now serving release %s (%d triples)", new.info.release_id, new.info.triples)
        if old is not None:
            self._old.append(old)
            task = asyncio.create_task(self._retire(old, self.settings.query_timeout + 1.0))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        return True

    async def _retire(self, old: ServedRelease, delay: float) -> None:
        await asyncio.sleep(delay)
        if old in self._old:
            self._old.remove(old)
            self._hold()
            await asyncio.to_thread(old.engine.close)

    async def watch(self) -> None:
        """Check ``releases/current`` every ``reload_interval`` seconds (until cancelled)."""
        interval = self.settings.reload_interval
        if interval > 0:
            await poll(interval, self.refresh, "release check failed")

    async def close(self) -> None:
        self.indexes.close()
        for task in list(self._retiring):
            task.cancel()
        engines = [r.engine for r in self._old]
        if self._current is not None:
            engines.append(self._current.engine)
        self._current, self._old = None, []
        for engine in engines:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(engine.close)
        if self._store is not None:
            self._store.close()
        if self._lease is not None:
            self._lease.release()
            self._lease = None


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.cmq
    return state


def served(request: Request) -> ServedRelease:
    """The release answering this request (taken once: a swap mid-request does not mix them)."""
    cached: ServedRelease | None = getattr(request.state, "cmq_release", None)
    if cached is None:
        cached = server_state(request).current
        request.state.cmq_release = cached
    return cached

