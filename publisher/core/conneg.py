"""Content negotiation, the one rule used by every view: linked-data pages, release files,
SPARQL results and error pages. Pure functions, no web framework.

An offer is a pyoxigraph :class:`RdfFormat` or :class:`QueryResultsFormat` (their media types,
aliases and file extensions are pyoxigraph's: ``application/json`` names JSON-LD among RDF formats
and SPARQL JSON among result formats; no format table is kept here) or a :class:`MediaType` for
what pyoxigraph does not know (HTML, the JSON of error answers).

The rule (RFC 9110 §12.5.1), for an ``Accept`` header and the offers of one resource listed in the
server's order of preference:

1. each offer gets the q-value of the *most specific* media range that matches it: its media type
   or one of its aliases (exact) > ``type/*`` > ``*/*``; among equally specific ranges the highest
   q counts;
2. offers matched by no range, or with ``q=0``, are not acceptable;
3. the highest q wins; ties go to the more specific match, then to the server's order.

The order of the ranges in the header never matters. A missing or empty header (or one with no
readable range) means ``*/*``: the first offer. Media-range parameters other than ``q`` are read
but not compared (no resource offers variants that differ by a parameter). A q-value outside
[0, 1] is clamped, an unreadable one is 0; ``*`` alone means ``*/*``; malformed ranges are skipped.
Nothing acceptable raises :class:`NotAcceptable` (406), listing what is offered.

A ``format`` override (query parameter) names one offer by file extension, media type or alias
(the first media range of the value); wildcards name nothing there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pyoxigraph import QueryResultsFormat, RdfFormat

from publisher.core.errors import NotAcceptable

__all__ = [
    "ANY",
    "HTML",
    "JSON",
    "RDF_FORMATS",
    "MediaRange",
    "MediaType",
    "NotAcceptable",
    "Offer",
    "available",
    "bare",
    "by_name",
    "choose",
    "extension_of",
    "names",
    "negotiate",
    "parse_accept",
    "parse_range",
    "pick",
    "quality",
    "qvalue",
    "specificity",
]


@dataclass(frozen=True, slots=True)
class MediaType:
    """An offer pyoxigraph does not describe: its media type, aliases and ``format`` names."""

    media_type: str
    aliases: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()


#: The HTML page (``application/xhtml+xml`` asks for it too).
HTML = MediaType("text/html", ("application/xhtml+xml",), ("html", "htm"))
#: Plain JSON (error answers).
JSON = MediaType("application/json", (), ("json",))
#: The RDF formats of every graph the server sends (pages, catalogue, CONSTRUCT/DESCRIBE), in its
#: order of preference: one list, so that pages and SPARQL break ties the same way.
RDF_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat.TURTLE,
    RdfFormat.JSON_LD,
    RdfFormat.N_TRIPLES,
    RdfFormat.RDF_XML,
)

Offer = MediaType | RdfFormat | QueryResultsFormat
O = TypeVar("O", bound=Offer)


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One media range of an ``Accept`` header (lower-cased), its q-value and other parameters."""

    type: str
    subtype: str
    q: float = 1.0
    params: tuple[tuple[str, str], ...] = ()

    @property
    def full(self) -> str:
        return f"{self.type}/{self.subtype}"


ANY = MediaRange("*", "*")
_COMMA = re.compile(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")  # commas outside quoted strings
_NO_MATCH = -1


def bare(media_type: str) -> str:
    """``type/subtype`` of a media type, lower-cased, without parameters."""
    return media_type.split(";", 1)[0].strip().lower()


def qvalue(text: str) -> float:
    """A q-value clamped to [0, 1]; unreadable is 0."""
    try:
        return min(max(float(text), 0.0), 1.0)
    except ValueError:
        return 0.0


def parse_range(item: str) -> MediaRange | None:
    """One ``type/subtype;param=value…`` item, or None when malformed."""
    media, *params = (p.strip() for p in item.split(";"))
    media = "*/*" if media == "*" else media.lower()
    type_, slash, subtype = media.partition("/")
    if not slash or not type_ or not subtype or "/" in subtype or (type_ == "*" and subtype != "*"):
        return None
    pairs = [(k.strip().lower(), v.strip().strip('"'))
             for k, _, v in (p.partition("=") for p in params)]
    q = next((qvalue(v) for k, v in pairs if k == "q"), 1.0)
    return MediaRange(type_, subtype, q, tuple((k, v) for k, v in pairs if k and k != "q"))


@functools.lru_cache(maxsize=256)
def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """The media ranges of an ``Accept`` header; missing, empty or unreadable means ``*/*``.
    Cached: clients send the same few headers again and again."""
    ranges = (parse_range(item) for item in _COMMA.split(header or ""))
    return tuple(r for r in ranges if r is not None) or (ANY,)


def names(media: str, offer: Offer) -> bool:
    """Whether the bare media type ``media`` names ``offer`` (its own type or an alias)."""
    if media == bare(offer.media_type):
        return True
    if isinstance(offer, MediaType):
        return media in offer.aliases
    if isinstance(offer, RdfFormat):
        return RdfFormat.from_media_type(media) == offer
    return QueryResultsFormat.from_media_type(media) == offer


def extension_of(text: str, offer: Offer) -> bool:
    """Whether the file extension ``text`` names ``offer`` (pyoxigraph's extensions)."""
    if isinstance(offer, MediaType):
        return text in offer.extensions
    if isinstance(offer, RdfFormat):
        return RdfFormat.from_extension(text) == offer
    return QueryResultsFormat.from_extension(text) == offer


def specificity(r: MediaRange, offer: Offer) -> int:
    """2 when ``r`` names ``offer``, 1 for its ``type/*``, 0 for ``*/*``, -1 when no match."""
    if r.type == "*":
        return 0
    if r.subtype == "*":
        return 1 if bare(offer.media_type).startswith(r.type + "/") else _NO_MATCH
    return 2 if names(r.full, offer) else _NO_MATCH


def quality(ranges: Sequence[MediaRange], offer: Offer) -> tuple[float, int]:
    """(q, specificity) of the most specific ranges matching ``offer`` (highest q among them);
    ``(0.0, -1)`` when none does."""
    matches = [(specificity(r, offer), r.q) for r in ranges]
    spec = max((s for s, _ in matches), default=_NO_MATCH)
    if spec == _NO_MATCH:
        return 0.0, _NO_MATCH
    return max(q for s, q in matches if s == spec), spec


def choose(accept: str | None, offers: Sequence[O]) -> O | None:
    """The offer the rule picks for ``accept`` (offers in the server's order), or None."""
    ranges = parse_accept(accept)
    scored = [(quality(ranges, offer), -order, offer) for order, offer in enumerate(offers)]
    acceptable = [(score, order, offer) for score, order, offer in scored if score[0] > 0]
    if not acceptable:
        return None
    return max(acceptable, key=lambda item: (item[0], item[1]))[2]


def available(offers: Sequence[Offer]) -> tuple[str, ...]:
    """The bare media types of ``offers`` (what a 406 lists)."""
    return tuple(bare(o.media_type) for o in offers)


def negotiate(accept: str | None, offers: Sequence[O], hint: str = "") -> O:
    """:func:`choose`, or :class:`NotAcceptable` (406) when nothing offered is acceptable."""
    chosen = choose(accept, offers)
    if chosen is None:
        raise NotAcceptable(accept or "", available(offers), hint)
    return chosen


def by_name(value: str, offers: Sequence[O]) -> O | None:
    """The offer a ``format`` value names: a file extension, or a media type or alias (the first
    of a list: some clients, e.g. SPARQLWrapper, repeat their ``Accept`` value there)."""
    text = value.strip().lower()
    if "/" in text:
        media = parse_accept(text)[0].full
        return next((o for o in offers if names(media, o)), None)
    return next((o for o in offers if extension_of(text, o)), None)


def pick(offers: Sequence[O], accept: str | None, format_name: str | None = None,
         hint: str = "") -> O:
    """``format_name`` when given (it must name an offer), else :func:`negotiate` on ``accept``;
    :class:`NotAcceptable` (406) otherwise."""
    if not format_name:
        return negotiate(accept, offers, hint)
    chosen = by_name(format_name, offers)
    if chosen is None:
        raise NotAcceptable(format_name, available(offers), hint)
    return chosen
