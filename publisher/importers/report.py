"""What an import did: counts, and the rejected rows written to a CSV file as they are found.

A rejected row is never dropped silently: it is written, with its file, line and reason, to
``imports/<kind>-rejets.csv`` (streamed, so a national file full of errors costs no memory), and
counted in the summary. The file is meant for a spreadsheet: a cell a spreadsheet would run as a
formula is written neutralised (:mod:`publisher.core.spreadsheet`).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

from publisher.core.spreadsheet import neutralise_row

#: Header of the rejected-rows file.
REJECT_HEADER = ("fichier", "ligne", "motif", "donnees")


@dataclass
class ImportResult:
    """Summary of one import. ``imported`` = new rows, ``merged`` = existing rows matched by
    identifier (``changed`` of them were modified), ``rejected`` = rows written to
    ``rejects_path``, ``skipped`` = rows left out by the filters (or not of this kind)."""

    kind: str
    files: list[str] = field(default_factory=list)
    table: str = ""
    read: int = 0
    imported: int = 0
    merged: int = 0
    changed: int = 0
    rejected: int = 0
    skipped: int = 0
    source_id: str = ""
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": True, "kind": self.kind, "files": self.files, "table": self.table,
            "read": self.read, "imported": self.imported, "merged": self.merged,
            "changed": self.changed, "rejected": self.rejected, "skipped": self.skipped,
            "source": self.source_id, "rejects": self.rejects_path, "notes": self.notes,
        }

    def text(self) -> str:
        lines = [
            (f"{self.kind}: {self.read} lignes lues / rows read → {self.table}: "
            f"{self.imported} ajoutées / imported, {self.merged} fusionnées / merged "
            f"({self.changed} modifiées / changed), {self.rejected} rejetées / rejected, "
            f"{self.skipped} ignorées (filtres) / skipped (filters)")
        ]
        if self.rejected and self.rejects_path:
            lines.append(f"lignes rejetées / rejected rows: {self.rejects_path}")
        lines.extend(self.notes)
        return "\n".join(lines)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RejectWriter:
    """Writes rejected rows to a CSV file (created on the first rejection, atomically renamed on
    close; an import with no rejection removes a stale file from a previous run)."""

    def __init__(self, path: Path, result: ImportResult) -> None:
        self.path, self.result = path, result
        self._tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left by killed imports
            pid = stale.name.rsplit("-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                stale.unlink(missing_ok=True)
        self._fh: TextIO | None = None
        self._writer: csv.DictWriter[str] | None = None

    def reject(self, file: str, line: int, reason: str, cells: list[str] | str,
               delimiter: str = ";") -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self._tmp.open("w", encoding="utf-8", newline="")
            csv.writer(self._fh, lineterminator="\n").writerow(REJECT_HEADER)
        if isinstance(cells, str):
            data = cells
        else:
            buf = io.StringIO()
            csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(cells)
            data = buf.getvalue()
        csv.writer(self._fh, lineterminator="\n").writerow(
            neutralise_row([file, str(line), reason, data]))  # opened in a spreadsheet
        self.result.rejected += 1

    def close(self, commit: bool = True) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            if commit:
                os.replace(self._tmp, self.path)
                self.result.rejects_path = str(self.path)
            else:
                self._tmp.unlink(missing_ok=True)
        elif commit and self.path.exists():
            self.path.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(commit=et is None)


def read_rejects(path: Path) -> list[dict[str, str]]:
    """The rows of a rejected-rows file (for tests and tools)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
