"""Validate the campus graph with the shapes; report every problem against file, row and column.

Problems from the conversion (malformed cells) and SHACL results (pyshacl, SHACL Core and
SHACL-SPARQL, including the national identifier checks) end up in one :class:`Report`, one
message per root cause (:func:`root_causes`): a table that cannot be read is reported once, first,
and what the other tables' records say about its missing records is left out; a cell with a
conversion problem gets no SHACL message too. Messages say how to fix (:func:`with_fix`: the
expected UAI check letter…). A problem's ``value`` is the value at fault: the SHACL result's, or
for a conversion problem about one cell, that cell's text as the table holds it (its
:class:`~publisher.core.errors.Location` ``value``; none for a problem of a whole file or row).
The text for people (:meth:`Report.text`) names file, row, column and value and no IRI of a
record; the IRIs stay in :meth:`Problem.as_dict` (``--json``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from publisher.convert.tables import Conversion, convert
from publisher.core.errors import CmqError, Location
from publisher.core.graphs import load_graph, store_from_graphs
from publisher.core.identifiers import uai_check_letter
from publisher.project.folder import Project
from publisher.validate.compiled import (
    Check,
    Result,
    collect,
    compile_shapes,
    report_graph,
    run_checks,
)

VIOLATION, WARNING, INFO = "Violation", "Warning", "Info"


@dataclass(frozen=True)
class Problem:
    severity: str  # Violation | Warning | Info
    location: Location | None
    message_fr: str
    message_en: str
    focus: str | None = None
    path: str | None = None
    value: str | None = None
    shape: str | None = None
    component: str | None = None

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "severity": self.severity,
            "file": loc.file if loc else None,
            "row": loc.row if loc else None,
            "column": loc.column if loc else None,
            "message_fr": self.message_fr,
            "message_en": self.message_en,
            "focus": self.focus,
            "path": self.path,
            "value": self.value,
            "shape": self.shape,
            "component": self.component,
        }

    def __str__(self) -> str:
        """The problem for people: where, the value, the message (no IRI of a record)."""
        where = str(self.location) if self.location else _record(self.focus)
        val = ""
        record = self.focus is not None and (self.value or "").startswith(("http://", "https://"))
        quoted = f"« {self.value} »"
        if self.value is not None and not record and quoted not in self.message_fr:
            val = f" {quoted}"  # a cell's text is shown once, even a web address
        msg = self.message_fr if self.message_fr == self.message_en else (
            f"{self.message_fr} / {self.message_en}")
        return f"{_SEVERITY_WORDS.get(self.severity, self.severity)}: {where}{val}: {msg}"


_SEVERITY_WORDS = {"Violation": "Violation", "Warning": "Avertissement/Warning",
                   "Info": "Note"}


def _record(focus: str | None) -> str:
    """A record named without its IRI's base: ``organisation/x``."""
    if not focus:
        return "?"
    return "/".join(focus.rstrip("/").split("/")[-2:])


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    shacl_graph: Graph | None = None  # the SHACL validation report as RDF
    #: files that could not be read as a whole: their problems come first
    unreadable: tuple[str, ...] = ()

    @property
    def conforms(self) -> bool:
        return not any(p.severity == VIOLATION for p in self.problems)

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    def text(self) -> str:
        first = set(self.unreadable)
        lines = [str(p) for p in sorted(
            self.problems, key=lambda p: (not (p.location and p.location.file in first),
                                          *_sort_key(p)))]
        lines.append(
            f"{self.count(VIOLATION)} violation(s), {self.count(WARNING)} avertissement(s)/warning(s)"
        )
        return "\n".join(lines)


def _sort_key(p: Problem) -> tuple[int, str, int, str]:
    sev = {VIOLATION: 0, WARNING: 1}.get(p.severity, 2)
    loc = p.location
    return sev, loc.file if loc else "~", (loc.row or 0) if loc else 0, p.path or ""


class ValidationFailed(CmqError):
    status = 422

    def __init__(self, report: Report) -> None:
        super().__init__(report.text())
        self.report = report


def _messages(report: Graph, result: Node) -> tuple[str, str]:
    fr = en = other = ""
    for m in report.objects(result, SH.resultMessage):
        if isinstance(m, Literal):
            if m.language == "fr":
                fr = str(m)
            elif m.language == "en":
                en = str(m)
            else:
                other = other or str(m)
    return fr or other or en, en or other or fr


def shacl_problems(report: Graph, conv: Conversion | None) -> list[Problem]:
    out: list[Problem] = []
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        sev = report.value(result, SH.resultSeverity)
        fr, en = with_fix(*_messages(report, result), report.value(
            result, SH.sourceConstraintComponent), value)
        loc = conv.locate(focus, path) if conv is not None and focus is not None else None
        out.append(
            Problem(
                severity=str(sev).rsplit("#", 1)[-1] if sev else VIOLATION,
                location=loc,
                message_fr=fr,
                message_en=en,
                focus=str(focus) if focus is not None else None,
                path=str(path) if isinstance(path, URIRef) else None,
                value=str(value) if value is not None else None,
                shape=str(report.value(result, SH.sourceShape)),
                component=str(report.value(result, SH.sourceConstraintComponent)),
            )
        )
    return out


def with_fix(fr: str, en: str, component: Node | None, value: Node | None) -> tuple[str, str]:
    """A SHACL message completed with how to fix it, when cmq knows (the UAI check letter)."""
    v = str(value) if value is not None else ""
    if str(component).endswith("UaiCheckConstraintComponent") and v[:7].isdigit() \
            and len(v) >= 7:
        good = v[:7] + uai_check_letter(v[:7])
        return (f"{fr} Lettre clé attendue : « {good[7]} » ({good}), ou vérifiez les chiffres.",
                f"{en} Expected check letter: '{good[7]}' ({good}), or check the digits.")
    return fr, en


def validate_graph(data: Graph, shapes: Graph, ontology: Graph,
                   conv: Conversion | None = None) -> Report:
    """Run the compiled shapes over ``data`` (with the ontology's concept schemes mixed in).

    The reference engine (pyshacl) is :func:`publisher.validate.reference.validate_graph_pyshacl`.
    """
    report_graph = run_checks(store_from_graphs(data, ontology), compile_shapes(shapes))
    return Report(shacl_problems(report_graph, conv), report_graph)


def data_store(nt: bytes, ontology_files: Iterable[Path], path: Path | None = None) -> ox.Store:
    """An Oxigraph store (in memory, or on disk at ``path``) holding sorted N-Triples and the
    ontology, for the compiled checks (lenient: IRIs are checked when the dumps are written)."""
    store = ox.Store(str(path)) if path is not None else ox.Store()
    store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    for f in ontology_files:
        store.bulk_load(path=str(f), format=ox.RdfFormat.TURTLE)
    return store


@dataclass
class Validation:
    """A validation by the compiled checks, with what an incremental build reuses."""

    report: Report
    checks: list[Check]
    results: list[Result]
    store: ox.Store | None = None


def conversion_problems(conv: Conversion) -> list[Problem]:
    out = [Problem(VIOLATION, loc, msg, msg, value=loc.value) for loc, msg in conv.problems]
    out += [Problem(sev, loc, msg, msg, value=loc.value) for sev, loc, msg in conv.remarks()]
    return out


def root_causes(conv: Conversion, shacl: list[Problem]) -> Report:
    """One message per root cause (see the module doc), conversion problems first."""
    own = conversion_problems(conv)
    cells = {(p.location.file, p.location.row, p.location.column)
             for p in own if p.location is not None and p.severity == VIOLATION}
    broken = conv.unreadable()
    base = conv.campus_iri.removesuffix("organisation/campus") if conv.campus_iri else ""
    heads = tuple(base + t.subject.split("{", 1)[0] for t in broken)
    kept = []
    for p in shacl:
        loc = p.location
        if loc is not None and (loc.file, loc.row, loc.column) in cells:
            continue  # the cell's conversion problem says it
        if heads and _knock_on(p, heads, conv):
            continue
        kept.append(p)
    return Report(own + kept, unreadable=tuple(dict.fromkeys(
        conv.tables[t.name].file for t in broken)))


def _knock_on(p: Problem, heads: tuple[str, ...], conv: Conversion) -> bool:
    """A SHACL result that only says a record of an unreadable table is missing: its value (or
    its focus) is such a record, which nothing describes; or it is about the campus itself."""
    for iri in (p.value, p.focus):
        if iri and iri.startswith(heads) and URIRef(iri) not in conv.origins:
            return True
    return p.focus == conv.campus_iri


def report_of(checks: list[Check], results: list[Result], conv: Conversion) -> Report:
    """The report of compiled-check results, conversion problems first."""
    graph = report_graph(checks, results)
    report = root_causes(conv, shacl_problems(graph, conv))
    report.shacl_graph = graph
    return report


def validate_conversion(conv: Conversion, shapes: Graph, ontology_files: Iterable[Path], *,
                        keep_store: bool = False) -> Validation:
    """Validate a conversion with the compiled checks on a store loaded from its N-Triples."""
    nt = "".join(conv.sorted_lines()).encode("utf-8")
    store = data_store(nt, ontology_files)
    del nt
    checks = compile_shapes(shapes)
    results = collect(store, checks)
    return Validation(report_of(checks, results, conv), checks, results,
                      store if keep_store else None)


def validate_project(project: Project) -> tuple[Conversion, Report]:
    """Convert and validate a project; conversion problems come first in the report."""
    conv = convert(project)
    shapes = load_graph(project.shape_files())
    return conv, validate_conversion(conv, shapes, project.ontology_files()).report
