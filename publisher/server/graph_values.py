"""Values of an rdflib graph as the catalogue and VoID pages show them: texts in French with the
English beside, dates, integers, links made local, terms with labels.

Contract: pure functions over a graph (no HTTP, no store). :class:`Links` turns the URLs of this
server's files (``{public_url}x``) into links of the site (``{root}x``), so that they work
wherever the site is reached, and builds :class:`publisher.html.render.Term` s (labels from the
graph, the campus's IRIs linked to their pages).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from publisher.html.render import LABELS, Linker, Renderer, Term, pick_literal, text_in


@dataclass(frozen=True)
class Href:
    """A link: where it goes on this site, and the URL as the catalogue publishes it."""

    href: str
    text: str


class Links:
    """Makes this server's URLs local and builds :class:`Term` s of one graph."""

    def __init__(self, graph: Graph, linker: Linker, public_url: str, page: str) -> None:
        self.graph, self.linker, self.public_url = graph, linker, public_url
        self.renderer = Renderer(graph, linker, page)

    def url(self, node: Node | None) -> str | None:
        """A URL of the graph as a link of this site (``{public_url}x`` → ``{root}x``)."""
        if node is None:
            return None
        text = str(node)
        if text.startswith(self.public_url):
            return self.linker.root + text[len(self.public_url):]
        return text

    def link(self, node: Node | None) -> Href | None:
        """The link to a URL of the graph (local) with the URL as published for its text."""
        href = self.url(node)
        return Href(href, str(node)) if href is not None else None

    def term(self, node: Node) -> Term:
        """The node as :class:`Term`; a link to one of this server's files is made local."""
        t = self.renderer.term(node)
        if t.href is not None and t.href.startswith(self.public_url):
            return replace(t, href=self.url(URIRef(t.href)), local=True)
        return t

    def terms(self, s: Node, p: URIRef) -> tuple[Term, ...]:
        return tuple(sorted((self.term(o) for o in self.graph.objects(s, p)),
                            key=lambda t: t.text.casefold()))

    def first(self, s: Node, p: URIRef) -> Term | None:
        found = self.terms(s, p)
        return found[0] if found else None


@dataclass(frozen=True)
class Text:
    """A text in French with its English beside (``en`` empty when absent or the same)."""

    fr: str
    en: str = ""


def fr_en(g: Graph, node: Node, predicates: tuple[URIRef, ...] = LABELS) -> Text:
    fr = pick_literal(g, node, predicates, ("fr",))  # else untagged, else any language
    fr_text = str(fr) if fr is not None else ""
    en_text = text_in(g, node, predicates, "en") or ""
    return Text(fr_text or en_text, en_text if en_text != fr_text else "")


def show_date(value: Node | None) -> str | None:
    """``2026-12-03`` for a date, ``2026-12-03 18:32 UTC`` for a date-time, else the text."""
    if not isinstance(value, Literal):
        return None
    py = value.toPython()
    if isinstance(py, datetime):
        if py.utcoffset() is None:
            return py.strftime("%Y-%m-%d %H:%M")
        return py.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(py, date):
        return py.isoformat()
    return str(value)


__all__ = ["Href", "Links", "Text", "fr_en", "show_date"]
