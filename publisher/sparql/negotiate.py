"""Pick the result serialisation of a SPARQL query: what is SPARQL-specific only.

Which formats fit which query form (:data:`SOLUTION_FORMATS` for SELECT/ASK, the server's shared
:data:`publisher.core.conneg.RDF_FORMATS` for CONSTRUCT/DESCRIBE, each list in the server's order
of preference, the first being the default) and the ``format=`` short names. The choice itself is
:mod:`publisher.core.conneg`'s one rule (RFC 9110 §12.5.1; the order of the ranges in the header
does not matter), the same as for linked-data pages: a CONSTRUCT and a page answer the same
``Accept`` header with the same RDF format.

Formats are pyoxigraph's own :class:`QueryResultsFormat` / :class:`RdfFormat` values; media types
and their aliases come from their ``media_type`` / ``from_media_type`` (so ``application/json``
means SPARQL JSON for SELECT and JSON-LD for CONSTRUCT, ``text/plain`` means N-Triples for graphs
and — pyoxigraph's choice — CSV for SELECT).
"""

from __future__ import annotations

import functools

from pyoxigraph import QueryResultsFormat, RdfFormat

from publisher.core import conneg
from publisher.sparql.errors import NotAcceptable
from publisher.sparql.parse import QueryForm

__all__ = [
    "GRAPH_FORMATS",
    "SOLUTION_FORMATS",
    "ResultFormat",
    "choose_format",
    "format_from_name",
    "media_type_with_charset",
    "negotiate",
    "offered_formats",
]

ResultFormat = QueryResultsFormat | RdfFormat

#: Offered for SELECT/ASK, in server preference order (the first one is the default).
SOLUTION_FORMATS: tuple[QueryResultsFormat, ...] = (
    QueryResultsFormat.JSON,
    QueryResultsFormat.XML,
    QueryResultsFormat.CSV,
    QueryResultsFormat.TSV,
)
#: Offered for CONSTRUCT/DESCRIBE: the RDF formats of linked-data pages, in the same order.
GRAPH_FORMATS: tuple[RdfFormat, ...] = conneg.RDF_FORMATS

_SOLUTION_NAMES = {
    "json": QueryResultsFormat.JSON,
    "srj": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "srx": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
_GRAPH_NAMES = {
    "ttl": RdfFormat.TURTLE,
    "turtle": RdfFormat.TURTLE,
    # N3 is a superset of Turtle: a Turtle answer is a valid N3 one (SPARQLWrapper's N3 format)
    "n3": RdfFormat.TURTLE,
    "text/n3": RdfFormat.TURTLE,
    "text/rdf+n3": RdfFormat.TURTLE,
    "nt": RdfFormat.N_TRIPLES,
    "ntriples": RdfFormat.N_TRIPLES,
    "n-triples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "json-ld": RdfFormat.JSON_LD,
    "json": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
    "rdf/xml": RdfFormat.RDF_XML,
    "rdf": RdfFormat.RDF_XML,
    "xml": RdfFormat.RDF_XML,
}


def offered_formats(form: QueryForm) -> tuple[ResultFormat, ...]:
    return GRAPH_FORMATS if form.returns_graph else SOLUTION_FORMATS


def media_type_with_charset(fmt: ResultFormat) -> str:
    """The Content-Type to send: every offered format is UTF-8 text, so say so."""
    media_type = fmt.media_type
    return media_type if "charset=" in media_type else f"{media_type}; charset=utf-8"


def _hint(form: QueryForm) -> str:
    names = _GRAPH_NAMES if form.returns_graph else _SOLUTION_NAMES
    return f"requête {form} / {form} query; format={'|'.join(sorted(names))}"


def negotiate(accept: str | None, form: QueryForm) -> ResultFormat:
    """The best format for ``form`` under ``accept``; :class:`NotAcceptable` when none is.
    Cached: clients send the same few Accept headers again and again."""
    return _negotiate(accept, form)


@functools.lru_cache(maxsize=256)
def _negotiate(accept: str | None, form: QueryForm) -> ResultFormat:
    return conneg.negotiate(accept, offered_formats(form), _hint(form))


def format_from_name(name: str, form: QueryForm) -> ResultFormat:
    """The ``format=`` override: a short name (json, xml, csv, tsv, ttl, turtle, nt, jsonld,
    rdfxml) or a media type. ``json``/``xml`` mean JSON-LD/RDF-XML for graph results."""
    key = name.strip().lower()
    names: dict[str, ResultFormat]
    names = dict(_GRAPH_NAMES) if form.returns_graph else dict(_SOLUTION_NAMES)
    found = names.get(key)
    if found is None and "/" in key:
        found = conneg.by_name(key, offered_formats(form))
    if found is None:
        raise NotAcceptable(name, conneg.available(offered_formats(form)), _hint(form))
    return found


def choose_format(form: QueryForm, *, accept: str | None, format_name: str | None) -> ResultFormat:
    """What the HTTP layer calls: the ``format`` parameter wins over the Accept header; a
    ``format`` that does not fit the query form gives way to an ``Accept`` header that does
    (clients such as SPARQLWrapper send both); without an ``Accept`` header it is a 406."""
    if format_name:
        try:
            return format_from_name(format_name, form)
        except NotAcceptable:
            if not accept:
                raise
            try:
                return negotiate(accept, form)
            except NotAcceptable:
                pass
            raise
    return negotiate(accept, form)
