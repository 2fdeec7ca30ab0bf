"""The ontology's documentation as HTML, generated from the ontology itself: one implementation for
the ``ontology.html`` file of every release and for the server's ``/ontology`` page
(docs/decisions/0013-vocabulary-publishing.md).

The page lists the classes, properties and concept schemes with their labels and definitions in
French and English, draws how the classes relate (:mod:`publisher.ontology.diagram`, from the
ontology and the shapes), gives for each class an example taken from the data, and lists the
alignments with neighbouring models (``ontology/alignments.ttl``).

:func:`build_view` makes the view from plain graphs; links go through a
:class:`~publisher.html.render.Linker` — :class:`AnchorLinker` in a release file (own terms are
anchors of the page, other IRIs stay absolute), the server's linker on ``/ontology`` (own terms
and records are pages of the server). :func:`render_html` renders the same template in a frame:
``ontology-file.html`` (standalone, inline CSS) or the server's ``base.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from publisher.core.namespaces import CMQ, CMQ_NS, ONTOLOGY_IRI
from publisher.html.environment import environment, stylesheet
from publisher.html.render import (
    LABELS,
    Linker,
    Renderer,
    Term,
    compact,
    label_of,
    text_in,
)
from publisher.ontology.diagram import DOMAIN_INCLUDES, Edge, relations, svg

VANN_PREFIX = URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix")

FILE_LAYOUT = "ontology-file.html"
SERVER_LAYOUT = "base.html"

#: Facts shown under a term: (predicate, French caption / English caption).
FACTS: tuple[tuple[URIRef, str], ...] = (
    (RDFS.subClassOf, "sous-classe de / subclass of"),
    (RDFS.subPropertyOf, "sous-propriété de / subproperty of"),
    (RDFS.domain, "domaine / domain"),
    (DOMAIN_INCLUDES, "domaine (entre autres) / domain includes"),
    (RDFS.range, "portée / range"),
    (SKOS.notation, "code / notation"),
    (SKOS.broader, "plus large / broader"),
    (OWL.equivalentClass, "classe équivalente / equivalent class"),
    (OWL.equivalentProperty, "propriété équivalente / equivalent property"),
    (SKOS.exactMatch, "équivalent / exact match"),
    (SKOS.closeMatch, "proche / close match"),
    (SKOS.broadMatch, "plus large / broad match"),
    (SKOS.narrowMatch, "plus étroit / narrow match"),
    (SKOS.relatedMatch, "apparenté / related match"),
    (CMQ.lheoElement, "élément LHEO 2.3 / LHEO 2.3 element"),
)
#: The alignment predicates (ontology/alignments.ttl), in the order they are listed.
MAPPINGS: tuple[URIRef, ...] = (
    OWL.equivalentClass, OWL.equivalentProperty, SKOS.exactMatch, SKOS.closeMatch,
    SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch, CMQ.lheoElement,
)
_DEFS = (SKOS.definition, RDFS.comment, DCTERMS.description)


class AnchorLinker(Linker):
    """Links of the standalone page: own terms → ``#anchor`` on the page, other IRIs as is."""

    def local_path(self, iri: str) -> str | None:
        return None

    def href(self, iri: str, page: str | None = None) -> str | None:
        if iri == ONTOLOGY_IRI:
            return "#"
        if iri.startswith(CMQ_NS):
            return "#" + anchor(iri)
        return iri if iri.lower().startswith(("http://", "https://")) else None


def anchor(iri: str) -> str:
    """The id of a term's block on the page: its compact name with ``:`` and ``/`` as ``-``."""
    short = ("cmq:" + iri[len(CMQ_NS):]) if iri.startswith(CMQ_NS) else (compact(iri) or iri)
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in short)


@dataclass(frozen=True)
class TermDoc:
    iri: str
    href: str | None
    compact: str
    label_fr: str | None
    label_en: str | None
    definition_fr: str | None
    definition_en: str | None
    facts: tuple[tuple[str, tuple[Term, ...]], ...]
    example: Term | None = None

    @property
    def anchor(self) -> str:
        return anchor(self.iri)


@dataclass(frozen=True)
class SchemeDoc:
    scheme: TermDoc
    concepts: tuple[TermDoc, ...]


@dataclass(frozen=True)
class Alignment:
    subject: Term
    relation: Term
    target: Term


@dataclass(frozen=True)
class Link:
    source: Term
    prop: Term
    target: Term


@dataclass(frozen=True)
class OntologyView:
    iri: str
    title_fr: str | None
    title_en: str | None
    description_fr: str | None
    description_en: str | None
    version: str | None
    version_iri: str | None
    prefix: str | None
    license: Term | None
    classes: tuple[TermDoc, ...]
    reused_classes: tuple[TermDoc, ...]
    object_properties: tuple[TermDoc, ...]
    datatype_properties: tuple[TermDoc, ...]
    annotation_properties: tuple[TermDoc, ...]
    schemes: tuple[SchemeDoc, ...]
    links: tuple[Link, ...]
    alignments: tuple[Alignment, ...]
    diagram: Markup
    individuals: tuple[TermDoc, ...] = ()  # named individuals (e.g. cmq:truncatedResults)

    @property
    def title(self) -> str:
        return self.title_fr or self.title_en or self.iri

    @property
    def term_count(self) -> int:
        return (len(self.classes) + len(self.object_properties) + len(self.datatype_properties)
                + len(self.annotation_properties) + len(self.individuals)
                + sum(1 + len(s.concepts) for s in self.schemes))


def term_doc(g: Graph, node: URIRef, r: Renderer, example: Term | None = None) -> TermDoc:
    facts = []
    for pred, caption in FACTS:
        values = sorted((r.term(o) for o in g.objects(node, pred)), key=lambda t: t.text)
        if values:
            facts.append((caption, tuple(values)))
    iri = str(node)
    return TermDoc(
        iri=iri, href=r.linker.href(iri), compact=compact(iri) or iri,
        label_fr=text_in(g, node, LABELS, "fr"), label_en=text_in(g, node, LABELS, "en"),
        definition_fr=text_in(g, node, _DEFS, "fr"), definition_en=text_in(g, node, _DEFS, "en"),
        facts=tuple(facts), example=example,
    )


def _instances(g: Graph, cls: URIRef) -> list[URIRef]:
    return sorted({s for s in g.subjects(RDF.type, cls) if isinstance(s, URIRef)}, key=str)


def _concept_key(g: Graph, c: URIRef) -> tuple[str, str]:
    code = next(iter(g.objects(c, SKOS.notation)), None)
    text = str(code) if isinstance(code, Literal) else str(c)
    return (text.zfill(8) if text.isdigit() else text, str(c))


def diagram_classes(edges: list[Edge], schemes: set[str]) -> list[str]:
    """The classes the diagram shows (the sources and targets of its links, schemes aside)."""
    return sorted({i for e in edges for i in (e.source, e.target) if i not in schemes})


def example_classes(ontology: Graph, edges: list[Edge]) -> list[str]:
    """The classes that get an example: the own classes and those of the diagram."""
    schemes = {str(s) for s in ontology.subjects(RDF.type, SKOS.ConceptScheme)}
    own = {str(c) for c in _instances(ontology, OWL.Class) if str(c).startswith(CMQ_NS)}
    return sorted(own | set(diagram_classes(edges, schemes)))


def examples_query(classes: list[str]) -> str:
    """SPARQL CONSTRUCT giving, for each class, its smallest instance IRI and that instance's
    labels: what :func:`examples` reads (the server sends it to the engine)."""
    values = " ".join(URIRef(c).n3() for c in classes)
    labels = " ".join(p.n3() for p in LABELS)
    return (
        "CONSTRUCT { ?s a ?c . ?s ?lp ?label } WHERE {\n"
        "  { SELECT ?c (MIN(STR(?x)) AS ?first) WHERE {\n"
        f"      VALUES ?c {{ {values} }} ?x a ?c . FILTER(isIRI(?x)) }} GROUP BY ?c }}\n"
        "  BIND(IRI(?first) AS ?s)\n"
        f"  OPTIONAL {{ VALUES ?lp {{ {labels} }} ?s ?lp ?label }}\n"
        "}")


def examples(data: Graph, classes: list[str], r: Renderer) -> dict[str, Term]:
    """For each class, its instance with the smallest IRI in ``data``, as a linked term."""
    out: dict[str, Term] = {}
    for cls in classes:
        found = _instances(data, URIRef(cls))
        if found:
            lab = label_of(data, found[0])
            term = r.term(found[0])
            if lab is not None:
                term = Term(str(lab), term.iri, term.href, lab.language, None, term.compact,
                            term.local)
            out[cls] = term
    return out


def build_view(ontology: Graph, *, shapes: Graph | None = None, data: Graph | None = None,
               linker: Linker | None = None) -> OntologyView:
    """The documentation of ``ontology`` (classes, properties, schemes, links, alignments);
    ``shapes`` adds their links to the diagram, ``data`` gives each class an example."""
    linker = linker or AnchorLinker("")
    r = Renderer(ontology, linker, ONTOLOGY_IRI)
    ont = URIRef(ONTOLOGY_IRI)
    schemes = [s for s in _instances(ontology, SKOS.ConceptScheme) if str(s).startswith(CMQ_NS)]
    scheme_iris = {str(s) for s in schemes}
    edges = relations(ontology, shapes)
    classes = diagram_classes(edges, scheme_iris)
    ex = examples(data, example_classes(ontology, edges), r) if data is not None else {}

    def docs_of(cls: URIRef) -> tuple[TermDoc, ...]:
        return tuple(term_doc(ontology, n, r, ex.get(str(n))) for n in _instances(ontology, cls)
                     if str(n).startswith(CMQ_NS))

    scheme_docs = []
    for scheme in schemes:
        members = {c for c in ontology.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)}
        concepts = sorted(members, key=lambda c: _concept_key(ontology, c))
        scheme_docs.append(SchemeDoc(term_doc(ontology, scheme, r),
                                     tuple(term_doc(ontology, c, r) for c in concepts)))
    reused = tuple(term_doc(ontology, URIRef(c), r, ex.get(c)) for c in classes
                   if not c.startswith(CMQ_NS))

    def name(iri: str) -> str:
        return compact(iri) or iri

    def box_href(iri: str) -> str | None:
        return "#" + anchor(iri)

    lic = next(iter(ontology.objects(ont, DCTERMS.license)), None)
    version = ontology.value(ont, OWL.versionInfo)
    version_iri = ontology.value(ont, OWL.versionIRI)
    prefix = ontology.value(ont, VANN_PREFIX)
    return OntologyView(
        iri=ONTOLOGY_IRI,
        title_fr=text_in(ontology, ont, (DCTERMS.title, RDFS.label), "fr"),
        title_en=text_in(ontology, ont, (DCTERMS.title, RDFS.label), "en"),
        description_fr=text_in(ontology, ont, (DCTERMS.description, RDFS.comment), "fr"),
        description_en=text_in(ontology, ont, (DCTERMS.description, RDFS.comment), "en"),
        version=str(version) if version is not None else None,
        version_iri=str(version_iri) if version_iri is not None else None,
        prefix=str(prefix) if prefix is not None else None,
        license=r.term(lic) if lic is not None else None,
        classes=docs_of(OWL.Class),
        reused_classes=reused,
        object_properties=docs_of(OWL.ObjectProperty),
        datatype_properties=docs_of(OWL.DatatypeProperty),
        annotation_properties=docs_of(OWL.AnnotationProperty),
        individuals=docs_of(OWL.NamedIndividual),
        schemes=tuple(scheme_docs),
        links=tuple(Link(r.term(URIRef(e.source)), r.term(URIRef(e.prop)),
                         r.term(URIRef(e.target))) for e in edges),
        alignments=tuple(
            Alignment(r.term(s), r.term(p), r.term(o)) for p in MAPPINGS
            for s, o in sorted(ontology.subject_objects(p), key=lambda so: (str(so[0]), str(so[1])))
            if isinstance(s, URIRef)),
        diagram=Markup(svg(edges, name, box_href, scheme_iris)),
    )


def render_html(view: OntologyView, *, layout: str = FILE_LAYOUT, **context: Any) -> str:
    """The page of ``view`` in ``layout``: the standalone file's frame, or the server's
    ``base.html`` (then pass ``site``, ``root``, ``alternates`` and ``jsonld``)."""
    values: dict[str, Any] = {"alternates": [], "jsonld": None, "ontology_ns": CMQ_NS}
    values.update(context)
    if layout == FILE_LAYOUT:
        values.setdefault("css", Markup(stylesheet()))
    return environment().get_template("ontology.html").render(onto=view, layout=layout, **values)
