"""The VoID page's view model: the release's VoID graph (the one ``/.well-known/void`` serves) →
what a person reads (no HTTP, no store: rdflib graphs in, frozen dataclasses out).

Contract: :func:`void_view` describes the ``void:Dataset`` of the served version (else the biggest
one, :func:`publisher.server.landing.void_dataset`): its title, counts (triples, entities,
distinct subjects and objects, properties, classes), SPARQL endpoint, URI space, root and example
resources, vocabularies, dump files (links made local), class partitions (most entities first,
with the list page of the class when the site has one, :func:`class_lists`) and property
partitions (most triples first), its subsets (a national release: one per campus)
and the linksets of the graph (``void:Linkset``: link predicate, targets, triples). Labels of the
classes and properties come from ``context`` (the ontology's labels, fetched by the caller);
without one, the compact IRI (``schema:Place``) is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from publisher.core.graphs import integer
from publisher.core.namespaces import ALL_PREFIXES, PREFIXES, VOID
from publisher.html.render import DESCRIPTIONS, Linker, Term
from publisher.release.browse_index import KINDS
from publisher.release.model import ReleaseInfo
from publisher.server.graph_values import Href, Links, Text, fr_en, show_date
from publisher.server.landing import class_counts, partition_counts, void_dataset

_ONE_CLASS = re.compile(r"\?s a ([A-Za-z]+:[A-Za-z0-9_]+) \.")
#: The counts of a void:Dataset, in the order shown: (property, French, English).
COUNTS: tuple[tuple[str, str, str], ...] = (
    ("triples", "triplets", "triples"), ("entities", "entités", "entities"),
    ("distinctSubjects", "sujets distincts", "distinct subjects"),
    ("distinctObjects", "objets distincts", "distinct objects"),
    ("properties", "propriétés", "properties"), ("classes", "classes", "classes"),
)


@dataclass(frozen=True)
class Count:
    fr: str
    en: str
    value: int


@dataclass(frozen=True)
class Partition:
    term: Term
    count: int
    list_href: str | None = None  # the list page of exactly these records, if there is one


@dataclass(frozen=True)
class Vocabulary:
    prefix: str | None
    iri: str


@dataclass(frozen=True)
class Subset:
    """A ``void:subset`` or a ``void:Linkset`` (then with its link predicate and targets)."""

    iri: str
    href: str | None
    title: Text
    triples: int | None
    predicate: Term | None
    targets: tuple[Term, ...]


@dataclass(frozen=True)
class VoidPage:
    iri: str
    title: Text
    description: Text
    created: str | None
    licence: Term | None
    counts: tuple[Count, ...]
    endpoint: Href | None
    uri_space: str | None
    roots: tuple[Term, ...]
    examples: tuple[Term, ...]
    vocabularies: tuple[Vocabulary, ...]
    features: tuple[Term, ...]
    dumps: tuple[tuple[str, str], ...]
    classes: tuple[Partition, ...]
    properties: tuple[Partition, ...]
    subsets: tuple[Subset, ...]
    linksets: tuple[Subset, ...]


def class_lists(root: str) -> dict[str, str]:
    """Class IRI → its list page, for the kinds of records whose list holds exactly the class's
    instances (a pattern ``?s a prefix:Class .`` with no filter)."""
    out = {}
    for kind in KINDS:
        found = _ONE_CLASS.fullmatch(kind.pattern.strip())
        prefix, _, local = found.group(1).partition(":") if found else ("", "", "")
        if prefix in PREFIXES:
            out[PREFIXES[prefix] + local] = f"{root}{kind.name}/"
    return out


def property_counts(g: Graph, dataset: Node) -> list[tuple[URIRef, int]]:
    """``(property, triples)`` of the property partitions, most triples first."""
    return partition_counts(g, dataset, VOID.propertyPartition, VOID.property, VOID.triples)


def subset(links: Links, s: Node) -> Subset:
    g = links.graph
    targets = [*g.objects(s, VOID.subjectsTarget), *g.objects(s, VOID.objectsTarget),
               *g.objects(s, VOID.target)]
    pred = g.value(s, VOID.linkPredicate)
    return Subset(str(s), links.linker.href(str(s)), fr_en(g, s), integer(g, s, VOID.triples),
                  links.term(pred) if pred is not None else None,
                  tuple(links.term(t) for t in targets))


def vocabularies(g: Graph, d: Node) -> tuple[Vocabulary, ...]:
    names = {ns: prefix for prefix, ns in ALL_PREFIXES.items()}
    found = [Vocabulary(names.get(str(v)), str(v)) for v in g.objects(d, VOID.vocabulary)]
    return tuple(sorted(found, key=lambda v: (v.prefix is None, v.prefix or "", v.iri)))


def void_view(void: Graph, context: Graph, info: ReleaseInfo, linker: Linker,
              with_lists: bool = False) -> VoidPage | None:
    """The VoID page of ``info``'s version, or None when the graph has no ``void:Dataset``;
    ``with_lists``: the site has list pages (the release has its browse index)."""
    d = void_dataset(void, info)
    if d is None:
        return None
    labels = void + context
    links = Links(labels, linker, info.config.public_url, str(d))
    r = links.renderer
    counts = tuple(Count(fr, en, n) for name, fr, en in COUNTS
                   if (n := integer(void, d, VOID[name])) is not None)
    linksets = [s for s in void.subjects(RDF.type, VOID.Linkset)]
    lists = class_lists(linker.root) if with_lists else {}
    return VoidPage(
        iri=str(d), title=fr_en(void, d), description=fr_en(void, d, DESCRIPTIONS),
        created=show_date(void.value(d, DCTERMS.created)),
        licence=links.first(d, DCTERMS.license), counts=counts,
        endpoint=links.link(void.value(d, VOID.sparqlEndpoint)),
        uri_space=str(void.value(d, VOID.uriSpace) or "") or None,
        roots=links.terms(d, VOID.rootResource), examples=links.terms(d, VOID.exampleResource),
        vocabularies=vocabularies(void, d), features=links.terms(d, VOID.feature),
        dumps=tuple(sorted((str(u).rsplit("/", 1)[-1], links.url(u) or str(u))
                           for u in void.objects(d, VOID.dataDump))),
        classes=tuple(Partition(r.term(c), n, lists.get(str(c)))
                      for c, n in class_counts(void, d)),
        properties=tuple(Partition(r.term(p), n) for p, n in property_counts(void, d)),
        subsets=tuple(sorted((subset(links, s) for s in void.objects(d, VOID.subset)),
                             key=lambda s: s.title.fr.casefold())),
        linksets=tuple(subset(links, s) for s in sorted(linksets, key=str)),
    )


__all__ = ["Count", "Partition", "Subset", "Vocabulary", "VoidPage", "class_lists",
           "property_counts", "void_view"]
