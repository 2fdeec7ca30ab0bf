"""One SHACL constraint compiled to SPARQL (made by :mod:`publisher.validate.compiled`)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.term import Node


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT returning ?this (and ?value) for every violation.

    For incremental validation (:mod:`publisher.validate.locality`): ``target`` is the focus-node
    sub-query inside ``query`` (restricted to a few nodes by :func:`restrict`); ``radius`` is how
    many hops from the focus node the check reads subjects' triples (0 = only its own), computed
    for the SHACL Core constraints; ``sparql`` is the SPARQL text of a SHACL-SPARQL constraint,
    whose radius :mod:`publisher.validate.locality` works out from its triple patterns.
    """

    query: str
    shape: Node  # the property or node shape the result names as sh:sourceShape
    component: URIRef
    path: URIRef | None
    severity: URIRef
    messages: tuple[Literal, ...]
    target: str = ""
    radius: int | None = None
    sparql: str | None = None


def restrict(check: Check, focus: list[str]) -> str:
    """``check.query`` evaluated only for the focus nodes ``focus`` (IRIs)."""
    values = "VALUES ?this { " + " ".join(f"<{f}>" for f in focus) + " } "
    inner = check.target.replace("WHERE { ", "WHERE { " + values, 1)
    return check.query.replace(check.target, inner, 1)
