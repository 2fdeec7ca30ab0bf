"""A releases folder on disk: which release is current, the build lock, and the atomic swap.

Contract (docs/decisions/0002-release-layout.md): ``releases/current`` is a relative symlink to
``releases/<id>``; :func:`swap_current` replaces it in one ``os.replace``; everything temporary is
named ``.tmp-*`` and only :func:`clean_stale` (under :func:`build_lock`) removes it; :func:`prune`
keeps the newest releases and never the current one. This module is light: the server imports it
to find the release to serve without importing the release builder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publisher.core.errors import ReleaseError, ReleaseNotFound
from publisher.core.files import fsync_dir
from publisher.release.manifest import list_releases
from publisher.release.model import CURRENT_LINK, DATA_NT

TMP_PREFIX = ".tmp-"
LOCK_FILE = ".build.lock"


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


def resolve_release(ref: str, releases_dir: Path) -> Path:
    """A release folder from an id, the word ``current``, or a path to a release folder."""
    candidates = []
    if ref == CURRENT_LINK:
        candidates.append(releases_dir / CURRENT_LINK)
    else:
        candidates += [Path(ref), releases_dir / ref]
    for c in candidates:
        if c.is_dir() and (c / DATA_NT).is_file():
            return c.resolve()
    raise ReleaseNotFound(f"version introuvable / release not found: {ref} (in {releases_dir})")
