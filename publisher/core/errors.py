"""Exceptions of cmq-lod. Each carries the HTTP status a web view would answer with.

    CmqError (500)
    ├── ProjectError (500)          a campus project folder is missing or misconfigured
    ├── SourceError (422)           a source file cannot be read or mapped (file, row, column)
    ├── ValidationFailed (422)      the graph violates the shapes (carries the report)
    ├── ReleaseError (500)          a release cannot be written, read or found
    │   └── ReleaseNotFound (404)
    ├── NotAcceptable (406)         no offered representation fits ``Accept`` / ``format``
    │                               (raised by :mod:`publisher.core.conneg`, for pages, files and
    │                               SPARQL results alike)
    └── (publisher.sparql.errors.QueryError and its subclasses, for the SPARQL engine)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class CmqError(Exception):
    """Base of every error cmq reports to a person."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProjectError(CmqError):
    status = 500


@dataclass(frozen=True)
class Location:
    """Where a value comes from: file, spreadsheet line (header is line 1) and column (for a
    TOML file, the key, ``section.key``).

    ``value`` is the text of the one cell a problem is about, as the table holds it (stripped),
    when there is one: the reports show it beside the message (:meth:`quoted`). It is not part of
    the place: two locations of one cell are equal, and hash alike, whatever value they carry.
    """

    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"ligne/row {self.row}")
        if self.column:  # a TOML file's "column" is its key (campus.toml: section.key)
            label = "clé/key" if self.file.endswith(".toml") else "colonne/column"
            parts.append(f"{label} {self.column}")
        return ", ".join(parts)

    def quoted(self) -> str:
        """The place and, when there is one, the cell's value: ``a.csv, ligne/row 3, colonne/column
        date « 31/02/2014 »``."""
        return str(self) + (f" « {self.value} »" if self.value is not None else "")


class SourceError(CmqError):
    """A source file is unreadable or malformed; lists every problem found, not just the first."""

    status = 422

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        lines = [f"{loc.quoted()}: {msg}" for loc, msg in problems]
        super().__init__("\n".join(lines))


class ReleaseError(CmqError):
    status = 500


class ReleaseNotFound(ReleaseError):
    status = 404


class NotAcceptable(CmqError):
    """No offered representation fits ``Accept`` or the ``format`` override (HTTP 406);
    ``available`` lists the media types that would, ``hint`` says more (e.g. the format names)."""

    status = 406

    def __init__(self, asked: str, available: Sequence[str], hint: str = "") -> None:
        offered = ", ".join(available) + (f" ({hint})" if hint else "")
        super().__init__(f"format non disponible / representation not available: {asked!r}; "
                         f"offerts / offered: {offered}")
        self.asked = asked
        self.available = tuple(available)
