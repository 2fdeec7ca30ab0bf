"""``cmq serve --store URL`` in front of REAL stores (Oxigraph server, Virtuoso): the checks of
the embedded server (formats, negotiation, read-only, SERVICE, time limit, row cap, errors,
pages), readers switching atomically when a release is published, and a store going down."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from store_fixtures import (
    CHANGED_LABEL,
    SERVE_SETTINGS,
    CampusReleases,
    StoreProcess,
    StoreServer,
    assert_same_data,
    connect_settings,
    serve_store,
    start_store,
    wait_for_release,
)

from publisher.release import model as rm
from publisher.release.manifest import read_release
from publisher.remote import layout
from publisher.remote.publish import PublishOptions, publish_release
from publisher.remote.store import open_store
from publisher.sparql import TRUNCATED_LINK

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
#: Seconds of work past the 1.5 s limit for each store, per store: Virtuoso counts cartesian
#: products very fast but stops at the limit we pass on, so it gets a three-way product;
#: Oxigraph server goes on after we hang up, so it gets one that ends a few seconds later.
HEAVY = {
    "virtuoso": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "oxigraph": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . VALUES ?x { 1 2 3 4 } }",
}
CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
CAP = int(SERVE_SETTINGS["max_rows"])
FAST = PublishOptions(retries=1, backoff_s=0.1)


def publish(s: StoreProcess, folder: Path) -> None:
    with open_store(connect_settings(s), s.env) as admin:
        publish_release(admin, folder, FAST)


@pytest.fixture(scope="module")
def live(store: StoreProcess, campus_releases: CampusReleases) -> Iterator[StoreServer]:
    publish(store, campus_releases.first)
    with serve_store(campus_releases.project.root, store.url) as server:
        wait_for_release(server, campus_releases.first.name)
        yield server


@pytest.fixture(scope="module")
def client(live: StoreServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def union(campus_releases: CampusReleases) -> Graph:
    folder = campus_releases.first
    g = Graph().parse(folder / rm.DATA_NT, format="nt")
    for name in (rm.ONTOLOGY_TTL, rm.CATALOG_TTL, rm.VOID_TTL):
        g.parse(folder / name, format="turtle")
    return g


@pytest.fixture(scope="module")
def campus(campus_releases: CampusReleases) -> URIRef:
    return URIRef(read_release(campus_releases.first).config.campus_iri)


def wrapper(server: StoreServer, query: str, fmt: str, post: bool = False) -> SPARQLWrapper:
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if post:
        sw.setMethod(POST)
    return sw


# ------------------------------------------------------------------ formats and negotiation


def test_healthz_serves_the_release_the_store_names(
        client: httpx.Client, campus_releases: CampusReleases) -> None:
    body = client.get("healthz").json()
    assert body["status"] == "ready" and body["release"] == campus_releases.first.name


@pytest.mark.parametrize(("fmt", "media", "rdflib_format", "post"), [
    (JSON, "application/sparql-results+json", "json", False),
    (XML, "application/sparql-results+xml", "xml", True),
    (CSV, "text/csv", "csv", False),
    (TSV, "text/tab-separated-values", "tsv", True),
])
def test_select_in_every_format(live: StoreServer, union: Graph, campus: URIRef, fmt: str,
                                media: str, rdflib_format: str, post: bool) -> None:
    res = wrapper(live, f"SELECT DISTINCT ?p WHERE {{ <{campus}> ?p ?o }}", fmt, post).query()
    ctype = res.info()["content-type"]
    assert ctype.split(";")[0] == media and "charset=utf-8" in ctype
    parsed = Result.parse(io.BytesIO(res.response.read()), format=rdflib_format)
    got = {row[0] for row in parsed}  # type: ignore[index]
    assert got == set(union.predicates(campus)) and got


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask_in_every_format(live: StoreServer, campus: URIRef, fmt: str) -> None:
    answers = []
    for query in (f"ASK {{ <{campus}> ?p ?o }}", "ASK { <urn:cmq:absent> ?p ?o }"):
        body = wrapper(live, query, fmt).query().response.read()
        answers.append(Result.parse(io.BytesIO(body), format=fmt.lower()).askAnswer)
    assert answers == [True, False]


@pytest.mark.parametrize(("fmt", "media", "rdflib_format"), [
    (TURTLE, "text/turtle", "turtle"), ("nt", "application/n-triples", "nt"),
    (JSONLD, "application/ld+json", "json-ld"), (RDFXML, "application/rdf+xml", "xml")])
def test_construct_in_every_format(live: StoreServer, store: StoreProcess, union: Graph,
                                   campus: URIRef, fmt: str, media: str,
                                   rdflib_format: str) -> None:
    query = f"CONSTRUCT {{ <{campus}> ?p ?o }} WHERE {{ <{campus}> ?p ?o }}"
    if fmt == "nt":
        sw = wrapper(live, query, N3)
        sw.setOnlyConneg(True)
        sw.addCustomHttpHeader("Accept", "application/n-triples")
    else:
        sw = wrapper(live, query, fmt)
    res = sw.query()
    assert res.info()["content-type"].split(";")[0] == media
    expected = Graph()
    for t in union.triples((campus, None, None)):
        expected.add(t)
    assert_same_data(store.kind, Graph().parse(data=res.response.read(), format=rdflib_format),
                     expected)


@pytest.mark.parametrize(("accept", "fmt", "media"), [
    ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", None, "text/csv"),
    ("text/*;q=0.8, application/sparql-results+json;q=0.2", None, "text/csv"),
    (None, None, "application/sparql-results+json"),
    ("text/csv", "tsv", "text/tab-separated-values"),
])
def test_negotiation(client: httpx.Client, accept: str | None, fmt: str | None,
                     media: str) -> None:
    params = {"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"} | ({"format": fmt} if fmt else {})
    r = client.get("sparql", params=params, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media
    bad = client.get("sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert bad.status_code == 406 and bad.json()["error"] == "NotAcceptable"


def test_service_description_and_graph_names(client: httpx.Client,
                                             campus_releases: CampusReleases) -> None:
    info = read_release(campus_releases.first)
    graphs = layout.ReleaseGraphs(info.config.base_iri, info.release_id)
    sd = Graph().parse(data=client.get("sparql", headers={"Accept": "text/turtle"}).text,
                       format="turtle")
    names = {str(o) for o in sd.objects(None, URIRef(
        "http://www.w3.org/ns/sparql-service-description#name"))}
    assert names == set(graphs.named.values())
    r = client.get("sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o }"
                                     " }"}, headers={"Accept": "application/sparql-results+json"})
    assert {b["g"]["value"] for b in r.json()["results"]["bindings"]} == names
    for name in names:  # each graph name is dereferenceable, in the store too
        doc = client.get(name[len(info.config.base_iri):], headers={"Accept": "text/turtle"})
        assert doc.status_code == 200 and f"<{name}>" in doc.text, name
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    ontology = Graph().parse(campus_releases.first / rm.ONTOLOGY_TTL, format="turtle")
    r = client.post("sparql", data={"query": count,
                                    "default-graph-uri": f"{info.config.base_iri}graph/ontology"},
                    headers={"Accept": "text/csv"})
    assert r.text.splitlines()[1].strip() == str(len(ontology))


# ------------------------------------------------------------------ refusals, errors, limits


def _count_all(client: httpx.Client) -> int:
    r = client.get("sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                   headers={"Accept": "text/csv"})
    return int(r.text.splitlines()[1])


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "params": {"update": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}},
    {"method": "POST", "data": {"query": "DELETE WHERE { ?s ?p ?o }"}},
    {"method": "POST", "content": b"DROP ALL",
     "headers": {"Content-Type": "application/sparql-update"}},
])
def test_updates_are_refused_and_change_nothing(client: httpx.Client,
                                                request_kwargs: dict[str, object]) -> None:
    before = _count_all(client)
    r = client.request(url="sparql", **request_kwargs)  # type: ignore[arg-type]
    assert r.status_code == 403 and r.json()["error"] == "UpdateRefused"
    assert _count_all(client) == before


def test_service_is_refused(client: httpx.Client) -> None:
    r = client.get("sparql", params={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert r.status_code == 403 and r.json()["error"] == "ServiceRefused"


def test_malformed_query_is_400(client: httpx.Client) -> None:
    r = client.get("sparql", params={"query": "SELECT * WHERE { ?s ?p "})
    assert r.status_code == 400 and r.json()["error"] == "MalformedQuery"
    html = client.get("sparql", params={"query": "SELEC x"}, headers={"Accept": "text/html"})
    assert html.status_code == 400 and "Traceback" not in html.text


def test_heavy_query_is_stopped_while_a_light_one_answers(live: StoreServer, store: StoreProcess,
                                                          client: httpx.Client) -> None:
    heavy: dict[str, httpx.Response] = {}

    def run_heavy() -> None:
        with httpx.Client(base_url=live.url, timeout=60.0) as c:
            heavy["r"] = c.get("sparql", params={"query": HEAVY[store.kind]})

    t = threading.Thread(target=run_heavy)
    t.start()
    try:
        time.sleep(0.3)
        light = client.get("sparql", params={"query": "ASK { ?s ?p ?o }"})
    finally:
        t.join(timeout=60)
    assert light.status_code == 200 and light.json()["boolean"] is True
    body = heavy["r"].json()
    assert body["timeout_s"] == 1.5 and body["message"]
    if store.kind == "virtuoso":  # the store stops it at the limit we pass on
        assert heavy["r"].status_code == 503 and body["error"] == "QueryTimeout"
        assert "Retry-After" in heavy["r"].headers
    else:  # Oxigraph server takes no per-query limit: ours, as a gateway
        assert heavy["r"].status_code == 504 and body["error"] == "StoreTimeout"


def test_row_cap_is_announced(client: httpx.Client) -> None:
    r = client.get("sparql", params={"query": CROSS},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert r.headers["X-SPARQL-Truncated"] == "true" and int(r.headers["X-SPARQL-Max-Rows"]) == CAP
    data = r.json()
    assert len(data["results"]["bindings"]) == CAP and TRUNCATED_LINK in data["head"]["link"]
    # the whole graph, not a cartesian product: how far Virtuoso gets in one of those before
    # its time limit depends on the machine's load (the time-limit tests cover that)
    ttl = client.get("sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                       "format": "ttl"})
    assert ttl.status_code == 200, ttl.text
    assert ttl.headers["X-SPARQL-Truncated"] == "true" and "truncated" in ttl.text
    small = client.get("sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"})
    assert "X-SPARQL-Truncated" not in small.headers


# ------------------------------------------------------------------ pages


def test_resource_page_and_its_rdf(client: httpx.Client, store: StoreProcess, union: Graph,
                                   campus: URIRef, campus_releases: CampusReleases) -> None:
    path = str(campus)[len(read_release(campus_releases.first).config.base_iri) - 1:]
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "application/ld+json" in page.text
    # the readable page's related records come through the store too (publisher/server/related.py)
    assert 'id="membres"' in page.text and "établissement support" in page.text
    ttl = client.get(path, params={"format": "ttl"})
    assert ttl.status_code == 200 and ttl.headers["content-type"].startswith("text/turtle")
    expected = Graph()
    for s, p, o in union:
        if s == campus or str(s).startswith(f"{campus}#"):
            expected.add((s, p, o))
    assert_same_data(store.kind, Graph().parse(data=ttl.text, format="turtle"), expected)
    assert client.get("ontology", headers={"Accept": "text/turtle"}).status_code == 200
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200


def test_unknown_resource_is_404(client: httpx.Client) -> None:
    r = client.get("organisation/nobody-here", headers={"Accept": "text/html"})
    assert r.status_code == 404


# ------------------------------------------------------------------ switching releases


def test_publishing_a_release_switches_the_readers(
        live: StoreServer, store: StoreProcess, client: httpx.Client,
        campus_releases: CampusReleases) -> None:
    query = {"query": f'ASK {{ ?s ?p ?o FILTER(STR(?o) = "{CHANGED_LABEL}") }}'}
    assert client.get("sparql", params=query).json()["boolean"] is False
    publish(store, campus_releases.second)
    wait_for_release(live, campus_releases.second.name)
    assert client.get("sparql", params=query).json()["boolean"] is True
    publish(store, campus_releases.first)  # rollback: the graphs are still there
    wait_for_release(live, campus_releases.first.name)
    assert client.get("sparql", params=query).json()["boolean"] is False


# ------------------------------------------------------------------ the store goes down


def test_store_down_is_a_clear_503_and_recovery_follows(
        store: StoreProcess, campus_releases: CampusReleases, tmp_path: Path) -> None:
    secret = "s3cret-never-logged-71"
    with start_store(store.kind, tmp_path / "down") as own:
        publish(own, campus_releases.first)
        env = {"CMQ_STORE_USER": "dba", "CMQ_STORE_PASSWORD": secret}
        with serve_store(campus_releases.project.root, own.url, env) as server, \
                httpx.Client(base_url=server.url, timeout=30.0) as c:
            assert c.get("sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
            own.kill()
            r = c.get("sparql", params={"query": "ASK { ?s ?p ?o }"})
            assert r.status_code == 503 and r.json()["error"] == "StoreUnavailable"
            assert "unreachable" in r.json()["message"] and "Retry-After" in r.headers
            page = c.get("organisation/campus", headers={"Accept": "text/html"})
            assert page.status_code == 503 and "StoreUnavailable" in page.text
            assert c.get("healthz").status_code == 200  # files are still served
            own.restart()
            r = c.get("sparql", params={"query": "ASK { ?s ?p ?o }"})
            assert r.status_code == 200 and r.json()["boolean"] is True
        assert secret not in server.log_text()
