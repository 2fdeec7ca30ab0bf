"""Merge imported records into a campus table (``data/*.csv``), keyed by national identifier.

The campus's table is read once (it is campus-sized); rows of the national file stream through
:meth:`TableMerge.offer`: a row whose identifier (UAI, RNCP, CFD…) matches an existing row updates
only the columns the national file provides (non-empty values), so the campus's own edits of other
columns are kept; a national value a spreadsheet would run as a formula is written neutralised
(:func:`publisher.core.spreadsheet.neutralise`); a new row gets a stable ``id`` slug and is
spooled to a temporary file, so a 65,000-row import costs no more memory than the set of its keys. :meth:`TableMerge.commit` writes
the table into a :class:`publisher.core.filegroup.FileGroup`, with the source row of
``sources.csv`` (:func:`upsert_source`): both files are replaced together or not at all, and a
killed import leaves no temporary file behind once the next one (or the next build) runs.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from publisher.core.errors import Location, SourceError
from publisher.core.filegroup import FileGroup
from publisher.core.spreadsheet import neutralise

ILLUSTRATIVE, SOURCE, ID = "illustratif", "source", "id"


class Rejected(Exception):
    """A national row that cannot be imported; ``reason`` goes to the rejected-rows file."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Candidate:
    """One record of a national file, ready to merge.

    ``keys``: identifier columns of the table and their values, matched in order (an existing row
    matched by any of them is updated); ``values``: the columns the national file provides;
    ``slug``: text the ``id`` of a new row is made from.
    """

    line: int
    keys: dict[str, str]
    values: dict[str, str]
    slug: str
    cells: list[str] = field(default_factory=list)


def slugify(text: str, max_length: int = 60) -> str:
    """Lowercase ASCII words joined by hyphens (``Lycée Condorcet`` → ``lycee-condorcet``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "enregistrement"


def is_comment(row: Sequence[str]) -> bool:
    """A row whose first cell starts with ``#`` (an example row of a new table) is no record."""
    return bool(row) and row[0].lstrip().startswith("#")


def read_campus_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a campus table (UTF-8, comma); a missing file is an empty table."""
    if not path.is_file():
        return [], []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.reader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError([(Location(path.name), f"illisible / unreadable: {exc}")]) from exc
    return (rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]) if rows else ([], [])


def write_atomic(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]],
                 group: FileGroup | None = None) -> None:
    """Write a campus table as part of ``group`` (replaced when the group commits), or alone
    (a group of one file, committed at once). The table keeps its file mode."""
    if group is None:
        with FileGroup(path.parent) as alone:
            write_atomic(path, header, rows, alone)
            alone.commit()
        return
    staged = group.path(path.name)
    with staged.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    if path.exists():
        os.chmod(staged, path.stat().st_mode & 0o777)


def merge_sources(existing: str, new: str, replace_prefix: str) -> str:
    """``a;b`` + new source: sources of the same import (same prefix) are replaced by the new."""
    kept = [s.strip() for s in existing.split(";") if s.strip()]
    kept = [s for s in kept if not s.startswith(replace_prefix) and s != new]
    return ";".join([*kept, new])


class TableMerge:
    """Merge :class:`Candidate` records into one campus table (see the module docstring)."""

    def __init__(self, path: Path, *, keys: Sequence[str], provides: Sequence[str],
                 required: Sequence[str], source_id: str, source_prefix: str,
                 illustrative: bool = False) -> None:
        self.path, self.keys, self.required = path, tuple(keys), tuple(required)
        self.source_id, self.source_prefix = source_id, source_prefix
        self.flag = "oui" if illustrative else "non"
        header, rows = read_campus_table(path)
        if not header:
            header = [ID, *keys]
        for col in (*keys, *provides, ILLUSTRATIVE, SOURCE):
            if col not in header:
                header.append(col)
        self.header = header
        self.col = {c: i for i, c in enumerate(header)}
        self.rows = [r + [""] * (len(header) - len(r)) for r in rows]
        self.ids = {r[self.col[ID]] for r in self.rows} if ID in self.col else set()
        self.index: dict[str, dict[str, int]] = {k: {} for k in self.keys}
        for i, r in enumerate(self.rows):
            if is_comment(r):
                continue
            for k in self.keys:
                v = r[self.col[k]].strip()
                if v:
                    self.index[k].setdefault(v, i)
        self.new_keys: dict[tuple[str, str], int] = {}
        self.touched: set[int] = set()
        self.added = 0
        # new rows wait here until commit (closed by commit/close)
        self._spool: TextIO = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", newline="")
        self._writer = csv.writer(self._spool, lineterminator="\n")

    def existing_values(self, column: str) -> set[str]:
        """Non-empty values of ``column`` in the campus's table (e.g. its UAIs, for a filter)."""
        i = self.col.get(column)
        if i is None:
            return set()
        return {r[i].strip() for r in self.rows if r[i].strip() and not is_comment(r)}

    def offer(self, cand: Candidate) -> str:
        """Merge one record: ``"added"``, ``"changed"`` or ``"unchanged"``; :class:`Rejected`
        when it cannot be merged (conflicting keys, duplicate, missing required column)."""
        hits = {k: self.index[k][v] for k, v in cand.keys.items() if v and v in self.index[k]}
        if len(set(hits.values())) > 1:
            lines = ", ".join(f"{k}={cand.keys[k]} → ligne/row {i + 2}" for k, i in hits.items())
            raise Rejected(f"identifiants en conflit dans {self.path.name} / conflicting keys: "
                           f"{lines}")
        if hits:
            return self._update(next(iter(hits.values())), cand)
        for k, v in cand.keys.items():
            if v and (k, v) in self.new_keys:
                raise Rejected(f"doublon de la ligne {self.new_keys[(k, v)]} / duplicate of "
                               f"line {self.new_keys[(k, v)]} ({k} {v})")
        missing = [c for c in self.required if not cand.values.get(c)]
        if missing:
            raise Rejected("colonne requise pour un nouvel enregistrement / required for a new "
                           f"record: {', '.join(missing)}")
        row = [""] * len(self.header)
        for c, v in {**cand.keys, **cand.values}.items():
            if v and c in self.col:
                row[self.col[c]] = neutralise(v)  # a national file's formula stays text
        row[self.col[ID]] = self._new_id(cand.slug)
        row[self.col[ILLUSTRATIVE]] = self.flag
        row[self.col[SOURCE]] = self.source_id
        self._writer.writerow(row)
        for k, v in cand.keys.items():
            if v:
                self.new_keys[(k, v)] = cand.line
        self.added += 1
        return "added"

    def _update(self, i: int, cand: Candidate) -> str:
        if i in self.touched:
            raise Rejected(f"ligne {i + 2} de {self.path.name} déjà fusionnée par ce fichier / "
                           f"row {i + 2} of {self.path.name} already merged by this file")
        self.touched.add(i)
        row = self.rows[i]
        before = list(row)
        for c, v in {**cand.keys, **cand.values}.items():
            if v and c in self.col and c != ID:
                row[self.col[c]] = neutralise(v)
        row[self.col[ILLUSTRATIVE]] = self.flag
        s = self.col[SOURCE]
        row[s] = merge_sources(row[s], self.source_id, self.source_prefix)
        return "unchanged" if row == before else "changed"

    def _new_id(self, slug: str) -> str:
        base = slug if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", slug) else slugify(slug)
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def commit(self, group: FileGroup | None = None) -> None:
        """Write the merged table (existing rows, then the new ones) into ``group`` (alone and
        at once without one)."""
        self._spool.seek(0)
        write_atomic(self.path, self.header, _chain(self.rows, csv.reader(self._spool)), group)
        self.close()

    def close(self) -> None:
        self._spool.close()


def _chain(first: Iterable[list[str]], second: Iterable[list[str]]) -> Iterable[list[str]]:
    yield from first
    yield from second


@dataclass(frozen=True)
class SourceInfo:
    """The row of ``sources.csv`` that describes an imported national file."""

    id: str
    titre: str
    editeur: str
    date: str
    url: str = ""
    licence: str = ""


def upsert_source(data_dir: Path, info: SourceInfo, group: FileGroup | None = None) -> None:
    """Add (or refresh) the source row of an import in ``sources.csv``, as part of ``group``
    (alone and at once without one)."""
    path = data_dir / "sources.csv"
    header, rows = read_campus_table(path)
    header = header or ["id", "titre", "editeur", "date", "url"]
    if "licence" not in header:
        header.append("licence")
    col = {c: i for i, c in enumerate(header)}
    values = {"id": info.id, "titre": info.titre, "editeur": info.editeur, "date": info.date,
              "url": info.url, "licence": info.licence}
    rows = [r + [""] * (len(header) - len(r)) for r in rows]
    target = next((r for r in rows if r[col["id"]] == info.id), None)
    if target is None:
        target = [""] * len(header)
        rows.append(target)
    for c, v in values.items():
        if c in col:
            target[col[c]] = v
    write_atomic(path, header, rows, group)
