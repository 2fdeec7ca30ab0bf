"""Leases: the releases a running server holds, so that :func:`~publisher.release.folder.prune`
never deletes one it still serves (builds may come faster than the server's reload interval).

Contract: a server takes a :class:`Lease` on its releases folder: the file
``releases/.leases/<name>.lock``, ``flock``-ed for as long as the process lives (the OS releases
it if the process is killed), and ``<name>.ids``, the ids it holds (replaced atomically by
:meth:`Lease.hold`, before the server reads a release). :func:`held_ids` is what ``prune`` honours:
the ids of every lease whose lock is still held; a lease whose lock can be taken belongs to a dead
server and is removed (its two files only).
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

LEASES_DIR = ".leases"
LOCK, IDS = ".lock", ".ids"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Lease:
    """One server's hold on release ids of ``releases_dir`` (until :meth:`release`)."""

    def __init__(self, releases_dir: Path) -> None:
        folder = releases_dir / LEASES_DIR
        folder.mkdir(exist_ok=True)
        name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.lock_path, self.ids_path = folder / (name + LOCK), folder / (name + IDS)
        self.hold(())
        new = folder / (name + ".new")  # locked before it gets the name held_ids looks for
        self._fd: int | None = os.open(new, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.rename(new, self.lock_path)

    def hold(self, ids: Iterable[str]) -> None:
        """Hold exactly ``ids`` from now on (written before the server reads a new release)."""
        tmp = self.ids_path.with_name(self.ids_path.name + ".tmp")
        tmp.write_text("".join(f"{i}\n" for i in sorted(set(ids))), encoding="utf-8")
        os.replace(tmp, self.ids_path)

    def release(self) -> None:
        """Give the ids back (the server stops)."""
        if self._fd is None:
            return
        self.ids_path.unlink(missing_ok=True)
        self.lock_path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def held_ids(releases_dir: Path) -> set[str]:
    """The ids held by running servers; leases of dead servers are removed on the way."""
    folder = releases_dir / LEASES_DIR
    held: set[str] = set()
    if not folder.is_dir():
        return held
    for lock in sorted(folder.glob(f"*{LOCK}")):
        ids = lock.with_name(lock.name.removesuffix(LOCK) + IDS)
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            if _try_lock(fd):  # nobody holds it: a dead server's lease
                ids.unlink(missing_ok=True)
                lock.unlink(missing_ok=True)
                continue
            try:
                held |= {line.strip() for line in ids.read_text(encoding="utf-8").splitlines()
                         if line.strip()}
            except OSError:
                continue
        finally:
            os.close(fd)
    return held
