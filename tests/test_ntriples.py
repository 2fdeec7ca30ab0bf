"""N-Triples lines as strings: same canonical form as pyoxigraph, read back exactly."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from publisher.core.ntriples import (
    escape,
    lines_to_graph,
    literal,
    parse_literal,
    split,
    subject_of,
    to_rdflib,
    unescape,
)

XSD = "http://www.w3.org/2001/XMLSchema#"


@given(st.text())
def test_escape_matches_pyoxigraph_and_unescape_inverts_it(text: str) -> None:
    assert literal(text) == str(ox.Literal(text))
    assert literal(text, lang="FR") == str(ox.Literal(text, language="fr"))
    assert unescape(escape(text)) == text


def test_literal_forms() -> None:
    assert literal("a", datatype=f"{XSD}string") == '"a"'
    assert literal("1", datatype=f"{XSD}integer") == f'"1"^^<{XSD}integer>'
    assert parse_literal('"a \\"b\\"\\n"@fr') == ('a "b"\n', "fr", None)
    assert parse_literal(f'"2"^^<{XSD}integer>') == ("2", None, f"{XSD}integer")
    assert parse_literal('"x"') == ("x", None, None)
    assert unescape("\\u00e9\\U0001F600") == "é\U0001f600"


def test_split_keeps_spaces_and_dots_inside_literals() -> None:
    line = '<http://ex/s> <http://ex/p> "a . b" .\n'
    assert split(line) == ("<http://ex/s>", "<http://ex/p>", '"a . b"')
    assert subject_of(line) == "<http://ex/s>"
    assert to_rdflib('"a . b"') == Literal("a . b")
    assert to_rdflib("<http://ex/s>") == URIRef("http://ex/s")


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.text(max_size=20)), max_size=10))
def test_lines_to_graph_is_what_rdflib_parses(pairs: list[tuple[str, str]]) -> None:
    lines = [f"<http://ex/{s}> <http://ex/p> {literal(o)} .\n" for s, o in pairs]
    lines += [f"<http://ex/{s}> <http://ex/q> {literal(o, lang='fr')} .\n" for s, o in pairs]
    lines += [f"<http://ex/{s}> <http://ex/r> <http://ex/{s}x> .\n" for s, _ in pairs]
    parsed = Graph().parse(data="".join(lines), format="nt")
    assert isomorphic(lines_to_graph(lines), parsed)
