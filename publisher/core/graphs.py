"""rdflib graphs in and out: parse Turtle files into one graph, copy graphs into Oxigraph.

Contract: :func:`load_graph` parses Turtle files into one rdflib ``Graph`` (a parse error
propagates); :func:`store_from_graphs` is an in-memory Oxigraph store holding their union;
:func:`to_ox` converts one rdflib term.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
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
