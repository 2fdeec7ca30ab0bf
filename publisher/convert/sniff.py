"""How an office saved a CSV table: its encoding and separator, detected from the bytes.

Contract: :func:`detect` takes a table's bytes and the columns the mapping expects and returns a
:class:`Detected` (the text, the encoding, the separator) or raises :class:`Unreadable` with one
message that says what to do. Nothing is guessed silently:

- encoding: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's « Texte Unicode »), else
  Windows-1252 (Excel's « CSV (séparateur: point-virgule) »), else Latin-1. A file that is
  UTF-8 in places and not elsewhere (rows pasted from another file) is refused at the first bad
  byte's row, since either reading would corrupt some cells; a binary file (a workbook renamed
  ``.csv``) is refused;
- separator: ``,`` ``;`` or tab, the one that splits the header into the most expected columns
  (into the most columns when none is expected); two that split it differently but equally well
  make the file ambiguous (refused, naming both);
- :meth:`Detected.note` is what is said once about a file that is not plain UTF-8 with ``,``.

A table larger than :data:`MAX_TABLE_BYTES` is refused before it is read, naming the file, its
size and the limit: a full build takes about 270 bytes of memory per byte of table (measured in
benchmarks/README.md), so the limit keeps one table's build under ~4.5 GB
(docs/decisions/0018-office-files.md).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

#: The largest table (bytes) a build reads.
MAX_TABLE_BYTES = 16 * 1024 * 1024
SEPARATORS = (",", ";", "\t")
_SEP_NAMES = {",": "« , »", ";": "« ; »", "\t": "tabulation / tab"}
_UTF8_MULTI = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


class Unreadable(Exception):
    """A table cannot be read as it is; ``message`` says why and how to fix it (fr / en)."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


@dataclass(frozen=True)
class Detected:
    """A decoded table and how it was saved."""

    text: str
    encoding: str  # as said to the officer: UTF-8, UTF-8 (BOM), UTF-16, Windows-1252, Latin-1
    separator: str

    def note(self, file: str) -> str | None:
        """What is said once about the file (None for plain UTF-8 with commas, the default)."""
        if self.encoding == "UTF-8" and self.separator == ",":
            return None
        sep = _SEP_NAMES[self.separator]
        return (f"{file} : lu en {self.encoding}, séparateur {sep} / read as "
                f"{self.encoding}, separator {sep}")


def size_problem(file: str, size: int) -> str | None:
    """The message refusing a table of ``size`` bytes, or None when it is small enough."""
    if size <= MAX_TABLE_BYTES:
        return None
    mb, limit = size / 1_048_576, MAX_TABLE_BYTES // 1_048_576
    return (f"fichier {file} trop gros ({mb:.0f} Mo, limite {limit} Mo) : un tableau de campus "
            f"tient en quelques Mo ; découpez-le ou retirez les lignes en trop / file {file} too "
            f"large ({mb:.0f} MB, limit {limit} MB): split it or remove the extra rows")


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding as said to the officer); raises :class:`Unreadable`."""
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        hint = " (un classeur .xlsx renommé ?)" if raw.startswith(b"PK") else ""
        raise Unreadable(f"pas un fichier texte{hint} : enregistrez-le au format CSV / not a "
                         "text file (a renamed workbook?): save it as CSV")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise Unreadable(_mixed(raw, exc.start, "UTF-16"), _line_of(raw, exc.start)) from exc
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8-sig"), "UTF-8 (BOM)" if bom else "UTF-8"
    except UnicodeDecodeError as exc:
        if bom or _UTF8_MULTI.search(raw, 0, exc.start):
            raise Unreadable(_mixed(raw, exc.start, "UTF-8"), _line_of(raw, exc.start)) from exc
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def _mixed(raw: bytes, at: int, enc: str) -> str:
    line = _line_of(raw, at)
    return (f"encodages mélangés : la ligne {line} n'est pas en {enc} comme le reste du fichier "
            f"(octet 0x{raw[at]:02X}) ; recopiez cette ligne à la main ou réenregistrez tout le "
            f"fichier en « CSV UTF-8 » / mixed encodings: row {line} is not {enc} like the rest "
            f"of the file (byte 0x{raw[at]:02X}); retype that row or save the whole file as "
            "'CSV UTF-8'")


def _header_cells(text: str, sep: str) -> list[str]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return [c.strip() for c in next(csv.reader(io.StringIO(first), delimiter=sep), [])]


def separator(text: str, expected: set[str]) -> str:
    """The separator that splits the header best (see the module doc); raises
    :class:`Unreadable` when two split it differently and equally well."""
    scored = []
    for sep in SEPARATORS:
        cells = _header_cells(text, sep)
        known = sum(1 for c in cells if c in expected)
        scored.append(((known, len(cells) if not known else 0), sep, cells))
    scored.sort(key=lambda s: s[0], reverse=True)
    (best, sep, cells), (second, other, other_cells) = scored[0], scored[1]
    if best == second and cells != other_cells and best != (0, 1):
        a, b = _SEP_NAMES[sep], _SEP_NAMES[other]
        raise Unreadable(
            f"séparateur ambigu : {a} et {b} découpent l'en-tête aussi bien l'un que l'autre ; "
            f"enregistrez le fichier avec un seul séparateur (« CSV (séparateur: point-virgule) » "
            f"ou « CSV UTF-8 ») / ambiguous separator: {a} and {b} split the header equally "
            "well; save the file with one separator", 1)
    return sep


def detect(raw: bytes, expected: set[str]) -> Detected:
    """Decode a table's bytes and find its separator (see the module doc)."""
    text, encoding = decode(raw)
    return Detected(text, encoding, separator(text, expected))
