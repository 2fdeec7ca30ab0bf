"""Helpers shared by the tests of the importers (``tests/test_importers_*.py``)."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import REPO
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from publisher.convert.tables import convert
from publisher.project.folder import Project

NATIONAL = REPO / "tests" / "fixtures" / "national"
BASE = "https://w3id.org/cmq/campus/plasturgie-metallurgie-picardie/"
PREFIXES = f"""
@prefix : <{BASE}> .
@prefix cmq: <https://w3id.org/cmq/ontology/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
"""


def table(project: Project, name: str) -> dict[str, dict[str, str]]:
    """Rows of a campus table by id."""
    with (project.data_dir / name).open(encoding="utf-8", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def by_column(project: Project, name: str, column: str) -> dict[str, dict[str, str]]:
    return {r[column]: r for r in table(project, name).values() if r.get(column)}


def record_graph(graph: Graph, iri: str) -> Graph:
    """The triples of one record: its own and those of its hash sub-resources."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(s, URIRef) and (str(s) == iri or str(s).startswith(iri + "#")):
            out.add((s, p, o))
    return out


def assert_same_graph(actual: Graph, expected_turtle: str) -> None:
    expected = Graph().parse(data=PREFIXES + expected_turtle, format="turtle")
    if not isomorphic(actual, expected):
        _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        raise AssertionError(
            "graphs differ\n--- only in the imported graph:\n"
            + only_actual.serialize(format="nt")
            + "--- only in the expected graph:\n" + only_expected.serialize(format="nt"))


def converted(project: Project) -> Graph:
    conv = convert(project)
    assert conv.problems == [], conv.problems
    return conv.graph


def rejects(path: Path | str | None) -> list[dict[str, str]]:
    assert path is not None, "no rejected-rows file"
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of ``path`` containing ``needle``."""
    for i, text in enumerate(path.read_text("utf-8").splitlines(), 1):
        if needle in text:
            return i
    raise AssertionError(f"{needle!r} not in {path}")
