"""A releases folder on disk: which release is current, the build lock, and atomic publication.

Contract (docs/decisions/0002-release-layout.md): ``releases/current`` is a relative symlink to
``releases/<id>``; :func:`swap_current` replaces it in one ``os.replace``; everything temporary is
named ``.tmp-cmq-*`` and only :func:`clean_stale` (under :func:`build_lock`) removes it, and only
what carries the build's proof of ownership (a temporary folder holding :data:`OWN_MARK`, or an
empty one; a ``current`` link to a release id): ``--out DIR`` may name a folder holding other
things (docs/decisions/0022-own-what-you-remove.md). :func:`prune` keeps the newest releases, never
the current one nor one a running server holds (:mod:`publisher.release.lease`). :func:`publish_folder` is the one way a
release folder appears (``cmq build`` and ``cmq harvest``): under the lock, a writer fills
``.tmp-*``, which is fsynced and renamed to ``<id>``; then ``current`` is swapped and old
releases pruned. An existing ``<id>`` is only made current again. :func:`resolve_release` is the
one way a release name (id, ``current``, path) becomes a folder. This module is light: the
server imports it to find the release to serve without importing the release builder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from publisher.core.errors import ReleaseError, ReleaseNotFound
from publisher.core.files import fsync_dir
from publisher.project.config import CampusConfig
from publisher.release.lease import held_ids
from publisher.release.manifest import ID_PATTERN, list_releases, read_release
from publisher.release.model import (
    CURRENT_LINK,
    DATA_NQ,
    DATA_NT,
    OWN_MARK,
    ReleaseInfo,
    ReleaseStatus,
)

TMP_PREFIX = ".tmp-cmq-"
LOCK_FILE = ".build.lock"

#: Writes every file of a new release into the temporary folder (first argument) and returns
#: the release; the second argument is the current release's folder (None: first release).
ReleaseWriter = Callable[[Path, Path | None], ReleaseInfo]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Publication:
    """What :func:`publish_folder` did: the release now current, how, and what it removed."""

    info: ReleaseInfo
    status: ReleaseStatus
    path: Path  # releases/<id>
    pruned: tuple[str, ...] = ()  # ids of the old releases deleted
    cleaned: tuple[str, ...] = ()  # names of the stale ``.tmp-*`` entries removed


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
    """Remove the ``.tmp-cmq-*`` entries left by interrupted builds that the build can prove it
    made (call under the lock): folders holding :data:`OWN_MARK` or empty, links to a release id.
    Anything else is left alone, whatever its name."""
    removed = []
    for p in sorted(releases_dir.glob(f"{TMP_PREFIX}*")):
        if p.is_symlink():
            if not ID_PATTERN.match(os.readlink(p)):
                continue
            p.unlink()
        elif not (p.is_dir() and remove_marked(p)):
            continue
        removed.append(p.name)
    return removed


def mark_own(folder: Path) -> None:
    """Write :data:`OWN_MARK` into a folder the build made (or is about to take over)."""
    (folder / OWN_MARK).write_bytes(b"cmq\n")


def remove_marked(folder: Path) -> bool:
    """Delete ``folder`` if it is empty or holds :data:`OWN_MARK` (which goes last, so a removal
    interrupted half-way is finished by the next build); False (nothing touched) otherwise."""
    mark = folder / OWN_MARK
    if mark.is_file() and not mark.is_symlink():
        for child in folder.iterdir():
            if child.name == OWN_MARK:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        mark.unlink()
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


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
    """Delete releases beyond the ``keep`` most recent (the current one always stays, and so does
    every release a running server holds: :func:`publisher.release.lease.held_ids`)."""
    others = [r for r in list_releases(releases_dir, None) if r.release_id != current_id]
    held = held_ids(releases_dir)
    removed = []
    for info in others[max(keep, 1) - 1:]:
        if info.release_id in held:
            continue
        doomed = releases_dir / info.release_id
        # leave the id namespace in one step; a failed rmtree is finished by the next build
        trash = releases_dir / f"{TMP_PREFIX}prune-{info.release_id}"
        mark_own(doomed)
        os.rename(doomed, trash)
        try:
            remove_marked(trash)
        except OSError:
            pass
        removed.append(info.release_id)
    return removed


def kept_after_publishing(releases_dir: Path, config: CampusConfig) -> list[ReleaseInfo]:
    """The releases :func:`prune` will keep beside a new one, newest first (for its catalogue)."""
    return list_releases(releases_dir, config)[: max(config.releases_kept, 1) - 1]


def write_folder(releases_dir: Path, rid: str, write: Callable[[Path], ReleaseInfo]) -> ReleaseInfo:
    """``write`` into a fresh ``.tmp-*`` folder, fsync it and rename it to ``releases/<rid>``.

    Any exception (disk full, Ctrl-C) removes the temporary folder; nothing else changes.
    """
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=releases_dir))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a release is public
        mark_own(tmp)
        info = write(tmp)
        fsync_dir(tmp)
        try:
            os.rename(tmp, releases_dir / rid)
        except OSError as exc:
            raise ReleaseError(f"{releases_dir / rid}: impossible de publier / cannot publish: "
                               f"{exc}") from exc
        (releases_dir / rid / OWN_MARK).unlink()
        fsync_dir(releases_dir)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info


def publish_folder(releases_dir: Path, rid: str, config: CampusConfig, write: ReleaseWriter,
                   say: Progress | None = None) -> Publication:
    """Make release ``rid`` current, writing it with ``write`` unless it exists (call under
    :func:`build_lock`): clean stale ``.tmp-*``, write, swap ``current``, prune."""
    tell = say or (lambda _msg: None)
    cleaned = tuple(clean_stale(releases_dir))
    previous = current_release(releases_dir)
    target = releases_dir / rid
    status: ReleaseStatus
    if target.exists():
        tell(f"version {rid} déjà construite / release {rid} already built")
        info = read_release(target, config)
        status = "unchanged" if previous == target.resolve() else "reused"
    else:
        tell(f"écriture de la version / writing release {rid}")
        info = write_folder(releases_dir, rid, lambda tmp: write(tmp, previous))
        status = "published"
    swap_current(releases_dir, rid)
    pruned = tuple(prune(releases_dir, config.releases_kept, rid))
    return Publication(info, status, target, pruned, cleaned)


def is_release_folder(path: Path) -> bool:
    """A folder holding a release's data (``campus.nt``, or ``campus.nq`` for a national one)."""
    return path.is_dir() and ((path / DATA_NT).is_file() or (path / DATA_NQ).is_file())


def resolve_release(ref: str, releases_dir: Path, *, paths: bool = True) -> Path:
    """A release folder from an id, the word ``current``, or (with ``paths``) a path to a
    release folder, absolute or relative to the working directory or to ``releases_dir``.

    Raises :class:`ReleaseNotFound`. Without ``paths`` (names sent by web clients) only ids and
    ``current`` are accepted, so no other folder can be reached.
    """
    if ref == CURRENT_LINK:
        folder = current_release(releases_dir)
        if folder is None:
            raise ReleaseNotFound(f"{releases_dir}: pas de version courante / no current release "
                                  "(run `cmq build`)")
        return folder
    candidates = []
    if ID_PATTERN.match(ref) and not (releases_dir / ref).is_symlink():  # ids are real folders
        candidates.append(releases_dir / ref)
    if paths:
        candidates += [Path(ref), releases_dir / ref]
    for c in candidates:
        if is_release_folder(c):
            return c.resolve()
    raise ReleaseNotFound(f"version introuvable / release not found: {ref} (in {releases_dir})")
