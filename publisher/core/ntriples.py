"""Canonical N-Triples lines as plain strings: the fast representation of the campus graph.

At the national scale (1M triples) building rdflib terms and adding them to a ``Graph`` costs most
of the build (docs/decisions/0010-incremental-build.md). The conversion therefore writes each
triple directly as its canonical N-Triples line (the form of docs/decisions/0004: pyoxigraph's
escapes, lower-case language tags, ``xsd:string`` implicit); sorting the lines gives ``campus.nt``,
Oxigraph loads them in bulk, and the other dumps and VoID read them back with the few helpers here.
An rdflib ``Graph`` is only made when a caller asks for one (:func:`lines_to_graph`).

This is the one N-Triples writer: :func:`literal` for strings, :func:`nt_term` and
:func:`sorted_rows` for rdflib terms (an IRI that cannot be written raises ``ReleaseError``).
:func:`iri_problem` is the one IRI check, shared with the conversion (which reports a bad IRI at
its cell): the characters N-Triples cannot hold between ``<>``, then pyoxigraph's own IRI parser
(RFC 3987: scheme, host, percent-encoding…), the one that reads the dumps back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from publisher.core.errors import ReleaseError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_TYPE_NT = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

#: Characters that cannot appear in an IRI written between ``<>`` in N-Triples.
BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
# Canonical N-Triples escapes (as pyoxigraph writes them; RDF 1.2 canonical form).
_ECHAR = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"',
          0x5C: "\\\\"}
ESCAPES: dict[int, str] = {
    **{c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)},
    **_ECHAR,
}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_UNESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))')
_UNECHAR = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\",
            "'": "'"}


def iri_problem(iri: str) -> str | None:
    """Why ``iri`` cannot be written as an absolute IRI in N-Triples/Turtle, or None."""
    if BAD_IRI.search(iri):
        return "caractère interdit / forbidden character"
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        return str(exc)
    return None


def escape(lex: str) -> str:
    """The lexical form escaped for a canonical N-Triples string literal (without quotes)."""
    if not _NEEDS_ESCAPE.search(lex):
        return lex
    return lex.translate(ESCAPES)


def _unescape_one(m: re.Match[str]) -> str:
    if m.group(1) or m.group(2):
        return chr(int(m.group(1) or m.group(2), 16))
    return _UNECHAR.get(m.group(3), m.group(3))


def unescape(lex: str) -> str:
    """Inverse of :func:`escape` (also reads ``\\uXXXX``/``\\UXXXXXXXX`` written by others)."""
    return _UNESCAPE.sub(_unescape_one, lex) if "\\" in lex else lex


def literal(lex: str, *, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal term: ``"lex"``, ``"lex"@lang`` (lower-cased) or ``"lex"^^<datatype>``."""
    if lang:
        return f'"{escape(lex)}"@{lang.lower()}'
    if datatype is None or datatype in (XSD_STRING, RDF_LANGSTRING):
        return f'"{escape(lex)}"'
    return f'"{escape(lex)}"^^<{datatype}>'


def split(line: str) -> tuple[str, str, str]:
    """The subject, predicate and object terms of one line written by this module.

    Subjects and predicates are IRIs or blank node labels (no spaces), so the object is what
    remains once the final `` .`` is cut.
    """
    s, p, rest = line.split(" ", 2)
    return s, p, rest[:-3] if rest.endswith(" .\n") else rest.rstrip().removesuffix(" .")


def subject_of(line: str) -> str:
    """The subject term of a line (cheaper than :func:`split`)."""
    return line[: line.index(" ")]


def parse_literal(term: str) -> tuple[str, str | None, str | None]:
    """(lexical form, language, datatype IRI) of a literal term; datatype None = xsd:string."""
    end = term.rindex('"')
    lex = unescape(term[1:end])
    tail = term[end + 1:]
    if tail.startswith("@"):
        return lex, tail[1:], None
    if tail.startswith("^^<"):
        return lex, None, tail[3:-1]
    return lex, None, None


def to_rdflib(term: str) -> Node:
    """An rdflib term from its N-Triples form."""
    if term.startswith("<"):
        return URIRef(term[1:-1])
    if term.startswith("_:"):
        return BNode(term[2:])
    lex, lang, dt = parse_literal(term)
    if lang:
        return Literal(lex, lang=lang)
    return Literal(lex, datatype=URIRef(dt) if dt else None)


def lines_to_graph(lines: Iterable[str], graph: Graph | None = None) -> Graph:
    """An rdflib graph of N-Triples lines (for small graphs, tests and pyshacl)."""
    g = graph if graph is not None else Graph()
    cache: dict[str, Node] = {}
    add = g.add
    for line in lines:
        terms = []
        for t in split(line):
            hit = cache.get(t)
            if hit is None:
                hit = cache[t] = to_rdflib(t)
            terms.append(hit)
        add((terms[0], terms[1], terms[2]))
    return g


def dedupe_sorted(lines: list[str]) -> list[str]:
    """The distinct lines in code-point order (= UTF-8 byte order, ``LC_ALL=C sort``)."""
    return sorted(set(lines))


# ---------------------------------------------------------------- rdflib terms → lines

#: One triple of a dump: its N-Triples line (with the final newline) and its three terms.
Row = tuple[str, Node, Node, Node]

_BNODE_LABEL = re.compile(r"^[A-Za-z0-9_]+$")


def _iri(iri: str) -> str:
    problem = iri_problem(iri)
    if problem is not None:
        raise ReleaseError(f"IRI invalide, impossible à écrire / invalid IRI, cannot be written: "
                           f"{iri!r} ({problem})")
    return f"<{iri}>"


def nt_term(term: Node, *, bnodes: bool = False) -> str:
    """One term in canonical N-Triples syntax (blank nodes only when ``bnodes`` is true)."""
    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, Literal):
        lex = f'"{escape(str(term))}"'
        if term.language:
            return f"{lex}@{term.language.lower()}"
        dt = term.datatype
        if dt is None or str(dt) in (XSD_STRING, RDF_LANGSTRING):
            return lex
        return f"{lex}^^{_iri(str(dt))}"
    if isinstance(term, BNode) and bnodes:
        label = str(term)
        if not _BNODE_LABEL.match(label):
            label = "b" + hashlib.sha1(label.encode("utf-8")).hexdigest()[:20]
        return f"_:{label}"
    raise ReleaseError(
        f"nœud anonyme ou terme inattendu dans le graphe / blank node or unexpected term in the "
        f"graph: {term!r} (la conversion doit nommer chaque ressource / the mapping must mint IRIs)"
    )


def sorted_rows(graph: Graph, *, bnodes: bool = False) -> list[Row]:
    """The graph's triples with their N-Triples lines, sorted by line (code-point order)."""
    bad = iri_problem
    rows: list[Row] = []
    append = rows.append
    for s, p, o in graph:
        if type(s) is not URIRef or bad(s):
            s_nt = nt_term(s, bnodes=bnodes)
        else:
            s_nt = f"<{s}>"
        p_nt = nt_term(p) if type(p) is not URIRef or bad(p) else f"<{p}>"
        if type(o) is URIRef and not bad(o):
            o_nt = f"<{o}>"
        else:
            o_nt = nt_term(o, bnodes=bnodes)
        append((f"{s_nt} {p_nt} {o_nt} .\n", s, p, o))
    rows.sort(key=lambda r: r[0])
    return rows


def nt_bytes(rows: Iterable[Row]) -> bytes:
    """The N-Triples document of sorted rows (UTF-8)."""
    return "".join(r[0] for r in rows).encode("utf-8")
