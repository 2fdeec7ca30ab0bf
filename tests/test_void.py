"""VoID description: counts checked against SPARQL COUNTs over the same (real) graph."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import build_graph
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from publisher.core.namespaces import CMQ_NS, DCAT, VOID
from publisher.project.folder import Project
from publisher.release.metadata.catalog import LICENCE
from publisher.release.metadata.void import build_void, statistics, vocabulary
from publisher.release.model import DATA_JSONLD, DATA_NT, DATA_TTL, FileEntry, ReleaseInfo

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.open(REPO)


@pytest.fixture(scope="module")
def data(project: Project) -> Graph:
    return build_graph(project)


@pytest.fixture(scope="module")
def info(project: Project, data: Graph) -> ReleaseInfo:
    files = tuple(FileEntry(n, "application/octet-stream", 10, "00" * 32, k) for n, k in (
        (DATA_NT, "data"), (DATA_TTL, "data"), (DATA_JSONLD, "data"), (DATA_NT + ".gz", "data-gz"),
        ("ontology.ttl", "ontology")))
    return ReleaseInfo("0123456789abcdef", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                       project.config, len(data), "0.1.0", files)


@pytest.fixture(scope="module")
def void(data: Graph, info: ReleaseInfo) -> Graph:
    return build_void(data, info)


def count(g: Graph, query: str) -> int:
    rows = list(g.query(query))
    assert len(rows) == 1
    return int(rows[0][0])  # type: ignore[index, arg-type]


def value(void: Graph, info: ReleaseInfo, prop: URIRef) -> int:
    v = void.value(URIRef(info.version_iri), prop)
    assert isinstance(v, Literal)
    return int(v)


@pytest.mark.parametrize(("prop", "query"), [
    (VOID.triples, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
    (VOID.entities, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER isIRI(?s) }"),
    (VOID.distinctSubjects, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
    (VOID.distinctObjects, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
    (VOID.properties, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"),
    (VOID.classes, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }"),
])
def test_dataset_counts_match_sparql(data: Graph, void: Graph, info: ReleaseInfo,
                                     prop: URIRef, query: str) -> None:
    expected = count(data, query)
    assert expected > 0
    assert value(void, info, prop) == expected


def test_class_partitions_match_sparql(data: Graph, void: Graph, info: ReleaseInfo) -> None:
    rows = data.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER isIRI(?s) }"
                      " GROUP BY ?c")
    expected = {r[0]: int(r[1]) for r in rows}  # type: ignore[index, arg-type]
    found: dict[Node, int] = {}
    for part in void.objects(URIRef(info.version_iri), VOID.classPartition):
        cls = void.value(part, VOID["class"])
        assert cls is not None
        found[cls] = int(str(void.value(part, VOID.entities)))
    assert found == expected


def test_property_partitions_match_sparql(data: Graph, void: Graph, info: ReleaseInfo) -> None:
    rows = data.query("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
    expected = {r[0]: int(r[1]) for r in rows}  # type: ignore[index, arg-type]
    found: dict[Node, int] = {}
    for part in void.objects(URIRef(info.version_iri), VOID.propertyPartition):
        prop = void.value(part, VOID.property)
        assert prop is not None
        found[prop] = int(str(void.value(part, VOID.triples)))
    assert found == expected


def test_partition_iris_are_deterministic(data: Graph, void: Graph, info: ReleaseInfo) -> None:
    cls = URIRef(f"{CMQ_NS}Campus")
    digest = hashlib.sha1(str(cls).encode()).hexdigest()[:12]
    part = URIRef(f"{info.version_iri}/void/class/{digest}")
    assert void.value(part, VOID["class"]) == cls
    again = build_void(Graph() + data, info)
    if not isomorphic(again, void):
        _, a, b = graph_diff(again, void)
        pytest.fail(f"{a.serialize(format='nt')}\n---\n{b.serialize(format='nt')}")
    assert not any(isinstance(t, BNode) for triple in void for t in triple)


def test_access_and_description(void: Graph, info: ReleaseInfo) -> None:
    d = URIRef(info.version_iri)
    assert (d, RDF.type, VOID.Dataset) in void
    assert void.value(d, VOID.sparqlEndpoint) == URIRef(info.sparql_url)
    assert set(void.objects(d, VOID.dataDump)) == {
        URIRef(info.download_url(n)) for n in (DATA_NT, DATA_TTL, DATA_JSONLD, DATA_NT + ".gz")}
    assert void.value(d, VOID.uriSpace) == Literal(info.config.base_iri)
    assert void.value(d, DCTERMS.license) == LICENCE
    assert {t.language for t in void.objects(d, DCTERMS.title)  # type: ignore[attr-defined]
            } == {"fr", "en"}
    assert void.value(d, DCAT.isVersionOf) == URIRef(info.dataset_iri)
    assert void.value(d, DCAT.version) == Literal(info.release_id)
    assert URIRef("http://www.w3.org/ns/formats/N-Triples") in set(void.objects(d, VOID.feature))


def test_example_resources_are_the_campus_and_its_support_establishment(
    data: Graph, void: Graph, info: ReleaseInfo,
) -> None:
    campus = URIRef(info.config.campus_iri)
    support = {r[0] for r in data.query(  # type: ignore[index]
        "PREFIX org: <http://www.w3.org/ns/org#> SELECT ?m WHERE { ?a org:role ?r ; "
        "org:organization ?c ; org:member ?m }",
        initBindings={"r": URIRef(f"{CMQ_NS}role/etablissement-support"), "c": campus})}
    assert support
    examples = set(void.objects(URIRef(info.version_iri), VOID.exampleResource))
    assert campus in examples and support <= examples
    assert void.value(URIRef(info.version_iri), VOID.rootResource) == campus


def test_vocabularies_cover_every_property_and_class(data: Graph, void: Graph,
                                                    info: ReleaseInfo) -> None:
    vocabs = {str(v) for v in void.objects(URIRef(info.version_iri), VOID.vocabulary)}
    assert CMQ_NS in vocabs and "http://www.w3.org/ns/org#" in vocabs
    for p in set(data.predicates()):
        assert vocabulary(str(p)) in vocabs
    assert vocabulary("http://www.w3.org/ns/org#member") == "http://www.w3.org/ns/org#"
    assert vocabulary("https://schema.org/name") == "https://schema.org/"


def test_statistics_on_a_small_graph() -> None:
    ex = "https://example.org/"
    a, b, c = URIRef(ex + "a"), URIRef(ex + "b"), URIRef(ex + "C")
    blank = BNode()
    g = Graph()
    g.add((a, RDF.type, c))
    g.add((blank, RDF.type, c))
    g.add((a, URIRef(ex + "p"), Literal("x")))
    g.add((b, URIRef(ex + "p"), Literal("x")))
    g.add((b, URIRef(ex + "q"), blank))
    s = statistics(g)
    assert (s.triples, s.entities, s.distinct_subjects, s.distinct_objects) == (5, 2, 3, 3)
    assert s.classes == {c: 1}  # the blank node is an instance but not an entity
    assert s.properties[URIRef(ex + "p")] == 2 and len(s.properties) == 3


def test_dumps_default_to_the_standard_names(data: Graph, info: ReleaseInfo) -> None:
    v = build_void(data, dataclasses.replace(info, files=()))
    dumps = {str(d) for d in v.objects(URIRef(info.version_iri), VOID.dataDump)}
    assert dumps == {info.download_url(n) for n in (DATA_NT, DATA_TTL, DATA_JSONLD)}


def test_empty_graph(info: ReleaseInfo) -> None:
    v = build_void(Graph(), info)
    d = URIRef(info.version_iri)
    assert value(v, info, VOID.triples) == 0
    assert (d, VOID.exampleResource, None) not in v
    assert (d, VOID.classPartition, None) not in v
