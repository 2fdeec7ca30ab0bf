"""The representations of linked-data documents: the HTML page for people, RDF for programs.

What is offered, not how to choose: the choice is :mod:`publisher.core.conneg`'s one rule, on
:data:`PAGE_OFFERS` (HTML first, so ``*/*`` and a missing header give a page, then the shared
:data:`publisher.core.conneg.RDF_FORMATS`), or on :data:`DATA_OFFERS` for the catalogue and the
VoID description (RDF first: ``*/*`` and a missing header give Turtle). ``?format=`` (``html``, a file extension such as
``ttl``, or a media type) overrides ``Accept``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import RdfFormat

from publisher.core import conneg
from publisher.core.conneg import RDF_FORMATS

HTML = conneg.HTML.media_type

#: What every linked-data document offers, in the server's order of preference.
PAGE_OFFERS: tuple[conneg.MediaType | RdfFormat, ...] = (conneg.HTML, *RDF_FORMATS)
#: What the catalogue and the VoID description offer: the same, RDF first, so that ``*/*`` and a
#: missing header (harvesters, curl) keep getting Turtle; the page only to clients that prefer
#: HTML, as browsers do (docs/decisions/0024-catalogue-html.md).
DATA_OFFERS: tuple[conneg.MediaType | RdfFormat, ...] = (*RDF_FORMATS, conneg.HTML)


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


def extensions() -> list[str]:
    """The values ``?format=`` accepts besides media types: ``html`` and pyoxigraph's extensions."""
    return ["html"] + [f.file_extension for f in RDF_FORMATS]


def choose(accept: str | None, format_param: str | None,
           offers: tuple[conneg.MediaType | RdfFormat, ...] = PAGE_OFFERS) -> Choice:
    """``?format=`` when given, else the ``Accept`` header; 406 when nothing offered fits."""
    hint = f"?format={'|'.join(extensions())}"
    chosen = conneg.pick(offers, accept, format_param, hint)
    return Choice(chosen if isinstance(chosen, RdfFormat) else None)


def alternates(path: str) -> list[tuple[str, str]]:
    """(URL, media type) of every representation of the document at ``path``."""
    out = [(f"{path}?format=html", HTML)]
    out += [(f"{path}?format={f.file_extension}", f.media_type) for f in RDF_FORMATS]
    return out


def link_header(path: str) -> str:
    """The ``Link`` header listing the alternates (``rel="alternate"; type=...``)."""
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for url, media in alternates(path))


__all__ = ["DATA_OFFERS", "HTML", "PAGE_OFFERS", "RDF_FORMATS", "Choice", "alternates", "choose",
           "extensions", "link_header"]
