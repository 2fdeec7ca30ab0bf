"""Replace several files of one folder all together or not at all (a small redo journal).

Contract: a :class:`FileGroup` stages the new versions of some files of ``folder`` in a private
subfolder ``folder/.cmq-commit-<random>/`` (the writer fills :meth:`FileGroup.path`). Its
:meth:`~FileGroup.commit` fsyncs them, writes the journal ``COMMITTED`` (the names, fsynced: the
point of no return), then renames each file over its original and removes the subfolder. A
process killed before ``COMMITTED`` exists leaves the originals untouched; one killed after it is
finished by :func:`finish_pending` (called by the next group in the folder and when a project is
opened): it renames what is left (idempotent) and removes the subfolder. A staging folder without
the journal is deleted. Only subfolders with this module's own prefix are ever touched. Groups in
one folder are serialised by an ``flock`` on the folder itself (released by the OS if the process
dies; no lock file is left); :func:`finish_pending` does nothing while a group holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from publisher.core.files import fsync_dir

STAGE_PREFIX = ".cmq-commit-"
JOURNAL = "COMMITTED"


def _lock(folder: Path, *, wait: bool) -> int | None:
    """An exclusive lock on the folder's groups (a file descriptor), or None if busy."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _roll_forward(stage: Path) -> list[str]:
    """Rename the staged files named by the journal over their originals; remove the stage."""
    names = [str(n) for n in json.loads((stage / JOURNAL).read_text(encoding="utf-8"))]
    for name in names:
        if (stage / name).exists():
            os.replace(stage / name, stage.parent / name)
    fsync_dir(stage.parent)
    shutil.rmtree(stage)
    return names


def _finish(folder: Path) -> list[str]:
    done: list[str] = []
    for stage in sorted(folder.glob(f"{STAGE_PREFIX}*")):
        if not stage.is_dir() or stage.is_symlink():
            continue
        if (stage / JOURNAL).is_file():
            done += _roll_forward(stage)
        else:
            shutil.rmtree(stage)
    return done


def finish_pending(folder: Path) -> list[str]:
    """Complete the groups a killed process committed, drop the ones it had not; returns the
    names of the files replaced. Does nothing while another process holds a group open."""
    if not any(folder.glob(f"{STAGE_PREFIX}*")):
        return []
    fd = _lock(folder, wait=False)
    if fd is None:
        return []
    try:
        return _finish(folder)
    finally:
        os.close(fd)


class FileGroup:
    """New versions of files of ``folder``, replaced together by :meth:`commit` (context
    manager: leaving the block without committing discards them)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        fd = _lock(folder, wait=True)
        assert fd is not None
        self._fd: int | None = fd
        try:
            _finish(folder)
            self.stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=folder))
        except BaseException:
            self._release()
            raise
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        """Where to write the new version of ``folder/name`` (a plain file name)."""
        if "/" in name or name in {"", ".", "..", JOURNAL}:
            raise ValueError(f"not a file name of the folder: {name!r}")
        if name not in self.names:
            self.names.append(name)
        return self.stage / name

    def commit(self) -> None:
        """Replace every staged file, all or nothing (see the module docstring)."""
        for name in self.names:
            fd = os.open(self.stage / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        tmp = self.stage / f".{JOURNAL}"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(self.names, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.stage / JOURNAL)
        fsync_dir(self.stage)
        _roll_forward(self.stage)
        self._release()

    def abort(self) -> None:
        """Discard the staged files (the originals stay)."""
        if self._fd is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.abort()
