"""The ontology's overview page (``/ontology``): classes, properties and concept schemes with
their labels and definitions in French and English, in the style of the W3C "Best Practice
Recipes for Publishing RDF Vocabularies" (one page for the vocabulary, each term dereferenceable
at its own IRI, RDF by content negotiation).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from publisher.namespaces import CMQ_NS, ONTOLOGY_IRI
from publisher.server.render import LABELS, Linker, Renderer, Term, pick_literal

VANN_PREFIX = URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix")

#: Facts shown under a term: (predicate, French caption / English caption).
_FACTS: tuple[tuple[URIRef, str], ...] = (
    (RDFS.subClassOf, "sous-classe de / subclass of"),
    (RDFS.subPropertyOf, "sous-propriété de / subproperty of"),
    (RDFS.domain, "domaine / domain"),
    (RDFS.range, "portée / range"),
    (SKOS.notation, "code / notation"),
    (SKOS.broader, "plus large / broader"),
    (SKOS.exactMatch, "équivalent / exact match"),
    (SKOS.closeMatch, "proche / close match"),
)


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

    @property
    def anchor(self) -> str:
        return self.compact.replace(":", "-").replace("/", "-")


@dataclass(frozen=True)
class SchemeDoc:
    scheme: TermDoc
    concepts: tuple[TermDoc, ...]


@dataclass(frozen=True)
class OntologyView:
    iri: str
    title_fr: str | None
    title_en: str | None
    description_fr: str | None
    description_en: str | None
    version: str | None
    prefix: str | None
    license: Term | None
    classes: tuple[TermDoc, ...]
    object_properties: tuple[TermDoc, ...]
    datatype_properties: tuple[TermDoc, ...]
    schemes: tuple[SchemeDoc, ...]

    @property
    def title(self) -> str:
        return self.title_fr or self.title_en or self.iri

    @property
    def term_count(self) -> int:
        return (len(self.classes) + len(self.object_properties) + len(self.datatype_properties)
                + sum(1 + len(s.concepts) for s in self.schemes))


def _lang(g: Graph, node: Node, preds: tuple[URIRef, ...], lang: str) -> str | None:
    lit = pick_literal(g, node, preds, (lang,))
    if lit is None or (lit.language or "").lower().split("-")[0] != lang:
        return None
    return str(lit)


def _compact(iri: str) -> str:
    return "cmq:" + iri[len(CMQ_NS):] if iri.startswith(CMQ_NS) else iri


def term_doc(g: Graph, node: URIRef, r: Renderer) -> TermDoc:
    defs = (SKOS.definition, RDFS.comment, DCTERMS.description)
    facts = []
    for pred, caption in _FACTS:
        values = sorted((r.term(o) for o in g.objects(node, pred)), key=lambda t: t.text)
        if values:
            facts.append((caption, tuple(values)))
    iri = str(node)
    return TermDoc(
        iri=iri, href=r.linker.href(iri), compact=_compact(iri),
        label_fr=_lang(g, node, LABELS, "fr"), label_en=_lang(g, node, LABELS, "en"),
        definition_fr=_lang(g, node, defs, "fr"), definition_en=_lang(g, node, defs, "en"),
        facts=tuple(facts),
    )


def _instances(g: Graph, cls: URIRef) -> list[URIRef]:
    return sorted({s for s in g.subjects(RDF.type, cls) if isinstance(s, URIRef)}, key=str)


def _concept_key(g: Graph, c: URIRef) -> tuple[str, str]:
    code = next(iter(g.objects(c, SKOS.notation)), None)
    text = str(code) if isinstance(code, Literal) else str(c)
    return (text.zfill(8) if text.isdigit() else text, str(c))


def render_ontology(g: Graph, linker: Linker) -> OntologyView:
    """The overview of the ontology graph ``g`` (ontology header, terms, schemes, concepts)."""
    r = Renderer(g, linker, ONTOLOGY_IRI)
    ont = URIRef(ONTOLOGY_IRI)
    docs = (DCTERMS.description, RDFS.comment)
    titles = (DCTERMS.title, RDFS.label)
    lic = next(iter(g.objects(ont, DCTERMS.license)), None)
    version = next(iter(g.objects(ont, OWL.versionInfo)), None)
    prefix = next(iter(g.objects(ont, VANN_PREFIX)), None)

    def docs_of(cls: URIRef) -> tuple[TermDoc, ...]:
        return tuple(term_doc(g, n, r) for n in _instances(g, cls) if str(n).startswith(CMQ_NS))

    schemes = []
    for scheme in _instances(g, SKOS.ConceptScheme):
        if not str(scheme).startswith(CMQ_NS):
            continue
        members = {c for c in g.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)}
        concepts = sorted(members, key=lambda c: _concept_key(g, c))
        schemes.append(SchemeDoc(term_doc(g, scheme, r),
                                 tuple(term_doc(g, c, r) for c in concepts)))
    return OntologyView(
        iri=ONTOLOGY_IRI,
        title_fr=_lang(g, ont, titles, "fr"), title_en=_lang(g, ont, titles, "en"),
        description_fr=_lang(g, ont, docs, "fr"), description_en=_lang(g, ont, docs, "en"),
        version=str(version) if version is not None else None,
        prefix=str(prefix) if prefix is not None else None,
        license=r.term(lic) if lic is not None else None,
        classes=docs_of(OWL.Class),
        object_properties=docs_of(OWL.ObjectProperty),
        datatype_properties=docs_of(OWL.DatatypeProperty),
        schemes=tuple(schemes),
    )
