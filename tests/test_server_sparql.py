"""/sparql on the REAL server (uvicorn on a loopback port): SPARQLWrapper for every query form and
result format, httpx for negotiation, errors, limits, CORS and the Service Description."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.query import Result
from server_fixtures import LIVE_SETTINGS, LiveServer
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, QueryBadFormed

from publisher.core.namespaces import SD
from publisher.release import model as rm
from publisher.sparql import TRUNCATED_LINK

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


@pytest.fixture(scope="module")
def union(live_server: LiveServer) -> Graph:
    """What the store holds, read with rdflib from the release files (the union graph)."""
    folder = live_server.project.releases_dir / live_server.release.release_id
    g = Graph()
    g.parse(folder / rm.DATA_NT, format="nt")
    for name in (rm.ONTOLOGY_TTL, rm.CATALOG_TTL, rm.VOID_TTL):
        g.parse(folder / name, format="turtle")
    return g


@pytest.fixture(scope="module")
def campus(live_server: LiveServer) -> URIRef:
    return URIRef(live_server.release.config.campus_iri)


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def wrapper(server: LiveServer, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if method == "POST":
        sw.setMethod(POST)
    elif method == "POSTDIRECTLY":
        sw.setMethod(POST)
        sw.setRequestMethod(POSTDIRECTLY)
    return sw


def assert_isomorphic(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(f"graphs differ\nonly in answer:\n{only_got.serialize(format='nt')}\n"
                    f"only expected:\n{only_expected.serialize(format='nt')}")


# ------------------------------------------------------------------ SELECT / ASK


@pytest.mark.parametrize(
    ("fmt", "media", "rdflib_format", "method"),
    [
        (JSON, "application/sparql-results+json", "json", "GET"),
        (XML, "application/sparql-results+xml", "xml", "POST"),
        (CSV, "text/csv", "csv", "POSTDIRECTLY"),
        (TSV, "text/tab-separated-values", "tsv", "GET"),
        (JSON, "application/sparql-results+json", "json", "POSTDIRECTLY"),
        (TSV, "text/tab-separated-values", "tsv", "POST"),
    ],
)
def test_select_in_every_format(live_server: LiveServer, union: Graph, campus: URIRef, fmt: str,
                                media: str, rdflib_format: str, method: str) -> None:
    query = f"SELECT DISTINCT ?p WHERE {{ <{campus}> ?p ?o }}"
    res = wrapper(live_server, query, fmt, method).query()
    ctype = res.info()["content-type"]
    assert ctype.split(";")[0] == media and "charset=utf-8" in ctype
    body = res.response.read()
    parsed = Result.parse(io.BytesIO(body), format=rdflib_format)
    got = {row[0] for row in parsed}  # type: ignore[index]
    assert got == set(union.predicates(campus)) and got


def test_select_json_converted_by_sparqlwrapper(live_server: LiveServer, campus: URIRef) -> None:
    query = f"SELECT ?type WHERE {{ <{campus}> a ?type }}"
    data = wrapper(live_server, query, JSON).query().convert()
    assert isinstance(data, dict)
    types = {b["type"]["value"] for b in data["results"]["bindings"]}
    assert "https://w3id.org/cmq/ontology/Campus" in types


@pytest.mark.parametrize(("fmt", "method"), [(JSON, "GET"), (XML, "POST"), (CSV, "GET"),
                                             (TSV, "POSTDIRECTLY")])
def test_ask_in_every_format(live_server: LiveServer, campus: URIRef, fmt: str,
                             method: str) -> None:
    answers = []
    for query in (f"ASK {{ <{campus}> ?p ?o }}", "ASK { <urn:cmq:absent> ?p ?o }"):
        res = wrapper(live_server, query, fmt, method).query()
        body = res.response.read()
        if fmt in (JSON, XML):
            answers.append(Result.parse(io.BytesIO(body), format=fmt.lower()).askAnswer)
        else:
            answers.append(body.decode("utf-8").strip().splitlines()[-1] == "true")
    assert answers == [True, False]


# ------------------------------------------------------------------ CONSTRUCT / DESCRIBE


def _graph_answer(server: LiveServer, query: str, fmt: str, method: str) -> tuple[str, bytes]:
    if fmt == "nt":  # SPARQLWrapper has no N-Triples constant: plain content negotiation
        sw = wrapper(server, query, N3, method)
        sw.setOnlyConneg(True)
        sw.addCustomHttpHeader("Accept", "application/n-triples")
    else:
        sw = wrapper(server, query, fmt, method)
    res = sw.query()
    return res.info()["content-type"], res.response.read()


GRAPH_FORMATS = [
    (TURTLE, "text/turtle", "turtle"),
    ("nt", "application/n-triples", "nt"),
    (JSONLD, "application/ld+json", "json-ld"),
    (RDFXML, "application/rdf+xml", "xml"),
]


@pytest.mark.parametrize(("fmt", "media", "rdflib_format"), GRAPH_FORMATS)
@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_construct_in_every_format(live_server: LiveServer, union: Graph, campus: URIRef,
                                   fmt: str, media: str, rdflib_format: str,
                                   method: str) -> None:
    query = f"CONSTRUCT {{ <{campus}> ?p ?o }} WHERE {{ <{campus}> ?p ?o }}"
    ctype, body = _graph_answer(live_server, query, fmt, method)
    assert ctype.split(";")[0] == media and "charset=utf-8" in ctype
    expected = Graph()
    for t in union.triples((campus, None, None)):
        expected.add(t)
    assert len(expected) > 5
    assert_isomorphic(Graph().parse(data=body, format=rdflib_format), expected)


@pytest.mark.parametrize(("fmt", "media", "rdflib_format"), GRAPH_FORMATS)
def test_describe_in_every_format(live_server: LiveServer, union: Graph, campus: URIRef,
                                  fmt: str, media: str, rdflib_format: str) -> None:
    ctype, body = _graph_answer(live_server, f"DESCRIBE <{campus}>", fmt, "GET")
    assert ctype.split(";")[0] == media
    got = Graph().parse(data=body, format=rdflib_format)
    assert set(union.triples((campus, None, None))) <= set(got)
    assert set(got.subjects()) == {campus}


# ------------------------------------------------------------------ negotiation


@pytest.mark.parametrize(
    ("accept", "fmt", "media"),
    [
        ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", None, "text/csv"),
        ("text/*;q=0.8, application/sparql-results+json;q=0.2", None, "text/csv"),
        ("application/json", None, "application/sparql-results+json"),
        (None, None, "application/sparql-results+json"),
        ("*/*", None, "application/sparql-results+json"),
        ("text/csv;q=1, text/tab-separated-values;q=0", None, "text/csv"),
        ("text/csv", "tsv", "text/tab-separated-values"),
        ("image/png", "xml", "application/sparql-results+xml"),
    ],
)
def test_select_negotiation_q_values(client: httpx.Client, accept: str | None, fmt: str | None,
                                     media: str) -> None:
    params = {"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"}
    if fmt:
        params["format"] = fmt
    headers = {"Accept": accept} if accept is not None else {}
    r = client.get("sparql", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert "accept" in r.headers["vary"].lower()


def test_construct_negotiation(client: httpx.Client) -> None:
    q = {"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2"}
    r = client.get("sparql", params=q, headers={
        "Accept": "text/turtle;q=0.4, application/ld+json;q=0.8, application/rdf+xml;q=0.6"})
    assert r.headers["content-type"].startswith("application/ld+json")
    r = client.get("sparql", params={**q, "format": "nt"}, headers={"Accept": "text/turtle"})
    assert r.headers["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=r.content, format="nt")) == 2


@pytest.mark.parametrize("accept", ["image/png", "text/turtle", "application/sparql-results+json;q=0"])
def test_nothing_acceptable_is_406(client: httpx.Client, accept: str) -> None:
    r = client.get("sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
                   headers={"Accept": accept})
    assert r.status_code == 406
    body = r.json()
    assert body["status"] == 406 and body["error"] == "NotAcceptable"
    assert "application/sparql-results+json" in body["available"]


# ------------------------------------------------------------------ dataset parameters


def test_default_graph_uri(live_server: LiveServer, client: httpx.Client) -> None:
    base = live_server.release.config.base_iri
    folder = live_server.project.releases_dir / live_server.release.release_id
    ontology = Graph().parse(folder / rm.ONTOLOGY_TTL, format="turtle")
    sw = wrapper(live_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON)
    sw.addDefaultGraph(f"{base}graph/ontology")
    data = sw.query().convert()
    assert isinstance(data, dict)
    assert int(data["results"]["bindings"][0]["n"]["value"]) == len(ontology)
    r = client.post("sparql", data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                     "default-graph-uri": f"{base}graph/ontology"},
                    headers={"Accept": "text/csv"})
    assert r.text.splitlines()[1].strip() == str(len(ontology))


def test_named_graph_uri(live_server: LiveServer, client: httpx.Client) -> None:
    base = live_server.release.config.base_iri
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

    def graphs(params: list[tuple[str, str]]) -> set[str]:
        r = client.get("sparql", params=[("query", query), *params],
                       headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.text
        return {b["g"]["value"] for b in r.json()["results"]["bindings"]}

    everything = {f"{base}graph/{n}" for n in ("ontology", "catalog", "void")}
    assert graphs([]) == everything
    assert graphs([("named-graph-uri", f"{base}graph/void")]) == {f"{base}graph/void"}
    sw = wrapper(live_server, query, JSON, "POSTDIRECTLY")
    sw.addNamedGraph(f"{base}graph/catalog")
    sw.addNamedGraph(f"{base}graph/void")
    data = sw.query().convert()
    assert isinstance(data, dict)
    assert {b["g"]["value"] for b in data["results"]["bindings"]} == {
        f"{base}graph/catalog", f"{base}graph/void"}


# ------------------------------------------------------------------ errors and refusals


def test_malformed_query_is_400_with_message_and_position(client: httpx.Client) -> None:
    r = client.get("sparql", params={"query": "SELECT * WHERE { ?s ?p "})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "MalformedQuery" and body["status"] == 400
    assert body["line"] == 1 and isinstance(body["column"], int)
    assert "line 1" in body["message"]
    html = client.get("sparql", params={"query": "SELEC nothing"},
                      headers={"Accept": "text/html"})
    assert html.status_code == 400 and html.headers["content-type"].startswith("text/html")
    assert "MalformedQuery" in html.text and "Traceback" not in html.text


def test_sparqlwrapper_sees_bad_query(live_server: LiveServer) -> None:
    with pytest.raises(QueryBadFormed):
        wrapper(live_server, "SELECT WHERE {", JSON).query()


def _count_all(client: httpx.Client) -> int:
    r = client.get("sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                   headers={"Accept": "text/csv"})
    return int(r.text.splitlines()[1])


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "GET", "params": {"query": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}},
        {"method": "GET", "params": {"update": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}},
        {"method": "POST", "data": {"update": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}},
        {"method": "POST", "data": {"query": "DELETE WHERE { ?s ?p ?o }"}},
        {"method": "POST", "content": b"DELETE WHERE { ?s ?p ?o }",
         "headers": {"Content-Type": "application/sparql-update"}},
        {"method": "POST", "content": b"CLEAR ALL",
         "headers": {"Content-Type": "application/sparql-query"}},
    ],
)
def test_updates_are_refused_and_change_nothing(client: httpx.Client,
                                                request_kwargs: dict[str, object]) -> None:
    before = _count_all(client)
    r = client.request(url="sparql", **request_kwargs)  # type: ignore[arg-type]
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "UpdateRefused"
    assert _count_all(client) == before
    ask = client.get("sparql", params={"query": "ASK { <urn:x> ?p ?o }"},
                     headers={"Accept": "text/csv"})
    assert ask.text.strip().endswith("false")


def test_sparqlwrapper_update_refused(live_server: LiveServer, client: httpx.Client) -> None:
    before = _count_all(client)
    sw = SPARQLWrapper(live_server.sparql, updateEndpoint=live_server.sparql)
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <urn:x> <urn:y> <urn:z> }")
    with pytest.raises(Exception) as info:
        sw.query()
    assert "403" in str(info.value) or "Forbidden" in str(info.value)
    assert _count_all(client) == before


def test_service_is_refused(client: httpx.Client) -> None:
    r = client.get("sparql", params={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert r.status_code == 403
    assert r.json()["error"] == "ServiceRefused"


def test_body_too_large_is_413(live_server: LiveServer, client: httpx.Client) -> None:
    limit = int(LIVE_SETTINGS["max_body_bytes"])
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * limit
    r = client.post("sparql", content=big.encode(),
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        yield b"query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%23"
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    r = client.post("sparql", content=chunks(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_unsupported_body_type_is_415(client: httpx.Client) -> None:
    r = client.post("sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_missing_query_in_form_is_400(client: httpx.Client) -> None:
    r = client.post("sparql", data={"format": "json"})
    assert r.status_code == 400 and "query" in r.json()["message"]


def test_heavy_query_times_out_while_a_light_one_answers(live_server: LiveServer,
                                                         client: httpx.Client) -> None:
    finished: list[str] = []
    heavy: dict[str, httpx.Response] = {}

    def run_heavy() -> None:
        with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
            heavy["r"] = c.get("sparql", params={"query": HEAVY})
        finished.append("heavy")

    t = threading.Thread(target=run_heavy)
    t.start()
    try:
        time.sleep(0.3)  # let the heavy query reach its worker (no assertion on time)
        light = client.get("sparql", params={"query": "ASK { ?s ?p ?o }"})
        finished.append("light")
    finally:
        t.join(timeout=30)
    assert light.status_code == 200 and light.json()["boolean"] is True
    assert heavy["r"].status_code == 503
    body = heavy["r"].json()
    assert body["error"] == "QueryTimeout" and body["timeout_s"] == 1.5
    assert "Retry-After" in heavy["r"].headers
    assert finished == ["light", "heavy"]
    # the server is still fine afterwards
    assert client.get("sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_sparqlwrapper_sees_timeout_as_server_error(live_server: LiveServer) -> None:
    with pytest.raises((EndPointInternalError, Exception)) as info:
        wrapper(live_server, HEAVY, JSON).query()
    assert "503" in str(info.value)


# ------------------------------------------------------------------ row cap


def test_row_cap_is_announced_in_headers_and_body(client: httpx.Client) -> None:
    r = client.get("sparql", params={"query": CROSS},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert r.headers["X-SPARQL-Truncated"] == "true"
    cap = int(r.headers["X-SPARQL-Max-Rows"])
    assert cap == 10000 and "truncated" in r.headers["Warning"]
    data = r.json()
    assert len(data["results"]["bindings"]) == cap
    assert TRUNCATED_LINK in data["head"]["link"]
    xml = client.get("sparql", params={"query": CROSS, "format": "xml"})
    assert xml.headers["X-SPARQL-Truncated"] == "true" and TRUNCATED_LINK in xml.text
    ttl = client.get("sparql", params={"query": "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . "
                                       "?d ?e ?f }", "format": "ttl"})
    assert ttl.headers["X-SPARQL-Truncated"] == "true" and "truncated" in ttl.text


def test_small_result_is_not_marked_truncated(client: httpx.Client) -> None:
    r = client.get("sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"})
    assert r.status_code == 200 and "X-SPARQL-Truncated" not in r.headers
    assert "link" not in r.json()["head"]


def test_exposed_truncation_header_for_browsers(client: httpx.Client) -> None:
    r = client.get("sparql", params={"query": "ASK {}"}, headers={"Origin": "https://a.example"})
    exposed = r.headers["Access-Control-Expose-Headers"].lower()
    assert "x-sparql-truncated" in exposed


# ------------------------------------------------------------------ CORS


def test_cors_preflight(client: httpx.Client) -> None:
    r = client.options("sparql", headers={
        "Origin": "https://portal.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_cors_simple_request(client: httpx.Client) -> None:
    r = client.post("sparql", data={"query": "ASK {}"}, headers={"Origin": "https://a.example"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers


# ------------------------------------------------------------------ service description


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"), ("application/rdf+xml", "xml")])
def test_service_description(live_server: LiveServer, client: httpx.Client, accept: str,
                             rdflib_format: str) -> None:
    r = client.get("sparql", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert "accept" in r.headers["vary"].lower()
    g = Graph().parse(data=r.content, format=rdflib_format)
    services = list(g.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    service = services[0]
    assert g.value(service, SD.endpoint) == URIRef(live_server.sparql)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    formats = {str(f) for f in g.objects(service, SD.resultFormat)}
    assert {"http://www.w3.org/ns/formats/SPARQL_Results_JSON",
            "http://www.w3.org/ns/formats/Turtle"} <= formats
    dataset = g.value(service, SD.defaultDataset)
    assert dataset == URIRef(live_server.release.version_iri)
    assert g.value(dataset, RDFS.seeAlso) == URIRef(live_server.url + ".well-known/void")
    names = {str(g.value(n, SD.name)) for n in g.objects(dataset, SD.namedGraph)}
    base = live_server.release.config.base_iri
    assert names == {f"{base}graph/{n}" for n in ("ontology", "catalog", "void")}


def test_service_description_formats_agree(client: httpx.Client) -> None:
    ttl = Graph().parse(data=client.get("sparql", params={"format": "ttl"}).content,
                        format="turtle")
    xml = Graph().parse(data=client.get("sparql", params={"format": "rdf"}).content, format="xml")
    assert_isomorphic(xml, ttl)


def test_browsers_get_the_query_page(client: httpx.Client) -> None:
    r = client.get("sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "yasgui" in r.text.lower()


# ------------------------------------------------------------------ OpenAPI


def test_openapi_describes_the_endpoint(client: httpx.Client) -> None:
    spec = client.get("openapi.json").json()
    sparql = spec["paths"]["/sparql"]
    assert "SPARQL" in sparql["get"]["summary"] and "SPARQL" in sparql["post"]["summary"]
    params = {p["name"] for p in sparql["get"]["parameters"]}
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= params
    assert "application/sparql-query" in sparql["post"]["requestBody"]["content"]
    for path in ("/catalog", "/.well-known/void", "/dumps/{file}", "/healthz"):
        assert spec["paths"][path]["get"]["summary"], path
