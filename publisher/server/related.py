"""The records around a record, for its readable page, fetched through the query engine.

Like :mod:`publisher.server.describe`, every lookup is a SPARQL query sent to the engine
(N-Triples CONSTRUCT), so it works against a remote store too; each part is bounded:

- :func:`related_query` — the formations that a record provides or leads to (with their
  certification, level and routes), the memberships where it is the member or the organisation
  (with the member's kind and the role), the partnerships it is a party to (with their kind and
  parties), the certifications that cite a code concept (``cmq:nsf`` "225" for
  ``…/specialite-nsf/225``, with their level), and the commune of a formation's establishment. Each kind of related record is
  chosen by a sub-query with ``LIMIT`` :data:`RELATED_LIMIT`; reaching it marks the block as cut
  short (:attr:`Related.truncated`).
- :func:`codes_query` — the SKOS concepts whose notation is a code used on the page (``cmq:nsf``
  → list ``specialite-nsf``, ``cmq:rome`` → ``metier-rome``, :data:`CODE_SCHEMES`), for
  « 225 — Plasturgie, matériaux composites ». A code without a concept stays bare.

:func:`related` runs both, plus the labels of everything the related records mention
(:func:`publisher.server.describe.context_graph`), and returns one :class:`Related`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef

from publisher.core.namespaces import CMQ, ORG, SCHEMA, SPARQL_PREFIXES
from publisher.core.ntriples import literal
from publisher.html.render import CODE_SCHEMES, mentioned_iris
from publisher.server.describe import Engine, construct, context_graph, sparql_iri

#: Related records of one kind (formations, memberships, partnerships, certifications) fetched at
#: most, like the incoming links (describe.INCOMING_LIMIT): a page stays readable and fast.
RELATED_LIMIT = 200
#: Codes whose labels are fetched in one query at most.
CODES_LIMIT = 500

_CODED = " ".join(f"(<{scheme}> <{pred}>)" for pred, scheme in CODE_SCHEMES.items())
_BLOCKS = {
    "formations": "?x schema:provider|schema:educationalCredentialAwarded {ref}",
    "certifications": (f"VALUES (?scheme ?codep) {{ {_CODED} }}\n"
                       "    {ref} skos:inScheme ?scheme ; skos:notation ?code . ?x ?codep ?code"),
    # the type last: Oxigraph would start from every membership (27 ms → 1 ms at 1M triples)
    "adhesions": "?x org:member|org:organization {ref} FILTER EXISTS { ?x a org:Membership }",
    "partenariats": "?x cmq:party {ref}",
}
_DETAILS = {
    "formations": (
        "OPTIONAL { ?x schema:provider ?e }\n"
        "    OPTIONAL { ?x schema:educationalCredentialAwarded ?c\n"
        "      OPTIONAL { ?c schema:educationalLevel ?level } }\n"
        "    OPTIONAL { ?x schema:educationalProgramMode ?mode }"
    ),
    "adhesions": (
        "OPTIONAL { ?x org:member ?who OPTIONAL { ?who org:classification ?kind } }\n"
        "    OPTIONAL { ?x org:organization ?org }\n"
        "    OPTIONAL { ?x org:role ?role }"
    ),
    "partenariats": "OPTIONAL { ?x cmq:party ?party }\n    OPTIONAL { ?x dct:type ?ptype }",
    "certifications": "OPTIONAL { ?x schema:educationalLevel ?clevel }",
}
#: What each block's sub-query selects besides ``?x``.
_SELECTED = {"certifications": " ?codep ?code"}
_TEMPLATE = (
    "CONSTRUCT {\n"
    "  ?x schema:provider ?e ; schema:educationalCredentialAwarded ?c ;\n"
    "     schema:educationalProgramMode ?mode . ?c schema:educationalLevel ?level .\n"
    "  ?x a ?membership ; org:member ?who ; org:organization ?org ; org:role ?role .\n"
    "  ?who org:classification ?kind .\n"
    "  ?x cmq:party ?party ; dct:type ?ptype .\n"
    "  ?x ?codep ?code ; schema:educationalLevel ?clevel .\n"
    "  ?e locn:address ?address . ?address locn:postName ?town .\n"
    "} WHERE {\n"
)


@dataclass(frozen=True)
class Related:
    """The records around one record: their structure, their labels, the labels of the codes, and
    which blocks (``formations``, ``adhesions``, ``partenariats``) reached the limit."""

    iri: str
    graph: Graph
    labels: Graph
    truncated: frozenset[str]


def related_query(iri: str, limit: int = RELATED_LIMIT) -> str:
    """The formations, memberships and partnerships around ``iri`` (see the module docstring)."""
    ref = sparql_iri(iri)
    branches = []
    for block, pattern in _BLOCKS.items():
        membership = "  BIND(org:Membership AS ?membership)\n" if block == "adhesions" else ""
        branches.append(
            f"  {{ {{ SELECT DISTINCT ?x{_SELECTED.get(block, '')} WHERE "
            f"{{ {pattern.replace('{ref}', ref)} }} "
            f"ORDER BY ?x LIMIT {int(limit)} }}\n"
            f"    {_DETAILS[block]}\n{membership}  }}"
        )
    branches.append(
        f"  {{ {ref} schema:provider ?e . ?e locn:address ?address . "
        "?address locn:postName ?town }"
    )
    return f"{SPARQL_PREFIXES}{_TEMPLATE}" + "\n  UNION\n".join(branches) + "\n}"


def codes_query(codes: list[tuple[str, str]]) -> str:
    """The concepts of ``(scheme IRI, notation)`` pairs, with their labels and notation."""
    rows = " ".join(f"({sparql_iri(s)} {literal(n)})" for s, n in sorted(set(codes)))
    return (
        f"{SPARQL_PREFIXES}"
        "CONSTRUCT { ?c skos:inScheme ?s ; skos:notation ?n ; skos:prefLabel ?l } WHERE {\n"
        f"  VALUES (?s ?n) {{ {rows} }}\n"
        "  ?c skos:inScheme ?s ; skos:notation ?n . OPTIONAL { ?c skos:prefLabel ?l }\n"
        "}"
    )


def used_codes(graphs: list[Graph]) -> list[tuple[str, str]]:
    """``(scheme IRI, code)`` for every coded literal (``cmq:nsf``, ``cmq:rome``) of the graphs."""
    found = set()
    for g in graphs:
        for pred, scheme in CODE_SCHEMES.items():
            for obj in g.objects(None, pred):
                if isinstance(obj, Literal):
                    found.add((scheme, str(obj)))
    return sorted(found)


def _blocks_cut(g: Graph, iri: str, limit: int) -> frozenset[str]:
    ref = URIRef(iri)
    counts = {
        "formations": {s for s in g.subjects(SCHEMA.provider, ref)}
        | {s for s in g.subjects(SCHEMA.educationalCredentialAwarded, ref)},
        "adhesions": {s for s in g.subjects(ORG.member, ref)}
        | {s for s in g.subjects(ORG.organization, ref)},
        "partenariats": set(g.subjects(CMQ.party, ref)),
        "certifications": {s for p in CODE_SCHEMES for s in g.subjects(p, None)},
    }
    return frozenset(k for k, found in counts.items() if len(found) >= limit)


async def related(engine: Engine, iri: str, around: list[Graph],
                  limit: int = RELATED_LIMIT) -> Related:
    """The related records of ``iri``, their labels, and the labels of the codes on its page
    (those of ``around``, the graphs the page already has, and of the related records)."""
    graph = (await construct(engine, related_query(iri, limit))).graph()
    labels = await context_graph(engine, mentioned_iris([graph]))
    codes = used_codes([*around, graph, labels])
    for start in range(0, len(codes), CODES_LIMIT):
        labels += (await construct(engine, codes_query(codes[start:start + CODES_LIMIT]))).graph()
    return Related(iri, graph, labels, _blocks_cut(graph, iri, limit))
