"""Resource triples → page view model (publisher.html.render), on the shipped campus graph.

The inputs are built here with rdflib from the converted campus and the ontology (what the SPARQL
lookups return is checked against the running server in test_server_resources.py).
"""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from publisher.core.namespaces import CMQ, CMQ_NS, LOCN, ONTOLOGY_IRI, SCHEMA
from publisher.html.render import (
    LABELS,
    Linker,
    ResourceData,
    compact,
    label_of,
    mentioned_iris,
    pick_literal,
    render_resource,
    text_in,
)
from publisher.project.config import CampusConfig
from publisher.project.folder import Project
from publisher.server.graph_values import Text, fr_en

HOME = "https://example.org/home"


def lookup(full: Graph, iri: str) -> ResourceData:
    """What the engine's lookups return, computed with rdflib over ``full``."""
    node = URIRef(iri)
    doc = Graph()
    for p, o in full.predicate_objects(node):
        doc.add((node, p, o))
        if isinstance(o, URIRef) and str(o).startswith(iri + "#"):
            for p2, o2 in full.predicate_objects(o):
                doc.add((o, p2, o2))
    incoming = Graph()
    for s, p in full.subject_predicates(node):
        incoming.add((s, p, node))
    context = Graph()
    for r in mentioned_iris([doc, incoming]):
        for p in (*LABELS, RDF.type):
            for o in full.objects(r, p):
                context.add((r, p, o))
    return ResourceData(iri, doc, incoming, context)


@pytest.fixture(scope="module")
def full(shipped_graph: Graph, ontology_graph: Graph) -> Graph:
    return shipped_graph + ontology_graph


@pytest.fixture(scope="module")
def config(shipped_project: Project) -> CampusConfig:
    return shipped_project.config


@pytest.fixture(scope="module")
def linker(config: CampusConfig) -> Linker:
    return Linker(config.base_iri)


def test_linker_maps_minted_iris_to_local_paths_and_back(linker: Linker,
                                                        config: CampusConfig) -> None:
    base = config.base_iri
    cases = {
        base + "organisation/lycee-condorcet": "/organisation/lycee-condorcet",
        CMQ_NS + "uai": "/ontology/uai",
        CMQ_NS + "route/apprentissage": "/ontology/route/apprentissage",
        ONTOLOGY_IRI: "/ontology",
    }
    for iri, path in cases.items():
        assert linker.local_path(iri) == path
        assert linker.iri_for_path(path[1:]) == iri
    assert linker.local_path(base + "organisation/x#adresse") == "/organisation/x"
    assert linker.local_path("https://schema.org/provider") is None


def test_linker_hrefs(linker: Linker, config: CampusConfig) -> None:
    page = config.base_iri + "organisation/x"
    assert linker.href(page + "#adresse", page) == "#adresse"
    assert linker.href(page + "#adresse") == "/organisation/x#adresse"
    assert linker.href(config.base_iri + "organisation/y#adresse", page) == (
        "/organisation/y#adresse")
    assert linker.href(HOME) == HOME
    assert linker.href("mailto:accueil@example.org") == "mailto:accueil@example.org"
    assert linker.href("javascript:alert(1)") is None
    assert linker.href("urn:isbn:0451450523") is None
    mounted = Linker(config.base_iri, root="/cmq/")
    assert mounted.href(CMQ_NS + "uai") == "/cmq/ontology/uai"
    assert mounted.iri_for_path("organisation/x") == page


def test_compact_names() -> None:
    assert compact(str(SCHEMA.provider)) == "schema:provider"
    assert compact(str(RDF.type)) == "rdf:type"
    assert compact(CMQ_NS + "route/apprentissage") is None  # not a plain local name
    assert compact("https://example.org/other") is None


def test_labels_prefer_french_then_english_then_untagged() -> None:
    g = Graph()
    s = URIRef("https://example.org/s")
    g.add((s, SKOS.prefLabel, Literal("English", lang="en")))
    g.add((s, RDFS.label, Literal("Français", lang="fr")))
    g.add((s, SCHEMA.name, Literal("untagged")))
    lab = label_of(g, s)
    assert lab == Literal("Français", lang="fr")
    g.remove((s, RDFS.label, None))
    assert label_of(g, s) == Literal("English", lang="en")
    g.remove((s, SKOS.prefLabel, None))
    assert label_of(g, s) == Literal("untagged")
    g.add((s, SKOS.prefLabel, Literal("Deutsch", lang="de")))
    assert label_of(g, s) == Literal("untagged")
    g.add((s, SKOS.prefLabel, Literal("Québécois", lang="fr-CA")))
    assert pick_literal(g, s, LABELS) == Literal("Québécois", lang="fr-CA")
    assert label_of(Graph(), s) is None


def test_establishment_page(full: Graph, linker: Linker, config: CampusConfig) -> None:
    iri = config.base_iri + "organisation/lycee-condorcet"
    view = render_resource(lookup(full, iri), linker)
    assert view is not None
    assert view.title == "Lycée Condorcet (espace scolaire Condorcet)"
    assert view.main.lang == "fr"
    types = {t.compact: t.text for t in view.main.types}  # reused classes named in French
    assert types["schema:EducationalOrganization"] == "organisme d'enseignement"
    rows = {r.predicate.iri: r for r in view.main.rows}
    # the ontology's French label names the property; reused terms get theirs from
    # publisher/html/property_labels.py, the compact name stays beside it
    assert rows[str(CMQ.territory)].predicate.text == "territoire"
    assert rows[str(LOCN.address)].predicate.text == "adresse"
    assert rows[str(LOCN.address)].predicate.compact == "locn:address"
    territory = rows[str(CMQ.territory)].values[0]
    assert (territory.text, territory.href, territory.local) == (
        "Saint-Quentinois", "/territoire/saint-quentinois", True)
    # the hash sub-resource is a section of the same page, linked by its fragment
    assert rows[str(LOCN.address)].values[0].href == "#adresse"
    assert [p.anchor for p in view.parts] == ["adresse"]
    assert {v.text for r in view.parts[0].rows for v in r.values} >= {"Saint-Quentin"}
    # labels come first among the rows
    assert view.main.rows[0].predicate.iri == str(SKOS.prefLabel)
    # incoming links: the partnerships and the membership, as local links
    incoming = {r.predicate.iri: r for r in view.incoming}
    parties = incoming[str(CMQ.party)].values
    assert {t.href for t in parties} >= {"/partenariat/innovaltech-condorcet",
                                         "/partenariat/plateforme-usinage-condorcet"}
    assert not view.illustrative
    assert not view.in_ontology


def test_illustrative_formation_links_to_concepts(full: Graph, linker: Linker,
                                                  config: CampusConfig) -> None:
    iri = config.base_iri + "formation/cap-plasturgie-lp-laon"
    view = render_resource(lookup(full, iri), linker)
    assert view is not None
    assert view.illustrative
    rows = {r.predicate.iri: r for r in view.main.rows}
    mode = rows[str(SCHEMA.educationalProgramMode)].values[0]
    assert (mode.text, mode.href) == ("voie scolaire", "/ontology/route/voie-scolaire")
    duration = rows[str(SCHEMA.timeToComplete)].values[0]
    assert (duration.text, duration.datatype) == ("P2Y", "xsd:duration")


def test_concept_page_values_french_first(full: Graph, linker: Linker) -> None:
    view = render_resource(lookup(full, CMQ_NS + "route/apprentissage"), linker)
    assert view is not None
    assert view.in_ontology
    assert view.title == "apprentissage"
    labels = next(r for r in view.main.rows if r.predicate.iri == str(SKOS.prefLabel))
    assert [v.lang for v in labels.values] == ["fr", "en"]
    assert view.description is not None and view.description_lang == "fr"
    assert view.incoming, "formations using the route link to it"


def test_english_fallback_and_unlabelled(linker: Linker, config: CampusConfig) -> None:
    iri = config.base_iri + "organisation/only-english"
    doc = Graph()
    doc.add((URIRef(iri), SKOS.prefLabel, Literal("Only English", lang="en")))
    doc.add((URIRef(iri), SCHEMA.provider, URIRef(config.base_iri + "organisation/nameless")))
    view = render_resource(ResourceData(iri, doc, Graph(), Graph()), linker)
    assert view is not None
    assert (view.title, view.main.lang) == ("Only English", "en")
    value = view.main.rows[-1].values[0]
    assert (value.text, value.href) == ("organisation/nameless", "/organisation/nameless")


def test_empty_document_renders_nothing(linker: Linker, config: CampusConfig) -> None:
    data = ResourceData(config.base_iri + "organisation/none", Graph(), Graph(), Graph())
    assert render_resource(data, linker) is None


def test_text_in_gives_only_that_language() -> None:
    g = Graph()
    node = URIRef("urn:x")
    g.add((node, RDFS.label, Literal("Lycée", lang="fr")))
    g.add((node, RDFS.label, Literal("High school", lang="en-GB")))
    g.add((node, RDFS.label, Literal("sans langue")))
    assert text_in(g, node, (RDFS.label,), "fr") == "Lycée"
    assert text_in(g, node, (RDFS.label,), "en") == "High school"  # a regional tag too
    assert text_in(g, node, (RDFS.label,), "de") is None  # no fallback to another language
    assert fr_en(g, node) == Text("Lycée", "High school")
