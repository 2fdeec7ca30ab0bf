"""The ontology overview page's view model (publisher.server.ontology_doc)."""

from __future__ import annotations

from rdflib import OWL, RDF, Graph, URIRef
from rdflib.namespace import SKOS

from publisher.core.namespaces import CMQ, CMQ_NS
from publisher.html.render import Linker
from publisher.server.ontology_doc import render_ontology

BASE = "https://example.org/campus/"


def test_overview_lists_every_term_with_labels_and_definitions(ontology_graph: Graph) -> None:
    view = render_ontology(ontology_graph, Linker(BASE))
    assert view.title_fr and view.title_en and view.description_fr and view.description_en
    assert view.version == "0.3.0" and view.prefix == "cmq"
    assert view.license is not None and view.license.href
    classes = {d.iri: d for d in view.classes}
    declared = {str(c) for c in ontology_graph.subjects(RDF.type, OWL.Class)
                if str(c).startswith(CMQ_NS)}
    assert set(classes) == declared
    campus = classes[str(CMQ.Campus)]
    assert campus.label_fr == "Campus des métiers et des qualifications"
    assert campus.label_en == "Campus of trades and qualifications"
    assert campus.definition_fr and campus.definition_en
    assert campus.href == "/ontology/Campus"
    assert campus.compact == "cmq:Campus"
    assert any(caption.startswith("sous-classe") for caption, _ in campus.facts)
    props = {d.iri: d for d in view.object_properties + view.datatype_properties}
    assert str(CMQ.uai) in props and str(CMQ.territory) in props
    assert all(d.label_fr and d.label_en for d in props.values())


def test_schemes_and_concepts(ontology_graph: Graph) -> None:
    view = render_ontology(ontology_graph, Linker(BASE))
    schemes = {s.scheme.iri: s for s in view.schemes}
    declared = {str(s) for s in ontology_graph.subjects(RDF.type, SKOS.ConceptScheme)}
    assert set(schemes) == declared
    route = schemes[CMQ_NS + "route"]
    assert route.scheme.label_fr == "voie de formation"
    codes = [c.iri.rsplit("/", 1)[-1] for c in route.concepts]
    assert set(codes) == {"voie-scolaire", "apprentissage", "formation-continue"}
    levels = [c.iri.rsplit("/", 1)[-1] for c in schemes[CMQ_NS + "niveau"].concepts]
    assert levels == sorted(levels, key=int)  # numeric notations in numeric order
    assert view.term_count > len(view.classes)


def test_campus_schemes_are_not_part_of_the_ontology(ontology_graph: Graph) -> None:
    g = Graph() + ontology_graph
    g.add((URIRef(BASE + "territoire"), RDF.type, SKOS.ConceptScheme))
    view = render_ontology(g, Linker(BASE))
    assert all(s.scheme.iri.startswith(CMQ_NS) for s in view.schemes)
