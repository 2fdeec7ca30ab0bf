"""Content negotiation for linked-data documents: HTML for people, RDF for programs.

The RDF formats and their media types are pyoxigraph's (:class:`pyoxigraph.RdfFormat`): the
offered formats are listed once in :data:`RDF_FORMATS`; aliases such as ``application/json`` or
``text/plain`` are resolved by :meth:`RdfFormat.from_media_type`, never by a table of ours.

Choice (RFC 9110 §12.5.1): every offer gets the q-value of the most specific media range of the
``Accept`` header that matches it (exact type, ``type/*``, ``*/*``); the highest q wins, ties go to
the more specific match, then to the server's order (HTML first, so ``*/*`` and a missing header
give a page). ``?format=`` (a file extension such as ``ttl`` or a media type) overrides ``Accept``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import RdfFormat

from publisher.core.errors import CmqError

HTML = "text/html"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: RDF formats offered for every document, in the server's order of preference.
RDF_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat.TURTLE,
    RdfFormat.JSON_LD,
    RdfFormat.N_TRIPLES,
    RdfFormat.RDF_XML,
)

_RANGE = re.compile(r"^\s*([^\s;/]+)/([^\s;/]+)\s*(?:;(.*))?$")


class NotAcceptable(CmqError):
    """No offered representation fits the ``Accept`` header or ``?format=`` (HTTP 406)."""

    status = 406

    def __init__(self, asked: str) -> None:
        offered = ", ".join([HTML] + [f.media_type for f in RDF_FORMATS])
        super().__init__(
            f"format non disponible / representation not available: {asked!r}; "
            f"offerts / offered: {offered} (?format={'|'.join(extensions())})"
        )
        self.allowed = tuple([HTML] + [f.media_type for f in RDF_FORMATS])


@dataclass(frozen=True)
class Choice:
    """The chosen representation: ``rdf`` is ``None`` for the HTML page."""

    rdf: RdfFormat | None

    @property
    def media_type(self) -> str:
        return HTML if self.rdf is None else self.rdf.media_type

    @property
    def is_html(self) -> bool:
        return self.rdf is None


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    @property
    def full(self) -> str:
        return f"{self.type}/{self.subtype}"


def extensions() -> list[str]:
    """The values ``?format=`` accepts besides media types: ``html`` and pyoxigraph's extensions."""
    return ["html"] + [f.file_extension for f in RDF_FORMATS]


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; empty or missing means ``*/*``."""
    ranges: list[MediaRange] = []
    for item in (header or "").split(","):
        m = _RANGE.match(item)
        if not m:
            continue
        q = 1.0
        for param in (m.group(3) or "").split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(m.group(1).lower(), m.group(2).lower(), q))
    return ranges or [MediaRange("*", "*", 1.0)]


def _offer_type(offer: RdfFormat | None) -> str:
    return HTML if offer is None else offer.media_type


def _matches(r: MediaRange, offer: RdfFormat | None) -> int:
    """Specificity of the match of ``r`` with ``offer``: 2 exact, 1 ``type/*``, 0 ``*/*``, -1."""
    if r.type == "*" and r.subtype == "*":
        return 0
    if r.subtype == "*":
        return 1 if _offer_type(offer).startswith(r.type + "/") else -1
    if offer is None:
        return 2 if r.full in _HTML_TYPES else -1
    return 2 if RdfFormat.from_media_type(r.full) == offer else -1


def negotiate(accept: str | None) -> Choice:
    """The best representation for an ``Accept`` header, or :class:`NotAcceptable`."""
    ranges = parse_accept(accept)
    offers: list[RdfFormat | None] = [None, *RDF_FORMATS]
    best: tuple[float, int, int] | None = None
    chosen: RdfFormat | None = None
    for order, offer in enumerate(offers):
        spec, q = -1, 0.0
        for r in ranges:
            s = _matches(r, offer)
            if s > spec:
                spec, q = s, r.q
            elif s == spec and s >= 0:
                q = max(q, r.q)
        if spec < 0 or q <= 0:
            continue
        key = (q, spec, -order)
        if best is None or key > best:
            best, chosen = key, offer
    if best is None:
        raise NotAcceptable(accept or "")
    return Choice(chosen)


def from_format_param(value: str) -> Choice:
    """``?format=``: ``html``, a file extension (``ttl``, ``jsonld``, ``nt``, ``rdf``) or a media
    type; only the offered formats are accepted."""
    text = value.strip().lower()
    if text in {"html", "htm"} or text in _HTML_TYPES:
        return Choice(None)
    fmt = RdfFormat.from_extension(text) if "/" not in text else RdfFormat.from_media_type(text)
    if fmt is None or fmt not in RDF_FORMATS:
        raise NotAcceptable(value)
    return Choice(fmt)


def choose(accept: str | None, format_param: str | None) -> Choice:
    """``?format=`` when given, else the ``Accept`` header."""
    if format_param:
        return from_format_param(format_param)
    return negotiate(accept)


def alternates(path: str) -> list[tuple[str, str]]:
    """(URL, media type) of every representation of the document at ``path``."""
    out = [(f"{path}?format=html", HTML)]
    out += [(f"{path}?format={f.file_extension}", f.media_type) for f in RDF_FORMATS]
    return out


def link_header(path: str) -> str:
    """The ``Link`` header listing the alternates (``rel="alternate"; type=...``)."""
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for url, media in alternates(path))
