"""Run compiled checks on an Oxigraph store and write the SHACL validation report.

:func:`collect` gives the results as (check index, bindings); :func:`report_graph` turns them into
a standard ``sh:ValidationReport`` (same vocabulary as pyshacl's). Keeping the two apart lets an
incremental build reuse the results of the focus nodes a change cannot affect
(docs/decisions/0010-incremental-build.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node

from publisher.core.graphs import from_ox
from publisher.validate.checks import Check, restrict


def _message(template: Literal, row: dict[str, Node]) -> Literal:
    def sub(m: re.Match[str]) -> str:
        v = row.get(m.group(1))
        return str(v) if v is not None else m.group(0)

    return Literal(re.sub(r"\{[?$](\w+)\}", sub, str(template)), lang=template.language)


#: One validation result: (index of its check in the compiled list, variable bindings).
Result = tuple[int, dict[str, Node]]


def collect(store: ox.Store, checks: Iterable[Check], *, focus: list[str] | None = None,
            only: Iterable[int] | None = None) -> list[Result]:
    """Run compiled checks on ``store``; ``focus`` restricts them to those focus nodes (IRIs),
    ``only`` to the checks with those indexes."""
    wanted = set(only) if only is not None else None
    out: list[Result] = []
    for n, check in enumerate(checks):
        if wanted is not None and n not in wanted:
            continue
        query = restrict(check, focus) if focus is not None else check.query
        solutions = store.query(query, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        for sol in solutions:
            out.append((n, {k: from_ox(sol[k]) for k in names if sol[k] is not None}))
    return out


def report_graph(checks: list[Check], results: Iterable[Result]) -> Graph:
    """The SHACL validation report of ``results`` (same vocabulary as pyshacl's)."""
    report = Graph()
    report.bind("sh", SH)
    root = BNode("report")
    report.add((root, RDF.type, SH.ValidationReport))
    conforms = True
    counts: dict[int, int] = {}
    for n, row in results:
        check = checks[n]
        i = counts.get(n, 0)
        counts[n] = i + 1
        r = BNode(f"r{n}_{i}")
        report.add((root, SH.result, r))
        report.add((r, RDF.type, SH.ValidationResult))
        report.add((r, SH.focusNode, row["this"]))
        path = row.get("path", check.path)
        if path is not None:
            report.add((r, SH.resultPath, path))
        if "value" in row:
            report.add((r, SH.value, row["value"]))
        report.add((r, SH.resultSeverity, check.severity))
        report.add((r, SH.sourceShape, check.shape))
        report.add((r, SH.sourceConstraintComponent, check.component))
        for m in check.messages:
            report.add((r, SH.resultMessage, _message(m, row)))
        if check.severity == SH.Violation:
            conforms = False
    report.add((root, SH.conforms, Literal(conforms)))
    return report


def run_checks(store: ox.Store, checks: Iterable[Check]) -> Graph:
    """Run compiled checks on ``store`` and return a SHACL validation report graph."""
    listed = list(checks)
    return report_graph(listed, collect(store, listed))
