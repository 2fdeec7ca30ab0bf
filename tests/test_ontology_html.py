"""The ontology's documentation (publisher.ontology.docs, publisher.ontology.diagram) and its
alignments (ontology/alignments.ttl): terms with fr/en labels and definitions, the diagram of how
classes relate, examples from the data, a standalone page whose links all resolve, the same
generator on the server, and alignments that only map own or model terms."""

from __future__ import annotations

import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REPO
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH, SKOS

from publisher.core.graphs import store_from_graphs
from publisher.core.namespaces import CMQ, CMQ_NS, ONTOLOGY_IRI, PREFIXES, SCHEMA
from publisher.html.render import Linker, Renderer
from publisher.ontology.diagram import Edge, relations
from publisher.ontology.docs import (
    MAPPINGS,
    SERVER_LAYOUT,
    AnchorLinker,
    OntologyView,
    build_view,
    example_classes,
    examples,
    examples_query,
    render_html,
)
from publisher.server.ontology_doc import render_ontology

ORG = "http://www.w3.org/ns/org#"
BASE = "https://w3id.org/cmq/campus/plasturgie-metallurgie-picardie/"


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if a.get("href"):
            self.hrefs.append(str(a["href"]))


@pytest.fixture(scope="module")
def view(ontology_graph: Graph, shapes_graph: Graph, shipped_graph: Graph) -> OntologyView:
    return build_view(ontology_graph, shapes=shapes_graph, data=shipped_graph)


@pytest.fixture(scope="module")
def page(view: OntologyView) -> str:
    return render_html(view, alternates=[("ontology.ttl", "text/turtle")])


def test_terms_with_labels_and_definitions_in_french_and_english(
        view: OntologyView, ontology_graph: Graph) -> None:
    own = {str(s) for s in ontology_graph.subjects(RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI))}
    listed = {d.iri for d in view.classes + view.object_properties + view.datatype_properties
              + view.annotation_properties + view.individuals}
    listed |= {s.scheme.iri for s in view.schemes} | {c.iri for s in view.schemes
                                                      for c in s.concepts}
    assert listed == own
    for d in view.classes + view.object_properties + view.datatype_properties:
        assert d.label_fr and d.label_en and d.definition_fr and d.definition_en, d.iri
    assert view.version and view.version_iri == CMQ_NS + view.version
    assert [d.iri for d in view.annotation_properties] == [str(CMQ.lheoElement)]
    assert [d.iri for d in view.individuals] == [CMQ_NS + "truncatedResults"]


def test_the_diagram_links_come_from_the_ontology_and_the_shapes(
        ontology_graph: Graph, shapes_graph: Graph) -> None:
    edges = {(e.source, e.prop, e.target) for e in relations(ontology_graph, shapes_graph)}
    assert (str(CMQ.Campus), str(RDFS.subClassOf), ORG + "OrganizationalCollaboration") in edges
    assert (str(CMQ.Campus), str(CMQ.pilot), ORG + "Organization") in edges  # domain/range
    assert (str(CMQ.Campus), str(CMQ.sector), CMQ_NS + "secteur") in edges  # shape → scheme
    assert (str(CMQ.Campus), str(CMQ.sector), str(SKOS.Concept)) not in edges  # replaced
    assert (str(SCHEMA.EducationalOccupationalProgram), str(SCHEMA.provider),
            str(SCHEMA.EducationalOrganization)) in edges  # sh:class
    assert (ORG + "Organization", ORG + "classification", CMQ_NS + "type-partenaire") in edges
    assert (ORG + "Membership", ORG + "role", CMQ_NS + "role") in edges
    assert relations(ontology_graph) and all(e.via == "ontology" for e in relations(ontology_graph))


def test_the_diagram_is_inline_svg_with_a_box_per_class(view: OntologyView,
                                                       ontology_graph: Graph,
                                                       shapes_graph: Graph) -> None:
    svg = str(view.diagram)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script" not in svg and "xlink:href=\"http" not in svg
    for e in relations(ontology_graph, shapes_graph):
        for iri in (e.source, e.target):
            assert f"<title>{iri}</title>" in svg, iri
    again = build_view(ontology_graph, shapes=shapes_graph).diagram
    assert str(again) == svg, "deterministic"


def test_each_class_has_an_example_from_the_data(view: OntologyView) -> None:
    own = {d.iri: d for d in view.classes}
    campus = own[str(CMQ.Campus)].example
    assert campus is not None and campus.iri == BASE + "organisation/campus"
    assert campus.text.startswith("Campus des métiers")
    assert all(d.example is not None for d in view.classes)
    reused = {d.iri: d for d in view.reused_classes}
    program = reused[str(SCHEMA.EducationalOccupationalProgram)].example
    assert program is not None and program.iri is not None
    assert program.iri.startswith(BASE + "formation/") and program.lang == "fr"


def test_the_examples_query_gives_the_same_examples(ontology_graph: Graph, shapes_graph: Graph,
                                                    shipped_graph: Graph) -> None:
    classes = example_classes(ontology_graph, relations(ontology_graph, shapes_graph))
    store = store_from_graphs(shipped_graph)
    found = Graph()
    answer = store.query(examples_query(classes))
    assert isinstance(answer, ox.QueryTriples)
    for t in answer:
        found.parse(data=f"{t.subject} {t.predicate} {t.object} .", format="nt")
    r = Renderer(ontology_graph, AnchorLinker(""), ONTOLOGY_IRI)
    assert examples(found, classes, r) == examples(shipped_graph, classes, r)
    assert len(examples(found, classes, r)) >= 10


def test_the_standalone_page_is_self_contained_and_its_anchors_resolve(page: str) -> None:
    p = Page(page)
    assert not [a for t, a in p.tags if t == "script" and a.get("src")]
    assert not [a for t, a in p.tags if t == "link" and a.get("rel") == "stylesheet"]
    assert ("link", {"rel": "alternate", "type": "text/turtle", "href": "ontology.ttl"}) in p.tags
    missing = sorted({h[1:] for h in p.hrefs if h.startswith("#") and h != "#"} - p.ids)
    assert missing == []
    for anchor in ("cmq-Campus", "cmq-uai", "cmq-route", "cmq-route-apprentissage",
                   "schema-EducationalOccupationalProgram", "diagram", "alignments"):
        assert anchor in p.ids
    assert "Ontology of the Campus des métiers et des qualifications" in page


def test_the_server_uses_the_same_generator(ontology_graph: Graph, shapes_graph: Graph) -> None:
    linker = Linker("https://example.org/campus/")
    view = render_ontology(ontology_graph, linker, shapes=shapes_graph)
    assert isinstance(view, OntologyView)
    campus = next(d for d in view.classes if d.iri == str(CMQ.Campus))
    assert campus.href == "/ontology/Campus"
    html = render_html(view, layout=SERVER_LAYOUT, root="/", alternates=[], jsonld=None,
                       site={"name": "Campus", "title": "Campus", "release_id": "0" * 16})
    p = Page(html)
    assert "/ontology/route/apprentissage" in p.hrefs and "/sparql" in p.hrefs  # site frame
    assert "diagram" in p.ids and "<svg" in html


def test_own_terms_link_to_anchors_in_a_file(view: OntologyView) -> None:
    linker = AnchorLinker("")
    assert linker.href(str(CMQ.uai)) == "#cmq-uai"
    assert linker.href(ONTOLOGY_IRI) == "#"
    assert linker.href("https://schema.org/provider") == "https://schema.org/provider"
    assert linker.href("mailto:x@example.org") is None


# ---------------------------------------------------------------- alignments


@pytest.fixture(scope="module")
def alignments() -> Graph:
    return Graph().parse(REPO / "ontology" / "alignments.ttl", format="turtle")


def model_terms(shapes: Graph) -> set[str]:
    """Classes and properties the CMQ model uses for its records (shapes and mapping)."""
    terms = {str(o) for o in shapes.objects(None, SH.targetClass)}
    terms |= {str(o) for o in shapes.objects(None, SH.path) if isinstance(o, URIRef)}
    mapping = tomllib.loads((REPO / "data" / "mapping.toml").read_text("utf-8"))
    prefixes = mapping["prefixes"]
    for table in mapping["tables"].values():
        for curie in table.get("types", []):
            prefix, _, local = curie.partition(":")
            terms.add(prefixes[prefix] + local)
    return terms


def test_every_mapping_subject_is_an_own_or_model_term(
        alignments: Graph, ontology_graph: Graph, shapes_graph: Graph) -> None:
    own = {str(s) for s in ontology_graph.subjects(RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI))}
    allowed = own | model_terms(shapes_graph)
    subjects = {str(s) for p in MAPPINGS for s in alignments.subjects(p)}
    assert len(subjects) >= 12
    assert subjects - allowed == set()


def test_alignments_use_only_mapping_predicates_and_label_their_targets(
        alignments: Graph) -> None:
    allowed = set(MAPPINGS) | {RDF.type, RDFS.label, RDFS.isDefinedBy, RDFS.range,
                               SKOS.definition}
    assert {p for p in alignments.predicates()} <= allowed, "no rdfs:subClassOf: no inference"
    for p in MAPPINGS:
        for s, o in alignments.subject_objects(p):
            if p == CMQ.lheoElement:
                assert isinstance(o, Literal) and str(o).split("/")[0] == "formation", o
                continue
            assert isinstance(o, URIRef) and not str(o).startswith(CMQ_NS), (s, o)
            if not str(o).startswith(PREFIXES["schema"]):
                langs = sorted(lit.language or "" for lit in alignments.objects(o, RDFS.label)
                               if isinstance(lit, Literal))
                assert langs == ["en", "fr"], o
    wikidata = {str(o) for o in alignments.objects(CMQ.uai, OWL.equivalentProperty)}
    assert wikidata == {"http://www.wikidata.org/prop/direct/P3202"}
    elm = {str(o) for o in alignments.objects(SCHEMA.EducationalOccupationalProgram,
                                              SKOS.closeMatch)}
    assert elm == {"http://data.europa.eu/snb/model/elm/LearningOpportunity"}


def test_alignments_are_part_of_the_published_ontology(view: OntologyView, page: str,
                                                       ontology_graph: Graph) -> None:
    assert (CMQ.uai, OWL.equivalentProperty,
            URIRef("http://www.wikidata.org/prop/direct/P3202")) in ontology_graph
    assert len(view.alignments) == sum(1 for p in MAPPINGS for _ in ontology_graph.triples(
        (None, p, None)))
    assert "formation/domaine-formation/code-NSF" in page
    assert "apprentissage (ELM)" in page  # the target's label


def test_edges_sort_and_compare() -> None:
    a = Edge("a", "p", "b", "ontology")
    assert min([Edge("b", "p", "c", "shapes"), a]) == a


def test_a_release_page_needs_no_data(ontology_graph: Graph, tmp_path: Path) -> None:
    view = build_view(ontology_graph)
    assert all(d.example is None for d in view.classes)
    assert "<svg" in render_html(view)
