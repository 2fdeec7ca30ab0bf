"""Content negotiation: the one rule (publisher.core.conneg), the offers of linked-data pages
(publisher.server.representations), and the real server answering pages, files and CONSTRUCT alike."""

# ruff: noqa: F811  (pytest fixtures imported from server_fixtures are parameters here)

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pyoxigraph import QueryResultsFormat, RdfFormat
from server_fixtures import LiveServer, live_server, served_project  # noqa: F401  (fixtures)

from publisher.core import conneg
from publisher.core.conneg import RDF_FORMATS, by_name, choose, negotiate, parse_accept, pick
from publisher.core.errors import CmqError, NotAcceptable
from publisher.server import representations as pages
from publisher.server.representations import HTML, PAGE_OFFERS, alternates, link_header
from publisher.sparql import errors as sparql_errors
from publisher.sparql.negotiate import GRAPH_FORMATS
from publisher.sparql.negotiate import negotiate as sparql_negotiate
from publisher.sparql.parse import QueryForm

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"

# ------------------------------------------------------------------ the rule (core)


@pytest.mark.parametrize(("accept", "expected"), [
    (None, HTML),
    ("", HTML),
    ("*/*", HTML),
    ("*", HTML),
    (BROWSER, HTML),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),  # pyoxigraph's alias
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.9", "text/turtle"),  # tie: server order
    ("text/turtle;q=0.9, application/rdf+xml;q=0.9", "text/turtle"),  # whatever the header order
    ("text/html;q=0, */*;q=0.1", "text/turtle"),
    ("text/turtle;q=0.2, */*;q=0.1", "text/turtle"),  # the specific range wins its q
    ("*/*;q=0.5, text/turtle;q=0.5", "text/turtle"),  # tie in q: the more specific match wins,
    ("*/*, text/turtle;q=0.5", HTML),  # but never over a higher q
    ("text/*", HTML),
    ("TEXT/TURTLE; Q=1", "text/turtle"),
    ("application/xhtml+xml", HTML),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted, x", text/turtle;q=0.9',
     "application/ld+json"),  # a quoted comma does not split; parameters are not compared
    ("text/turtle;q=0.1, text/turtle;q=0.8, application/ld+json;q=0.5", "text/turtle"),
])
def test_page_negotiation(accept: str | None, expected: str) -> None:
    assert pages.choose(accept, None).media_type == expected


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0", "application/pdf, text/csv",
                                    "application/trig", "*/*;q=0"])
def test_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable) as err:
        pages.choose(accept, None)
    assert err.value.status == 406
    assert "text/turtle" in err.value.message and "text/turtle" in err.value.available
    assert "?format=html|ttl" in err.value.message


def test_one_not_acceptable_class() -> None:
    assert sparql_errors.NotAcceptable is NotAcceptable is conneg.NotAcceptable
    assert issubclass(NotAcceptable, CmqError) and NotAcceptable.status == 406
    with pytest.raises(sparql_errors.NotAcceptable):
        sparql_negotiate("image/png", QueryForm.SELECT)


@pytest.mark.parametrize(("fmt", "expected"), [
    ("ttl", RdfFormat.TURTLE), ("jsonld", RdfFormat.JSON_LD), ("nt", RdfFormat.N_TRIPLES),
    ("rdf", RdfFormat.RDF_XML), ("text/turtle", RdfFormat.TURTLE), ("html", None),
    ("HTML", None), ("application/xhtml+xml", None),
])
def test_format_parameter_overrides_accept(fmt: str, expected: RdfFormat | None) -> None:
    assert pages.choose("text/html", fmt).rdf == expected


@pytest.mark.parametrize("fmt", ["n3", "trig", "pdf", "application/x-unknown"])
def test_unknown_format_parameter(fmt: str) -> None:
    with pytest.raises(NotAcceptable):
        pages.choose(None, fmt)


def test_parse_accept_clamps_and_skips_garbage() -> None:
    ranges = parse_accept("text/turtle;q=7, nonsense, */html, application/ld+json;q=abc")
    assert [(r.full, r.q) for r in ranges] == [("text/turtle", 1.0),
                                               ("application/ld+json", 0.0)]
    assert parse_accept("nonsense") == parse_accept(None) == parse_accept("")
    [r] = parse_accept('application/ld+json; profile="a"; q=0.5')
    assert (r.q, r.params) == (0.5, (("profile", "a"),))


def test_works_for_any_offers() -> None:
    results = (QueryResultsFormat.JSON, QueryResultsFormat.CSV)
    assert choose("text/plain", results) is QueryResultsFormat.CSV  # pyoxigraph's alias
    assert choose("application/json", results) is QueryResultsFormat.JSON
    assert choose("application/json", RDF_FORMATS) is RdfFormat.JSON_LD
    assert choose("image/png", results) is None
    assert negotiate("text/*", results) is QueryResultsFormat.CSV
    assert by_name("csv", results) is QueryResultsFormat.CSV
    assert by_name("text/csv; charset=utf-8", results) is QueryResultsFormat.CSV
    assert by_name("text/csv, application/json", results) is QueryResultsFormat.CSV
    assert by_name("*/*", results) is None
    assert pick(results, "text/csv", "json") is QueryResultsFormat.JSON
    with pytest.raises(NotAcceptable) as err:
        pick(results, None, "ttl")
    assert err.value.available == ("application/sparql-results+json", "text/csv")


def test_alternates_and_link_header() -> None:
    alts = alternates("/organisation/x")
    assert alts[0] == ("/organisation/x?format=html", HTML)
    assert {m for _, m in alts[1:]} == {f.media_type for f in RDF_FORMATS}
    header = link_header("/organisation/x")
    assert '</organisation/x?format=ttl>; rel="alternate"; type="text/turtle"' in header
    assert header.count('rel="alternate"') == len(RDF_FORMATS) + 1


# ------------------------------------------------------------------ pages and SPARQL agree

TIES = [
    "application/ld+json, text/turtle",
    "text/turtle, application/ld+json",
    "application/ld+json, application/n-triples",
    "application/n-triples, application/ld+json",
    "application/rdf+xml;q=0.8, application/ld+json;q=0.8",
    "application/*",
    "application/n-triples, application/json",
]


def test_pages_and_construct_offer_the_same_rdf_formats_in_the_same_order() -> None:
    assert GRAPH_FORMATS == RDF_FORMATS == PAGE_OFFERS[1:]


@pytest.mark.parametrize("accept", TIES)
def test_same_choice_for_pages_and_construct(accept: str) -> None:
    page = pages.choose(accept, None).rdf
    assert page is not None
    assert sparql_negotiate(accept, QueryForm.CONSTRUCT) == page
    assert sparql_negotiate(accept, QueryForm.DESCRIBE) == page


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def served_type(client: httpx.Client, path: str, accept: str, query: str | None = None) -> str:
    params = {"query": query} if query else None
    r = client.get(path, params=params, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    return r.headers["content-type"].split(";")[0]


@pytest.mark.parametrize(("first", "second"), [
    ("application/ld+json, text/turtle", "text/turtle, application/ld+json"),
    ("application/ld+json, application/n-triples", "application/n-triples, application/ld+json"),
    ("application/rdf+xml;q=0.8, application/ld+json;q=0.8",
     "application/ld+json;q=0.8, application/rdf+xml;q=0.8"),
])
def test_server_answers_ties_the_same_everywhere(client: httpx.Client, first: str,
                                                 second: str) -> None:
    """The same winner for both header orders, and for a page, the catalogue and a CONSTRUCT."""
    construct = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"
    answers = {
        (accept, where): served_type(client, path, accept, query)
        for accept in (first, second)
        for where, path, query in (("page", "organisation/campus", None),
                                   ("catalog", "catalog", None),
                                   ("construct", "sparql", construct))
    }
    assert len(set(answers.values())) == 1, answers
    assert set(answers.values()) == {pages.choose(first, None).media_type}
