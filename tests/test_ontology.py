"""The ontology (``ontology/*.ttl``): it parses, and every own term is labelled and defined in French
and English; the concept schemes are the ones the mapping and the shapes name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import REPO
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH, SKOS
from rdflib.term import Node

from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI

ONTOLOGY = URIRef(ONTOLOGY_IRI)
OWN_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
             OWL.NamedIndividual, SKOS.ConceptScheme, SKOS.Concept)


def own_terms(g: Graph) -> set[Node]:
    return set(g.subjects(RDFS.isDefinedBy, ONTOLOGY))


def languages(g: Graph, s: Node, p: URIRef) -> list[str | None]:
    return sorted((o.language for o in g.objects(s, p) if isinstance(o, Literal)), key=str)


@pytest.mark.parametrize("path", sorted((REPO / "ontology").glob("*.ttl")), ids=lambda p: p.name)
def test_each_ontology_file_parses(path: Path) -> None:
    g = Graph().parse(path, format="turtle")
    assert len(g) > 0


def test_the_ontology_is_described(ontology_graph: Graph) -> None:
    g = ontology_graph
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in g
    assert g.value(ONTOLOGY, OWL.versionIRI) is not None
    assert languages(g, ONTOLOGY, RDFS.label) == ["en", "fr"]


def test_every_own_term_is_labelled_and_defined_in_french_and_english(
    ontology_graph: Graph,
) -> None:
    g = ontology_graph
    terms = own_terms(g)
    assert len(terms) > 50
    bad = []
    for term in sorted(terms, key=str):
        for p in (RDFS.label, SKOS.definition):
            langs = languages(g, term, p)
            if langs != ["en", "fr"]:  # exactly one of each
                bad.append(f"{term} {p}: {langs}")
    assert bad == [], "\n".join(bad)


def test_every_class_property_scheme_and_concept_of_the_namespace_is_an_own_term(
    ontology_graph: Graph,
) -> None:
    g = ontology_graph
    declared = {s for kind in OWN_KINDS for s in g.subjects(RDF.type, kind)
                if str(s).startswith(CMQ_NS)}
    assert declared, "the ontology declares terms"
    assert declared == own_terms(g), "rdfs:isDefinedBy missing or on a term of another kind"


def test_concepts_belong_to_a_declared_scheme_and_carry_their_code(ontology_graph: Graph) -> None:
    g = ontology_graph
    schemes = set(g.subjects(RDF.type, SKOS.ConceptScheme))
    for concept in g.subjects(RDF.type, SKOS.Concept):
        scheme = g.value(concept, SKOS.inScheme)
        assert scheme in schemes, concept
        assert (concept, SKOS.topConceptOf, scheme) in g
        # IRI = {scheme}/{code}: the converter builds it from the code in the table
        assert str(concept) == f"{scheme}/{g.value(concept, SKOS.notation)}"
        assert languages(g, concept, SKOS.prefLabel) == ["en", "fr"]
    for scheme in schemes:
        assert any(True for _ in g.subjects(SKOS.inScheme, scheme)), f"empty scheme {scheme}"


def test_schemes_named_by_the_mapping_and_the_shapes_exist(
    ontology_graph: Graph, shapes_graph: Graph
) -> None:
    schemes = {str(s) for s in ontology_graph.subjects(RDF.type, SKOS.ConceptScheme)}
    mapping = tomllib.loads((REPO / "data" / "mapping.toml").read_text("utf-8"))
    fields = [f for t in mapping["tables"].values() for f in t.get("fields", [])]
    fields += [f for frag in mapping.get("fragments", {}).values() for f in frag]
    named = {CMQ_NS + f["scheme"] for f in fields if "scheme" in f}
    named |= {CMQ_NS + "secteur"}  # campus.toml's `secteurs`
    assert named and named <= schemes, named - schemes
    in_shapes = {str(o) for s in shapes_graph.subjects(SH.path, SKOS.inScheme)
                 for o in shapes_graph.objects(s, SH.hasValue)}
    assert in_shapes and in_shapes <= schemes, in_shapes - schemes


def test_the_converted_data_uses_only_declared_own_terms(
    ontology_graph: Graph, shipped_graph: Graph
) -> None:
    used = {p for p in shipped_graph.predicates() if str(p).startswith(CMQ_NS)}
    used |= {o for o in shipped_graph.objects(None, RDF.type) if str(o).startswith(CMQ_NS)}
    concepts = {o for o in shipped_graph.objects() if isinstance(o, URIRef)
                and str(o).startswith(CMQ_NS)} - used
    assert used <= own_terms(ontology_graph), used - own_terms(ontology_graph)
    undeclared = {c for c in concepts if (c, RDF.type, SKOS.Concept) not in ontology_graph}
    assert undeclared == set()
