"""Content negotiation of linked-data documents (publisher.server.conneg)."""

from __future__ import annotations

import pytest
from pyoxigraph import RdfFormat

from publisher.server.conneg import (
    HTML,
    RDF_FORMATS,
    NotAcceptable,
    alternates,
    choose,
    link_header,
    negotiate,
    parse_accept,
)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "expected"), [
    (None, HTML),
    ("", HTML),
    ("*/*", HTML),
    (BROWSER, HTML),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),  # pyoxigraph's alias
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.9", "text/turtle"),  # tie: server order
    ("text/html;q=0, */*;q=0.1", "text/turtle"),
    ("text/turtle;q=0.2, */*;q=0.1", "text/turtle"),  # the specific range wins its q
    ("text/*", HTML),
    ("TEXT/TURTLE; Q=1", "text/turtle"),
    ("application/xhtml+xml", HTML),
])
def test_negotiate(accept: str | None, expected: str) -> None:
    assert negotiate(accept).media_type == expected


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0", "application/pdf, text/csv",
                                    "application/trig"])
def test_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable) as err:
        negotiate(accept)
    assert err.value.status == 406
    assert "text/turtle" in err.value.message


@pytest.mark.parametrize(("fmt", "expected"), [
    ("ttl", RdfFormat.TURTLE), ("jsonld", RdfFormat.JSON_LD), ("nt", RdfFormat.N_TRIPLES),
    ("rdf", RdfFormat.RDF_XML), ("text/turtle", RdfFormat.TURTLE), ("html", None),
    ("HTML", None),
])
def test_format_parameter_overrides_accept(fmt: str, expected: RdfFormat | None) -> None:
    assert choose("text/html", fmt).rdf == expected


@pytest.mark.parametrize("fmt", ["n3", "trig", "pdf", "application/x-unknown"])
def test_unknown_format_parameter(fmt: str) -> None:
    with pytest.raises(NotAcceptable):
        choose(None, fmt)


def test_parse_accept_clamps_and_skips_garbage() -> None:
    ranges = parse_accept("text/turtle;q=7, nonsense, application/ld+json;q=abc")
    assert [(r.full, r.q) for r in ranges] == [("text/turtle", 1.0),
                                               ("application/ld+json", 0.0)]


def test_alternates_and_link_header() -> None:
    alts = alternates("/organisation/x")
    assert alts[0] == ("/organisation/x?format=html", HTML)
    assert {m for _, m in alts[1:]} == {f.media_type for f in RDF_FORMATS}
    header = link_header("/organisation/x")
    assert '</organisation/x?format=ttl>; rel="alternate"; type="text/turtle"' in header
    assert header.count('rel="alternate"') == len(RDF_FORMATS) + 1
