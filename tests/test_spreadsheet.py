"""Spreadsheet formula injection (issue 11, item 17): the one rule (publisher.core.spreadsheet),
the SPARQL CSV answers of the real server, and the agreement of the SHACL warning with the rule.
The importers' files are tested in test_importers_merge.py, the warning's cell in test_shapes.py
(negative fixture ``cell-formula-warning``)."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import SH
from server_fixtures import LiveServer

from publisher.core.spreadsheet import is_formula, neutralise, neutralise_csv
from publisher.project.folder import shipped_files

SHAPES = Namespace("https://w3id.org/cmq/shapes/")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
FORMULAS = ["=cmd|' /C calc'!A0", "+HYPERLINK(\"http://example.org/x\",\"clic\")", "@SUM(A1:A9)",
            "-2+3+cmd|' /C calc'!A0", "\tfoo", "\rbar", "=1+1", "-", "+", "-x", "+33 1 23 45 toto"]
HARMLESS = ["-3", "+3", "-2.5", "-2,5", "+1.5e-3", "-.5", "+33 1 23 45 67 89",
            "+33 (0)3 22 00 00 00", "+33-3-22-00-00-00", "0322000000", "Lycée", "", "a=b", "x-y",
            "'=cmd", " =cmd"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_is_prefixed_with_a_quote(cell: str) -> None:
    assert is_formula(cell)
    assert neutralise(cell) == "'" + cell
    assert not is_formula(neutralise(cell))


@pytest.mark.parametrize("cell", HARMLESS)
def test_numbers_phone_numbers_and_text_are_left_alone(cell: str) -> None:
    assert not is_formula(cell)
    assert neutralise(cell) == cell


def test_the_shape_flags_what_the_rule_flags() -> None:
    """shapes/cells.ttl spells the rule in SPARQL: on every sample, as a plain, a language-tagged
    and an integer literal, it flags exactly what :func:`is_formula` flags in a string (typed
    numbers never)."""
    shapes = Graph()
    for f in shipped_files("shapes"):
        shapes.parse(f)
    select = shapes.value(shapes.value(SHAPES.CellFormulaShape, SH.sparql), SH.select)
    assert select is not None
    store = ox.Store()
    subject, typ = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/T")
    store.add(ox.Quad(subject, ox.NamedNode(RDF_TYPE), typ))
    samples = FORMULAS + HARMLESS
    for n, cell in enumerate(samples):
        store.add(ox.Quad(subject, ox.NamedNode(f"http://example.org/p{n}"), ox.Literal(cell)))
        store.add(ox.Quad(subject, ox.NamedNode(f"http://example.org/l{n}"),
                          ox.Literal(cell, language="fr")))
    store.add(ox.Quad(subject, ox.NamedNode("http://example.org/i"),
                      ox.Literal("-3", datatype=ox.NamedNode(XSD_INTEGER))))
    answer = store.query(str(select).replace("$this", "?this"))
    assert isinstance(answer, ox.QuerySolutions)
    flagged = sorted((sol["path"].value.rsplit("/", 1)[-1], sol["value"].value)
                     for sol in answer)
    expected = sorted((f"{kind}{n}", cell) for n, cell in enumerate(samples)
                      if is_formula(cell) for kind in "pl")
    assert flagged == expected


def test_neutralise_csv_keeps_quoting_and_line_ends() -> None:
    body = b'v,w\r\n"=a,b",x\r\n-3,"multi\nline"\r\n@x,\r\n'
    out = neutralise_csv(body).decode()
    assert list(csv.reader(io.StringIO(out, newline=""))) == [
        ["v", "w"], ["'=a,b", "x"], ["-3", "multi\nline"], ["'@x", ""]]
    assert out.endswith("\r\n") and "\r\n\r\n" not in out
    safe = b"v\r\nLyc\xc3\xa9e\r\n-3\r\n"
    assert neutralise_csv(safe) is safe


_VALUES = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?v WHERE { VALUES ?v { "=cmd|' /C calc'!A0" "+HYPERLINK(\\"http://example.org/\\")"@fr
  "@SUM(1)"^^<http://example.org/dt> -3 "-2.5"^^xsd:decimal "+33 1 23 45 67 89" "sans danger" } }
ORDER BY STR(?v)"""


def _ask(server: LiveServer, media_type: str) -> str:
    r = httpx.post(server.sparql, data={"query": _VALUES}, headers={"Accept": media_type},
                   timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media_type)
    return r.text


def test_sparql_csv_answers_neutralise_formulas_only(live_server: LiveServer) -> None:
    rows = list(csv.reader(io.StringIO(_ask(live_server, "text/csv"), newline="")))
    assert rows[0] == ["v"]
    got = sorted(r[0] for r in rows[1:])
    assert got == sorted(["'=cmd|' /C calc'!A0", "'+HYPERLINK(\"http://example.org/\")",
                          "'@SUM(1)", "-3", "-2.5", "+33 1 23 45 67 89", "sans danger"])
    assert not any(is_formula(cell) for cell in got)


def test_sparql_tsv_answers_keep_the_rdf_terms(live_server: LiveServer) -> None:
    """TSV carries RDF terms: every string literal is quoted, so no field starts with a
    formula character, and the values are those of the JSON answer (nothing altered)."""
    lines = _ask(live_server, "text/tab-separated-values").splitlines()
    fields = lines[1:]
    assert not any(is_formula(f) for f in fields), fields
    assert all(re.match(r'^("|-?[0-9])', f) for f in fields), fields
    parsed = ox.parse_query_results("\n".join(lines).encode() + b"\n",
                                    format=ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    values = {sol["v"] for sol in parsed}
    assert ox.Literal("=cmd|' /C calc'!A0") in values
    assert ox.Literal("-3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")) \
        in values
