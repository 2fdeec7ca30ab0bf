"""The W3C SPARQL test cases that concern an endpoint, run against a live ``cmq serve``.

Written from the W3C suites (github.com/w3c/rdf-tests), not copied from them:

- SPARQL 1.1 Protocol (``sparql/sparql11/protocol``): the 13 query cases and the 7 bad-request
  query cases that apply to a read-only endpoint (the update cases expect updates to succeed);
- SPARQL 1.0 ``dataset`` (``sparql/sparql10/dataset``): the 12 entries of its manifest
  (01–08, 11, 09b, 10b, 12b), their queries verbatim (relative IRIs included: they resolve
  against the endpoint's public URL, as the suite's resolve against the query file's), their
  data as named graphs of that name, their results compared as RDF result sets (blank nodes
  matched by isomorphism).

The server serves a release laid out as a national one (``campus.nq``: the campus in the
default graph, each test file in its own named graph), plus a stray triple in the default graph
that no query naming a dataset may see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin

import httpx
import pytest
from conftest import copy_campus
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.term import Node
from server_fixtures import LIVE_SETTINGS, LiveServer, start_server

from publisher.release import model as rm
from publisher.release.build import build_release

K = "http://kasei.us/2009/09/sparql/data/"
EX = "http://example/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
STRAY = f"<{EX}stray> <{EX}p> <{EX}stray> .\n"

#: The dataset tests' files (each ``-dup`` file has the same triples as its base file).
DATASET_FILES = {
    "data-g1.ttl": f'<{EX}x> <{EX}p> "1"^^<{XSD_INTEGER}> .\n'
                   f'<{EX}a> <{EX}p> "9"^^<{XSD_INTEGER}> .\n',
    "data-g2.ttl": f'<{EX}x> <{EX}q> "2"^^<{XSD_INTEGER}> .\n',
    "data-g3.ttl": f'_:x <{EX}p> "1"^^<{XSD_INTEGER}> .\n_:a <{EX}p> "9"^^<{XSD_INTEGER}> .\n',
    "data-g4.ttl": f'_:x <{EX}q> "2"^^<{XSD_INTEGER}> .\n',
}


def _quads(triples: str, graph: str, bnode_scope: str) -> str:
    """N-Triples lines as N-Quads in ``graph``; blank nodes renamed apart per file."""
    out = []
    for line in triples.splitlines():
        line = line.replace("_:", f"_:{bnode_scope}")
        out.append(f"{line[:-1].rstrip()} <{graph}> .\n")
    return "".join(out)


def write_test_graphs(folder: Path, base: str) -> None:
    """The release's ``campus.nq``: its campus data and stray triple in the default graph, the
    protocol files and the dataset files (and their ``-dup`` copies) as named graphs."""
    lines = [(folder / rm.DATA_NT).read_text(encoding="utf-8"), STRAY]
    for n in (1, 2, 3):
        lines.append(_quads(f"<{K}data{n}.rdf> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                            "<http://xmlns.com/foaf/0.1/Document> .", f"{K}data{n}.rdf", ""))
    for name, triples in DATASET_FILES.items():
        for file in (name, name.replace(".ttl", "-dup.ttl")):
            scope = file.replace(".", "").replace("-", "")
            lines.append(_quads(triples, urljoin(base, file), scope))
    (folder / rm.DATA_NQ).write_text("".join(lines), encoding="utf-8")
    if not (folder / rm.PROVENANCE_TTL).is_file():
        (folder / rm.PROVENANCE_TTL).write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    project = copy_campus(tmp_path_factory.mktemp("w3c"))
    info = build_release(project).info
    folder = project.releases_dir / info.release_id
    write_test_graphs(folder, info.sparql_url)
    with start_server(project.root, LIVE_SETTINGS) as server:
        yield server


@pytest.fixture(scope="module")
def w3c(w3c_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=w3c_server.url, timeout=30.0) as client:
        yield client


def enc(iri: str) -> str:
    return quote(iri, safe="")


# ------------------------------------------------------------------ protocol: query cases

ASK_EMPTY = "ASK%20%7B%7D"
DG0 = f"default-graph-uri={enc(K + 'data0.rdf')}"
DG12 = f"default-graph-uri={enc(K + 'data1.rdf')}&default-graph-uri={enc(K + 'data2.rdf')}"
NG12 = f"named-graph-uri={enc(K + 'data1.rdf')}&named-graph-uri={enc(K + 'data2.rdf')}"
BOTH_DEFAULT = f"ASK {{ <{K}data1.rdf> a ?type . <{K}data2.rdf> a ?type . }}"
BOTH_NAMED = (f"ASK {{ GRAPH ?g1 {{ <{K}data1.rdf> a ?type }} "
              f"GRAPH ?g2 {{ <{K}data2.rdf> a ?type }} }}")
DIRECT = {"Content-Type": "application/sparql-query"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BOOLEAN_TYPES = ("application/sparql-results+xml", "application/sparql-results+json")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/tab-separated-values", "text/csv")
RDF_TYPES = ("application/rdf+xml", "text/turtle", "application/n-triples",
             "application/ld+json")


def boolean(r: httpx.Response) -> bool:
    assert r.status_code == 200, r.text
    kind = r.headers["content-type"].split(";")[0]
    assert kind in BOOLEAN_TYPES, kind
    if kind.endswith("json"):
        value = r.json()["boolean"]
        assert isinstance(value, bool)
        return value
    assert "<boolean>" in r.text
    return "<boolean>true</boolean>" in r.text


def test_query_get(w3c: httpx.Client) -> None:
    assert boolean(w3c.get(f"sparql?query={ASK_EMPTY}&{DG0}")) is True


def test_query_post_form(w3c: httpx.Client) -> None:
    assert boolean(w3c.post(f"sparql?{DG0}", content=f"query={ASK_EMPTY}", headers=FORM)) is True


def test_query_post_direct(w3c: httpx.Client) -> None:
    assert boolean(w3c.post("sparql", content="ASK {}", headers=DIRECT)) is True


def test_query_dataset_default_graphs(w3c: httpx.Client) -> None:
    assert boolean(w3c.get(f"sparql?query={enc(BOTH_DEFAULT)}&{DG12}")) is True
    assert boolean(w3c.post(f"sparql?{DG12}", content=BOTH_DEFAULT, headers=DIRECT)) is True
    # each graph alone does not hold both triples: the dataset really is their merge
    one = f"default-graph-uri={enc(K + 'data1.rdf')}"
    assert boolean(w3c.get(f"sparql?query={enc(BOTH_DEFAULT)}&{one}")) is False


def test_query_dataset_named_graphs(w3c: httpx.Client) -> None:
    assert boolean(w3c.post(f"sparql?{NG12}", content=BOTH_NAMED, headers=DIRECT)) is True
    assert boolean(w3c.get(f"sparql?query={enc(BOTH_NAMED)}&{NG12}")) is True
    one = f"named-graph-uri={enc(K + 'data1.rdf')}"
    assert boolean(w3c.get(f"sparql?query={enc(BOTH_NAMED)}&{one}")) is False


def test_query_dataset_full(w3c: httpx.Client) -> None:
    query = (f"ASK {{ <{K}data3.rdf> a ?type GRAPH ?g1 {{<{K}data1.rdf> a ?type}} "
             f"GRAPH ?g2 {{<{K}data2.rdf> a ?type}} }}")
    params = f"default-graph-uri={enc(K + 'data3.rdf')}&{NG12}"
    assert boolean(w3c.post(f"sparql?{params}", content=query, headers=DIRECT)) is True


def test_query_multiple_dataset(w3c: httpx.Client) -> None:
    """The protocol's dataset wins over FROM: the manifest's query, then one that tells the two
    apart (a pattern on the default graph, which FROM would fill with data3 and the protocol's
    named-graph-only dataset leaves empty)."""
    query = (f"ASK FROM <{K}data3.rdf> {{ GRAPH ?g1 {{ <{K}data1.rdf> a ?type }} "
             f"GRAPH ?g2 {{ <{K}data2.rdf> a ?type }} }}")
    assert boolean(w3c.post(f"sparql?{NG12}", content=query, headers=DIRECT)) is True
    default = f"ASK FROM <{K}data3.rdf> {{ <{K}data3.rdf> a ?type }}"
    assert boolean(w3c.post("sparql", content=default, headers=DIRECT)) is True
    assert boolean(w3c.post(f"sparql?{NG12}", content=default, headers=DIRECT)) is False


def test_query_content_types(w3c: httpx.Client) -> None:
    cases = [("SELECT (1 AS ?value) {}", TABULAR_TYPES), ("ASK {}", BOOLEAN_TYPES),
             ("DESCRIBE <http://example.org/>", RDF_TYPES),
             ("CONSTRUCT { <s> <p> 1 } WHERE {}", RDF_TYPES)]
    for query, types in cases:
        r = w3c.post(f"sparql?{DG0}", content=query, headers=DIRECT)
        assert r.status_code == 200, (query, r.text)
        assert r.headers["content-type"].split(";")[0] in types, query


def test_relative_iris_resolve_against_the_endpoint(w3c_server: LiveServer,
                                                    w3c: httpx.Client) -> None:
    r = w3c.post("sparql", content="CONSTRUCT { <s> <p> 1 } WHERE {}",
                 headers={**DIRECT, "Accept": "application/n-triples"})
    assert r.status_code == 200, r.text
    base = w3c_server.release.sparql_url
    g = Graph().parse(data=r.text, format="nt")
    assert set(g) == {(URIRef(urljoin(base, "s")), URIRef(urljoin(base, "p")), Literal(1))}


# ------------------------------------------------------------------ protocol: bad requests


def test_bad_query_method(w3c: httpx.Client) -> None:
    r = w3c.request("PUT", f"sparql?query={ASK_EMPTY}&{DG0}", headers=FORM)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "HEAD", "POST"}


def test_bad_multiple_queries(w3c: httpx.Client) -> None:
    r = w3c.get("sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert r.status_code == 400 and r.json()["error"] == "MalformedQuery"
    form = w3c.post(f"sparql?query={ASK_EMPTY}", content=f"query={ASK_EMPTY}", headers=FORM)
    assert form.status_code == 400


@pytest.mark.parametrize("headers", [{"Content-Type": "text/plain"}, {}],
                         ids=["wrong_media_type", "missing_direct_type"])
def test_bad_query_media_type(w3c: httpx.Client, headers: dict[str, str]) -> None:
    r = w3c.post("sparql", content=b"ASK {}", headers=headers)
    assert 400 <= r.status_code < 500, r.text


def test_bad_query_missing_form_type(w3c: httpx.Client) -> None:
    r = w3c.post("sparql", content=b"query=ASK%20%7B%7D")
    assert 400 <= r.status_code < 500, r.text


def test_bad_query_non_utf8(w3c: httpx.Client) -> None:
    headers = {"Content-Type": "application/sparql-query; charset=UTF-16"}
    r = w3c.post("sparql", content="ASK {}".encode("utf-16"), headers=headers)
    assert 400 <= r.status_code < 500, r.text
    # the charset itself is refused, not only bytes that do not decode (no BOM here)
    r = w3c.post("sparql", content="ASK {}".encode("utf-16-le"), headers=headers)
    assert 400 <= r.status_code < 500, r.text


def test_bad_query_syntax(w3c: httpx.Client) -> None:
    assert w3c.get("sparql?query=ASK%20%7B").status_code == 400


def test_invalid_utf8_in_a_get_query_is_refused_as_in_a_form(w3c: httpx.Client) -> None:
    """Issue 11, item 18: ``%ff`` is no UTF-8; decoding it as U+FFFD would run another query."""
    bad = "SELECT%20%2A%20%7B%20%3Fs%20%3Fp%20%22%ff%22%20%7D"
    get = w3c.get(f"sparql?query={bad}")
    form = w3c.post("sparql", content=f"query={bad}", headers=FORM)
    assert get.status_code == form.status_code == 400
    assert get.json()["error"] == form.json()["error"] == "MalformedQuery"
    assert w3c.get(f"sparql?query={ASK_EMPTY}&default-graph-uri=%ff").status_code == 400


def test_read_only_endpoint_refuses_updates(w3c: httpx.Client) -> None:
    """The negative update cases (bad_update_*): a read-only endpoint refuses every update."""
    assert w3c.get("sparql?update=CLEAR%20ALL").status_code == 403
    form = "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT"
    assert 400 <= w3c.post("sparql", content=form, headers=FORM).status_code < 500
    assert 400 <= w3c.post("sparql", content="CLEAR NAMED",
                           headers={"Content-Type": "text/plain"}).status_code < 500
    assert 400 <= w3c.post("sparql", content=b"update=CLEAR%20NAMED").status_code < 500


# ------------------------------------------------------------------ sparql10 dataset


def _term(value: str, base: str) -> Node:
    """A cell of the expected tables: ``:x``, ``<file>``, ``_:b1`` or an integer."""
    if value.startswith(":"):
        return URIRef(EX + value[1:])
    if value.startswith("<"):
        return URIRef(urljoin(base, value[1:-1]))
    if value.startswith("_:"):
        return BNode(value[2:])
    return Literal(int(value))


def result_set(rows: list[dict[str, Node]]) -> Graph:
    """Solutions as an RDF result set (the W3C ``rs:`` vocabulary): one blank node per row, so
    isomorphism compares multisets of rows with blank nodes matched consistently."""
    g = Graph()
    for row in rows:
        solution = BNode()
        g.add((RS.results, RS.solution, solution))
        for var, value in row.items():
            binding = BNode()
            g.add((solution, RS.binding, binding))
            g.add((binding, RS.variable, Literal(var)))
            g.add((binding, RS.value, value))
    return g


def expected(rows: list[str], base: str) -> Graph:
    """``rows``: 'g s p o' cells ('-' unbound) for queries over ?g ?s ?p ?o, or 'name=value'
    cells for others."""
    parsed = []
    for row in rows:
        cells = row.split()
        if "=" in cells[0]:
            pairs = [c.split("=", 1) for c in cells]
        else:
            pairs = list(zip(("g", "s", "p", "o"), cells, strict=True))
        parsed.append({k: _term(v, base) for k, v in pairs if v != "-"})
    return result_set(parsed)


def answered(body: dict[str, object]) -> Graph:
    rows = []
    for binding in body["results"]["bindings"]:  # type: ignore[index]
        row: dict[str, Node] = {}
        for var, cell in binding.items():
            if cell["type"] == "uri":
                row[var] = URIRef(cell["value"])
            elif cell["type"] == "bnode":
                row[var] = BNode(cell["value"])
            else:
                row[var] = Literal(cell["value"], datatype=cell.get("datatype"),
                                   lang=cell.get("xml:lang"))
        rows.append(row)
    return result_set(rows)


HEAD = "PREFIX : <http://example/> \n\n"
UNION = "{ \n   { ?s ?p ?o }\n  UNION\n   { GRAPH ?g { ?s ?p ?o } }\n}\n"
COMMON = "{ \n   ?s ?p ?o\n   GRAPH ?g { ?s ?q ?v }\n}\n"
DATASET_CASES: dict[str, tuple[str, list[str]]] = {
    "dataset-01": ("SELECT * \nFROM <data-g1.ttl>\n{ ?s ?p ?o }\n",
                   ["- :a :p 9", "- :x :p 1"]),
    "dataset-02": ("SELECT *\nFROM NAMED <data-g1.ttl>\n{ ?s ?p ?o }\n", []),
    "dataset-03": ("SELECT * \nFROM NAMED <data-g1.ttl>\n{ \n    GRAPH ?g { ?s ?p ?o }\n}\n",
                   ["<data-g1.ttl> :x :p 1", "<data-g1.ttl> :a :p 9"]),
    "dataset-04": ("SELECT * \nFROM <data-g1.ttl>\n{ \n    GRAPH ?g { ?s ?p ?o }\n}\n", []),
    "dataset-05": ("SELECT * \nFROM <data-g1.ttl>\nFROM NAMED <data-g2.ttl>\n{ ?s ?p ?o }\n",
                   ["- :x :p 1", "- :a :p 9"]),
    "dataset-06": (("SELECT * \nFROM <data-g1.ttl>\nFROM NAMED <data-g2.ttl>\n"
                    "{ \n    GRAPH ?g { ?s ?p ?o }\n}\n"), ["<data-g2.ttl> :x :q 2"]),
    "dataset-07": ("SELECT * \nFROM <data-g1.ttl>\nFROM NAMED <data-g2.ttl>\n" + UNION,
                   ["<data-g2.ttl> :x :q 2", "- :x :p 1", "- :a :p 9"]),
    "dataset-08": ("SELECT * \nFROM <data-g1.ttl>\nFROM NAMED <data-g2.ttl>\n" + COMMON,
                   ["s=:x p=:p o=1 g=<data-g2.ttl> q=:q v=2"]),
    "dataset-09b": ("SELECT * \nFROM <data-g3-dup.ttl>\nFROM NAMED <data-g3.ttl>" + COMMON, []),
    "dataset-10b": ("SELECT * \nFROM <data-g3-dup.ttl>\nFROM NAMED <data-g3.ttl>\n" + COMMON,
                    []),
    "dataset-11": ("SELECT * \nFROM <data-g1.ttl>\nFROM NAMED <data-g1.ttl>\n"
                   "FROM NAMED <data-g2.ttl>\nFROM NAMED <data-g3.ttl>\n"
                   "FROM NAMED <data-g4.ttl>\n" + UNION,
                   ["- :x :p 1", "- :a :p 9", "<data-g1.ttl> :x :p 1", "<data-g1.ttl> :a :p 9",
                    "<data-g2.ttl> :x :q 2", "<data-g3.ttl> _:b1 :p 1",
                    "<data-g3.ttl> _:b2 :p 9", "<data-g4.ttl> _:b3 :q 2"]),
    "dataset-12b": ("SELECT * \n" + "".join(f"FROM <data-g{n}-dup.ttl>\n" for n in range(1, 5))
                    + "".join(f"FROM NAMED <data-g{n}.ttl>\n" for n in range(1, 5)) + UNION,
                    ["- :x :p 1", "- :a :p 9", "- :x :q 2", "- _:b1 :p 1", "- _:b2 :p 9",
                     "- _:b3 :q 2", "<data-g1.ttl> :x :p 1", "<data-g1.ttl> :a :p 9",
                     "<data-g2.ttl> :x :q 2", "<data-g3.ttl> _:b4 :p 1",
                     "<data-g3.ttl> _:b5 :p 9", "<data-g4.ttl> _:b6 :q 2"]),
}


@pytest.mark.parametrize("name", sorted(DATASET_CASES))
def test_dataset(w3c_server: LiveServer, w3c: httpx.Client, name: str) -> None:
    query, rows = DATASET_CASES[name]
    r = w3c.post("sparql", content=HEAD + query,
                 headers={**DIRECT, "Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    got, want = answered(r.json()), expected(rows, w3c_server.release.sparql_url)
    if not isomorphic(got, want):
        _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
        pytest.fail(f"{name}: {len(r.json()['results']['bindings'])} rows\n"
                    f"unexpected:\n{only_got.serialize(format='nt')}\n"
                    f"missing:\n{only_want.serialize(format='nt')}")


def test_all_twelve_dataset_cases_are_there() -> None:
    assert len(DATASET_CASES) == 12


def test_without_a_dataset_every_graph_is_seen(w3c: httpx.Client) -> None:
    """The convenience default stays: a query naming no dataset sees every graph merged."""
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example/p> ?o }"
    r = w3c.get("sparql", params={"query": count}, headers={"Accept": "text/csv"})
    # g1 and g3 (2 each) and their copies, and the stray triple
    assert r.text.splitlines()[1].strip() == "9"
    stray = f"ASK FROM <{K}data1.rdf> {{ <{EX}stray> ?p ?o }}"
    assert boolean(w3c.get("sparql", params={"query": stray})) is False
    nowhere = "ASK FROM <http://example.org/no-such-graph> { ?s ?p ?o }"
    assert boolean(w3c.get("sparql", params={"query": nowhere})) is False


def test_from_selects_one_campus_of_a_national_release(w3c: httpx.Client) -> None:
    """One named graph per campus (a national release): FROM one answers with that one only."""
    g1 = f"{K}data1.rdf"
    query = ("SELECT ?s WHERE { ?s a <http://xmlns.com/foaf/0.1/Document> "
             f'FILTER(STRSTARTS(STR(?s), "{K}")) }}')
    everything = w3c.get("sparql", params={"query": query},
                         headers={"Accept": "application/sparql-results+json"}).json()
    assert len(everything["results"]["bindings"]) == 3
    one = w3c.get("sparql", params={"query": query.replace("WHERE", f"FROM <{g1}> WHERE")},
                  headers={"Accept": "application/sparql-results+json"}).json()
    assert [b["s"]["value"] for b in one["results"]["bindings"]] == [g1]


def test_the_service_description_lists_the_test_graphs(w3c_server: LiveServer,
                                                       w3c: httpx.Client) -> None:
    r = w3c.get("sparql", headers={"Accept": "application/n-triples"})
    g = Graph().parse(data=r.text, format="nt")
    names = {str(o) for o in g.objects(None, URIRef(
        "http://www.w3.org/ns/sparql-service-description#name"))}
    base = w3c_server.release.sparql_url
    assert {urljoin(base, f) for f in DATASET_FILES} | {f"{K}data{n}.rdf" for n in (1, 2, 3)} \
        <= names
    described = w3c.get("graph/provenance", headers={"Accept": "application/ld+json"})
    assert described.status_code == 200, described.text
    assert json.loads(described.text)
