"""The served site against the standards it claims, on the live server over loopback:

- SPARQLWrapper: every documented return format of every query form (SELECT and ASK: JSON, XML,
  CSV, TSV; CONSTRUCT and DESCRIBE: XML, RDF/XML, Turtle, N3, JSON-LD) with GET, POST form and
  POST direct, answered in a type SPARQLWrapper reads without a warning, with the right content;
- the Service Description: it parses, and every graph name, result format and feature it
  declares is checked against what the endpoint does;
- HTTP: ``HEAD`` answers like ``GET`` on every path, a 405 lists every allowed method, failed
  preconditions on files give 412;
- every IRI under the base IRI and the ontology namespace that the store, the service
  description, the response headers and the catalogue mention is dereferenced (a hash IRI must
  be described in its document).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote
from xml.dom.minidom import Document

import httpx
import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import OWL, VOID
from server_fixtures import LiveServer
from SPARQLWrapper import SPARQLWrapper
from SPARQLWrapper import Wrapper as W
from store_fixtures import assert_isomorphic

from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI, SD
from publisher.sparql import TRUNCATED_LINK

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")

METHODS = ("GET", "POST", "POSTDIRECTLY")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ASK = f"ASK {{ <{ONTOLOGY_IRI}> a <http://www.w3.org/2002/07/owl#Ontology> }}"
#: The media type of each W3C format IRI (http://www.w3.org/ns/formats/) the endpoint may declare.
W3C_FORMATS = {
    "SPARQL_Results_JSON": "application/sparql-results+json",
    "SPARQL_Results_XML": "application/sparql-results+xml",
    "SPARQL_Results_CSV": "text/csv",
    "SPARQL_Results_TSV": "text/tab-separated-values",
    "Turtle": "text/turtle",
    "N-Triples": "application/n-triples",
    "JSON-LD": "application/ld+json",
    "RDF_XML": "application/rdf+xml",
}


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def wrapper(server: LiveServer, query: str, fmt: str, method: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method != "GET":
        client.setMethod(W.POST)
    if method == "POSTDIRECTLY":
        client.setRequestMethod(W.POSTDIRECTLY)
    return client


def converted(client: SPARQLWrapper) -> object:
    """The query's converted answer; any warning of SPARQLWrapper (unexpected type) fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated")
        return client.query().convert()


def _graph(answer: object) -> Graph:
    g = Graph()
    if isinstance(answer, bytes):
        g.parse(data=answer, format="turtle")
    else:
        assert isinstance(answer, Graph), type(answer)
        for triple in answer.triples((None, None, None)):
            g.add(triple)
    return g


def _solution_value(answer: object, fmt: str) -> str:
    if fmt == W.JSON:
        assert isinstance(answer, dict)
        if "boolean" in answer:
            return str(answer["boolean"]).lower()
        return str(answer["results"]["bindings"][0]["n"]["value"])
    if fmt == W.XML:
        assert isinstance(answer, Document)
        found = answer.getElementsByTagName("boolean") or answer.getElementsByTagName("literal")
        return str(found[0].firstChild.data)  # type: ignore[union-attr]
    assert isinstance(answer, bytes)
    return answer.decode().splitlines()[-1].strip()


@pytest.fixture(scope="module")
def expected_count(client: httpx.Client) -> str:
    r = client.get("sparql", params={"query": COUNT},
                   headers={"Accept": "application/sparql-results+json"})
    return str(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("form", "fmt"), [
    ("SELECT", W.JSON), ("SELECT", W.XML), ("SELECT", W.CSV), ("SELECT", W.TSV),
    ("ASK", W.JSON), ("ASK", W.XML), ("ASK", W.CSV), ("ASK", W.TSV),
])
def test_sparqlwrapper_solutions(live_server: LiveServer, expected_count: str, form: str,
                                 fmt: str, method: str) -> None:
    query, want = (COUNT, expected_count) if form == "SELECT" else (ASK, "true")
    answer = converted(wrapper(live_server, query, fmt, method))
    assert _solution_value(answer, fmt) == want


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize("fmt", [W.XML, W.RDFXML, W.TURTLE, W.N3, W.JSONLD])
def test_sparqlwrapper_graphs(live_server: LiveServer, client: httpx.Client, form: str,
                              fmt: str, method: str) -> None:
    campus = live_server.release.config.campus_iri
    query = (f"DESCRIBE <{campus}>" if form == "DESCRIBE"
             else f"CONSTRUCT {{ <{campus}> ?p ?o }} WHERE {{ <{campus}> ?p ?o }}")
    reference = client.get("sparql", params={"query": query},
                           headers={"Accept": "application/n-triples"})
    expected = Graph().parse(data=reference.text, format="nt")
    assert len(expected) > 5
    assert_isomorphic(_graph(converted(wrapper(live_server, query, fmt, method))), expected)


def test_n3_and_unknown_formats(client: httpx.Client) -> None:
    construct = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3"
    for value in ("n3", "text/n3"):
        r = client.get("sparql", params={"query": construct, "format": value})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    # a format that does not fit the query form gives way to a satisfiable Accept header …
    r = client.get("sparql", params={"query": COUNT, "format": "n3"},
                   headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    # … and without one it is still a 406
    assert client.get("sparql", params={"query": COUNT, "format": "bogus"},
                      headers={"Accept": ""}).status_code == 406


# ------------------------------------------------------------------ service description


@pytest.fixture(scope="module")
def description(client: httpx.Client) -> Graph:
    r = client.get("sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    return Graph().parse(data=r.text, format="turtle")


def test_every_declared_result_format_is_produced(client: httpx.Client,
                                                  description: Graph) -> None:
    declared = {str(o).rsplit("/", 1)[-1] for o in description.objects(None, SD.resultFormat)}
    assert declared and declared <= set(W3C_FORMATS), declared
    construct = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3"
    for name in declared:
        media = W3C_FORMATS[name]
        query = COUNT if name.startswith("SPARQL_Results") else construct
        r = client.get("sparql", params={"query": query}, headers={"Accept": media})
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media, name


def test_every_declared_graph_is_queried_and_dereferenced(live_server: LiveServer,
                                                          client: httpx.Client,
                                                          description: Graph) -> None:
    service = description.value(None, RDF.type, SD.Service, any=False)
    assert service is not None
    assert description.value(service, SD.endpoint) == URIRef(live_server.sparql)
    dataset = description.value(service, SD.defaultDataset)
    names = [str(description.value(n, SD.name)) for n in description.objects(dataset,
                                                                               SD.namedGraph)]
    base = live_server.release.config.base_iri
    assert sorted(names) == sorted(f"{base}graph/{n}" for n in ("catalog", "ontology", "void"))
    json = {"Accept": "application/sparql-results+json"}
    for name in names:
        size = client.get("sparql", params={
            "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"},
            headers=json).json()["results"]["bindings"][0]["n"]["value"]
        assert int(size) > 0, name
        # the default graph holds every named graph (what the description says of it)
        missing = client.get("sparql", params={
            "query": f"ASK {{ GRAPH <{name}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ ?s ?p ?o }} }}"},
            headers=json).json()["boolean"]
        assert missing is False, name
        # FROM <name> sees that graph alone
        alone = client.get("sparql", params={
            "query": f"SELECT (COUNT(*) AS ?n) FROM <{name}> WHERE {{ ?s ?p ?o }}"},
            headers=json).json()["results"]["bindings"][0]["n"]["value"]
        assert alone == size, name
        doc = client.get(name[len(base):], headers={"Accept": "text/turtle"})
        assert doc.status_code == 200, (name, doc.text)
        g = Graph().parse(data=doc.text, format="turtle")
        assert g.value(URIRef(name), VOID.triples) == Literal(int(size)), name
        page = client.get(name[len(base):], headers={"Accept": "text/html"})
        assert page.status_code == 200 and name in page.text
    assert client.get("graph/no-such-graph").status_code == 404


def test_declared_features_hold(client: httpx.Client, description: Graph) -> None:
    service = description.value(None, RDF.type, SD.Service, any=False)
    features = set(description.objects(service, SD.feature))
    # the campus data is in no named graph: the default graph is not the named graphs' union
    assert SD.UnionDefaultGraph not in features
    assert SD.RequiresDataset not in features  # a query without a dataset is answered
    assert SD.BasicFederatedQuery not in features  # no SERVICE allow-list on this server
    refused = client.get("sparql", params={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert refused.status_code == 403
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in description
    sparql11 = ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a/<http://www.w3.org/2000/01/"
                "rdf-schema#subClassOf>* ?t BIND(STR(?c) AS ?x) FILTER(STRLEN(?x) > 0) }")
    assert client.get("sparql", params={"query": sparql11}).status_code == 200


# ------------------------------------------------------------------ HTTP


def _comparable(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.lower() not in ("date",)}


@pytest.mark.parametrize("path", [
    "sparql", "sparql?query=ASK%20%7B%7D", "healthz", "", "catalog", ".well-known/void",
    "dumps/campus.nt", "ontology", "ontology/Campus", "graph/ontology", "openapi.json",
    "no/such/thing",
])
def test_head_answers_like_get(client: httpx.Client, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code, path
    assert head.content == b""
    assert _comparable(head) == _comparable(get), path


@pytest.mark.parametrize(("path", "methods"), [
    ("sparql", {"GET", "HEAD", "POST"}), ("dumps/campus.nt", {"GET", "HEAD"}),
    ("healthz", {"GET", "HEAD"}),
])
def test_405_lists_every_allowed_method(client: httpx.Client, path: str,
                                        methods: set[str]) -> None:
    r = client.request("DELETE", path)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == methods


@pytest.mark.parametrize("path", ["dumps/campus.nt", "catalog"])
def test_failed_preconditions_are_412(client: httpx.Client, path: str) -> None:
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(path, headers={"If-Match": etag}).status_code == 200
    assert client.get(path, headers={"If-Match": '"another"'}).status_code == 412
    assert client.get(path, headers={"If-Match": "W/" + etag}).status_code == 412  # strong
    assert client.get(path, headers={"If-Match": "*"}).status_code == 200
    assert client.get(path, headers={"If-Unmodified-Since": modified}).status_code == 200
    past = format_datetime(parsedate_to_datetime(modified) - timedelta(days=1), usegmt=True)
    failed = client.get(path, headers={"If-Unmodified-Since": past})
    assert failed.status_code == 412 and failed.content != first.content
    assert client.head(path, headers={"If-Match": '"another"'}).status_code == 412


# ------------------------------------------------------------------ every IRI resolves


def _ours(iri: str, base: str) -> bool:
    return iri.startswith((base, CMQ_NS)) or iri.split("#")[0] == ONTOLOGY_IRI


def _path(iri: str, base: str) -> str:
    doc = iri.split("#", 1)[0]
    if doc.startswith(base):
        return doc[len(base):]
    return "ontology" + doc[len(ONTOLOGY_IRI):]


def mentioned(live_server: LiveServer, client: httpx.Client) -> dict[str, str]:
    """IRI → where it was seen, for every IRI under the base or the ontology namespace."""
    base = live_server.release.config.base_iri
    found: dict[str, str] = {}

    def add(iris: object, where: str) -> None:
        for iri in iris:  # type: ignore[attr-defined]
            if isinstance(iri, str) and _ours(iri, base):
                found.setdefault(iri, where)

    everything = ("SELECT DISTINCT ?x WHERE { { ?x ?p ?o } UNION { ?s ?x ?o } UNION { ?s ?p ?x }"
                  " UNION { GRAPH ?x { } } FILTER(isIRI(?x)) }")
    r = client.get("sparql", params={"query": everything},
                   headers={"Accept": "application/sparql-results+json"})
    add((b["x"]["value"] for b in r.json()["results"]["bindings"]), "store")
    for where, path, accept in (("service description", "sparql", "application/n-triples"),
                                ("catalogue", "catalog", "application/n-triples")):
        g = Graph().parse(data=client.get(path, headers={"Accept": accept}).text, format="nt")
        add((str(t) for triple in g for t in triple if isinstance(t, URIRef)), where)
    cross = client.get("sparql", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"},
                       headers={"Accept": "application/sparql-results+json"})
    assert cross.headers.get("x-sparql-truncated") == "true"
    links = [part.split(">")[0].strip(" <") for part in cross.headers["link"].split(",")]
    add(links, "response headers")
    add(cross.json()["head"].get("link", []), "results head")
    return found


def test_every_minted_iri_resolves(live_server: LiveServer, client: httpx.Client) -> None:
    base = live_server.release.config.base_iri
    iris = mentioned(live_server, client)
    for must in (TRUNCATED_LINK, f"{live_server.release.version_iri}#provenance",
                 f"{CMQ_NS}0.3.0", f"{CMQ_NS}0.2.0", f"{base}graph/ontology"):
        assert must in iris, must
    documents: dict[str, Graph] = {}
    failures = []
    for iri, where in sorted(iris.items()):
        path = _path(iri, base)
        if path not in documents:
            r = client.get(quote(path, safe="/%:@!$&'()*+,;="), follow_redirects=True,
                           headers={"Accept": "text/turtle"})
            if r.status_code != 200:
                failures.append(f"{iri} ({where}): {r.status_code}")
                continue
            documents[path] = Graph().parse(data=r.text, format="turtle")
        if "#" in iri and (URIRef(iri), None, None) not in documents[path]:
            failures.append(f"{iri} ({where}): not described in its document")
    assert not failures, "\n".join(failures)
    assert len(documents) > 20


def test_the_ontology_defines_truncated_results(client: httpx.Client) -> None:
    r = client.get("ontology/truncatedResults", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    term = URIRef(TRUNCATED_LINK)
    assert (term, RDF.type, OWL.NamedIndividual) in g
    labels = {o.language for o in g.objects(term, URIRef(
        "http://www.w3.org/2000/01/rdf-schema#label"))}
    assert labels == {"fr", "en"}
    comments = {o.language for o in g.objects(term, URIRef(
        "http://www.w3.org/2000/01/rdf-schema#comment"))}
    assert comments == {"fr", "en"}
    version = client.get("ontology/0.3.0", headers={"Accept": "text/turtle"})
    assert version.status_code == 200
    assert (URIRef(ONTOLOGY_IRI), OWL.versionIRI, URIRef(CMQ_NS + "0.3.0")) in Graph().parse(
        data=version.text, format="turtle")
    assert client.get("ontology/9.9.9").status_code == 404
