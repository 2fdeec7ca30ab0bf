"""The SPARQL lookups behind the pages (publisher.server.describe), run on the real query engine
over a built release (no HTTP), checked against the release's own files read with rdflib."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import SKOS
from server_fixtures import ServedProject

from publisher.core.namespaces import CMQ, CMQ_NS, SCHEMA, VOID
from publisher.project.settings import load_settings
from publisher.server import describe
from publisher.server.state import graph_iri, start_engine
from publisher.sparql import QueryEngine

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def folder(served_project: ServedProject) -> Path:
    return served_project.project.releases_dir / served_project.release.release_id


@pytest.fixture(scope="module")
def engine(served_project: ServedProject, folder: Path) -> Iterator[QueryEngine]:
    settings = load_settings(project=served_project.project.root)
    e = start_engine(settings, served_project.release, folder)
    yield e
    e.close()


@pytest.fixture(scope="module")
def data(folder: Path) -> Graph:
    return Graph().parse(folder / "campus.nt", format="nt")


@pytest.fixture(scope="module")
def base(served_project: ServedProject) -> str:
    return served_project.release.config.base_iri


def assert_same(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, a, b = graph_diff(got, expected)
        raise AssertionError(f"only got:\n{a.serialize(format='nt')}\n"
                             f"only expected:\n{b.serialize(format='nt')}")


def test_document_is_the_iri_and_its_hash_parts(engine: QueryEngine, data: Graph,
                                                base: str) -> None:
    iri = base + "organisation/lp-exemple-laon"
    doc = run(describe.document(engine, iri))
    assert not doc.truncated
    oracle = Graph()
    for s, p, o in data:
        if str(s) == iri or str(s).startswith(iri + "#"):
            oracle.add((s, p, o))
    assert_same(doc.graph(), oracle)
    # not the resources whose IRI merely starts the same way, nor incoming links
    assert all(str(s).startswith(iri) for s in doc.graph().subjects())


def test_unknown_iri_has_an_empty_document(engine: QueryEngine, base: str) -> None:
    assert run(describe.document(engine, base + "organisation/nobody")).triples == []


def test_describe_gathers_incoming_links_and_labels(engine: QueryEngine, base: str) -> None:
    iri = base + "organisation/lycee-condorcet"
    found = run(describe.describe(engine, iri))
    parties = {str(s) for s in found.incoming.subjects(CMQ.party, URIRef(iri))}
    assert base + "partenariat/innovaltech-condorcet" in parties
    territory = URIRef(base + "territoire/saint-quentinois")
    assert Literal("Saint-Quentinois", lang="fr") in set(found.context.objects(territory,
                                                                                SKOS.prefLabel))
    # property labels come from the ontology graph (union default graph)
    labels = set(found.context.objects(CMQ.territory, None))
    assert Literal("territoire", lang="fr") in labels
    assert not found.incoming_truncated


def test_context_fetches_credential_level_labels(engine: QueryEngine, base: str) -> None:
    credential = URIRef(base + "certification/cap-plasturgie")
    g = run(describe.context_graph(engine, [credential]))
    level = URIRef(CMQ_NS + "niveau/3")
    assert (credential, SCHEMA.educationalLevel, level) in g
    assert any(o.language == "fr" for o in g.objects(level, SKOS.prefLabel)
               if isinstance(o, Literal))


def test_context_in_chunks(engine: QueryEngine, base: str, data: Graph,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    iris = sorted({s for s in data.subjects() if isinstance(s, URIRef)
                   and str(s).startswith(base + "organisation/") and "#" not in str(s)})
    whole = run(describe.context_graph(engine, iris))
    monkeypatch.setattr(describe, "CONTEXT_LIMIT", 3)
    chunked = run(describe.context_graph(engine, iris))
    assert len(iris) > 3
    assert_same(chunked, whole)


def test_incoming_limit(engine: QueryEngine) -> None:
    concept = CMQ_NS + "route/apprentissage"
    few = run(describe.construct(engine, describe.incoming_query(concept, limit=2)))
    assert len(few.triples) == 2


def test_truncated_answers_say_so(served_project: ServedProject,
                                  folder: Path, base: str) -> None:
    settings = load_settings(project=served_project.project.root, max_rows=3)
    small = start_engine(settings, served_project.release, folder)
    try:
        doc = run(describe.document(small, base + "organisation/campus"))
    finally:
        small.close()
    assert doc.truncated and len(doc.triples) == 3


def test_ontology_is_its_named_graph(engine: QueryEngine, folder: Path,
                                     served_project: ServedProject) -> None:
    shipped = Graph().parse(folder / "ontology.ttl", format="turtle")
    graph = graph_iri(served_project.release, "ontology")
    assert_same(run(describe.ontology(engine, graph)).graph(), shipped)
    # without that graph: the namespace's subjects (which other graphs may add to); what the
    # alignments (ontology/alignments.ttl) say about other vocabularies' terms is only in the graph
    own = Graph()
    for s, p, o in shipped:
        if not isinstance(s, URIRef) or str(s).startswith(CMQ_NS) or str(s) == CMQ_NS[:-1]:
            own.add((s, p, o))
    assert len(own) < len(shipped)
    fallback = run(describe.ontology(engine, "https://example.org/no-such-graph")).graph()
    _, only_shipped, _ = graph_diff(own, fallback)
    assert len(only_shipped) == 0, only_shipped.serialize(format="nt")


def test_void_and_neighbours(engine: QueryEngine, base: str,
                             served_project: ServedProject) -> None:
    void = run(describe.construct(engine, describe.void_query())).graph()
    version = URIRef(served_project.release.version_iri)
    assert int(str(next(void.objects(version, VOID.triples)))) == served_project.release.triples
    assert len(set(void.objects(version, VOID.classPartition))) > 5
    near = run(describe.construct(engine, describe.neighbours_query(base + "organisation/")))
    subjects = {str(s) for s in near.graph().subjects()}
    assert base + "organisation/lycee-condorcet" in subjects
    assert not any("#" in s for s in subjects)


@pytest.mark.parametrize("bad", ["", "no-scheme", "https://e.org/a b", "https://e.org/<a>",
                                 'https://e.org/"', "https://e.org/{x}", "https://e.org/a|b",
                                 "https://e.org/a^b", "https://e.org/`", "https://e.org/\\",
                                 "https://e.org/\n"])
def test_iris_that_cannot_enter_a_query(bad: str) -> None:
    with pytest.raises(describe.InvalidIri):
        describe.sparql_iri(bad)
    with pytest.raises(describe.InvalidIri):
        describe.document_query(bad)


def test_good_iris_pass() -> None:
    assert describe.sparql_iri("https://e.org/a%20b#x") == "<https://e.org/a%20b#x>"
    assert describe.sparql_iri("https://e.org/école") == "<https://e.org/école>"
