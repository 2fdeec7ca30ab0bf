"""Pick the result serialisation: HTTP ``Accept`` negotiation and the short ``format`` override.

Formats are pyoxigraph's own :class:`QueryResultsFormat` / :class:`RdfFormat` values; media types
and their aliases come from their ``media_type`` / ``from_media_type`` (so ``application/json``
means SPARQL JSON for SELECT and JSON-LD for CONSTRUCT, ``text/plain`` means N-Triples for graphs
and — pyoxigraph's choice — CSV for SELECT).

Negotiation: for each offered format, the most specific matching media range of the Accept header
gives its q-value (exact/alias match > ``type/*`` > ``*/*``); ``q=0`` excludes. The highest q
wins; ties go to the more specific range, then to the range listed first by the client, then to
the server order below. No Accept header (or ``*/*``) gives the first offered format.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat

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
#: Offered for CONSTRUCT/DESCRIBE, in server preference order (the first one is the default).
GRAPH_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat.TURTLE,
    RdfFormat.N_TRIPLES,
    RdfFormat.JSON_LD,
    RdfFormat.RDF_XML,
)

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


def _bare(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def _available(form: QueryForm) -> tuple[str, ...]:
    return tuple(_bare(f.media_type) for f in offered_formats(form))


@dataclass(frozen=True, slots=True)
class _Range:
    type: str
    subtype: str
    q: float
    raw: str
    index: int


_Q_RE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def _parse_accept(accept: str) -> list[_Range]:
    ranges: list[_Range] = []
    for index, part in enumerate(re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", accept)):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        if media == "*":  # seen from some old clients
            media = "*/*"
        if media.count("/") != 1:
            continue
        type_, subtype = media.split("/")
        if not type_ or not subtype or (type_ == "*" and subtype != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                if not _Q_RE.match(value):
                    q = -1.0  # malformed q: ignore this range
                    break
                q = float(value)
        if q >= 0:
            ranges.append(_Range(type_, subtype, q, part.strip(), index))
    return ranges


def _matches(fmt: ResultFormat, rng: _Range) -> int:
    """Specificity of ``rng`` for ``fmt``: 3 exact/alias, 2 type/*, 1 */*, 0 no match."""
    canonical = _bare(fmt.media_type)
    if rng.type == "*":
        return 1
    if rng.subtype == "*":
        return 2 if canonical.split("/")[0] == rng.type else 0
    media = f"{rng.type}/{rng.subtype}"
    if media == canonical:
        return 3
    family = type(fmt)
    return 3 if family.from_media_type(media) == fmt else 0


def negotiate(accept: str | None, form: QueryForm) -> ResultFormat:
    """The best format for ``form`` under ``accept``; :class:`NotAcceptable` when none is.
    Cached: clients send the same few Accept headers again and again."""
    return _negotiate(accept, form)


@functools.lru_cache(maxsize=256)
def _negotiate(accept: str | None, form: QueryForm) -> ResultFormat:
    offered = offered_formats(form)
    ranges = _parse_accept(accept) if accept and accept.strip() else []
    if not ranges:
        return offered[0]
    best: tuple[float, int, int, int] | None = None
    chosen: ResultFormat | None = None
    for order, fmt in enumerate(offered):
        matching = [(_matches(fmt, r), r) for r in ranges]
        matching = [(spec, r) for spec, r in matching if spec]
        if not matching:
            continue
        spec, rng = max(matching, key=lambda m: (m[0], -m[1].index))
        if rng.q <= 0:
            continue
        key = (rng.q, spec, -rng.index, -order)
        if best is None or key > best:
            best, chosen = key, fmt
    if chosen is None:
        available = _available(form)
        raise NotAcceptable(
            f"None of the requested media types ({accept}) is available for a {form} query; "
            f"available: {', '.join(available)}",
            available=available,
        )
    return chosen


def format_from_name(name: str, form: QueryForm) -> ResultFormat:
    """The ``format=`` override: a short name (json, xml, csv, tsv, ttl, turtle, nt, jsonld,
    rdfxml) or a media type. ``json``/``xml`` mean JSON-LD/RDF-XML for graph results."""
    key = name.strip().lower()
    names: dict[str, ResultFormat]
    names = dict(_GRAPH_NAMES) if form.returns_graph else dict(_SOLUTION_NAMES)
    if key in names:
        return names[key]
    ranges = _parse_accept(key) if "/" in key else []
    for fmt in offered_formats(form):
        if ranges and _matches(fmt, ranges[0]) == 3:
            return fmt
    available = _available(form)
    raise NotAcceptable(
        f"Unknown or unsuitable format {name!r} for a {form} query; "
        f"use one of {', '.join(sorted(names))} or a media type ({', '.join(available)})",
        available=available,
    )


def choose_format(form: QueryForm, *, accept: str | None, format_name: str | None) -> ResultFormat:
    """What the HTTP layer calls: the ``format`` parameter wins over the Accept header."""
    if format_name:
        return format_from_name(format_name, form)
    return negotiate(accept, form)
