"""The SPARQL lookups behind the linked-data pages, run through the query engine.

Every page is built from CONSTRUCT queries sent to the engine (``accept`` = N-Triples), never from
the store directly, so the same code works against a remote SPARQL store:

- :func:`document_query` — the *document* of an IRI: its triples, plus those of its hash
  sub-resources (``{iri}#adresse`` …) and blank nodes it links to. This is what the RDF
  representations of the IRI contain, and what decides 404 (empty document);
- :func:`incoming_query` — the links that point to the IRI (capped);
- :func:`context_query` — labels and types of everything the page mentions, with the level,
  category and codes of linked credentials, the member, organisation and role of memberships,
  and the labels of those (for the page, its titles and its schema.org);
- :func:`ontology` — the whole ontology (its named graph, else the subjects under the ontology
  namespace);
- :func:`void_query` — the VoID description (landing page counts);
- :func:`is_ontology_version` — whether an IRI is a version IRI of the ontology (its page is the
  ontology's).

IRIs are checked before they enter a query (:func:`sparql_iri`): anything a SPARQL ``IRIREF``
cannot hold is refused, so a request path can never change a query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize
from rdflib import Graph, URIRef

from publisher.core.graphs import graph_of
from publisher.core.namespaces import ALL_PREFIXES, CMQ_NS, ONTOLOGY_IRI, SPARQL_PREFIXES
from publisher.html.render import LABELS, ResourceData, mentioned_iris

N_TRIPLES = RdfFormat.N_TRIPLES.media_type
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: Links to a resource listed on its page at most (the rest: through SPARQL).
INCOMING_LIMIT = 200
#: IRIs whose labels are fetched in one query at most.
CONTEXT_LIMIT = 2000

_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
#: What the context query fetches of every mentioned IRI besides its labels: types, a
#: credential's level, kind and codes, a membership's member, organisation and role (its title).
_SUMMARY = ("rdf:type", "schema:educationalLevel", "schema:credentialCategory",
            "skos:inScheme", "skos:notation", "cmq:rncp", "cmq:cfd", "cmq:nsf", "cmq:rome",
            "org:member", "org:organization", "org:role")


class Answer(Protocol):
    """What the pages read from :class:`publisher.sparql.QueryResult`."""

    @property
    def body(self) -> bytes: ...

    @property
    def truncated(self) -> bool: ...


class Engine(Protocol):
    """What the pages need from :class:`publisher.sparql.QueryEngine` (or a remote store)."""

    async def arun(self, query: str, *, accept: str | None = None) -> Answer: ...


class InvalidIri(ValueError):
    """A string that cannot be written as a SPARQL IRI reference."""


def sparql_iri(iri: str) -> str:
    """``<iri>`` for a query; :class:`InvalidIri` for characters an ``IRIREF`` cannot hold."""
    if not iri or _BAD_IRI.search(iri) or ":" not in iri:
        raise InvalidIri(iri)
    return f"<{iri}>"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def document_query(iri: str) -> str:
    ref, prefix = sparql_iri(iri), _string(iri + "#")
    return (
        "CONSTRUCT { ?s ?p ?o } WHERE {\n"
        f"  {{ {ref} ?p ?o . BIND({ref} AS ?s) }}\n"
        "  UNION\n"
        f"  {{ {ref} ?link ?s . FILTER(isBlank(?s) || STRSTARTS(STR(?s), {prefix})) ?s ?p ?o }}\n"
        "}"
    )


def incoming_query(iri: str, limit: int = INCOMING_LIMIT) -> str:
    ref = sparql_iri(iri)
    return f"CONSTRUCT {{ ?s ?p {ref} }} WHERE {{ ?s ?p {ref} }} LIMIT {int(limit)}"


def context_query(iris: Iterable[str]) -> str:
    values = " ".join(sorted(sparql_iri(i) for i in iris))
    labels = " ".join(f"<{p}>" for p in LABELS)
    summary = " ".join(_SUMMARY)
    return (
        f"{SPARQL_PREFIXES}"
        "CONSTRUCT { ?r ?lp ?l . ?r ?sp ?v . ?v ?vp ?vl } WHERE {\n"
        f"  VALUES ?r {{ {values} }}\n"
        f"  {{ VALUES ?lp {{ {labels} }} ?r ?lp ?l }}\n"
        "  UNION\n"
        f"  {{ VALUES ?sp {{ {summary} }} ?r ?sp ?v .\n"
        f"    OPTIONAL {{ VALUES ?vp {{ {labels} skos:notation }} ?v ?vp ?vl }} }}\n"
        "}"
    )


def ontology_graph_query(graph: str) -> str:
    """The ontology as loaded: the named graph ``{base}graph/ontology`` (decision 0002)."""
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {sparql_iri(graph)} {{ ?s ?p ?o }} }}"


def ontology_query() -> str:
    """The ontology in a store without that graph: every subject in the ontology namespace (and
    the ontology IRI), with the blank nodes they link to."""
    ont, ns = sparql_iri(ONTOLOGY_IRI), _string(CMQ_NS)
    inside = f"(?x = {ont} || STRSTARTS(STR(?x), {ns}))"
    return (
        "CONSTRUCT { ?x ?p ?o } WHERE {\n"
        f"  {{ ?x ?p ?o FILTER{inside} }}\n"
        "  UNION\n"
        f"  {{ ?y ?q ?x FILTER(isBlank(?x) && {inside.replace('?x', '?y')}) ?x ?p ?o }}\n"
        "}"
    )


async def ontology(engine: Engine, graph: str) -> Triples:
    """The whole ontology: its named graph, else the namespace's subjects."""
    found = await construct(engine, ontology_graph_query(graph))
    return found if found.triples else await construct(engine, ontology_query())


def version_query(iri: str) -> str:
    """ASK: is ``iri`` a version IRI of the ontology (``owl:versionIRI`` or ``owl:priorVersion``)?"""
    return (f"ASK {{ {sparql_iri(ONTOLOGY_IRI)} <http://www.w3.org/2002/07/owl#versionIRI>|"
            f"<http://www.w3.org/2002/07/owl#priorVersion> {sparql_iri(iri)} }}")


async def is_ontology_version(engine: Engine, iri: str) -> bool:
    """Whether ``iri`` names a version of the ontology (its document is the ontology's)."""
    result = await engine.arun(version_query(iri), accept="application/sparql-results+json")
    return json.loads(result.body).get("boolean") is True


def void_query() -> str:
    return (
        f"{SPARQL_PREFIXES}"
        "CONSTRUCT { ?x ?p ?o } WHERE {\n"
        "  { ?x a void:Dataset ; ?p ?o }\n"
        "  UNION\n"
        "  { ?d a void:Dataset ; void:classPartition ?x . ?x ?p ?o }\n"
        "}"
    )


@dataclass(frozen=True)
class Triples:
    """The answer of one CONSTRUCT: pyoxigraph triples, and whether the engine cut it short."""

    triples: list[Triple]
    truncated: bool

    def graph(self) -> Graph:
        """The same triples as an rdflib graph (for rendering), term by term (no re-parsing)."""
        return graph_of(self.triples, plain_strings=True)

    def prefixes(self) -> dict[str, str]:
        """The project's prefixes that some IRI of the triples uses."""
        iris: set[str] = set()
        for t in self.triples:
            for term in (t.subject, t.predicate, t.object):
                if isinstance(term, NamedNode):
                    iris.add(term.value)
                elif (isinstance(term, Literal) and term.language is None
                      and term.datatype.value != _XSD_STRING):
                    iris.add(term.datatype.value)
        return {p: ns for p, ns in ALL_PREFIXES.items() if any(i.startswith(ns) for i in iris)}

    def serialize(self, fmt: RdfFormat) -> bytes:
        """The triples in ``fmt`` (pyoxigraph's serializers), with the prefixes they use."""
        return serialize(self.triples, format=fmt, prefixes=self.prefixes()) or b""


async def construct(engine: Engine, query: str) -> Triples:
    """Run a CONSTRUCT through the engine and parse its N-Triples answer."""
    result = await engine.arun(query, accept=N_TRIPLES)
    triples = [q.triple for q in parse(result.body, format=RdfFormat.N_TRIPLES)]
    return Triples(triples, result.truncated)


async def document(engine: Engine, iri: str) -> Triples:
    return await construct(engine, document_query(iri))


async def describe(engine: Engine, iri: str, doc: Triples | None = None) -> ResourceData:
    """Everything the page of ``iri`` shows: document, incoming links, labels of both."""
    doc = doc if doc is not None else await document(engine, iri)
    incoming = await construct(engine, incoming_query(iri))
    doc_graph, in_graph = doc.graph(), incoming.graph()
    context = await context_graph(engine, mentioned_iris([doc_graph, in_graph]))
    return ResourceData(iri, doc_graph, in_graph, context,
                        incoming_truncated=len(incoming.triples) >= INCOMING_LIMIT)


async def context_graph(engine: Engine, iris: Iterable[URIRef]) -> Graph:
    """Labels, types and summaries of ``iris`` (those that can be written in a query)."""
    usable = []
    for iri in sorted(str(i) for i in iris):
        try:
            sparql_iri(iri)
        except InvalidIri:
            continue
        usable.append(iri)
    g = Graph()
    for start in range(0, len(usable), CONTEXT_LIMIT):
        g += (await construct(engine, context_query(usable[start:start + CONTEXT_LIMIT]))).graph()
    return g



def neighbours_query(prefix: str, limit: int = 300) -> str:
    """Typed resources whose IRI starts with ``prefix`` (no hash parts), with their labels: the
    suggestions of a 404 page."""
    sparql_iri(prefix)
    labels = " ".join(f"<{p}>" for p in LABELS)
    return (
        f"CONSTRUCT {{ ?s a ?t . ?s ?lp ?l }} WHERE {{\n"
        f"  ?s a ?t FILTER(isIRI(?s) && STRSTARTS(STR(?s), {_string(prefix)})"
        ' && !CONTAINS(STR(?s), "#"))\n'
        f"  OPTIONAL {{ VALUES ?lp {{ {labels} }} ?s ?lp ?l }}\n"
        f"}} LIMIT {int(limit)}"
    )
