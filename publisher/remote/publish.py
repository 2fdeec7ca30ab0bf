"""Publish a release into a remote SPARQL 1.1 store, so that readers never see it half-loaded.

Steps of :func:`publish_release` (docs/decisions/0011-remote-stores.md):

1. read the store's current release (``{base}graph/meta``); the same release already current and
   complete → nothing to do (status ``unchanged``);
2. register the release in the metadata graph (readers only look at ``hasCurrentVersion``);
3. load it into its own graphs with the Graph Store HTTP Protocol: the side files (ontology,
   catalogue, VoID) with one PUT each, ``campus.nt`` with POSTs of ``chunk_triples`` lines read
   from the file as it goes (a 1M-triple release is never whole in memory). Each acknowledged
   chunk is recorded in a small state file (``releases/.publish/<id>-<store>.json``), so a
   re-run resumes after the last acknowledged chunk; a graph that is already complete (a
   rollback, or a failure after loading) is not loaded again;
4. count the triples of every graph with a query; a mismatch after a resume restarts the load
   from zero once, any other mismatch fails;
5. switch ``hasCurrentVersion`` in one SPARQL Update operation and read it back;
6. drop the releases beyond ``keep`` (never the current one, and at least the previous one is
   kept, for servers that have not switched yet).

Transient failures (store unreachable, too slow, 5xx) are retried with exponential back-off.
When retries run out, :class:`PublishError` says what was loaded, that the previous release is
still current, and that re-running resumes. Nothing before step 5 changes what readers see.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from publisher.core.errors import ReleaseError
from publisher.release import model as rm
from publisher.release.manifest import read_release
from publisher.release.model import ReleaseInfo
from publisher.remote import layout
from publisher.remote.layout import ReleaseGraphs
from publisher.remote.store import RemoteStore
from publisher.sparql.errors import QueryError, StoreAuthError, StoreError

Progress = Callable[[str], None]
T = TypeVar("T")
STATE_DIR = ".publish"
NT_MEDIA = ox.RdfFormat.N_TRIPLES.media_type
TTL_MEDIA = ox.RdfFormat.TURTLE.media_type
SIDE_FILES = {"ontology": rm.ONTOLOGY_TTL, "catalog": rm.CATALOG_TTL, "void": rm.VOID_TTL}


class PublishError(ReleaseError):
    """The release could not be published; the store's current release did not change."""

    status = 502


@dataclass(frozen=True)
class PublishOptions:
    keep: int = 5  # releases kept in the store, the current one included (at least 2)
    chunk_triples: int = 50_000  # N-Triples lines per Graph Store POST
    retries: int = 5  # new attempts of a failed request before giving up
    backoff_s: float = 1.0  # first wait; doubles at each attempt
    max_backoff_s: float = 30.0
    request_timeout_s: float = 300.0  # one chunk, one update, one count
    #: called after each acknowledged chunk with (chunk number from 1, chunks in all)
    on_chunk: Callable[[int, int], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PublishReport:
    release_id: str
    status: str  # published | switched (was loaded already) | unchanged (already current)
    previous_id: str | None
    triples: int
    chunks: int
    resumed_from: int = 0  # chunks an earlier attempt had loaded
    restarted: bool = False  # a resumed load failed its count and was done again from zero
    pruned: tuple[str, ...] = ()
    load_s: float = 0.0
    verify_s: float = 0.0
    total_s: float = 0.0
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


# --------------------------------------------------------------------------- retries


def transient(exc: QueryError) -> bool:
    """Worth another try: unreachable, too slow, or a 5xx answer (not a refusal or a 4xx)."""
    if isinstance(exc, StoreAuthError) or not isinstance(exc, StoreError):
        return False
    return exc.store_status is None or exc.store_status >= 500


def with_retries(action: Callable[[], T], what: str, opts: PublishOptions,
                 say: Progress) -> T:
    attempt = 0
    while True:
        try:
            return action()
        except QueryError as exc:
            if not transient(exc) or attempt >= opts.retries:
                raise
            delay = min(opts.backoff_s * 2 ** attempt, opts.max_backoff_s)
            attempt += 1
            say(f"{what} : {exc.message} — nouvel essai / retry {attempt}/{opts.retries} "
                f"in {delay:g} s")
            time.sleep(delay)


# --------------------------------------------------------------------------- resume state


def state_file(release_dir: Path, store: RemoteStore, graph: str) -> Path:
    key = hashlib.sha256(f"{store.url('gsp')}\n{graph}".encode()).hexdigest()[:12]
    return release_dir.parent / STATE_DIR / f"{release_dir.name}-{key}.json"


def _state_key(info: ReleaseInfo, graph: str, opts: PublishOptions) -> dict[str, object]:
    digest = next((f.sha256 for f in info.files if f.name == rm.DATA_NT), "")
    return {"release_id": info.release_id, "graph": graph, "chunk_triples": opts.chunk_triples,
            "sha256": digest}


def read_acked(path: Path, key: dict[str, object]) -> int:
    """Chunks an earlier attempt had acknowledged (0 when the state is absent or for another
    file, graph or chunk size)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(state, dict) or any(state.get(k) != v for k, v in key.items()):
        return 0
    acked = state.get("acked")
    return acked if isinstance(acked, int) and acked > 0 else 0


def write_acked(path: Path, key: dict[str, object], acked: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps({**key, "acked": acked}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- loading


def chunks(path: Path, size: int) -> Iterator[bytes]:
    """``path`` (N-Triples, one triple per line) in pieces of ``size`` lines."""
    batch, count = bytearray(), 0
    with path.open("rb") as fh:
        for line in fh:
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            batch += line if line.endswith(b"\n") else line + b"\n"
            count += 1
            if count >= size:
                yield bytes(batch)
                batch, count = bytearray(), 0
    if batch:
        yield bytes(batch)


def _has_blank_nodes(chunk: bytes) -> bool:
    if b"_:" not in chunk:
        return False
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
               for t in ox.parse(chunk, format=ox.RdfFormat.N_TRIPLES))


def local_count(path: Path) -> int:
    return len({q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)})


class _Publisher:
    def __init__(self, store: RemoteStore, release_dir: Path, opts: PublishOptions,
                 say: Progress) -> None:
        self.store, self.dir, self.opts, self.say = store, release_dir, opts, say
        self.info = read_release(release_dir)
        self.base = self.info.config.base_iri
        self.graphs = ReleaseGraphs(self.base, self.info.release_id)
        self.total_chunks = max(1, -(-self.info.triples // opts.chunk_triples))
        self.state = state_file(release_dir, store, self.graphs.data)
        self.key = _state_key(self.info, self.graphs.data, opts)
        self.acked = 0

    def retry(self, action: Callable[[], T], what: str) -> T:
        return with_retries(action, what, self.opts, self.say)

    def side_files(self) -> dict[str, Path]:
        return {self.graphs.side(n): self.dir / f for n, f in SIDE_FILES.items()
                if (self.dir / f).is_file()}

    def complete(self, *, explain: bool = True) -> bool:
        """Every graph of the release holds the expected number of triples."""
        expected = {self.graphs.data: self.info.triples}
        expected.update({g: local_count(path) for g, path in self.side_files().items()})
        for graph, count in expected.items():
            found = self.retry(partial(self.store.count, graph, "comptage / counting",
                                       timeout_s=self.opts.request_timeout_s), "count")
            if found != count:
                if explain:
                    self.say(f"<{graph}>: {found} triplets / triples, {count} attendus / "
                             "expected")
                return False
        return True

    def load_side_files(self) -> None:
        for graph, path in self.side_files().items():
            self.retry(partial(self.store.put_graph, graph, path.read_bytes(), TTL_MEDIA,
                               f"chargement / loading {path.name}",
                               timeout_s=self.opts.request_timeout_s), path.name)

    def load_data(self, skip: int, *, drop: bool = True) -> None:
        """POST ``campus.nt`` chunk after chunk, after the first ``skip`` chunks; from zero
        (``skip == 0``) the graph is dropped first unless ``drop`` is false."""
        data = self.dir / rm.DATA_NT
        if skip == 0 and drop:
            self.retry(partial(self.store.update, f"DROP SILENT GRAPH <{self.graphs.data}>",
                               "remise à zéro / reset", timeout_s=self.opts.request_timeout_s),
                       "reset")
        self.acked = skip
        for number, chunk in enumerate(chunks(data, self.opts.chunk_triples), start=1):
            if number <= skip:
                continue
            if self.total_chunks > 1 and _has_blank_nodes(chunk):
                raise PublishError(f"{data}: nœuds anonymes / blank nodes cannot be loaded in "
                                   "chunks (their labels are per request); this release model "
                                   "never makes them")
            what = f"morceau / chunk {number}/{self.total_chunks}"
            self.retry(partial(self.store.post_graph, self.graphs.data, chunk, NT_MEDIA, what,
                               timeout_s=self.opts.request_timeout_s), what)
            self.acked = number
            write_acked(self.state, self.key, number)
            if self.opts.on_chunk is not None:
                self.opts.on_chunk(number, self.total_chunks)
        self.say(f"{self.info.triples} triplets envoyés / triples sent "
                 f"({self.total_chunks} morceaux / chunks)")

    def prune(self, current: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        keep = max(self.opts.keep, 2)
        try:
            versions = self.retry(partial(layout.read_versions, self.store, self.base),
                                  "versions")
            others = [v.release_id for v in versions if v.release_id != current]
            doomed = others[keep - 1:]
            for rid in doomed:
                self.retry(partial(self.store.update, layout.forget_update(self.base, rid),
                                   f"suppression / dropping {rid}",
                                   timeout_s=self.opts.request_timeout_s), f"prune {rid}")
        except QueryError as exc:
            warning = ("anciennes versions non supprimées / old releases not dropped: "
                       + exc.message)
            return (), (warning,)
        return tuple(doomed), ()


def publish_release(store: RemoteStore, release_dir: Path,
                    options: PublishOptions | None = None,
                    progress: Progress | None = None) -> PublishReport:
    """Load ``release_dir`` into ``store`` and make it current there (module docstring)."""
    opts = options or PublishOptions()
    if opts.chunk_triples < 1 or opts.retries < 0 or opts.keep < 1:
        raise ValueError("chunk_triples and keep must be >= 1, retries >= 0")
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    if not (release_dir / rm.DATA_NT).is_file():
        raise PublishError(f"{release_dir}: pas de {rm.DATA_NT} / no {rm.DATA_NT} (a national "
                           "release with campus.nq cannot be published to a store yet)")
    p = _Publisher(store, release_dir, opts, say)
    rid = p.info.release_id
    previous: str | None = None
    timeout = opts.request_timeout_s
    read_current = partial(layout.read_current, store, p.base)
    try:
        previous = p.retry(read_current, "version courante / current release")
        if previous == rid and p.complete(explain=False):
            pruned, warnings = p.prune(rid)
            return PublishReport(rid, "unchanged", previous, p.info.triples, 0, pruned=pruned,
                                 total_s=time.monotonic() - started, warnings=warnings)
        p.retry(partial(store.update, layout.register_update(p.info),
                        "enregistrement / registering", timeout_s=timeout), "register")
        t0 = time.monotonic()
        status, resumed, restarted = "published", read_acked(p.state, p.key), False
        if previous != rid and not resumed and p.complete(explain=False):
            status = "switched"  # loaded by an earlier run (or kept from before): just switch
        else:
            if resumed:
                say(f"reprise après le morceau / resuming after chunk {resumed}/{p.total_chunks}")
            p.load_side_files()
            # the current release itself incomplete (store lost data): repair it in place, the
            # POSTs only add what is missing, readers never see less than before
            p.load_data(resumed, drop=previous != rid)
        load_s = time.monotonic() - t0
        t1 = time.monotonic()
        if status == "published" and not p.complete():
            if not resumed:
                raise PublishError(_count_message(p))
            say("comptage faux après reprise : rechargement complet / count wrong after "
                "resuming: loading again from zero")
            restarted = True
            p.load_data(0, drop=previous != rid)
            if not p.complete():
                raise PublishError(_count_message(p))
        verify_s = time.monotonic() - t1
        p.retry(partial(store.update, layout.switch_update(p.base, rid), "bascule / switch",
                        timeout_s=timeout), "switch")
        now = p.retry(read_current, "version courante / current release")
        if now != rid:
            raise PublishError(f"{store.label}: la bascule n'a pas pris / the switch did not "
                               f"take (current: {now})")
    except QueryError as exc:
        fix = isinstance(exc, StoreAuthError)
        raise PublishError(_interrupted(p, previous, exc.message, fix)) from exc
    except PublishError as exc:
        raise PublishError(_interrupted(p, previous, exc.message)) from exc
    p.state.unlink(missing_ok=True)
    pruned, warnings = p.prune(rid)
    return PublishReport(rid, status, previous, p.info.triples, p.total_chunks, resumed,
                         restarted, pruned, load_s, verify_s, time.monotonic() - started,
                         warnings)


def _count_message(p: _Publisher) -> str:
    return (f"{p.store.label}: le nombre de triplets chargés ne correspond pas / the loaded "
            f"triple count does not match the release ({p.info.triples} expected in "
            f"<{p.graphs.data}>)")


def _interrupted(p: _Publisher, previous: str | None, cause: str,
                 credentials: bool = False) -> str:
    loaded = (f"{p.acked}/{p.total_chunks} morceaux acquittés / chunks acknowledged"
              if p.acked else "aucun morceau chargé / no chunk loaded")
    still = previous or "aucune / none"
    first = ("Corriger les identifiants puis relancer / fix the credentials, then re-run "
             "`cmq publish`" if credentials else "Relancer `cmq publish`")
    return (f"publication de {p.info.release_id} interrompue / publish of {p.info.release_id} "
            f"failed: {cause}\n{loaded}; la version courante du magasin reste / the store's "
            f"current release is still: {still}. {first} : la publication reprend là où elle "
            "s'est arrêtée / re-running resumes where it stopped.")
