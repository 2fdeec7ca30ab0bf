"""rdflib graphs in and out: parse Turtle files into one graph, copy graphs into Oxigraph.

Contract: :func:`load_graph` parses Turtle files into one rdflib ``Graph`` (a parse error
propagates); :func:`store_from_graphs` is an in-memory Oxigraph store holding their union;
:func:`to_ox` converts one rdflib term, :func:`from_ox` one pyoxigraph term back, and
:func:`graph_of` pyoxigraph triples into an rdflib graph (term by term, no re-parsing).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node


def load_graph(files: Iterable[Path]) -> Graph:
    """The union of Turtle files, parsed."""
    g = Graph()
    for f in files:
        g.parse(f, format="turtle")
    return g


def store_from_graphs(*graphs: Graph) -> ox.Store:
    """An in-memory Oxigraph store holding the union of rdflib graphs."""
    store = ox.Store()
    for g in graphs:
        store.bulk_extend(
            ox.Quad(to_ox(s), to_ox(p), to_ox(o))  # type: ignore[arg-type]
            for s, p, o in g
        )
    return store


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype or XSD.string))
    return ox.BlankNode(str(term))


def from_ox(term: object, plain_strings: bool = False) -> Node:
    """A pyoxigraph term as the rdflib term with the same value; ``plain_strings``: an
    ``xsd:string`` literal as a plain one (how pages show it). Raises ``TypeError`` for anything
    but an IRI, a blank node or a literal."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        plain = plain_strings and dt == str(XSD.string)
        return Literal(term.value, datatype=None if plain else URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"not an RDF term of a triple: {term!r}")


def graph_of(triples: Iterable[ox.Triple], plain_strings: bool = False) -> Graph:
    """pyoxigraph triples as an rdflib graph (see :func:`from_ox`)."""
    g = Graph()
    add = g.add
    for t in triples:
        add((from_ox(t.subject, plain_strings), from_ox(t.predicate, plain_strings),
             from_ox(t.object, plain_strings)))
    return g


def integer(g: Graph, node: Node, pred: URIRef) -> int | None:
    """The first object of ``node pred`` that reads as an integer (a literal), else ``None``."""
    for o in g.objects(node, pred):
        if isinstance(o, Literal):
            try:
                return int(str(o))
            except ValueError:
                continue
    return None
