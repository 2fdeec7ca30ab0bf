"""Exceptions of cmq-lod. Each carries the HTTP status a web view would answer with.

    CmqError (500)
    ├── ProjectError (500)          a campus project folder is missing or misconfigured
    ├── SourceError (422)           a source file cannot be read or mapped (file, row, column)
    ├── ValidationFailed (422)      the graph violates the shapes (carries the report)
    ├── ReleaseError (500)          a release cannot be written, read or found
    │   └── ReleaseNotFound (404)
    └── (publisher.sparql.errors.QueryError and its subclasses, for the SPARQL engine)
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """Where a value comes from: file, spreadsheet line (header is line 1) and column."""

    file: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"ligne/row {self.row}")
        if self.column:
            parts.append(f"colonne/column {self.column}")
        return ", ".join(parts)


class SourceError(CmqError):
    """A source file is unreadable or malformed; lists every problem found, not just the first."""

    status = 422

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        lines = [f"{loc}: {msg}" for loc, msg in problems]
        super().__init__("\n".join(lines))


class ReleaseError(CmqError):
    status = 500


class ReleaseNotFound(ReleaseError):
    status = 404
