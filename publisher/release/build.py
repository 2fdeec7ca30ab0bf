"""Build a release: convert, validate, write every file, then publish it atomically.

Layout and atomicity follow docs/decisions/0002-release-layout.md; determinism of the dumps
follows docs/decisions/0004-deterministic-dumps.md. Steps of :func:`build_release`:

1. under an exclusive lock on the releases folder, convert and validate (incrementally when the
   build cache ``releases/.cmq-cache/`` is valid: docs/decisions/0010-incremental-build.md); on any
   violation raise :class:`ValidationFailed` (no release is written; the cache records the
   attempt). A first build validates before creating the releases folder: nothing is written;
2. remove stale ``.tmp-*`` left by killed builds;
3. the id is the SHA-256 of the sorted N-Triples' SHA-256 and of every other input that reaches
   the release: ``campus.toml``, mapping, ontology, shapes, source files, cmq version
   (:func:`publisher.release.manifest.release_id`; a configuration-only change is a new
   release); if a release with that id exists, it is only made current again (status ``reused``, or ``unchanged`` when it was
   already current);
4. write everything into ``releases/.tmp-<random>/`` (data dumps chunk by chunk, copying the
   unchanged chunks from the previous release) and fsync it, rename it to ``releases/<id>``,
   swap the ``current`` symlink (``os.replace``), prune old releases
   (:func:`publisher.release.folder.publish_folder`), save the build cache.

Returns a :class:`BuildResult`.

Any exception (validation, disk full, Ctrl-C) before the rename removes the temporary folder and
leaves ``current`` untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from rdflib import Graph

from publisher import __version__
from publisher.convert.mapping import load_mapping
from publisher.core.errors import ReleaseError
from publisher.core.files import sha256_file, write_bytes
from publisher.project.folder import Project
from publisher.release.browse_index import write_index
from publisher.release.cache import CACHE_DIR, BuildCache
from publisher.release.data import (
    canonical_turtle,
    close_store,
    entries,
    examples_graph,
    save_cache,
    start_store,
    write_delta_or_changeset,
    write_ontology_docs,
)
from publisher.release.dumps.chunks import DataChunks, DumpIndex, write_chunked_dumps
from publisher.release.dumps.formats import prefixes_for, write_turtle_canonical, write_turtle_fast
from publisher.release.folder import (
    Progress,
    Publication,
    build_lock,
    kept_after_publishing,
    publish_folder,
)
from publisher.release.incremental import Prepared, prepare
from publisher.release.manifest import release_id, write_manifest
from publisher.release.metadata.catalog import build_catalog
from publisher.release.metadata.extent import extent_of
from publisher.release.metadata.provenance import build_provenance
from publisher.release.metadata.report_html import render_report
from publisher.release.metadata.void import build_void, line_statistics
from publisher.release.model import (
    ADDED_NT,
    CATALOG_TTL,
    CONTEXT,
    DATA_JSONLD,
    DATA_NT,
    DATA_TTL,
    ONTOLOGY_TTL,
    PROVENANCE_TTL,
    REMOVED_NT,
    REPORT_HTML,
    REPORT_TTL,
    SHAPES_TTL,
    VOID_TTL,
    ReleaseInfo,
    ReleaseStatus,
    SourceEntry,
)
from publisher.release.tables import write_tables
from publisher.validate.validation import ValidationFailed

BuildMode = Literal["full", "incremental"]


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_release` did: the release now current and how it became so."""

    info: ReleaseInfo
    status: ReleaseStatus  # published | reused (made current again) | unchanged (was current)
    path: Path  # releases/<id>
    pruned: tuple[str, ...]  # ids of the old releases deleted
    cleaned: tuple[str, ...]  # stale ``.tmp-*`` entries removed
    mode: BuildMode  # incremental when the build cache was used
    seconds: float  # wall time of the whole build

    @property
    def reused(self) -> bool:
        """The data had already been released: no new folder was written."""
        return self.status != "published"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def source_entries(project: Project) -> tuple[SourceEntry, ...]:
    out = []
    for p in project.source_files():
        size, digest = sha256_file(p)
        out.append(SourceEntry(p.name, size, digest))
    return tuple(out)


def sources_digest(sources: tuple[SourceEntry, ...]) -> str:
    """One digest of the source files' names and contents (part of the release id)."""
    return hashlib.sha256("".join(f"{s.name}\0{s.sha256}\n" for s in sources)
                          .encode("utf-8")).hexdigest()


def build_release(project: Project, out: Path | None = None, *,
                  progress: Progress | None = None, incremental: bool = True) -> BuildResult:
    """Build, validate and publish a release of ``project`` (see the module docstring).

    ``out`` replaces the project's ``releases/`` folder. With ``incremental`` (the default) the
    build cache of the releases folder (docs/decisions/0010-incremental-build.md) is used when
    it is valid: only changed rows are converted and only affected focus nodes validated.
    Raises :class:`ValidationFailed` (nothing published) or :class:`ReleaseError`.
    """
    say = progress or (lambda _msg: None)
    clock = time.monotonic()
    started = _now()
    releases_dir = (out or project.releases_dir).resolve()
    prepared: Prepared | None = None
    if not releases_dir.is_dir():  # first build: nothing is written unless the data validates
        prepared = prepare(project, None, say)
        if not prepared.validation.report.conforms:
            raise ValidationFailed(prepared.validation.report)
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReleaseError(f"{releases_dir}: impossible de créer / cannot create: {exc}") from exc
    try:
        with build_lock(releases_dir):
            cache = BuildCache(releases_dir / CACHE_DIR)
            if prepared is None:
                prepared = prepare(project, cache if incremental else None, say)
                if not prepared.validation.report.conforms:
                    _save_refused(cache, prepared, say)
                    raise ValidationFailed(prepared.validation.report)
            done = _publish(project, releases_dir, prepared, cache, started, say)
    except OSError as exc:
        raise ReleaseError(f"{releases_dir}: écriture impossible / cannot write: {exc}") from exc
    finally:
        if prepared is not None:
            close_store(prepared)
    return BuildResult(done.info, done.status, done.path, done.pruned, done.cleaned,
                       "incremental" if prepared.incremental else "full",
                       time.monotonic() - clock)


def _save_refused(cache: BuildCache, prepared: Prepared, say: Progress) -> None:
    """Keep what a refused build converted and validated, for the next (fixed) build."""
    close_store(prepared)
    try:
        save_cache(cache, prepared, data_id=DataChunks.of(prepared.lines).sha256,
                   data_source=None, dumps=None, store=None)
    except OSError as exc:
        say(f"cache non enregistré / cache not saved: {exc}")
        cache.clear()


def _publish(project: Project, releases_dir: Path, prepared: Prepared, cache: BuildCache,
             started: datetime, say: Progress) -> Publication:
    say("tri des triplets / sorting triples")
    data = DataChunks.of(prepared.lines)
    if not prepared.incremental:
        close_store(prepared)  # the in-memory validation store: its memory goes to the next step
    job = start_store(cache, prepared, data, project.ontology_files())
    sources = source_entries(project)
    rid = release_id(data.sha256, {**prepared.inputs, "sources": sources_digest(sources)})
    writer = _CampusWriter(project, prepared, data, cache, started, say, rid, sources)
    try:
        done = publish_folder(releases_dir, rid, project.config, writer, say)
    except BaseException:
        if job is not None:
            job.join()
        raise
    say("cache de construction / build cache")
    close_store(prepared)
    dumps = (dataclasses.replace(writer.dumps, release_dir=str(done.path))
             if writer.dumps is not None else None)
    try:
        save_cache(cache, prepared, data_id=data.sha256, data_source=done.path / DATA_NT,
                   dumps=dumps, store=job)
    except OSError as exc:
        say(f"cache non enregistré / cache not saved: {exc}")
        cache.clear()
    return done


@dataclass
class _CampusWriter:
    """Writes a campus release into the temporary folder (a :data:`ReleaseWriter`); keeps the
    index of the data dumps it wrote, for the build cache."""

    project: Project
    prepared: Prepared
    data: DataChunks
    cache: BuildCache
    started: datetime
    say: Progress
    rid: str
    sources: tuple[SourceEntry, ...]
    dumps: DumpIndex | None = None

    def __call__(self, tmp: Path, previous: Path | None) -> ReleaseInfo:
        project, prepared, cache, say = self.project, self.prepared, self.cache, self.say
        config = project.config
        report = prepared.validation.report
        lines = prepared.lines
        say("N-Triples, Turtle, JSON-LD, gzip")
        prefixes = prefixes_for(lines, config.base_iri)
        old = prepared.extra.dumps if prepared.extra is not None else None
        written = write_chunked_dumps(lines, tmp, prefixes, (DATA_NT, DATA_TTL, DATA_JSONLD,
                                                             CONTEXT), data=self.data, previous=old)
        say("tableaux CSV et CSVW / CSV tables and CSVW")
        write_tables(tmp, project.data_dir, config, load_mapping(project.mapping_path))
        say("ontologie, formes, rapport / ontology, shapes, report")
        inputs = prepared.inputs
        canonical_turtle(cache, inputs["cmq"] + inputs["ontology"] + "o",
                         project.ontology_files(), tmp / ONTOLOGY_TTL)
        canonical_turtle(cache, inputs["cmq"] + inputs["shapes"] + "s",
                         project.shape_files(), tmp / SHAPES_TTL)
        computed = line_statistics(lines, config.campus_iri)
        write_ontology_docs(tmp, project, examples_graph(lines, computed[0].first))
        shacl = report.shacl_graph if report.shacl_graph is not None else Graph()
        write_turtle_fast(shacl, tmp / REPORT_TTL, prefixes)
        say("différences avec la version précédente / changeset")
        n_add, n_rem = write_delta_or_changeset(prepared, previous, tmp / DATA_NT,
                                                tmp / ADDED_NT, tmp / REMOVED_NT)
        info = ReleaseInfo(
            release_id=self.rid,
            created=self.started,
            config=config,
            triples=len(lines),
            cmq_version=__version__,
            files=entries(tmp, written.sizes),
            sources=self.sources,
            previous_id=previous.name if previous is not None else None,
            violations=report.count("Violation"),
            warnings=report.count("Warning"),
            added=n_add,
            removed=n_rem,
        )
        say("VoID, rapport, provenance, catalogue / VoID, report, provenance, catalogue")
        write_turtle_canonical(build_void(lines, info, computed=computed), tmp / VOID_TTL)
        write_bytes(tmp / REPORT_HTML, render_report(report, info).encode("utf-8"))
        write_turtle_canonical(build_provenance(info, self.started, _now()),
                               tmp / PROVENANCE_TTL)
        info = dataclasses.replace(info, files=entries(tmp, written.sizes))
        kept = kept_after_publishing(tmp.parent, config)
        write_turtle_canonical(build_catalog(info, kept, extent_of(lines)), tmp / CATALOG_TTL)
        info = dataclasses.replace(info, files=entries(tmp, written.sizes))
        write_manifest(tmp, info)
        say("index de navigation / browse index")  # not in the manifest: decision 0019
        write_index(tmp, config.base_iri, info.release_id)
        self.dumps = written.index
        return info
