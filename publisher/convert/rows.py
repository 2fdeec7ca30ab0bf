"""One row of a source table → its N-Triples lines, following one table of the mapping.

The mapping of a table is compiled once into plans (templates split into parts, predicate terms
written, per-value caches for IRIs, concepts and typed literals), so converting a row only joins
strings: no rdflib term is built per triple (docs/decisions/0010-incremental-build.md). A row's
output depends only on its cells, the mapping and the base IRI, which lets the build cache reuse
it when the row has not changed; the file and line are added by the caller
(:mod:`publisher.convert.tables`).

What offices write is read as well: dates as ``03/09/2024`` (day first) or ``09/2024`` beside ISO
ones, decimal commas in the columns that give numbers or coordinates, and a coded cell as its
drop-down entry ``code — label`` (:mod:`publisher.convert.codes`). Given the code lists, a code
not in its list is reported with the valid ones.

A problem is reported at its cell, whose text the reports show beside the message
(:class:`~publisher.core.errors.Location` ``value``, added by :mod:`publisher.convert.tables`): a
message names the value it is about only when that is not the cell's whole text (an item of a
list, a drop-down entry's code, a value made from several columns, an IRI made from the cell).
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple
from urllib.parse import quote

from rdflib import XSD, Literal, URIRef

from publisher.convert.codes import LABEL_SEPARATOR, CodeLists, strip_label, unknown_code
from publisher.convert.mapping import Field, Table
from publisher.core.namespaces import CMQ_NS
from publisher.core.ntriples import escape, iri_problem
from publisher.core.ntriples import literal as nt_literal

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VAR = re.compile(r"\{([^{}]+)\}")
_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
_BOOL = {"oui": True, "non": False, "true": True, "false": False, "1": True, "0": False,
         "vrai": True, "faux": False, "yes": True, "no": False}
_DATES = ((re.compile(r"^\d{4}$"), XSD.gYear), (re.compile(r"^\d{4}-\d{2}$"), XSD.gYearMonth),
          (re.compile(r"^\d{4}-\d{2}-\d{2}$"), XSD.date))
_CHECKS: dict[URIRef, tuple[re.Pattern[str], str]] = {
    XSD.integer: (re.compile(r"^[+-]?\d+$"), "nombre entier attendu / integer expected"),
    XSD.decimal: (re.compile(r"^[+-]?\d+(\.\d+)?$"), "nombre décimal attendu / decimal expected"),
    XSD.date: (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "date AAAA-MM-JJ attendue / date expected"),
    XSD.duration: (
        re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"),
        "durée ISO 8601 attendue, par ex. P2Y / ISO 8601 duration expected, e.g. P2Y",
    ),
}
_SAFE = "@.-_~"
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_FR_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
#: Datatypes whose value (or value template) takes decimal numbers: a decimal comma is accepted.
_DECIMAL_TYPES = (str(XSD.decimal), str(XSD.double), str(XSD.float),
                  "http://www.opengis.net/ont/geosparql#wktLiteral")

#: A problem of a row: (column or None, message).
RowProblem = tuple[str | None, str]


class RowOut(NamedTuple):
    """What one row gives (picklable, kept by the build cache)."""

    subject: str | None  # the record's IRI; None when its key is invalid (see problems)
    subject_problems: tuple[RowProblem, ...]
    lines: tuple[str, ...]  # N-Triples lines, each ending with " .\n"
    subs: tuple[str, ...]  # IRIs of the sub-resources the row describes (``…#adresse``)
    problems: tuple[RowProblem, ...]  # problems of its fields


class _Template:
    """A template over the row's columns, split once into literal parts and variables."""

    __slots__ = ("encode", "first", "pairs", "vars")

    def __init__(self, text: str, *, encode: bool) -> None:
        parts = _VAR.split(text)
        self.first = parts[0]
        self.pairs = [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]
        self.vars = [v for v, _ in self.pairs]
        self.encode = encode

    def fill(self, row: dict[str, str]) -> str:
        out = self.first
        for var, lit in self.pairs:
            v = row.get(var, "")
            out += (quote(v, safe=_SAFE) if self.encode else v) + lit
        return out


def _named(v: str, named: bool, lead: str = " ") -> str:
    """``lead`` and ``'v'`` when a message names the value it is about (see the module doc),
    else ""."""
    return f"{lead}{v!r}" if named else ""


def _key_problem(var: str) -> RowProblem:
    """An invalid key: the report shows the cell beside the message."""
    return var, ("identifiant vide ou invalide (minuscules, chiffres, tirets) / empty or "
                 "invalid key (lowercase, digits, hyphens)")


class _Subject:
    """A subject template: every variable must be a valid key (then no encoding is needed)."""

    def __init__(self, text: str, base: str) -> None:
        self.tpl = _Template(text, encode=False)
        self.base = base

    def make(self, row: dict[str, str], problems: list[RowProblem]) -> str | None:
        ok = True
        for var in self.tpl.vars:
            if not _KEY.match(row.get(var, "")):
                ok = False
                problems.append(_key_problem(var))
        return self.base + self.tpl.fill(row) if ok else None


class _FieldPlan:
    def __init__(self, f: Field, base: str, codes: CodeLists | None = None) -> None:
        self.f = f
        listed = codes.get(f.scheme or f.local_scheme or "") if codes and f.kind == "concept" \
            else None
        self.codes = {c.code for c in listed} if listed else None
        self.listed = listed or ()
        self.own = {c.code: c.iri for c in self.listed if c.iri}  # the campus's own concepts
        self.base = base
        self.pred = f" <{f.property}> "
        self.when = f.when
        self.subject = _Subject(f.subject, base) if f.subject else None
        self.value = None if f.column else _Template(f.value or "", encode=f.kind != "literal")
        self.cache: dict[str, tuple[str | None, str | None]] = {}
        self.plain = f.kind == "literal" and f.datatype is None
        self.lang = f.lang.lower() if f.kind == "literal" and f.lang else None

    def values(self, row: dict[str, str]) -> list[str]:
        f = self.f
        if self.value is not None:
            return [self.value.fill(row)]
        cell = row.get(f.column or "", "")
        if f.separator:
            return [v for v in (x.strip() for x in cell.split(f.separator)) if v]
        return [cell] if cell else []

    def object(self, v: str) -> tuple[str | None, str | None]:
        """(object term, problem message): either may be None (a term with a problem: an
        unknown code, reported at its cell, whose triple is still made). The message does not
        name ``v`` (see :meth:`naming`)."""
        if self.lang is not None:
            return f'"{escape(v)}"@{self.lang}', None
        if self.plain:
            return f'"{escape(v)}"', None
        hit = self.cache.get(v)
        if hit is None:
            hit = self.cache[v] = self._object(v, named=False)
        return hit

    def naming(self, v: str) -> str | None:
        """The problem of ``v`` with a message that names it (it is not its cell's text)."""
        return self._object(v, named=True)[1]

    def _object(self, v: str, *, named: bool) -> tuple[str | None, str | None]:
        f = self.f
        if f.kind == "literal":
            return self._typed(v, named)
        if f.kind == "iri":
            iri = v
            if f.capture is not None:
                hit = re.fullmatch(f.capture, v)
                if hit is None:  # not of the form the link needs: the shapes report the value
                    return None, None
                iri = hit.group(1)
            if f.template:
                iri = f.template.replace("{value}", quote(iri, safe=_SAFE))
            problem = "schéma absent / no scheme" if not _IRI.match(iri) else iri_problem(iri)
            if problem is not None:
                return None, (f"adresse (IRI) invalide / invalid IRI"
                              f"{_named(iri, named or iri != v, ': ')} ({problem})")
            return f"<{iri}>", None
        if f.kind == "ref" and f.template:
            if not _KEY.match(v):
                return None, f"référence invalide / invalid reference{_named(v, named, ': ')}"
            return self._iri(self.base + f.template.replace("{value}", v))
        if f.kind == "ref":
            return self._iri(self.base + v)
        unknown = unknown_code(v, self.listed, named=named) if self.codes is not None \
            and v not in self.codes else None  # concept
        if not _KEY.match(v):
            return None, unknown or f"code invalide / invalid code{_named(v, named, ': ')}"
        # an unknown code that could be one still gives its triple (the shapes see what the
        # graph would hold); the report keeps this message for the cell, not the shapes' one
        if f.local_scheme:
            return f"<{self.base}{f.local_scheme}/{v}>", unknown
        if v in self.own:
            return f"<{self.own[v]}>", None
        return f"<{CMQ_NS}{f.scheme}/{v}>", unknown

    @staticmethod
    def _iri(iri: str) -> tuple[str | None, str | None]:
        problem = iri_problem(iri)
        if problem is not None:
            return None, f"adresse (IRI) invalide / invalid IRI: {iri!r} ({problem})"
        return f"<{iri}>", None

    def _typed(self, v: str, named: bool) -> tuple[str | None, str | None]:
        f = self.f
        n = _named(v, named)
        if f.datatype == "date":
            iso, problem = _iso_date(v, n)
            if problem is not None:
                return None, problem
            for pattern, dt in _DATES:
                if pattern.match(iso):
                    lit = Literal(iso, datatype=dt)
                    if not lit.ill_typed:
                        return _nt(lit), None
            return None, (f"date invalide{n} : écrivez JJ/MM/AAAA, AAAA-MM-JJ, MM/AAAA ou "
                          f"AAAA / invalid date{n}: write DD/MM/YYYY, YYYY-MM-DD, MM/YYYY or "
                          "YYYY")
        dt = URIRef(f.datatype or "")
        if dt == XSD.boolean:
            if v.lower() not in _BOOL:
                return None, f"oui ou non attendu / yes or no expected{_named(v, named, ': ')}"
            return _nt(Literal(_BOOL[v.lower()])), None
        check = _CHECKS.get(dt)
        if check and not check[0].match(v):
            return None, f"{check[1]}{_named(v, named, ': ')}"
        return _nt(Literal(v, datatype=dt)), None


def _iso_date(v: str, n: str) -> tuple[str, str | None]:
    """A French date (``03/09/2024``, ``09/2024``) as ISO; (value, problem when impossible).
    ``n`` names the value in the message (:func:`_named`)."""
    hit = _FR_DATE.match(v)
    if hit is not None:
        day, month, year = (int(x) for x in hit.groups())
        try:
            iso = date(year, month, day).isoformat()
        except ValueError:
            return v, (f"date impossible{n} : ce jour n'existe pas (JJ/MM/AAAA attendu, jour "
                       f"d'abord) / impossible date{n}: no such day (DD/MM/YYYY expected, "
                       "day first)")
        return iso, None
    hit = _FR_MONTH.match(v)
    if hit is not None:
        month, year = (int(x) for x in hit.groups())
        if not 1 <= month <= 12:
            return v, (f"mois impossible{n} (MM/AAAA attendu) / impossible month{n} "
                       "(MM/YYYY expected)")
        return f"{year:04d}-{month:02d}", None
    return v, None


def _decimal_columns(table: Table) -> frozenset[str]:
    """Columns whose cells give decimal numbers or coordinates (decimal comma accepted)."""
    out: set[str] = set()
    for f in table.fields:
        if f.kind == "literal" and f.datatype in _DECIMAL_TYPES:
            if f.column:
                out.add(f.column)
            out.update(_VAR.findall(f.value or ""))
    return frozenset(out)


def _nt(lit: Literal) -> str:
    return nt_literal(str(lit), lang=lit.language,
                      datatype=str(lit.datatype) if lit.datatype is not None else None)


class RowConverter:
    """Converts the rows of one table of the mapping (plans compiled once per table)."""

    def __init__(self, table: Table, base: str, codes: CodeLists | None = None) -> None:
        self.table = table
        self.decimal = _decimal_columns(table)
        self.coded = {f.column: f.separator for f in table.fields
                      if f.kind == "concept" and f.column}
        self.subject = _Subject(table.subject, base)
        self.type_lines = [f" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{t}> .\n"
                           for t in table.types]
        self.plans = [_FieldPlan(f, base, codes) for f in table.fields]

    def convert(self, row: dict[str, str]) -> RowOut:
        cells = row  # as read: a problem's message names its value when it is not its cell
        for c in self.decimal:
            if _DECIMAL_COMMA.match(row.get(c, "")):
                row = {**row, c: row[c].replace(",", ".")}
        for c, sep in self.coded.items():
            if LABEL_SEPARATOR in row.get(c, ""):
                parts = row[c].split(sep) if sep else [row[c]]
                row = {**row, c: (sep or "").join(strip_label(p) for p in parts)}
        sprobs: list[RowProblem] = []
        subject = self.subject.make(row, sprobs)
        if subject is None:
            return RowOut(None, tuple(sprobs), (), (), ())
        s_nt = f"<{subject}>"
        lines = [s_nt + t for t in self.type_lines]
        subs: list[str] = []
        problems: list[RowProblem] = []
        for plan in self.plans:
            when = plan.when
            if when and not any(row.get(c) for c in when):
                continue
            s = s_nt
            if plan.subject is not None:
                sub = plan.subject.make(row, problems)
                if sub is None:
                    continue
                subs.append(sub)
                s = f"<{sub}>"
            for v in plan.values(row):
                obj, problem = plan.object(v)
                if obj is not None:
                    lines.append(f"{s}{plan.pred}{obj} .\n")
                if problem is not None:
                    column = plan.f.column
                    if column is None or cells.get(column) != v:
                        problem = plan.naming(v) or problem
                    problems.append((column, problem))
        return RowOut(subject, tuple(sprobs), tuple(lines), tuple(subs), tuple(problems))
