"""The query engine (publisher.sparql.execute / negotiate) with real worker processes, no mocks.

Small N-Triples files are written to a temporary directory; every expectation is computed either
by hand or by pyoxigraph/rdflib in this process. No test makes a network request.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from publisher.sparql import (
    TRUNCATED_LINK,
    EngineUnavailable,
    GraphFile,
    MalformedQuery,
    NotAcceptable,
    Overloaded,
    QueryEngine,
    QueryFailed,
    QueryForm,
    QueryTimeout,
    ServiceRefused,
    UpdateRefused,
    choose_format,
    format_from_name,
    negotiate,
)

pytestmark = pytest.mark.filterwarnings(  # rdflib's own JSON-LD parser
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)

EX = "http://example.org/"
G1, G2 = f"{EX}graph/1", f"{EX}graph/2"
MAX_ROWS = 20
ITEMS = 30
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SRX = "{http://www.w3.org/2005/sparql-results#}"
HEAVY = "SELECT (COUNT(*) AS ?c) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NASTY = 'a "quoted"\ttab,\nnew line; comma é'
NASTY_NT = 'a \\"quoted\\"\\ttab,\\nnew line; comma é'
DEFAULT_TRIPLES = 3 * ITEMS + 5
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


def _main_ntriples() -> str:
    lines = []
    for i in range(1, ITEMS + 1):
        s = f"<{EX}item/{i}>"
        lines += [
            f"{s} <{RDF_TYPE}> <{EX}Item> .",
            f'{s} <{RDFS_LABEL}> "article {i}"@fr .',
            f'{s} <{EX}n> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        ]
    lines += [
        f"<{EX}item/1> <{EX}part> _:p1 .",
        f'_:p1 <{RDFS_LABEL}> "{NASTY_NT}" .',
        f"_:p1 <{EX}next> _:p2 .",
        f'_:p2 <{RDFS_LABEL}> "second"@en-gb .',  # lowercase: oxigraph lowercases language tags
        f'<{EX}item/1> <{EX}note> "{NASTY_NT}" .',
    ]
    return "\n".join(lines) + "\n"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


ALLOWED_SERVICE = f"http://127.0.0.1:{_closed_port()}/sparql"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sparql-data")
    (d / "main.nt").write_text(_main_ntriples(), encoding="utf-8")
    (d / "g1.nt").write_text(f'<{EX}g1/s> <{EX}p> "in graph 1" .\n', encoding="utf-8")
    (d / "g2.nt").write_text(f'<{EX}g2/s> <{EX}p> "in graph 2" .\n', encoding="utf-8")
    heavy = "".join(f'<{EX}h/{i}> <{EX}p> "{i}" .\n' for i in range(1500))
    (d / "heavy.nt").write_text(heavy, encoding="utf-8")
    return d


def _files(d: Path) -> list[GraphFile | Path]:
    return [d / "main.nt", GraphFile(d / "g1.nt", graph=G1), GraphFile(d / "g2.nt", graph=G2)]


@pytest.fixture(scope="module")
def engine(data_dir: Path) -> Iterator[QueryEngine]:
    with QueryEngine(_files(data_dir), max_rows=MAX_ROWS, timeout_s=30.0, workers=2) as e:
        yield e


@pytest.fixture(scope="module")
def reference(data_dir: Path) -> pyoxigraph.Store:
    """The same data in an in-process store, to compute expected answers."""
    store = pyoxigraph.Store()
    store.load(path=data_dir / "main.nt", format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _running(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_until(predicate: object, limit_s: float = 20.0) -> None:
    assert callable(predicate)
    end = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


# ----------------------------------------------------------------------------- formats


SELECT = f"SELECT ?s ?label WHERE {{ ?s <{RDFS_LABEL}> ?label }} ORDER BY ?s ?label LIMIT 8"
EXACT = (
    f"SELECT ?s ?v WHERE {{ ?s <{RDFS_LABEL}>|<{EX}note>|<{EX}n> ?v FILTER(isIRI(?s)) }} "
    "ORDER BY ?s ?v LIMIT 8"
)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_in_every_format_is_exactly_pyoxigraphs(
    engine: QueryEngine, reference: pyoxigraph.Store, fmt: str
) -> None:
    # (no blank nodes here: their labels differ between two stores loading the same file)
    result = engine.run(EXACT, format=fmt)
    expected_format = pyoxigraph.QueryResultsFormat.from_extension(fmt)
    assert expected_format is not None
    direct = reference.query(EXACT)
    assert isinstance(direct, pyoxigraph.QuerySolutions)
    assert result.body == direct.serialize(format=expected_format)
    assert result.form is QueryForm.SELECT and not result.truncated
    assert result.media_type.endswith("charset=utf-8")


def test_select_formats_parse_back(engine: QueryEngine) -> None:
    as_json = json.loads(engine.run(SELECT, accept="application/sparql-results+json").body)
    assert as_json["head"]["vars"] == ["s", "label"]
    rows = as_json["results"]["bindings"]
    assert len(rows) == 8
    assert {r["label"]["value"] for r in rows if r["s"]["type"] == "bnode"} == {NASTY, "second"}
    assert {"type": "literal", "value": "article 1", "xml:lang": "fr"} in [r["label"] for r in rows]

    as_csv = engine.run(SELECT, accept="text/csv").body.decode("utf-8")
    table = list(csv.reader(io.StringIO(as_csv)))
    assert table[0] == ["s", "label"] and len(table) == 9
    assert {r[1] for r in table if r[0].startswith("_:")} == {NASTY, "second"}

    root = ET.fromstring(engine.run(SELECT, accept="application/sparql-results+xml").body)
    assert len(root.findall(f"{SRX}results/{SRX}result")) == 8

    tsv = engine.run(SELECT, accept="text/tab-separated-values").body
    parsed = pyoxigraph.parse_query_results(tsv, format=pyoxigraph.QueryResultsFormat.TSV)
    assert isinstance(parsed, pyoxigraph.QuerySolutions)
    assert len(list(parsed)) == 8


@pytest.mark.parametrize(
    ("accept", "check"),
    [
        (
            "application/sparql-results+json",
            lambda b: json.loads(b) == {"head": {}, "boolean": True},
        ),
        ("application/sparql-results+xml", lambda b: ET.fromstring(b)[1].text == "true"),
        ("text/csv", lambda b: b.strip() == b"true"),
        ("text/tab-separated-values", lambda b: b.strip() == b"true"),
    ],
)
def test_ask_in_every_format(engine: QueryEngine, accept: str, check: object) -> None:
    result = engine.run(f"ASK {{ <{EX}item/1> ?p ?o }}", accept=accept)
    assert callable(check) and check(result.body)
    assert result.form is QueryForm.ASK
    no = engine.run(f"ASK {{ <{EX}nothing> ?p ?o }}", format="json")
    assert json.loads(no.body)["boolean"] is False


GRAPH_FORMATS = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
]


@pytest.fixture(scope="module")
def roomy_engine(data_dir: Path) -> Iterator[QueryEngine]:
    """Same data with a cap above the size of the default graph, and SERVICE allow-listed."""
    allow = frozenset({ALLOWED_SERVICE})
    with QueryEngine(_files(data_dir), max_rows=1000, workers=1, service_allow_list=allow) as e:
        yield e


@pytest.mark.parametrize(("accept", "rdflib_format"), GRAPH_FORMATS)
def test_construct_in_every_format_is_isomorphic(
    roomy_engine: QueryEngine, data_dir: Path, accept: str, rdflib_format: str
) -> None:
    result = roomy_engine.run("CONSTRUCT WHERE { ?s ?p ?o }", accept=accept)
    assert result.form is QueryForm.CONSTRUCT and not result.truncated
    assert result.media_type.split(";")[0] == accept
    got = Graph().parse(data=result.body, format=rdflib_format)
    expected = Graph().parse(data_dir / "main.nt", format="nt")
    assert len(got) == len(expected) == DEFAULT_TRIPLES
    assert isomorphic(got, expected)


@pytest.mark.parametrize(("accept", "rdflib_format"), GRAPH_FORMATS)
def test_describe_in_every_format(
    engine: QueryEngine, reference: pyoxigraph.Store, accept: str, rdflib_format: str
) -> None:
    query = f"DESCRIBE <{EX}item/1>"
    result = engine.run(query, accept=accept)
    assert result.form is QueryForm.DESCRIBE
    triples = reference.query(query)
    assert isinstance(triples, pyoxigraph.QueryTriples)
    direct = triples.serialize(format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert direct is not None
    expected = Graph().parse(data=direct, format="nt")
    got = Graph().parse(data=result.body, format=rdflib_format)
    assert len(got) >= 5  # type, label, n, part + the blank node's description
    assert isomorphic(got, expected)


def test_construct_prefixes_are_used_in_turtle(engine: QueryEngine) -> None:
    query = f"PREFIX ex: <{EX}> CONSTRUCT {{ ?s a ex:Item }} WHERE {{ ?s a ex:Item }} LIMIT 2"
    body = engine.run(query, format="ttl").body.decode()
    assert "@prefix ex: <http://example.org/>" in body


# ----------------------------------------------------------------------------- row cap


def test_select_row_cap(engine: QueryEngine) -> None:
    query = f"SELECT ?s WHERE {{ ?s a <{EX}Item> }}"
    result = engine.run(query, format="json")
    assert result.truncated and result.max_rows == MAX_ROWS
    doc = json.loads(result.body)
    assert len(doc["results"]["bindings"]) == MAX_ROWS
    assert doc["head"]["link"] == [TRUNCATED_LINK]

    as_csv = engine.run(query, format="csv")
    assert as_csv.truncated
    assert len(list(csv.reader(io.StringIO(as_csv.body.decode())))) == MAX_ROWS + 1

    as_xml = ET.fromstring(engine.run(query, format="xml").body)
    assert len(as_xml.findall(f"{SRX}results/{SRX}result")) == MAX_ROWS
    assert as_xml.find(f"{SRX}head/{SRX}link").get("href") == TRUNCATED_LINK  # type: ignore[union-attr]


@pytest.mark.parametrize(("limit", "truncated"), [(MAX_ROWS - 1, False), (MAX_ROWS, False),
                                                  (MAX_ROWS + 1, True)])  # fmt: skip
def test_row_cap_boundary(engine: QueryEngine, limit: int, truncated: bool) -> None:
    query = f"SELECT ?s WHERE {{ ?s a <{EX}Item> }} LIMIT {limit}"
    result = engine.run(query, format="json")
    doc = json.loads(result.body)
    assert result.truncated is truncated
    assert len(doc["results"]["bindings"]) == min(limit, MAX_ROWS)
    assert ("link" in doc["head"]) is truncated


def test_graph_row_cap(engine: QueryEngine) -> None:
    for accept, rdflib_format in GRAPH_FORMATS:
        result = engine.run("CONSTRUCT WHERE { ?s ?p ?o }", accept=accept)
        assert result.truncated
        assert len(Graph().parse(data=result.body, format=rdflib_format)) == MAX_ROWS
    # duplicates produced by the template are not counted twice: 30 distinct triples → capped
    dup = f"CONSTRUCT {{ <{EX}x> <{EX}p> ?n }} WHERE {{ ?s <{EX}n> ?n . ?t <{EX}n> ?n }}"
    assert engine.run(dup, format="nt").truncated
    small = f"CONSTRUCT {{ <{EX}x> <{EX}p> 1 }} WHERE {{ ?s <{EX}n> ?n }}"
    result = engine.run(small, format="nt")
    assert not result.truncated and result.body.count(b"\n") == 1


# ----------------------------------------------------------------------------- refusals


UPDATES = [
    f'INSERT DATA {{ <{EX}a> <{EX}b> "c" }}',
    f'insert data {{ <{EX}a> <{EX}b> "c" }}',
    f'PREFIX ex: <{EX}>\nINSERT DATA {{ ex:a ex:b "c" }}',
    "# SELECT * { ?s ?p ?o }\nDELETE WHERE { ?s ?p ?o }",
    "DROP ALL",
    "CLEAR DEFAULT",
    f"LOAD <{EX}data.ttl>",
    f"COPY DEFAULT TO <{G1}>",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_refused_and_store_unchanged(engine: QueryEngine, update: str) -> None:
    before = engine.run(COUNT_ALL, format="csv").body
    with pytest.raises(UpdateRefused) as info:
        engine.run(update)
    assert info.value.status == 403
    assert (
        engine.run(COUNT_ALL, format="csv").body == before == b"n\r\n%d\r\n" % (DEFAULT_TRIPLES + 2)
    )


def test_update_smuggled_after_a_query_is_malformed(engine: QueryEngine) -> None:
    before = engine.run(COUNT_ALL, format="csv").body
    with pytest.raises(MalformedQuery):
        engine.run("SELECT * WHERE { ?s ?p ?o } ; DROP ALL")
    assert engine.run(COUNT_ALL, format="csv").body == before


def test_service_refused_but_not_in_strings_or_comments(engine: QueryEngine) -> None:
    with pytest.raises(ServiceRefused) as info:
        engine.run("SELECT * WHERE { SERVICE <http://example.net/sparql> { ?s ?p ?o } }")
    assert info.value.status == 403 and info.value.iri == "http://example.net/sparql"
    harmless = (
        "SELECT ?s WHERE {  # SERVICE <http://example.net/sparql> { }\n"
        f'  ?s <{RDFS_LABEL}> "SERVICE <http://example.net/sparql> {{ }}" }}'
    )
    result = engine.run(harmless, format="json")
    assert json.loads(result.body)["results"]["bindings"] == []


def test_allow_listed_service_is_attempted(roomy_engine: QueryEngine) -> None:
    # the allow-listed endpoint is a closed local port: the call is made and refused by the OS
    with pytest.raises(QueryFailed) as info:
        roomy_engine.run(f"SELECT * WHERE {{ SERVICE <{ALLOWED_SERVICE}> {{ ?s ?p ?o }} }}")
    assert not isinstance(info.value, ServiceRefused)
    assert "refused" in info.value.message.lower()
    silent = f"SELECT * WHERE {{ SERVICE SILENT <{ALLOWED_SERVICE}> {{ ?s ?p ?o }} }}"
    assert json.loads(roomy_engine.run(silent).body)["results"]["bindings"] == [{}]
    with pytest.raises(ServiceRefused):
        roomy_engine.run("SELECT * WHERE { SERVICE <http://127.0.0.1:1/other> { ?s ?p ?o } }")
    assert roomy_engine.stats["network_isolated"] is False


def test_malformed_query_reports_position(engine: QueryEngine) -> None:
    with pytest.raises(MalformedQuery) as info:
        engine.run("PREFIX ex: <http://example.org/>\nSELECT * WHERE {\n  ?s ex:p }")
    assert info.value.status == 400
    assert info.value.line == 3 and info.value.column is not None
    assert "line 3, column" in info.value.message


# ----------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "form", "expected"),
    [
        (None, QueryForm.SELECT, "application/sparql-results+json"),
        ("", QueryForm.ASK, "application/sparql-results+json"),
        ("*/*", QueryForm.SELECT, "application/sparql-results+json"),
        (None, QueryForm.CONSTRUCT, "text/turtle"),
        ("*/*", QueryForm.DESCRIBE, "text/turtle"),
        ("text/csv", QueryForm.SELECT, "text/csv"),
        ("application/sparql-results+xml;q=0.5, text/csv;q=0.8", QueryForm.SELECT, "text/csv"),
        ("application/sparql-results+xml;q=0.9, text/csv;q=0.8", QueryForm.SELECT,
         "application/sparql-results+xml"),
        ("application/*", QueryForm.SELECT, "application/sparql-results+json"),
        ("text/*", QueryForm.SELECT, "text/csv"),
        ("text/*", QueryForm.CONSTRUCT, "text/turtle"),
        ("*/*;q=0.1, text/tab-separated-values", QueryForm.SELECT, "text/tab-separated-values"),
        ("application/sparql-results+json;q=0, */*", QueryForm.SELECT,
         "application/sparql-results+xml"),
        # a tie goes to the server's order, not the header's (core.conneg's one rule)
        ("text/csv, application/sparql-results+json", QueryForm.SELECT,
         "application/sparql-results+json"),
        ("application/json", QueryForm.SELECT, "application/sparql-results+json"),
        ("application/json", QueryForm.CONSTRUCT, "application/ld+json"),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted", text/turtle;q=0.9',
         QueryForm.CONSTRUCT, "application/ld+json"),
        ("text/turtle;q=abc, application/n-triples;q=0.2", QueryForm.CONSTRUCT,
         "application/n-triples"),
        ("application/rdf+xml, text/turtle;q=0.5", QueryForm.DESCRIBE, "application/rdf+xml"),
    ],
)  # fmt: skip
def test_negotiate(accept: str | None, form: QueryForm, expected: str) -> None:
    assert negotiate(accept, form).media_type.split(";")[0] == expected


@pytest.mark.parametrize(
    ("accept", "form"),
    [
        ("image/png", QueryForm.SELECT),
        ("text/csv", QueryForm.CONSTRUCT),
        ("text/turtle", QueryForm.SELECT),
        ("*/*;q=0", QueryForm.ASK),
        ("application/sparql-results+json;q=0, text/*;q=0", QueryForm.SELECT),
    ],
)
def test_not_acceptable(accept: str, form: QueryForm) -> None:
    with pytest.raises(NotAcceptable) as info:
        negotiate(accept, form)
    assert info.value.status == 406
    assert info.value.available


@pytest.mark.parametrize(
    ("name", "form", "expected"),
    [
        ("json", QueryForm.SELECT, "application/sparql-results+json"),
        ("xml", QueryForm.ASK, "application/sparql-results+xml"),
        ("csv", QueryForm.SELECT, "text/csv"),
        ("TSV", QueryForm.SELECT, "text/tab-separated-values"),
        ("ttl", QueryForm.CONSTRUCT, "text/turtle"),
        ("turtle", QueryForm.DESCRIBE, "text/turtle"),
        ("nt", QueryForm.CONSTRUCT, "application/n-triples"),
        ("jsonld", QueryForm.CONSTRUCT, "application/ld+json"),
        ("json", QueryForm.CONSTRUCT, "application/ld+json"),
        ("rdfxml", QueryForm.CONSTRUCT, "application/rdf+xml"),
        ("text/csv", QueryForm.SELECT, "text/csv"),
    ],
)
def test_format_names(name: str, form: QueryForm, expected: str) -> None:
    assert format_from_name(name, form).media_type.split(";")[0] == expected


@pytest.mark.parametrize(("name", "form"), [("csv", QueryForm.CONSTRUCT), ("ttl", QueryForm.ASK),
                                            ("bogus", QueryForm.SELECT)])  # fmt: skip
def test_bad_format_names(name: str, form: QueryForm) -> None:
    with pytest.raises(NotAcceptable):
        format_from_name(name, form)


def test_format_name_wins_over_accept(engine: QueryEngine) -> None:
    fmt = choose_format(QueryForm.SELECT, accept="text/csv", format_name="xml")
    assert fmt == pyoxigraph.QueryResultsFormat.XML
    with pytest.raises(NotAcceptable):
        engine.run("SELECT * WHERE { ?s ?p ?o }", accept="image/png")
    result = engine.run("SELECT * WHERE { ?s ?p ?o } LIMIT 1", accept="image/png", format="tsv")
    assert result.media_type == "text/tab-separated-values; charset=utf-8"


# ----------------------------------------------------------------------------- datasets


def _values(result_body: bytes, var: str) -> set[str]:
    return {row[var]["value"] for row in json.loads(result_body)["results"]["bindings"]}


def test_dataset_parameters(engine: QueryEngine) -> None:
    spo = "SELECT ?o WHERE { ?s ?p ?o }"
    assert "in graph 1" not in _values(engine.run(spo).body, "o")  # store default graph only
    only_g1 = engine.run(spo, default_graph_uris=[G1])
    assert _values(only_g1.body, "o") == {"in graph 1"}
    merged = engine.run(spo, default_graph_uris=[G1, G2])
    assert _values(merged.body, "o") == {"in graph 1", "in graph 2"}

    graphs = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert _values(engine.run(graphs).body, "g") == {G1, G2}
    named = engine.run(graphs, named_graph_uris=[G2])
    assert _values(named.body, "g") == {G2}
    # protocol dataset given: its default graph is exactly the listed ones (here: none)
    ask = json.loads(engine.run("ASK { ?s ?p ?o }", named_graph_uris=[G2]).body)
    assert ask["boolean"] is False
    # and the query's own FROM works without protocol parameters
    from_g2 = engine.run(f"SELECT ?o FROM <{G2}> WHERE {{ ?s ?p ?o }}")
    assert _values(from_g2.body, "o") == {"in graph 2"}
    with pytest.raises(MalformedQuery):
        engine.run(spo, default_graph_uris=["not an iri"])


def test_union_default_graph(data_dir: Path) -> None:
    with QueryEngine(_files(data_dir), union_default_graph=True, workers=1) as e:
        values = _values(e.run("SELECT ?o WHERE { ?s ?p ?o }").body, "o")
        assert {"in graph 1", "in graph 2", "article 1"} <= values
        only_g2 = e.run("SELECT ?o WHERE { ?s ?p ?o }", default_graph_uris=[G2])
        assert _values(only_g2.body, "o") == {"in graph 2"}


# ----------------------------------------------------------------------------- time limit


@pytest.fixture(scope="module")
def heavy_engine(data_dir: Path) -> Iterator[QueryEngine]:
    with QueryEngine([data_dir / "heavy.nt"], timeout_s=1.0, workers=2) as e:
        yield e


def test_timeout_kills_the_worker_and_others_keep_serving(heavy_engine: QueryEngine) -> None:
    before = set(heavy_engine.worker_pids)
    assert len(before) == 2
    events: list[str] = []
    lock = threading.Lock()

    def heavy() -> None:
        try:
            heavy_engine.run(HEAVY)
        except QueryTimeout as exc:
            assert exc.status == 503
            with lock:
                events.append("heavy timed out")

    thread = threading.Thread(target=heavy)
    thread.start()
    _wait_until(lambda: heavy_engine.busy_workers == 1 or events)
    light = heavy_engine.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format="csv")
    with lock:
        events.append("light answered")
    thread.join(timeout=60)  # generous: only guards against a limit that never fires
    assert not thread.is_alive()
    assert light.body == b"n\r\n1500\r\n"
    assert events == ["light answered", "heavy timed out"]

    after = set(heavy_engine.worker_pids)
    killed = before - after
    assert len(killed) == 1 and len(after) == 2  # one worker replaced
    (pid,) = killed
    assert not os.path.exists(f"/proc/{pid}")  # killed and reaped: not even a zombie
    for _ in range(4):  # both workers answer (the pool hands them out in turn)
        assert heavy_engine.run("ASK { ?s ?p ?o }", format="csv").body == b"true"


def test_arun_does_not_block_the_event_loop(heavy_engine: QueryEngine) -> None:
    async def scenario() -> list[str]:
        events: list[str] = []

        async def heavy() -> None:
            with pytest.raises(QueryTimeout):
                await heavy_engine.arun(HEAVY)
            events.append("heavy timed out")

        async def ticker() -> None:
            await asyncio.sleep(0.05)
            events.append("loop ticked")
            light = await heavy_engine.arun("ASK { ?s ?p ?o }", format="csv")
            events.append(f"light {light.body.decode()}")

        await asyncio.gather(heavy(), ticker())
        return events

    assert asyncio.run(scenario()) == ["loop ticked", "light true", "heavy timed out"]


def test_cancelled_arun_kills_its_worker(engine: QueryEngine) -> None:
    # five-way cartesian product over ~100 triples: hours of work under a 30 s limit
    endless = (
        "SELECT (COUNT(*) AS ?c) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"
    )
    before = set(engine.worker_pids)

    async def scenario() -> None:
        task = asyncio.create_task(engine.arun(endless))
        while engine.busy_workers == 0:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    # replaced on cancellation, long before the 30 s deadline would have done it
    _wait_until(lambda: len(set(engine.worker_pids) - before) == 1, limit_s=15.0)
    (pid,) = before - set(engine.worker_pids)
    _wait_until(lambda: not os.path.exists(f"/proc/{pid}"), limit_s=5.0)
    assert engine.run("ASK {}", format="csv").body == b"true"


def test_arun_queues_more_queries_than_workers(engine: QueryEngine) -> None:
    # 12 concurrent queries on 2 workers: the freed workers are handed to the waiting calls
    before = set(engine.worker_pids)

    async def scenario() -> list[bytes]:
        calls = [engine.arun(f'ASK {{ GRAPH ?g {{ <{EX}g1/s> <{EX}p> "in graph {i % 3}" }} }}',
                             format="csv")
                 for i in range(12)]
        return [r.body for r in await asyncio.gather(*calls)]

    assert asyncio.run(scenario()) == [b"true" if i % 3 == 1 else b"false" for i in range(12)]
    assert set(engine.worker_pids) == before  # nobody killed
    assert engine.busy_workers == 0


def test_waiting_is_bounded_by_time_not_by_count(data_dir: Path) -> None:
    # one light worker, no slow lane: a long query holds it; a waiting call gives up after
    # queue_timeout_s, while many short calls on a free engine all wait their turn
    with QueryEngine([data_dir / "heavy.nt"], workers=1, queue_timeout_s=60.0) as e:

        async def crowd() -> list[bytes]:
            calls = [e.arun("ASK { ?s ?p ?o }", format="csv") for _ in range(60)]
            return [r.body for r in await asyncio.gather(*calls)]

        assert asyncio.run(crowd()) == [b"true"] * 60  # no count limit: 60 > the old 16
    with QueryEngine([data_dir / "heavy.nt"], timeout_s=8.0, workers=1, slow_workers=0,
                     slow_after_s=6.0, queue_timeout_s=0.3) as e:

        async def blocked() -> float:
            heavy = asyncio.create_task(e.arun(HEAVY))
            while e.busy_workers == 0:
                await asyncio.sleep(0.01)
            started = time.monotonic()
            with pytest.raises(Overloaded) as info:
                await e.arun("ASK { ?s ?p ?o }", format="csv")
            waited = time.monotonic() - started
            assert info.value.status == 503
            heavy.cancel()
            with pytest.raises(asyncio.CancelledError):
                await heavy
            return waited

        assert 0.25 < asyncio.run(blocked()) < 3.0


def test_light_queries_pass_long_ones_in_their_own_lane(data_dir: Path) -> None:
    with QueryEngine([data_dir / "heavy.nt"], timeout_s=4.0, workers=1, slow_workers=1,
                     slow_after_s=0.2, queue_timeout_s=2.0) as e:
        (light_pid,) = e.worker_pids

        async def scenario() -> None:
            first = asyncio.create_task(e.arun(HEAVY))
            while e.health()["slow"] == 0:  # moved to the slow lane after 0.2 s
                await asyncio.sleep(0.01)
            assert os.getpriority(os.PRIO_PROCESS, light_pid) == 19  # reniced
            started = time.monotonic()
            answers = await asyncio.gather(
                *(e.arun("ASK { ?s ?p ?o }", format="csv") for _ in range(30)))
            assert [a.body for a in answers] == [b"true"] * 30
            assert time.monotonic() - started < 2.0  # not behind the long query (4 s)
            # the slow lane is full: a second long query is stopped once it becomes long
            started = time.monotonic()
            with pytest.raises(Overloaded) as info:
                await e.arun(HEAVY)
            assert "long queries" in info.value.message
            assert time.monotonic() - started < 2.0
            with pytest.raises(QueryTimeout):
                await first

        asyncio.run(scenario())
        _wait_until(lambda: e.health()["slow"] == 0 and len(e.worker_pids) == 1, limit_s=5.0)
        assert light_pid not in e.worker_pids  # the reniced worker was retired
        assert e.run("ASK { ?s ?p ?o }", format="csv").body == b"true"


def test_engine_restarts_after_its_zygote_is_killed(tmp_path: Path, data_dir: Path) -> None:
    data = tmp_path / "data.nt"
    data.write_bytes((data_dir / "main.nt").read_bytes())
    with QueryEngine([data], workers=2, queue_timeout_s=0.5) as e:
        zygote, workers = e.zygote_pid, e.worker_pids
        data.rename(tmp_path / "away.nt")  # the restart cannot load it: unavailable meanwhile
        os.kill(zygote, signal.SIGKILL)  # as the OOM killer would
        _wait_until(lambda: e.health()["status"] == "unavailable", limit_s=10.0)
        assert not os.path.exists(f"/proc/{zygote}")  # reaped: no zombie left
        _wait_until(lambda: not any(_running(p) for p in workers), limit_s=5.0)
        with pytest.raises(EngineUnavailable) as info:
            e.run("ASK { ?s ?p ?o }", format="csv")
        assert info.value.status == 503
        (tmp_path / "away.nt").rename(data)
        _wait_until(lambda: e.health()["status"] == "ready", limit_s=40.0)
        assert e.health()["restarts"] == 1
        assert e.zygote_pid != zygote and len(e.worker_pids) == 2
        assert e.run("ASK { ?s ?p ?o }", format="csv").body == b"true"
        again = e.zygote_pid
        os.kill(again, signal.SIGKILL)  # and once more, data in place: back by itself
        _wait_until(lambda: e.health()["restarts"] == 2 and e.health()["status"] == "ready",
                    limit_s=20.0)
        assert e.run("ASK { ?s ?p ?o }", format="csv").body == b"true"
        assert not os.path.exists(f"/proc/{again}")
    assert not _running(e.zygote_pid)


def test_deep_nesting_is_refused_before_a_worker_sees_it(engine: QueryEngine) -> None:
    before = engine.worker_pids
    for hostile in ("SELECT * WHERE " + "{" * 5000 + "?s ?p ?o" + "}" * 5000,
                    "ASK { FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }"):
        with pytest.raises(MalformedQuery) as info:
            engine.run(hostile)
        assert info.value.status == 400
    # the most a query may nest, with as many operators as allowed, runs (no worker dies)
    union = " UNION ".join(["{ ?s ?p ?o }"] * 2800)
    deepest = "SELECT (COUNT(*) AS ?n) WHERE " + "{" * 98 + union + "}" * 98
    assert engine.run(deepest, format="csv").body.startswith(b"n\r\n")  # no QueryFailed
    # (a run longer than slow_after_s retires its reniced worker: wait for the lane to settle)
    _wait_until(lambda: len(engine.worker_pids) == len(before), limit_s=5.0)


def test_worker_over_memory_limit_is_replaced(data_dir: Path) -> None:
    doublings = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(40))
    bomb = f'SELECT (STRLEN(?x40) AS ?n) WHERE {{ BIND("0123456789abcdef" AS ?x0) {doublings} }}'
    with QueryEngine([data_dir / "g1.nt"], workers=1, worker_memory_mb=128) as e:
        (first,) = e.worker_pids
        with pytest.raises(QueryFailed) as info:
            e.run(bomb)
        assert info.value.status == 500
        assert e.worker_pids != (first,)
        assert e.run("ASK { ?s ?p ?o }", format="csv").body == b"true"


# ----------------------------------------------------------------------------- lifecycle


def test_close_leaves_no_process(data_dir: Path) -> None:
    e = QueryEngine([data_dir / "g1.nt"], workers=2)
    pids = [e.zygote_pid, *e.worker_pids]
    assert all(_running(p) for p in pids)
    e.close()
    e.close()  # idempotent
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)
    with pytest.raises(Exception, match="closed"):
        e.run("ASK {}")


def test_processes_die_with_the_parent(data_dir: Path) -> None:
    script = (
        "import json, os, signal, sys\n"
        "from publisher.sparql import QueryEngine\n"
        "e = QueryEngine([sys.argv[1]], workers=2)\n"
        "print(json.dumps([e.zygote_pid, *e.worker_pids]), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(data_dir / "g1.nt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == -9, proc.stderr
    pids = json.loads(proc.stdout)
    assert len(pids) == 3
    _wait_until(lambda: not any(_running(p) for p in pids), limit_s=15.0)


def test_workers_are_off_the_network_when_no_service_is_allowed(engine: QueryEngine) -> None:
    if not engine.stats["network_isolated"]:
        pytest.skip("this kernel/container does not allow network namespaces")
    ours = os.readlink("/proc/self/ns/net")
    for pid in engine.worker_pids:
        assert os.readlink(f"/proc/{pid}/ns/net") != ours
