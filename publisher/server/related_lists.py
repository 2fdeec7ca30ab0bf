"""The browse list that holds every record of a cut-short block of a record page.

A block of related records (:mod:`publisher.html.records`) stops at
:data:`publisher.server.related.RELATED_LIMIT`. When the block's records are exactly the records
of a browse list filtered on one facet value, :func:`full_lists` gives that list's URL and its
count (read from the release's browse index), so that the page sends a visitor there (facets,
CSV, JSON) rather than to SPARQL:

- an organisation's formations (``formations-par-niveau``, ``schema:provider``) →
  ``/formations/?etablissement=<code>``;
- a certification's formations (``formations-menant``, ``schema:educationalCredentialAwarded``)
  → ``/formations/?certification=<code>``;
- an organisation's memberships (``adhesions``, ``org:member``) → ``/adhesions/?membre=<code>``;
- the campus's members (``membres``, ``org:organization``) → ``/adhesions/?membre_de=<code>``;
- its partnerships (``partenariats``, ``cmq:party``) → ``/partenariats/?partie=<code>``;
- a code concept's certifications (``certifications``, ``cmq:nsf`` / ``cmq:rome``) →
  ``/certifications/?nsf=<code>`` or ``?rome=<code>``, by the concept's scheme.

The record's facet code is the browse index's (:func:`publisher.release.browse_source.code_of`:
its ``skos:notation``, else its IRI's last segment) and the URL is built like the list's own
facet links (:func:`publisher.server.list_urls.filtered_list`). No link — the page points to
SPARQL as before — for a block without such a list, a code the index does not know (a campus of
a national release is coded by its graph's name there, but its page is not served by that
release), or a release without a browse index (or while the server builds it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from publisher.core.namespaces import CMQ
from publisher.html.render import CODE_SCHEMES
from publisher.html.titles import first
from publisher.release.browse_index import KINDS_BY_NAME, Kind
from publisher.release.browse_source import code_of
from publisher.server.browse_query import BrowseIndex, IndexMissing
from publisher.server.list_urls import filtered_list
from publisher.server.state import ServedRelease

#: block of a record page → (list, facet column) whose filtered view holds all its records
BLOCK_LISTS: dict[str, tuple[str, str]] = {
    "formations-par-niveau": ("formations", "etablissement"),
    "formations-menant": ("formations", "certification"),
    "adhesions": ("adhesions", "membre"),
    "membres": ("adhesions", "membre_de"),
    "partenariats": ("partenariats", "partie"),
}
#: a code concept's certifications: the certifications' facet of the code, by concept scheme
CODE_FACETS: dict[str, str] = {CODE_SCHEMES[CMQ.nsf]: "nsf", CODE_SCHEMES[CMQ.rome]: "rome"}


@dataclass(frozen=True)
class ListLink:
    """The filtered list holding every record of a block: its URL, count and kind."""

    url: str
    count: int
    kind: Kind


def list_of(block: str, iri: str, doc: Graph) -> tuple[str, str] | None:
    """(list, facet column) holding every record of ``block`` on the page of ``iri``."""
    if block == "certifications":
        schemes = {str(s) for s in doc.objects(URIRef(iri), SKOS.inScheme)} & CODE_FACETS.keys()
        return ("certifications", CODE_FACETS[min(schemes)]) if schemes else None
    return BLOCK_LISTS.get(block)


def list_links(index: BrowseIndex, root: str, iri: str, doc: Graph,
               blocks: Iterable[str]) -> dict[str, ListLink]:
    """Block key → the list holding all its records, for the ``blocks`` that have one in the
    index (none when the index is missing)."""
    notation = first(doc, URIRef(iri), SKOS.notation)
    code = code_of(ox.NamedNode(iri), str(notation) if notation is not None else None)
    out = {}
    try:
        for block in blocks:
            target = list_of(block, iri, doc)
            if target is None:
                continue
            kind, column = KINDS_BY_NAME[target[0]], target[1]
            count = index.facet_count(kind.name, column, code)
            if count:
                out[block] = ListLink(filtered_list(root, kind, column, code), count, kind)
    except IndexMissing:
        return {}
    return out


def full_lists(rel: ServedRelease, root: str, iri: str, doc: Graph,
               blocks: Iterable[str]) -> dict[str, ListLink]:
    """:func:`list_links` in the served release's browse index, if it has one now."""
    cut = list(blocks)
    if not cut or not rel.has_browse:
        return {}
    try:
        return list_links(rel.browse, root, iri, doc, cut)
    except IndexMissing:
        return {}
