"""Build a release: convert, validate, write every file, then publish it atomically.

Layout and atomicity follow docs/decisions/0002-release-layout.md; determinism of the dumps
follows docs/decisions/0004-deterministic-dumps.md. Steps of :func:`build_release`:

1. under an exclusive lock on the releases folder, convert and validate (incrementally when the
   build cache ``releases/.cache/`` is valid: docs/decisions/0010-incremental-build.md); on any
   violation raise :class:`ValidationFailed` (no release is written; the cache records the
   attempt). A first build validates before creating the releases folder: nothing is written;
2. remove stale ``.tmp-*`` left by killed builds;
3. the id is the SHA-256 of the sorted N-Triples (first 16 hex digits); if a release with that
   id exists, it is only made current again (``extra["reused"] == "true"``);
4. write everything into ``releases/.tmp-<random>/`` (data dumps chunk by chunk, copying the
   unchanged chunks from the previous release) and fsync it, rename it to ``releases/<id>``,
   swap the ``current`` symlink (``os.replace``), prune old releases, save the build cache.

Any exception (validation, disk full, Ctrl-C) before the rename removes the temporary folder and
leaves ``current`` untouched.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph

from publisher import __version__
from publisher.core.errors import ReleaseError
from publisher.core.files import fsync_dir, sha256_file, write_bytes
from publisher.project.folder import Project
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
    TMP_PREFIX,
    build_lock,
    clean_stale,
    current_release,
    prune,
    swap_current,
)
from publisher.release.incremental import Prepared, prepare
from publisher.release.manifest import list_releases, read_release, write_manifest
from publisher.release.metadata.catalog import build_catalog
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
    SourceEntry,
)
from publisher.validate.validation import ValidationFailed

Progress = Callable[[str], None]

#: ``extra["status"]`` of a build: new release written / existing one made current again /
#: the current release already had these data.
PUBLISHED, REUSED, UNCHANGED = "published", "reused", "unchanged"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def source_entries(project: Project) -> tuple[SourceEntry, ...]:
    out = []
    for p in project.source_files():
        size, digest = sha256_file(p)
        out.append(SourceEntry(p.name, size, digest))
    return tuple(out)


def build_release(project: Project, out: Path | None = None, *,
                  progress: Progress | None = None, incremental: bool = True) -> ReleaseInfo:
    """Build, validate and publish a release of ``project`` (see the module docstring).

    ``out`` replaces the project's ``releases/`` folder. With ``incremental`` (the default) the
    build cache of the releases folder (docs/decisions/0010-incremental-build.md) is used when
    it is valid: only changed rows are converted and only affected focus nodes validated.
    Returns the release, with in ``extra``: ``status`` (published | reused | unchanged),
    ``reused`` ("true" when identical data was already released), ``path`` (the release
    folder), ``pruned`` (ids removed, space-separated), ``added``/``removed`` (changeset sizes),
    ``mode`` (full | incremental).
    """
    say = progress or (lambda _msg: None)
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
            info, status, pruned = _publish(project, releases_dir, prepared, cache, started,
                                            say)
    except OSError as exc:
        raise ReleaseError(f"{releases_dir}: écriture impossible / cannot write: {exc}") from exc
    finally:
        if prepared is not None:
            close_store(prepared)
    extra = {**info.extra, "status": status, "reused": str(status != PUBLISHED).lower(),
             "path": str(releases_dir / info.release_id), "pruned": " ".join(pruned),
             "mode": "incremental" if prepared.incremental else "full"}
    return dataclasses.replace(info, extra=extra)


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
             started: datetime, say: Progress) -> tuple[ReleaseInfo, str, list[str]]:
    clean_stale(releases_dir)
    say("tri des triplets / sorting triples")
    data = DataChunks.of(prepared.lines)
    rid = data.release_id
    previous = current_release(releases_dir)
    target = releases_dir / rid
    if not prepared.incremental:
        close_store(prepared)  # the in-memory validation store: its memory goes to the next step
    job = start_store(cache, prepared, data, project.ontology_files())
    dumps: DumpIndex | None = None
    try:
        if target.exists():
            say(f"version {rid} déjà construite / release {rid} already built")
            info = read_release(target, project.config)
            status = UNCHANGED if previous == target.resolve() else REUSED
        else:
            say(f"écriture de la version / writing release {rid}")
            info, dumps = _write_release(project, releases_dir, rid, prepared, data, cache,
                                         previous, started, say)
            status = PUBLISHED
        swap_current(releases_dir, rid)
        pruned = prune(releases_dir, project.config.releases_kept, rid)
    except BaseException:
        if job is not None:
            job.join()
        raise
    say("cache de construction / build cache")
    close_store(prepared)
    try:
        save_cache(cache, prepared, data_id=data.sha256, data_source=target / DATA_NT,
                   dumps=dumps, store=job)
    except OSError as exc:
        say(f"cache non enregistré / cache not saved: {exc}")
        cache.clear()
    return info, status, pruned


def _write_release(project: Project, releases_dir: Path, rid: str, prepared: Prepared,
                   data: DataChunks, cache: BuildCache, previous: Path | None,
                   started: datetime, say: Progress) -> tuple[ReleaseInfo, DumpIndex]:
    config = project.config
    report = prepared.validation.report
    lines = prepared.lines
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=releases_dir))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a release is public
        say("N-Triples, Turtle, JSON-LD, gzip")
        prefixes = prefixes_for(lines, config.base_iri)
        old = prepared.extra.dumps if prepared.extra is not None else None
        written = write_chunked_dumps(lines, tmp, prefixes, (DATA_NT, DATA_TTL, DATA_JSONLD,
                                                             CONTEXT), data=data, previous=old)
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
            release_id=rid,
            created=started,
            config=config,
            triples=len(lines),
            cmq_version=__version__,
            files=entries(tmp, written.sizes),
            sources=source_entries(project),
            previous_id=previous.name if previous is not None else None,
            violations=report.count("Violation"),
            warnings=report.count("Warning"),
            extra={"added": str(n_add), "removed": str(n_rem)},
        )
        say("VoID, rapport, provenance, catalogue / VoID, report, provenance, catalogue")
        write_turtle_canonical(build_void(lines, info, computed=computed), tmp / VOID_TTL)
        write_bytes(tmp / REPORT_HTML, render_report(report, info).encode("utf-8"))
        write_turtle_canonical(build_provenance(info, started, _now()), tmp / PROVENANCE_TTL)
        info = dataclasses.replace(info, files=entries(tmp, written.sizes))
        kept = list_releases(releases_dir, config)[: max(config.releases_kept, 1) - 1]
        write_turtle_canonical(build_catalog(info, kept), tmp / CATALOG_TTL)
        info = dataclasses.replace(info, files=entries(tmp, written.sizes))
        write_manifest(tmp, info)
        fsync_dir(tmp)
        try:
            os.rename(tmp, releases_dir / rid)
        except OSError as exc:
            raise ReleaseError(f"{releases_dir / rid}: impossible de publier / cannot publish: "
                               f"{exc}") from exc
        fsync_dir(releases_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    index = dataclasses.replace(written.index, release_dir=str(releases_dir / rid))
    return info, index
