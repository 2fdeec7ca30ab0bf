"""What ``cmq serve --store URL`` needs: which release the store serves, and an engine on it.

The store's metadata graph decides which release is current (``cmq publish`` switches it); the
server reads it at start and every ``reload_interval`` seconds, and serves that release's files
from the local ``releases/<id>/`` folder (the pages' ETags, ``/dumps``, the catalogue): a server
in front of a store needs the releases folder of the project that published (shared or copied
before publishing, docs/deploy.md). A release the store names but the folder lacks is reported
and the server keeps serving the previous one.

The engine (:class:`~publisher.remote.engine.RemoteEngine`) sees only that release's graphs;
the embedded graph names ``{base}graph/ontology|catalog|void`` become the release's own, which
:func:`served_info` records in the release's ``store_graphs`` for the Service
Description and the ontology page (``publisher.server.state.graph_iri``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

from publisher.core.errors import ReleaseNotFound
from publisher.project.folder import Project
from publisher.project.settings import Settings
from publisher.release.folder import resolve_release
from publisher.release.model import ReleaseInfo
from publisher.remote import layout
from publisher.remote.engine import RemoteEngine, StoreDataset
from publisher.remote.store import RemoteStore, open_store
from publisher.sparql.errors import QueryError

log = logging.getLogger("cmq.server")
META_TIMEOUT_S = 10.0


def served_info(info: ReleaseInfo) -> ReleaseInfo:
    """``info`` with the store names of its side graphs in ``store_graphs``."""
    graphs = layout.ReleaseGraphs(info.config.base_iri, info.release_id)
    return dataclasses.replace(info, store_graphs={**info.store_graphs, **graphs.named})


def dataset_of(info: ReleaseInfo) -> StoreDataset:
    graphs = layout.ReleaseGraphs(info.config.base_iri, info.release_id)
    return StoreDataset(graphs.all, tuple(graphs.named.values()), graphs.aliases, graphs.empty)


class StoreSource:
    """The server's view of the store: current release folder, engines (one per release)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._meta: RemoteStore | None = None
        self._lock = threading.Lock()
        self._last_problem: str | None = None

    def _store(self) -> RemoteStore:
        with self._lock:
            if self._meta is None:
                self._meta = open_store(self.settings, max_connections=2)
            return self._meta

    def require_target(self, project: Project) -> Path:
        """The local folder of the store's current release; raises when there is none."""
        rid = layout.read_current(self._store(), project.config.base_iri,
                                  timeout_s=META_TIMEOUT_S)
        if rid is None:
            raise ReleaseNotFound(
                f"{self._store().label}: aucune version publiée pour / no release published "
                f"for {project.config.base_iri} (run `cmq publish --store URL`)")
        try:
            return resolve_release(rid, project.releases_dir, paths=False)
        except ReleaseNotFound as exc:
            raise ReleaseNotFound(
                f"la version courante du magasin, {rid}, est absente de / the store's current "
                f"release {rid} is not in {project.releases_dir}: copy it there (or publish "
                "from this project)") from exc

    def target(self, project: Project) -> Path | None:
        """:meth:`require_target`, or None (logged once per distinct problem) on failure."""
        try:
            folder = self.require_target(project)
        except (QueryError, ReleaseNotFound) as exc:
            message = str(getattr(exc, "message", exc))
            if message != self._last_problem:
                log.warning("store check: %s", message)
                self._last_problem = message
            return None
        self._last_problem = None
        return folder

    def engine(self, info: ReleaseInfo) -> tuple[ReleaseInfo, RemoteEngine]:
        s = self.settings
        store = open_store(s, max_connections=s.workers + 2)
        engine = RemoteEngine(store, dataset_of(info), timeout_s=s.query_timeout,
                              max_rows=s.max_rows, workers=s.workers,
                              service_allow_list=frozenset(s.service_allow_list),
                              base_iri=info.sparql_url)
        return served_info(info), engine

    def close(self) -> None:
        with self._lock:
            if self._meta is not None:
                self._meta.close()
                self._meta = None
