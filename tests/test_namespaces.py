"""``publisher.core.namespaces``: ``CMQ`` lists exactly the ontology's own classes and properties."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from publisher.core.namespaces import CMQ, CMQ_NS, ONTOLOGY_IRI, PREFIXES, SHAPES_NS, concept


def ontology_classes_and_properties(g: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property,
             OWL.AnnotationProperty)
    return {s for k in kinds for s in g.subjects(RDF.type, k)
            if isinstance(s, URIRef) and (s, RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)) in g}


def test_cmq_lists_exactly_the_own_classes_and_properties(ontology_graph: Graph) -> None:
    listed = {CMQ[name] for name in CMQ.__annotations__}
    declared = ontology_classes_and_properties(ontology_graph)
    assert declared, "the ontology declares classes and properties"
    assert listed - declared == set(), "in CMQ but not in the ontology"
    assert declared - listed == set(), "in the ontology but not in CMQ"


def test_cmq_refuses_an_undeclared_term() -> None:
    assert CMQ.uai == URIRef(CMQ_NS + "uai")
    with pytest.raises(AttributeError):
        _ = CMQ.nonExistentTerm


def test_concept_builds_the_iri_of_a_declared_concept(ontology_graph: Graph) -> None:
    c = concept("route", "apprentissage")
    assert c == URIRef(CMQ_NS + "route/apprentissage")
    assert (c, RDF.type, SKOS.Concept) in ontology_graph


def test_prefixes() -> None:
    assert PREFIXES["cmq"] == CMQ_NS and PREFIXES["cmqsh"] == SHAPES_NS
    assert CMQ_NS == ONTOLOGY_IRI + "/"
    assert all(ns.endswith(("/", "#")) for ns in PREFIXES.values())
    assert len(set(PREFIXES.values())) == len(PREFIXES), "one prefix per namespace"
