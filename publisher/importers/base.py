"""What every importer shares: the dataset description, the options, and one import run
(merge into a table + rejected-rows file + source row), committed all together or not at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from publisher.core.filegroup import FileGroup
from publisher.importers.merge import (
    Candidate,
    Rejected,
    SourceInfo,
    TableMerge,
    slugify,
    upsert_source,
)
from publisher.importers.reading import Progress
from publisher.importers.report import ImportResult, RejectWriter
from publisher.project.folder import Project

LICENCE_OUVERTE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
ODBL = "https://opendatacommons.org/licenses/odbl/1-0/"


@dataclass(frozen=True)
class Dataset:
    """A national dataset: the table it feeds and how its source row describes it."""

    kind: str
    table: str
    source_prefix: str
    title: str
    publisher: str
    url: str = ""
    licence: str = ""


@dataclass
class ImportOptions:
    """Options common to every importer.

    ``date``: date of the imported file for its source row (default: today); ``illustrative``:
    mark the imported rows ``illustratif = oui`` (demonstrations with fictitious files);
    ``rejects``: the rejected-rows file (default ``imports/<kind>-rejets.csv``); ``progress``:
    makes a :data:`Progress` for a label (the CLI passes a terminal one); ``title``,
    ``publisher``, ``url``, ``licence``: override the dataset's description in the source row.
    """

    date: str | None = None
    illustrative: bool = False
    rejects: Path | None = None
    progress: Callable[[str], Progress] | None = None
    title: str | None = None
    publisher: str | None = None
    url: str | None = None
    licence: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def progress_for(self, label: str) -> Progress | None:
        return self.progress(label) if self.progress is not None else None


def rejects_path(project: Project, kind: str) -> Path:
    return project.root / "imports" / f"{kind}-rejets.csv"


class ImportRun:
    """One import into one campus table. Use as a context manager; :meth:`offer` each record;
    on a clean exit the table, the source row and the rejected-rows file are written."""

    def __init__(self, project: Project, dataset: Dataset, options: ImportOptions, files:
                 Sequence[Path], *, keys: Sequence[str], provides: Sequence[str],
                 required: Sequence[str]) -> None:
        self.project, self.dataset, self.options = project, dataset, options
        date = options.date or dt.date.today().isoformat()
        names = ", ".join(p.name for p in files)
        stem = slugify(files[0].stem, 40) if files else "fichier"
        self.source = SourceInfo(
            id=f"{dataset.source_prefix}{date}-{stem}",
            titre=options.title or f"{dataset.title} (fichier {names})",
            editeur=options.publisher or dataset.publisher,
            date=date,
            url=options.url if options.url is not None else dataset.url,
            licence=options.licence if options.licence is not None else dataset.licence,
        )
        self.result = ImportResult(dataset.kind, files=[str(p) for p in files],
                                   table=dataset.table, source_id=self.source.id)
        self.merge = TableMerge(project.data_dir / dataset.table, keys=keys, provides=provides,
                                required=required, source_id=self.source.id,
                                source_prefix=dataset.source_prefix,
                                illustrative=options.illustrative)
        self.rejects = RejectWriter(options.rejects or rejects_path(project, dataset.kind),
                                    self.result)

    def reject(self, file: str, line: int, reason: str, cells: list[str] | str,
               delimiter: str = ";") -> None:
        self.rejects.reject(file, line, reason, cells, delimiter)

    def offer(self, file: str, cand: Candidate, delimiter: str = ";") -> None:
        """Merge ``cand``; a :class:`Rejected` outcome goes to the rejected-rows file."""
        try:
            outcome = self.merge.offer(cand)
        except Rejected as exc:
            self.reject(file, cand.line, exc.reason, cand.cells, delimiter)
            return
        if outcome == "added":
            self.result.imported += 1
        else:
            self.result.merged += 1
            self.result.changed += outcome == "changed"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: object) -> None:
        if et is not None:
            self.merge.close()
            self.rejects.close(commit=False)
            return
        with FileGroup(self.project.data_dir) as group:  # the table and its source row, together
            self.merge.commit(group)
            if self.result.imported or self.result.merged:
                upsert_source(self.project.data_dir, self.source, group)
            else:
                self.result.source_id = ""
            group.commit()
        self.rejects.close()
