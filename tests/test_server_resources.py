"""Linked-data pages against the real server (httpx over loopback): dereferencing and content
negotiation, Link headers, 404/406, schema.org JSON-LD, ontology, landing and query pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic
from server_fixtures import LiveServer

from publisher import __version__
from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI
from publisher.project.queries import load_queries
from publisher.server import describe
from publisher.server.representations import RDF_FORMATS

#: rdflib's own JSON-LD parser still builds a ConjunctiveGraph inside (not our code).
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

RDFLIB_FORMAT = {"text/turtle": "turtle", "application/ld+json": "json-ld",
                 "application/n-triples": "nt", "application/rdf+xml": "xml"}
MEDIA_TYPES = [f.media_type for f in RDF_FORMATS]
VOID_ELEMENTS = {"br", "hr", "img", "input", "link", "meta", "wbr", "source"}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Page(HTMLParser):
    """The bits of an HTML page the tests look at: links, scripts, headings, ids."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.stylesheets: list[str] = []
        self.h1 = ""
        self.ids: dict[str, str] = {}
        self._in: list[tuple[str, dict[str, str | None]]] = []
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(str(a.get("href")))
        if tag in VOID_ELEMENTS:
            return
        self._in.append((tag, a))
        self._text.append("")

    def handle_endtag(self, tag: str) -> None:
        if not self._in:
            return
        open_tag, attrs = self._in.pop()
        text = self._text.pop()
        if self._text:
            self._text[-1] += text
        if open_tag == "script":
            self.scripts.append((attrs, text))
        if open_tag == "h1" and not self.h1:
            self.h1 = " ".join(text.split())
        if attrs.get("id"):
            self.ids[str(attrs["id"])] = " ".join(text.split())

    def handle_data(self, data: str) -> None:
        if self._text:
            self._text[-1] += data

    def jsonld(self) -> list[dict[str, object]]:
        return [json.loads(text) for attrs, text in self.scripts
                if attrs.get("type") == "application/ld+json"]


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def base(live_server: LiveServer) -> str:
    return live_server.release.config.base_iri


@pytest.fixture(scope="module")
def dump(live_server: LiveServer) -> Graph:
    """The release's own data and ontology files (the oracle, read without the server)."""
    folder = live_server.project.releases_dir / live_server.release.release_id
    g = Graph()
    g.parse(folder / "campus.nt", format="nt")
    return g


def engine_construct(client: httpx.Client, query: str) -> Graph:
    r = client.post("sparql", data={"query": query}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200, r.text
    return Graph().parse(data=r.content, format="nt")


def expected_document(client: httpx.Client, iri: str) -> Graph:
    """What the engine returns for the IRI and its hash parts (a CONSTRUCT written here)."""
    return engine_construct(client, f"""
        CONSTRUCT {{ <{iri}> ?p ?o . ?part ?q ?v }} WHERE {{
          {{ <{iri}> ?p ?o }}
          UNION
          {{ <{iri}> ?link ?part FILTER(STRSTARTS(STR(?part), "{iri}#")) ?part ?q ?v }}
        }}""")


def assert_same(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(got, expected)
        raise AssertionError("graphs differ\nonly served:\n" + only_got.serialize(format="nt")
                             + "\nonly expected:\n" + only_expected.serialize(format="nt"))


def path_of(iri: str, base: str) -> str:
    if iri == ONTOLOGY_IRI:
        return "ontology"
    if iri.startswith(CMQ_NS):
        return "ontology/" + iri[len(CMQ_NS):]
    return iri[len(base):]


RESOURCES = ["organisation/lp-exemple-laon", "organisation/campus",
             "formation/cap-plasturgie-lp-laon", "adhesion/lycee-condorcet-etablissement-support",
             CMQ_NS + "uai", CMQ_NS + "route/apprentissage", CMQ_NS + "niveau"]


@pytest.mark.parametrize("media", MEDIA_TYPES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_rdf_representations_match_the_engine(client: httpx.Client, base: str, resource: str,
                                              media: str) -> None:
    iri = resource if resource.startswith("http") else base + resource
    r = client.get(path_of(iri, base), headers={"Accept": media})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert "accept" in r.headers["vary"].lower()
    got = Graph().parse(data=r.content, format=RDFLIB_FORMAT[media])
    assert len(got) > 0
    assert_same(got, expected_document(client, iri))


def test_hash_parts_come_with_their_document(client: httpx.Client, base: str,
                                             dump: Graph) -> None:
    iri = base + "organisation/lp-exemple-laon"
    r = client.get("organisation/lp-exemple-laon?format=ttl")
    got = Graph().parse(data=r.content, format="turtle")
    oracle = Graph()
    for s, p, o in dump:
        if str(s) == iri or str(s).startswith(iri + "#"):
            oracle.add((s, p, o))
    assert {str(s) for s in oracle.subjects()} >= {iri + "#adresse", iri + "#position"}
    assert_same(got, oracle)


@pytest.mark.parametrize(("fmt", "media"), [("ttl", "text/turtle"),
                                            ("jsonld", "application/ld+json"),
                                            ("nt", "application/n-triples"),
                                            ("rdf", "application/rdf+xml"),
                                            ("html", "text/html"),
                                            ("application/ld+json", "application/ld+json")])
def test_format_parameter(client: httpx.Client, fmt: str, media: str) -> None:
    r = client.get("organisation/campus", params={"format": fmt}, headers=HTML)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media


def test_accept_q_values(client: httpx.Client) -> None:
    r = client.get("organisation/campus",
                   headers={"Accept": "text/html;q=0.5, application/rdf+xml;q=0.9"})
    assert r.headers["content-type"].startswith("application/rdf+xml")
    r = client.get("organisation/campus", headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    r = client.get("organisation/campus", headers=HTML)
    assert r.headers["content-type"].startswith("text/html")


def test_link_header_lists_every_alternate(client: httpx.Client) -> None:
    r = client.get("formation/cap-plasturgie-lp-laon", headers=HTML)
    links = re.findall(r'<([^>]+)>;\s*rel="alternate";\s*type="([^"]+)"', r.headers["link"])
    assert {m for _, m in links} == {"text/html", *MEDIA_TYPES}
    for url, media in links:
        alt = client.get(url)
        assert alt.status_code == 200
        assert alt.headers["content-type"].split(";")[0] == media
    assert "accept" in r.headers["vary"].lower()


def test_unknown_iri_is_404_with_a_helpful_page(client: httpx.Client, base: str) -> None:
    r = client.get("organisation/nobody-here", headers=HTML)
    assert r.status_code == 404
    page = Page(r.text)
    assert base + "organisation/nobody-here" in r.text
    assert "/organisation/lycee-condorcet" in page.links  # nearby resources of the same kind
    assert "/sparql" in page.links
    r = client.get("organisation/nobody-here", headers={"Accept": "text/turtle"})
    assert r.status_code == 404
    assert r.json()["status"] == 404
    assert client.get("ontology/noSuchTerm", headers=HTML).status_code == 404
    assert client.get("nothing/at/all", headers=HTML).status_code == 404


def test_unusable_iris_are_404_not_errors(client: httpx.Client) -> None:
    for path in ("organisation/a%3Eb", "organisation/a%20b", "organisation/%22x%22"):
        assert client.get(path, headers=HTML).status_code == 404
    for bad in ("a>b", "a b", 'a"b', "a{b}", "a\\b", "a\nb", ""):
        with pytest.raises(describe.InvalidIri):
            describe.sparql_iri("https://example.org/" + bad if bad else bad)


def test_not_acceptable_is_406(client: httpx.Client) -> None:
    r = client.get("organisation/campus", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "text/turtle" in r.text
    assert client.get("organisation/campus", params={"format": "pdf"}).status_code == 406
    assert client.get("ontology", headers={"Accept": "application/pdf"}).status_code == 406


def test_etag_and_not_modified(client: httpx.Client) -> None:
    r = client.get("organisation/campus", headers={"Accept": "text/turtle"})
    etag = r.headers["etag"]
    again = client.get("organisation/campus",
                       headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    html = client.get("organisation/campus", headers={**HTML, "If-None-Match": etag})
    assert html.status_code == 200  # another representation, another tag


def test_an_ontology_path_no_iri_can_hold_is_a_404(client: httpx.Client) -> None:
    for path in ("ontology/a|b", "organisation/a|b", "a|b/c"):
        for accept in (HTML, {"Accept": "text/turtle"}):
            assert client.get(path, headers=accept).status_code == 404, (path, accept)


def test_page_etag_changes_with_cmq_not_rdf(client: httpx.Client) -> None:
    """A page is data + templates: a cmq upgrade must not leave browsers on the old page."""
    page = client.get("organisation/campus", headers=HTML).headers["etag"]
    rdf = client.get("organisation/campus", headers={"Accept": "text/turtle"}).headers["etag"]
    assert f"-html-{__version__}" in page and __version__ not in rdf
    graph = client.get("graph/ontology", headers=HTML)
    assert graph.status_code == 200 and f"-html-{__version__}" in graph.headers["etag"]


def test_head(client: httpx.Client) -> None:
    r = client.head("organisation/campus", headers=HTML)
    assert r.status_code == 200 and r.content == b""


def test_html_page_with_french_label_links_and_schema_org(client: httpx.Client,
                                                          base: str) -> None:
    r = client.get("organisation/lp-exemple-laon", headers=HTML)
    assert r.status_code == 200
    page = Page(r.text)
    assert page.h1 == "Lycée professionnel Exemple (fictif)"
    assert "/territoire/grand-laonnois" in page.links
    assert "#adresse" in page.links
    assert "/ontology/route/voie-scolaire" not in page.links  # not linked from this page
    [data] = page.jsonld()
    assert data["@type"] == "EducationalOrganization"
    assert data["@id"] == base + "organisation/lp-exemple-laon"
    assert data["address"]["postalCode"] == "02000"  # type: ignore[index]
    assert "geo" in data
    assert "/static/cmq.css" in page.stylesheets
    formation = Page(client.get("formation/cap-plasturgie-lp-laon", headers=HTML).text)
    [program] = formation.jsonld()
    assert program["@type"] == "EducationalOccupationalProgram"
    assert program["provider"]["@id"] == base + "organisation/lp-exemple-laon"  # type: ignore[index]
    assert "/ontology/route/voie-scolaire" in formation.links


def test_ontology_document(client: httpx.Client, live_server: LiveServer) -> None:
    r = client.get("ontology", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    got = Graph().parse(data=r.content, format="turtle")
    folder = live_server.project.releases_dir / live_server.release.release_id
    shipped = Graph().parse(folder / "ontology.ttl", format="turtle")
    assert_same(got, shipped)
    for media in ("application/ld+json", "application/rdf+xml"):
        other = client.get("ontology", headers={"Accept": media})
        assert_same(Graph().parse(data=other.content, format=RDFLIB_FORMAT[media]), shipped)
    assert client.get("ontology/", follow_redirects=False).headers["location"] == "/ontology"


def test_ontology_overview_page(client: httpx.Client) -> None:
    r = client.get("ontology", headers=HTML)
    page = Page(r.text)
    assert page.h1 == "Ontologie des Campus des métiers et des qualifications"
    assert "Campus of trades and qualifications" in r.text  # English labels too
    assert {"/ontology/Campus", "/ontology/uai", "/ontology/route",
            "/ontology/route/apprentissage"} <= set(page.links)
    assert "Unité administrative immatriculée" in r.text  # definitions
    assert {"classes", "object-properties", "datatype-properties", "schemes"} <= set(page.ids)
    [data] = page.jsonld()
    assert (data["@type"], data["@id"]) == ("DefinedTermSet", ONTOLOGY_IRI)


def test_term_and_concept_pages(client: httpx.Client) -> None:
    term = Page(client.get("ontology/uai", headers=HTML).text)
    assert term.h1 == "code UAI"
    assert "/ontology" in term.links
    concept = client.get("ontology/niveau/3", headers=HTML)
    assert concept.status_code == 200
    page = Page(concept.text)
    assert page.h1.startswith("niveau 3")
    assert "/ontology/niveau" in page.links
    assert "/certification/cap-plasturgie" in page.links  # incoming: credentials of level 3
    [data] = page.jsonld()
    assert data["@type"] == "DefinedTerm"


def test_landing_page(client: httpx.Client, live_server: LiveServer) -> None:
    r = client.get("", headers=HTML)
    assert r.status_code == 200
    page = Page(r.text)
    info = live_server.release
    void = client.get(".well-known/void", headers={"Accept": "text/turtle"})
    triples = re.search(r"void:triples (\d+)", void.text)
    assert triples is not None
    assert page.ids["count-triples"].replace("\u202f", "") == triples.group(1)
    assert int(page.ids["count-entities"].replace("\u202f", "")) > 0
    assert page.ids["release-id"] == info.release_id
    for f in info.files:
        assert f"/dumps/{f.name}" in page.links
    assert {"/catalog", "/sparql", "/ontology", "/dumps/validation.html",
            "/organisation/campus"} <= set(page.links)
    assert "cmq:Campus" in r.text  # class partitions with their compact names
    [data] = page.jsonld()
    assert data["@type"] == "Dataset"
    for link in ("/dumps/campus.ttl", "/dumps/validation.html", "/static/cmq.css"):
        assert client.get(link).status_code == 200
    rdf = client.get("", headers={"Accept": "text/turtle"}, follow_redirects=False)
    assert rdf.status_code == 303 and rdf.headers["location"].startswith("/catalog")


def test_query_page_is_served_with_our_assets(client: httpx.Client,
                                              live_server: LiveServer) -> None:
    r = client.get("sparql", headers=HTML)
    assert r.status_code == 200
    page = Page(r.text)
    sources = [str(a.get("src")) for a, _ in page.scripts if a.get("src")]
    assert "/assets/yasgui/yasgui.min.js" in sources and "/static/query.js" in sources
    assert "/assets/yasgui/yasgui.min.css" in page.stylesheets
    assert not [s for s in sources + page.stylesheets if "//" in s]  # nothing from elsewhere
    for asset in sources + page.stylesheets:
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 100
    [config] = [json.loads(text) for attrs, text in page.scripts
                if attrs.get("id") == "cmq-query-config"]
    named = load_queries(Path(__file__).resolve().parents[1] / "queries")
    assert [q["name"] for q in config["queries"]] == [q.name for q in named]
    assert config["queries"][0]["text"] == named[0].text
    assert config["endpoint"] == "/sparql"
    [data] = page.jsonld()
    assert data["@type"] == "WebPage"
    assert client.get("assets/yasgui/package.json").status_code == 404
    assert client.get("assets/yasgui/..%2Fpackage.json").status_code == 404
    assert client.get("static/nothing.css").status_code == 404
