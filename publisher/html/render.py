"""A resource's triples → the view model of its HTML page (no HTTP, no store: plain graphs in).

The page of an IRI shows its document (the triples whose subject is the IRI, its hash
sub-resources ``#adresse`` … and blank nodes), the links that point to it, and the labels of
everything it mentions, all fetched by :mod:`publisher.server.describe` through the SPARQL engine.

Labels: French first, then English, then untagged, from ``skos:prefLabel``, ``rdfs:label``,
``schema:name``, ``dct:title`` (then ``foaf:name``, ``vcard:fn``); else the compact IRI
(``schema:provider``). IRIs under the campus's base IRI or the ontology namespace become links on
this server (:class:`Linker`); other ``http(s)``, ``mailto:`` and ``tel:`` IRIs stay as they are;
any other scheme is shown without a link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS
from rdflib.term import Node

from publisher.core.namespaces import ALL_PREFIXES, CMQ, CMQ_NS, ONTOLOGY_IRI, SCHEMA, VCARD
from publisher.html.property_labels import property_label
from publisher.html.titles import derived_title, membership_title

LABELS: tuple[URIRef, ...] = (SKOS.prefLabel, RDFS.label, SCHEMA.name, DCTERMS.title)
EXTRA_LABELS: tuple[URIRef, ...] = (FOAF.name, VCARD.fn)
DESCRIPTIONS: tuple[URIRef, ...] = (
    DCTERMS.description, SKOS.definition, RDFS.comment, SCHEMA.description,
)
LANGS: tuple[str, ...] = ("fr", "en")
#: Coded literals and the concept scheme whose ``skos:notation`` gives their label
#: (ontology/nomenclatures.ttl): « 225 » → « 225 — Plasturgie, matériaux composites ».
CODE_SCHEMES: dict[URIRef, str] = {
    CMQ.nsf: CMQ_NS + "specialite-nsf",
    CMQ.rome: CMQ_NS + "metier-rome",
}
_LINKED_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_COMPACT: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ALL_PREFIXES.items(), key=lambda kv: len(kv[1]), reverse=True
    )
)


def compact(iri: str) -> str | None:
    """``prefix:local`` for an IRI in one of the project's namespaces, else ``None``."""
    for prefix, ns in _COMPACT:
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            if all(c.isalnum() or c in "-_." for c in local):
                return f"{prefix}:{local}"
    return None


def _lang_rank(lit: Literal, langs: tuple[str, ...]) -> int:
    tag = (lit.language or "").lower()
    for i, lang in enumerate(langs):
        if tag == lang or tag.startswith(lang + "-"):
            return i
    return len(langs) if not tag else len(langs) + 1


def pick_literal(
    g: Graph, node: Node, predicates: Iterable[URIRef], langs: tuple[str, ...] = LANGS
) -> Literal | None:
    """The literal of ``node`` for the first language of ``langs`` found under any predicate,
    predicates in order; then an untagged one; then any other language. Ties: smallest text."""
    best: tuple[int, int, str] | None = None
    found: Literal | None = None
    for p_rank, pred in enumerate(predicates):
        for obj in g.objects(node, pred):
            if not isinstance(obj, Literal):
                continue
            key = (_lang_rank(obj, langs), p_rank, str(obj))
            if best is None or key < best:
                best, found = key, obj
    return found


def text_in(g: Graph, node: Node, predicates: Iterable[URIRef], lang: str) -> str | None:
    """The text of ``node`` in language ``lang`` (``en`` also takes ``en-GB``), or ``None``:
    no fallback to another language, as :func:`pick_literal` would give."""
    lit = pick_literal(g, node, predicates, (lang,))
    if lit is None or (lit.language or "").lower().split("-")[0] != lang:
        return None
    return str(lit)


def label_of(g: Graph, node: Node) -> Literal | None:
    return pick_literal(g, node, LABELS) or pick_literal(g, node, EXTRA_LABELS)


@dataclass(frozen=True)
class Linker:
    """Maps the IRIs this server answers for to local paths, and back.

    ``{base}kind/id`` ↔ ``/kind/id``; ``https://w3id.org/cmq/ontology/x`` ↔ ``/ontology/x``;
    the ontology itself ↔ ``/ontology``. ``root`` is the path the app is mounted at.
    """

    base_iri: str
    root: str = "/"

    def prefixes(self) -> list[tuple[str, str]]:
        """(IRI prefix, local path prefix) pairs, the longest IRI first: the ontology and its
        terms, and the campus's records, have pages on this server."""
        pairs = [(ONTOLOGY_IRI, self.root + "ontology"), (CMQ_NS, self.root + "ontology/"),
                 (self.base_iri, self.root)]
        return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)

    def local_path(self, iri: str) -> str | None:
        """The path on this server of the document of ``iri`` (fragment dropped), or ``None``."""
        doc = iri.split("#", 1)[0]
        if doc == ONTOLOGY_IRI:
            return self.root + "ontology"
        for iri_prefix, path in self.prefixes():
            if iri_prefix != ONTOLOGY_IRI and doc.startswith(iri_prefix):
                return path + doc[len(iri_prefix):]
        return None

    def href(self, iri: str, page: str | None = None) -> str | None:
        """Where a link to ``iri`` goes from the page of ``page``: ``#part`` on the same page,
        a local path, the IRI itself for external web/mail/phone IRIs, else ``None``."""
        doc, _, frag = iri.partition("#")
        if page is not None and frag and doc == page.split("#", 1)[0]:
            return "#" + frag
        path = self.local_path(iri)
        if path is not None:
            return path + ("#" + frag if frag else "")
        if iri.lower().startswith(_LINKED_SCHEMES):
            return iri
        return None

    def iri_for_path(self, path: str) -> str:
        """The IRI a request path stands for (``path`` without the root, no leading slash)."""
        if path == "ontology":
            return ONTOLOGY_IRI
        if path.startswith("ontology/"):
            return CMQ_NS + path[len("ontology/"):]
        return self.base_iri + path


@dataclass(frozen=True)
class Term:
    """One node as shown: a label or lexical form, and where it links to."""

    text: str
    iri: str | None = None
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None
    compact: str | None = None
    local: bool = False


@dataclass(frozen=True)
class PropertyRow:
    predicate: Term
    values: tuple[Term, ...]


@dataclass(frozen=True)
class Section:
    """The resource, or one of its hash sub-resources (``anchor`` = its fragment)."""

    iri: str
    anchor: str | None
    label: str
    lang: str | None
    types: tuple[Term, ...]
    rows: tuple[PropertyRow, ...]


@dataclass(frozen=True)
class ResourceData:
    """What the engine returned for one IRI (see :mod:`publisher.server.describe`)."""

    iri: str
    document: Graph
    incoming: Graph
    context: Graph
    incoming_truncated: bool = False


@dataclass(frozen=True)
class ResourceView:
    iri: str
    main: Section
    parts: tuple[Section, ...]
    incoming: tuple[PropertyRow, ...]
    incoming_truncated: bool
    description: str | None
    description_lang: str | None
    illustrative: bool
    in_ontology: bool

    @property
    def title(self) -> str:
        return self.main.label


class Renderer:
    """Builds :class:`Term` s and rows against one graph of labels and one page."""

    def __init__(self, labels: Graph, linker: Linker, page: str) -> None:
        self.labels, self.linker, self.page = labels, linker, page

    def fallback(self, iri: str) -> str:
        doc, _, frag = iri.partition("#")
        if frag and doc == self.page:
            return "#" + frag
        short = compact(iri)
        if short:
            return short
        path = self.linker.local_path(iri)
        if path is not None and path != self.linker.root:
            return path.removeprefix(self.linker.root) + ("#" + frag if frag else "")
        return iri

    def text_of(self, node: Node) -> str | None:
        """The label of ``node`` in the page's graphs, or the title its links give it (a
        membership: member — organisation — role)."""
        lab = label_of(self.labels, node)
        if lab is not None:
            return str(lab)
        return membership_title(self.labels, node, self.text_of) if isinstance(node, URIRef) else None

    def term(self, node: Node) -> Term:
        if isinstance(node, Literal):
            dt = node.datatype
            shown = None if dt is None or dt == XSD.string else (compact(str(dt)) or str(dt))
            return Term(str(node), lang=node.language or None, datatype=shown)
        lab = label_of(self.labels, node)
        if isinstance(node, BNode):
            return Term(str(lab) if lab is not None else "[ ]", lang=lab.language if lab else None)
        iri = str(node)
        href = self.linker.href(iri, self.page)
        local = href is not None and not href.lower().startswith(_LINKED_SCHEMES)
        known = property_label(iri) if lab is None else None  # reused properties, in French
        titled = membership_title(self.labels, node, self.text_of) if lab is None else None
        text = str(lab) if lab is not None else known or titled or self.fallback(iri)
        lang = lab.language if lab is not None else ("fr" if known or titled else None)
        return Term(text, iri=iri, href=href, lang=lang, compact=compact(iri), local=local)

    def code(self, pred: Node, node: Node) -> Term:
        """A coded literal (:data:`CODE_SCHEMES`) with its label, linked to its concept, when the
        labels graph has the concept; else the plain term."""
        scheme = CODE_SCHEMES.get(pred) if isinstance(pred, URIRef) else None
        if scheme is None or not isinstance(node, Literal):
            return self.term(node)
        for concept in sorted(self.labels.subjects(SKOS.notation, Literal(str(node))), key=str):
            if (concept, SKOS.inScheme, URIRef(scheme)) in self.labels:
                found = self.term(concept)
                lab = label_of(self.labels, concept)
                text = f"{node} — {lab}" if lab is not None else str(node)
                return Term(text, iri=found.iri, href=found.href, lang=found.lang,
                            compact=found.compact, local=found.local)
        return self.term(node)

    def rows(self, triples: Iterable[tuple[Node, Node]], skip_types: bool) -> tuple[PropertyRow, ...]:
        grouped: dict[Node, list[Node]] = {}
        for pred, obj in triples:
            if skip_types and pred == RDF.type:
                continue
            grouped.setdefault(pred, []).append(obj)
        out = []
        for pred, objs in grouped.items():
            values = sorted({self.code(pred, o) for o in objs}, key=_value_key)
            out.append(PropertyRow(self.term(pred), tuple(values)))
        return tuple(sorted(out, key=self._row_key))

    @staticmethod
    def _row_key(row: PropertyRow) -> tuple[int, str]:
        iri = URIRef(row.predicate.iri or "")
        if iri in LABELS:
            return (0, str(LABELS.index(iri)))
        if iri in DESCRIPTIONS:
            return (1, str(DESCRIPTIONS.index(iri)))
        return (2, row.predicate.text.casefold())

    def section(self, g: Graph, subject: URIRef, anchor: str | None) -> Section:
        lab = label_of(self.labels, subject)
        types = sorted({self.term(t) for t in g.objects(subject, RDF.type)}, key=lambda t: t.text)
        rows = self.rows(g.predicate_objects(subject), skip_types=True)
        titled = None
        if lab is None and anchor is None:  # a record without a label: what it links to
            kind = types[0].text if types else None
            titled = derived_title(self.labels, subject, self.text_of, kind)
        text = str(lab) if lab is not None else titled or self.fallback(str(subject))
        lang = lab.language if lab is not None else ("fr" if titled else None)
        return Section(str(subject), anchor, text, lang, tuple(types), rows)


def render_resource(data: ResourceData, linker: Linker,
                    labels: Graph | None = None) -> ResourceView | None:
    """The view model of one resource's page, or ``None`` when its document is empty.
    ``labels``: the graph the names come from when the caller has merged more than the document,
    context and incoming links (default: those three)."""
    subject = URIRef(data.iri)
    doc = data.document
    if (subject, None, None) not in doc:
        return None
    everything = labels if labels is not None else doc + data.context + data.incoming
    r = Renderer(everything, linker, data.iri)
    main = r.section(doc, subject, None)
    parts = []
    prefix = data.iri + "#"
    for s in sorted({s for s in doc.subjects() if isinstance(s, URIRef)}, key=str):
        if str(s).startswith(prefix):
            parts.append(_named_part(r, doc, subject, r.section(doc, s, str(s)[len(prefix):])))
    incoming = r.rows(
        ((p, s) for s, p, _ in data.incoming if not _in_document(str(s), data.iri)),
        skip_types=False,
    )
    desc = pick_literal(doc, subject, DESCRIPTIONS)
    illustrative = any(
        isinstance(o, Literal) and o.toPython() is True for o in doc.objects(subject, CMQ.illustrative)
    )
    return ResourceView(
        iri=data.iri, main=main, parts=tuple(parts), incoming=incoming,
        incoming_truncated=data.incoming_truncated,
        description=str(desc) if desc is not None else None,
        description_lang=desc.language if desc is not None else None,
        illustrative=illustrative,
        in_ontology=data.iri.startswith(CMQ_NS) or data.iri == ONTOLOGY_IRI,
    )


def _named_part(r: Renderer, doc: Graph, subject: URIRef, part: Section) -> Section:
    """A part without a label of its own is named by the property that links the record to it
    (``#adresse`` → « adresse », ``#periode`` → « période d'adhésion »)."""
    if part.label != "#" + (part.anchor or ""):
        return part
    for pred in sorted(doc.predicates(subject, URIRef(part.iri)), key=str):
        known = r.term(pred)
        if known.lang is not None:
            return replace(part, label=known.text, lang=known.lang)
    return part


def _value_key(t: Term) -> tuple[int, str, str]:
    tag = (t.lang or "").lower()
    rank = next((i for i, lang in enumerate(LANGS) if tag.split("-")[0] == lang), len(LANGS))
    return (rank, t.text.casefold(), t.iri or "")


def _in_document(iri: str, doc: str) -> bool:
    return iri == doc or iri.startswith(doc + "#")


def mentioned_iris(graphs: Iterable[Graph]) -> set[URIRef]:
    """Every IRI of the graphs (subjects, predicates, objects): what needs a label."""
    out: set[URIRef] = set()
    for g in graphs:
        for triple in g:
            out.update(t for t in triple if isinstance(t, URIRef))
    return out
