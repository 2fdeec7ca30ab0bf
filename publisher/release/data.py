"""The data side of a release build: id, dumps, ontology files, changeset, build cache.

Helpers of :mod:`publisher.release.build` that work on the sorted N-Triples lines of
:func:`publisher.release.incremental.prepare` (never on an rdflib graph of the data, which costs minutes at
1M triples; docs/decisions/0010-incremental-build.md).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from publisher.core.errors import ReleaseError
from publisher.core.files import durable, write_bytes
from publisher.core.graphs import load_graph
from publisher.core.ntriples import lines_to_graph
from publisher.ontology.docs import build_view, render_html
from publisher.project.folder import Project
from publisher.release.cache import STORE_MIN_TRIPLES, BuildCache, Extra
from publisher.release.changeset import write_changeset
from publisher.release.dumps.chunks import DataChunks, DumpIndex
from publisher.release.dumps.formats import write_turtle_canonical
from publisher.release.incremental import Prepared, results_by_key
from publisher.release.manifest import file_entry, file_type, read_release
from publisher.release.model import DATA_NT, ONTOLOGY_HTML, ONTOLOGY_TTL, UNLISTED, FileEntry
from publisher.validate.validation import data_store


@dataclass
class StoreJob:
    """The cache's on-disk store, loaded in a thread while the dumps are written (Oxigraph
    releases the GIL while it loads)."""

    path: Path
    thread: threading.Thread
    error: list[BaseException] = field(default_factory=list)

    @classmethod
    def start(cls, path: Path, data: bytes, ontology: list[Path]) -> StoreJob:
        job: StoreJob

        def run() -> None:
            try:
                store = data_store(data, ontology, path)
                store.flush()
                del store
            except BaseException as exc:  # noqa: BLE001 — reported by join()
                job.error.append(exc)

        job = cls(path, threading.Thread(target=run, name="cmq-store", daemon=True))
        job.thread.start()
        return job

    def join(self) -> bool:
        self.thread.join()
        return not self.error


def start_store(cache: BuildCache, prepared: Prepared, data: DataChunks,
                ontology: list[Path]) -> StoreJob | None:
    """Start loading the cache's store when the data is large and the cache has none for it."""
    if prepared.store_dir is not None or len(data.lines) < STORE_MIN_TRIPLES:
        return None
    return StoreJob.start(cache.new_store_dir(), b"".join(data.nts), ontology)


def examples_graph(lines: list[str], first: dict[str, str]) -> Graph:
    """The triples of each class's first instance (``first``: class → smallest instance IRI,
    :attr:`publisher.release.metadata.void.Statistics.first`): what the ontology page reads from the data."""
    picked: list[str] = []
    for iri in sorted(set(first.values())):
        head = f"<{iri}> "
        i = bisect.bisect_left(lines, head)
        while i < len(lines) and lines[i].startswith(head):
            picked.append(lines[i])
            i += 1
    return lines_to_graph(picked)


def canonical_turtle(cache: BuildCache | None, key: str, files: list[Path], dest: Path) -> None:
    """Canonical Turtle of the ontology or shapes files, from the cache when it has it."""
    data = cache.canonical(key) if cache is not None else None
    if data is not None:
        write_bytes(dest, data)
        return
    write_turtle_canonical(load_graph(files), dest)
    if cache is not None:
        try:
            cache.put_canonical(key, dest.read_bytes())
        except OSError:
            pass


def _write_lines(path: Path, lines: Iterable[str]) -> int:
    n = 0
    with durable(path) as fh:
        for line in lines:
            fh.write(line.encode("utf-8"))
            n += 1
    return n


def write_delta_or_changeset(prepared: Prepared, previous: Path | None, new_nt: Path,
                             added: Path, removed: Path) -> tuple[int, int]:
    """The changeset files: from the incremental delta when the previous release holds the
    cache's data, else by merging the two sorted dumps."""
    state = prepared.state
    if previous is not None and prepared.delta is not None and state is not None:
        try:
            entry = next((f for f in read_release(previous).files if f.name == DATA_NT), None)
        except ReleaseError:
            entry = None
        if entry is not None and entry.sha256 == state.data_id:
            plus, minus = prepared.delta
            return _write_lines(added, plus), _write_lines(removed, minus)
    old_nt = previous / DATA_NT if previous is not None else None
    return write_changeset(old_nt, new_nt, added, removed)


def entries(folder: Path, known: dict[str, tuple[int, str]]) -> tuple[FileEntry, ...]:
    """The manifest's file entries; ``known`` sizes and digests are not computed again."""
    out = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name in UNLISTED:
            continue
        if p.name in known:
            media, kind = file_type(p.name)
            size, digest = known[p.name]
            out.append(FileEntry(p.name, media, size, digest, kind))
        else:
            out.append(file_entry(p))
    return tuple(out)


def save_cache(cache: BuildCache, prepared: Prepared, *, data_id: str,
               data_source: Path | None, dumps: DumpIndex | None,
               store: StoreJob | None) -> None:
    """Record this build in the cache (the store is the new one, or the updated one)."""
    store_dir, store_id = prepared.store_dir, data_id if prepared.store_dir else None
    if store is not None and store.join():
        store_dir, store_id = store.path.name, data_id
    old = prepared.extra
    radii = dict(old.radii) if old is not None else {}
    radii.update(prepared.radii)
    extra = Extra(prepared.multi, results_by_key(prepared), radii,
                  dumps if dumps is not None else (old.dumps if old is not None else None))
    cache.save(inputs=prepared.inputs, data_id=data_id, triples=len(prepared.lines),
               tables=prepared.conv.tables, previous=prepared.state, extra=extra,
               data_source=data_source, lines=prepared.lines, store_dir=store_dir,
               store_id=store_id)


def close_store(prepared: Prepared) -> None:
    """Drop the validation store (an on-disk one must be closed before the next build)."""
    store: ox.Store | None = prepared.validation.store
    prepared.validation.store = None
    del store


def write_ontology_docs(release_dir: Path, project: Project, data: Graph | None) -> Path:
    """Write ``ontology.html`` into a release folder: the project's ontology and shapes, examples
    from ``data`` (the release's graph); its format links point to the release's ``ontology.ttl``."""
    view = build_view(load_graph(project.ontology_files()),
                      shapes=load_graph(project.shape_files()), data=data)
    html = render_html(view, alternates=[(ONTOLOGY_TTL, "text/turtle")])
    path = release_dir / ONTOLOGY_HTML
    write_bytes(path, html.encode("utf-8"))
    return path
