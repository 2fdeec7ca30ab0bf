"""Build a release: convert, validate, write every file, then publish it atomically.

Layout and atomicity follow docs/decisions/0002-release-layout.md; determinism of the dumps
follows docs/decisions/0004-deterministic-dumps.md. Steps of :func:`build_release`:

1. convert and validate; on any violation raise :class:`ValidationFailed` (nothing is written);
2. under an exclusive lock on the releases folder, remove stale ``.tmp-*`` left by killed builds;
3. sort the triples; the id is the SHA-256 of the sorted N-Triples (first 16 hex digits); if a
   release with that id exists, it is only made current again (``extra["reused"] == "true"``);
4. write everything into ``releases/.tmp-<random>/`` and fsync it, rename it to
   ``releases/<id>``, swap the ``current`` symlink (``os.replace``), prune old releases.

Any exception (validation, disk full, Ctrl-C) before the rename removes the temporary folder and
leaves ``current`` untouched.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph

from publisher import __version__
from publisher.catalog import build_catalog
from publisher.changeset import write_changeset
from publisher.dumps import (
    Row,
    fsync_dir,
    nt_bytes,
    sha256_file,
    sorted_rows,
    write_bytes,
    write_data_dumps,
    write_turtle_canonical,
    write_turtle_fast,
)
from publisher.errors import ReleaseError
from publisher.manifest import (
    file_entry,
    list_releases,
    read_release,
    release_id_of,
    write_manifest,
)
from publisher.ontology_html import write_ontology_docs
from publisher.project import Project
from publisher.provenance import build_provenance
from publisher.release_model import (
    ADDED_NT,
    CATALOG_TTL,
    CONTEXT,
    CURRENT_LINK,
    DATA_JSONLD,
    DATA_NT,
    DATA_TTL,
    MANIFEST,
    ONTOLOGY_TTL,
    PROVENANCE_TTL,
    REMOVED_NT,
    REPORT_HTML,
    REPORT_TTL,
    SHAPES_TTL,
    VOID_TTL,
    FileEntry,
    ReleaseInfo,
    SourceEntry,
)
from publisher.report_html import render_report
from publisher.validate import Report, ValidationFailed, load_graph, validate_project
from publisher.void import build_void

Progress = Callable[[str], None]

#: ``extra["status"]`` of a build: new release written / existing one made current again /
#: the current release already had these data.
PUBLISHED, REUSED, UNCHANGED = "published", "reused", "unchanged"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".build.lock"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def current_release(releases_dir: Path) -> Path | None:
    """The folder ``releases/current`` points to, or None before the first release."""
    link = releases_dir / CURRENT_LINK
    if not link.is_symlink():
        if link.exists():
            raise ReleaseError(f"{link}: n'est pas un lien symbolique / is not a symlink")
        return None
    target = link.resolve()
    return target if target.is_dir() else None  # a dangling link: as if there were none


@contextmanager
def build_lock(releases_dir: Path) -> Iterator[None]:
    """Exclusive lock on a releases folder (released by the OS if the build is killed)."""
    fd = os.open(releases_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ReleaseError(f"{releases_dir}: une autre construction est en cours / another "
                               "build is running") from exc
        yield
    finally:
        os.close(fd)


def clean_stale(releases_dir: Path) -> list[str]:
    """Remove ``.tmp-*`` folders and links left by interrupted builds (call under the lock)."""
    removed = []
    for p in sorted(releases_dir.glob(f"{TMP_PREFIX}*")):
        if p.is_symlink() or p.is_file():
            p.unlink()
        else:
            shutil.rmtree(p)
        removed.append(p.name)
    return removed


def swap_current(releases_dir: Path, release_id: str) -> None:
    """Point ``releases/current`` at ``release_id`` in one atomic step."""
    link = releases_dir / CURRENT_LINK
    tmp = releases_dir / f"{TMP_PREFIX}current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(release_id, tmp)
    try:
        os.replace(tmp, link)
    except OSError as exc:
        tmp.unlink()
        raise ReleaseError(f"{link}: impossible de remplacer / cannot replace: {exc}") from exc
    fsync_dir(releases_dir)


def prune(releases_dir: Path, keep: int, current_id: str) -> list[str]:
    """Delete releases beyond the ``keep`` most recent (the current one always stays)."""
    others = [r for r in list_releases(releases_dir, None) if r.release_id != current_id]
    removed = []
    for info in others[max(keep, 1) - 1:]:
        doomed = releases_dir / info.release_id
        # leave the id namespace in one step; a failed rmtree is finished by the next build
        trash = releases_dir / f"{TMP_PREFIX}prune-{info.release_id}"
        os.rename(doomed, trash)
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(info.release_id)
    return removed


def source_entries(project: Project) -> tuple[SourceEntry, ...]:
    out = []
    for p in project.source_files():
        size, digest = sha256_file(p)
        out.append(SourceEntry(p.name, size, digest))
    return tuple(out)


def build_release(project: Project, out: Path | None = None, *,
                  progress: Progress | None = None) -> ReleaseInfo:
    """Build, validate and publish a release of ``project`` (see the module docstring).

    ``out`` replaces the project's ``releases/`` folder. Returns the release, with in ``extra``:
    ``status`` (published | reused | unchanged), ``reused`` ("true" when identical data was
    already released), ``path`` (the release folder), ``pruned`` (ids removed, space-separated),
    ``added``/``removed`` (changeset sizes).
    """
    say = progress or (lambda _msg: None)
    started = _now()
    say("conversion et validation / converting and validating")
    conv, report = validate_project(project)
    if not report.conforms:
        raise ValidationFailed(report)

    releases_dir = (out or project.releases_dir).resolve()
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReleaseError(f"{releases_dir}: impossible de créer / cannot create: {exc}") from exc
    try:
        with build_lock(releases_dir):
            info, status, pruned = _publish(project, releases_dir, conv.graph, report, started,
                                            say)
    except OSError as exc:
        raise ReleaseError(f"{releases_dir}: écriture impossible / cannot write: {exc}") from exc
    extra = {**info.extra, "status": status, "reused": str(status != PUBLISHED).lower(),
             "path": str(releases_dir / info.release_id), "pruned": " ".join(pruned)}
    return dataclasses.replace(info, extra=extra)


def _publish(project: Project, releases_dir: Path, graph: Graph, report: Report,
             started: datetime, say: Progress) -> tuple[ReleaseInfo, str, list[str]]:
    clean_stale(releases_dir)
    say("tri des triplets / sorting triples")
    rows = sorted_rows(graph)
    data = nt_bytes(rows)
    rid = release_id_of(data)
    previous = current_release(releases_dir)
    target = releases_dir / rid
    if target.exists():
        say(f"version {rid} déjà construite / release {rid} already built")
        info = read_release(target, project.config)
        status = UNCHANGED if previous == target.resolve() else REUSED
    else:
        say(f"écriture de la version / writing release {rid}")
        info = _write_release(project, releases_dir, rid, rows, data, report, graph, previous,
                              started, say)
        status = PUBLISHED
    swap_current(releases_dir, rid)
    return info, status, prune(releases_dir, project.config.releases_kept, rid)


def _write_release(project: Project, releases_dir: Path, rid: str, rows: list[Row],
                   data: bytes, report: Report, graph: Graph, previous: Path | None,
                   started: datetime, say: Progress) -> ReleaseInfo:
    config = project.config
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=releases_dir))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a release is public
        say("N-Triples, Turtle, JSON-LD, gzip")
        prefixes = write_data_dumps(rows, tmp, config.base_iri, nt=data,
                                    names=(DATA_NT, DATA_TTL, DATA_JSONLD, CONTEXT))
        say("ontologie, formes, rapport / ontology, shapes, report")
        write_turtle_canonical(load_graph(project.ontology_files()), tmp / ONTOLOGY_TTL)
        write_turtle_canonical(load_graph(project.shape_files()), tmp / SHAPES_TTL)
        write_ontology_docs(tmp, project, graph)  # ontology.html (publisher.ontology_html)
        shacl = report.shacl_graph if report.shacl_graph is not None else Graph()
        write_turtle_fast(shacl, tmp / REPORT_TTL, prefixes)
        say("différences avec la version précédente / changeset")
        old_nt = previous / DATA_NT if previous is not None else None
        n_add, n_rem = write_changeset(old_nt, tmp / DATA_NT, tmp / ADDED_NT, tmp / REMOVED_NT)

        info = ReleaseInfo(
            release_id=rid,
            created=started,
            config=config,
            triples=len(rows),
            cmq_version=__version__,
            files=_entries(tmp),
            sources=source_entries(project),
            previous_id=previous.name if previous is not None else None,
            violations=report.count("Violation"),
            warnings=report.count("Warning"),
            extra={"added": str(n_add), "removed": str(n_rem)},
        )
        say("VoID, rapport, provenance, catalogue / VoID, report, provenance, catalogue")
        write_turtle_canonical(build_void(graph, info), tmp / VOID_TTL)
        write_bytes(tmp / REPORT_HTML, render_report(report, info).encode("utf-8"))
        write_turtle_canonical(build_provenance(info, started, _now()), tmp / PROVENANCE_TTL)
        info = dataclasses.replace(info, files=_entries(tmp))
        kept = list_releases(releases_dir, config)[: max(config.releases_kept, 1) - 1]
        write_turtle_canonical(build_catalog(info, kept), tmp / CATALOG_TTL)
        info = dataclasses.replace(info, files=_entries(tmp))
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
    return info


def _entries(folder: Path) -> tuple[FileEntry, ...]:
    return tuple(file_entry(p) for p in sorted(folder.iterdir()) if p.is_file()
                 and p.name != MANIFEST)
