"""How the classes relate: the links of the model, read from the ontology and the shapes, drawn as
an inline SVG (no script, no external resource) for the ontology documentation.

Links (:func:`relations`):

- own classes' ``rdfs:subClassOf`` (drawn with the label ``rdfs:subClassOf``);
- own properties with an ``rdfs:domain`` (or ``schema:domainIncludes``) and an ``rdfs:range``
  that are classes;
- every property shape of a node shape with ``sh:targetClass``: its ``sh:class``, or the
  ``sh:class`` of its ``sh:node`` (a concept of a list when that node shape requires
  ``skos:inScheme`` a scheme: the target is then the scheme), also inside ``sh:or``/``sh:and``.

The drawing (:func:`svg`) has one row group per source class: the class's box on the left, one
elbow arrow per link to the target's box on the right, the property written on the arrow. It is
laid out from text lengths only (monospace), so it is deterministic and needs no layout engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, SKOS, XSD
from rdflib.term import Node

from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI

DOMAIN_INCLUDES = URIRef("https://schema.org/domainIncludes")
_NOT_CLASSES = (str(XSD), str(RDFS.Literal), "http://www.w3.org/1999/02/22-rdf-syntax-ns#")


@dataclass(frozen=True, order=True)
class Edge:
    source: str  # class IRI
    prop: str  # property IRI
    target: str  # class IRI, or concept scheme IRI
    via: str  # "ontology" | "shapes"


def _is_class(node: Node) -> bool:
    return isinstance(node, URIRef) and not str(node).startswith(_NOT_CLASSES)


def _list(g: Graph, head: Node) -> list[Node]:
    return list(Collection(g, head))


def _targets(shapes: Graph, ps: Node, depth: int = 0) -> Iterator[str]:
    """Classes (or schemes) the values of a property shape must be."""
    for cls in shapes.objects(ps, SH["class"]):
        if _is_class(cls):
            yield str(cls)
    for node in shapes.objects(ps, SH.node):
        schemes = [str(v) for p in shapes.objects(node, SH.property)
                   if shapes.value(p, SH.path) == SKOS.inScheme
                   for v in shapes.objects(p, SH.hasValue)]
        if schemes:
            yield from schemes
        elif depth < 3:
            yield from _targets(shapes, node, depth + 1)
    if depth < 3:
        for op in (SH["or"], SH["and"], SH.xone):
            for head in shapes.objects(ps, op):
                for member in _list(shapes, head):
                    yield from _targets(shapes, member, depth + 1)


def relations(ontology: Graph, shapes: Graph | None = None) -> list[Edge]:
    """Every link between classes that the ontology and the shapes declare, sorted."""
    own = URIRef(ONTOLOGY_IRI)
    edges: set[Edge] = set()
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if (cls, RDFS.isDefinedBy, own) in ontology:
            for sup in ontology.objects(cls, RDFS.subClassOf):
                if _is_class(sup):
                    edges.add(Edge(str(cls), str(RDFS.subClassOf), str(sup), "ontology"))
    for prop in set(ontology.subjects(RDFS.isDefinedBy, own)):
        domains = [*ontology.objects(prop, RDFS.domain), *ontology.objects(prop, DOMAIN_INCLUDES)]
        for dom in domains:
            for rng in ontology.objects(prop, RDFS.range):
                if _is_class(dom) and _is_class(rng):
                    edges.add(Edge(str(dom), str(prop), str(rng), "ontology"))
    if shapes is not None:
        for shape, cls in shapes.subject_objects(SH.targetClass):
            if not _is_class(cls):
                continue
            for ps in shapes.objects(shape, SH.property):
                path = shapes.value(ps, SH.path)
                if isinstance(path, URIRef):
                    for target in _targets(shapes, ps):
                        edges.add(Edge(str(cls), str(path), target, "shapes"))
    # Where the shapes say what a property's values are, their targets replace the ontology's
    # broader range (cmq:sector → skos:Concept becomes cmq:sector → the cmq:secteur list); a link
    # both state is drawn once.
    by_shapes: dict[tuple[str, str], set[str]] = {}
    for e in edges:
        if e.via == "shapes":
            by_shapes.setdefault((e.source, e.prop), set()).add(e.target)
    kept = set()
    for e in edges:
        targets = by_shapes.get((e.source, e.prop))
        if e.via == "ontology" and targets is not None and e.target not in targets:
            continue
        if e.via == "shapes" and Edge(e.source, e.prop, e.target, "ontology") in edges:
            continue
        kept.add(e)
    return sorted(kept)


# ------------------------------------------------------------------ drawing

CHAR_W = 7.3  # px per character of 12 px monospace
BOX_H = 22
ROW_H = 30
GAP = 16
PAD = 8
ELBOW = 14

Name = Callable[[str], str]
Href = Callable[[str], str | None]


def _box(x: float, y: float, w: float, text: str, fill: str, href: str | None,
         title: str) -> str:
    rect = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BOX_H}" rx="4" '
            f'fill="{fill}" stroke="#5b5b8f"/>'
            f'<text x="{x + PAD:.1f}" y="{y + 15:.1f}">{escape(text)}</text>')
    body = f"<title>{escape(title)}</title>{rect}"
    if href:
        return f'<a href="{escape(href)}">{body}</a>'
    return f"<g>{body}</g>"


def _fill(iri: str, schemes: set[str]) -> str:
    if iri in schemes:
        return "#fff4e0"
    return "#e8ecfb" if iri.startswith(CMQ_NS) else "#f3f3f3"


def svg(edges: list[Edge], name: Name, href: Href, schemes: set[str] | None = None,
        title: str = "Relations entre les classes / how the classes relate") -> str:
    """The diagram of ``edges`` as an ``<svg>`` element (``name`` gives each box's text)."""
    schemes = schemes or set()
    groups: dict[str, list[Edge]] = {}
    for e in edges:
        groups.setdefault(e.source, []).append(e)
    order = sorted(groups, key=lambda s: (not s.startswith(CMQ_NS), name(s)))
    if not order:
        return ""
    w_src = max(len(name(s)) for s in order) * CHAR_W + 2 * PAD
    w_prop = max(len(name(e.prop)) for e in edges) * CHAR_W + 2 * ELBOW + 16
    w_tgt = max(len(name(e.target)) for e in edges) * CHAR_W + 2 * PAD
    x_src, x_tgt = 10.0, 10.0 + w_src + w_prop
    width = x_tgt + w_tgt + 10
    parts: list[str] = []
    y = 10.0
    for source in order:
        group = sorted(groups[source], key=lambda e: (name(e.prop), name(e.target)))
        height = len(group) * ROW_H - (ROW_H - BOX_H)
        y_src = y + (height - BOX_H) / 2
        parts.append(_box(x_src, y_src, w_src, name(source), _fill(source, schemes),
                          href(source), source))
        x0, y0 = x_src + w_src, y_src + BOX_H / 2
        xe = x0 + ELBOW
        for i, e in enumerate(group):
            yt = y + i * ROW_H + BOX_H / 2
            dash = ' stroke-dasharray="5 3"' if e.prop == str(RDFS.subClassOf) else ""
            parts.append(f'<path d="M{x0:.1f},{y0:.1f} H{xe:.1f} V{yt:.1f} H{x_tgt - 2:.1f}" '
                         f'fill="none" stroke="#5b5b8f"{dash} marker-end="url(#arrow)"/>')
            label = f'<text class="prop" x="{xe + 6:.1f}" y="{yt - 4:.1f}">{escape(name(e.prop))}'
            parts.append(label + f"<title>{escape(e.prop)}</title></text>")
            parts.append(_box(x_tgt, y + i * ROW_H, w_tgt, name(e.target),
                              _fill(e.target, schemes), href(e.target), e.target))
        y += height + GAP
    total_h = y - GAP + 10
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" role="img" '
            f'width="{width:.0f}" height="{total_h:.0f}" viewBox="0 0 {width:.0f} {total_h:.0f}" '
            f'font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">'
            f"<title>{escape(title)}</title>"
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            'fill="#5b5b8f"/></marker></defs>'
            '<style>text { fill: #1e1e1e; } text.prop { fill: #000091; font-size: 11px; }'
            "</style>")
    return head + "".join(parts) + "</svg>"
