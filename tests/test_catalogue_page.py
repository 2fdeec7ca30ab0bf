"""``/catalog`` and ``/.well-known/void`` on the REAL server over loopback: the page for browsers,
RDF for everyone else exactly as before (docs/decisions/0024-catalogue-html.md), and the view
model of a catalogue with several versions."""

from __future__ import annotations

import hashlib
import http.client
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import copy_campus, set_cell
from rdflib import Graph, Literal
from rdflib.namespace import XSD
from server_fixtures import LiveServer
from store_fixtures import assert_isomorphic

from publisher.html.render import Linker
from publisher.release import model as rm
from publisher.release.build import build_release
from publisher.server.catalog_view import bbox_of, catalog_view
from publisher.server.graph_values import show_date
from publisher.server.void_view import void_view

#: What browsers send when following a link (Chromium 1xx, Firefox 1xx).
CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
            "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DOCS = [("catalog", rm.CATALOG_TTL), (".well-known/void", rm.VOID_TTL)]


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def release_file(server: LiveServer, name: str) -> Graph:
    folder = server.project.releases_dir / server.release.release_id
    return Graph().parse(folder / name, format="turtle")


def bare_request(server: LiveServer, method: str, path: str,
                 headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A request with exactly ``headers`` (http.client adds no ``Accept``, unlike httpx)."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request(method, "/" + path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# ------------------------------------------------------------------ the page for browsers


@pytest.mark.parametrize("doc, name", DOCS)
@pytest.mark.parametrize("accept", [CHROMIUM, FIREFOX, "text/html", "application/xhtml+xml"])
def test_browsers_get_the_page(client: httpx.Client, doc: str, name: str, accept: str) -> None:
    r = client.get(doc, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "accept" in r.headers["vary"].lower()
    link = r.headers["link"]
    for media in ("text/turtle", "application/ld+json", "application/n-triples",
                  "application/rdf+xml", "text/html"):
        assert f'rel="alternate"; type="{media}"' in link
    assert f'href="/{doc}?format=ttl"' in r.text  # the RDF stays one click away


def test_catalogue_page_lists_the_datasets_and_their_files(live_server: LiveServer,
                                                          client: httpx.Client) -> None:
    html = client.get("catalog", headers={"Accept": CHROMIUM}).text
    cfg = live_server.release.config
    assert cfg.title in html and cfg.title_en in html
    assert 'href="/sparql"' in html  # the query page
    assert live_server.release.release_id in html  # the versions
    rows = re.findall(r'<tr data-iri="([^"]+)">(.*?)</tr>', html, re.DOTALL)
    downloads = [(re.search(r'class="download" href="([^"]+)"', row),
                  re.search(r'class="checksum" title="([0-9a-f]+)"', row)) for _, row in rows]
    files = [(link.group(1), digest.group(1)) for link, digest in downloads if link and digest]
    assert len(files) >= 10, rows
    for href, sha256 in files:  # every download link works and gives the file its checksum says
        got = client.get(href, headers={"Accept-Encoding": "identity"})
        assert got.status_code == 200, href
        assert hashlib.sha256(got.content).hexdigest() == sha256, href


def test_void_page_shows_counts_partitions_and_dumps(live_server: LiveServer,
                                                    client: httpx.Client) -> None:
    html = client.get(".well-known/void", headers={"Accept": CHROMIUM}).text
    triples = f"{live_server.release.triples:,}".replace(",", "\u202f")
    assert f"<dd>{triples}</dd>" in html
    assert 'table class="partitions classes"' in html and "cmq:Campus" in html
    assert 'table class="partitions properties"' in html and "rdf:type" in html
    assert 'href="/releases/' in html and "campus.nt.gz" in html


def test_page_validators_and_head(client: httpx.Client) -> None:
    page = client.get("catalog", headers={"Accept": CHROMIUM})
    ttl = client.get("catalog", headers={"Accept": "text/turtle"})
    assert page.headers["etag"] != ttl.headers["etag"]
    again = client.get("catalog", headers={"Accept": CHROMIUM,
                                           "If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    head = client.head("catalog", headers={"Accept": CHROMIUM})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == page.headers["content-type"]
    assert head.headers["etag"] == page.headers["etag"]


# ------------------------------------------------------------------ RDF as before


@pytest.mark.parametrize("doc, name", DOCS)
@pytest.mark.parametrize("accept, media, rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("*/*", "text/turtle", "turtle"),
    ("text/*", "text/turtle", "turtle"),
    ("text/html;q=0.5, text/turtle", "text/turtle", "turtle"),
    ("text/html, application/ld+json", "application/ld+json", "json-ld"),  # a tie: RDF first
])
def test_rdf_clients_get_the_file(live_server: LiveServer, client: httpx.Client, doc: str,
                                  name: str, accept: str, media: str, rdflib_format: str) -> None:
    r = client.get(doc, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert "accept" in r.headers["vary"].lower() and 'rel="alternate"' in r.headers["link"]
    assert_isomorphic(Graph().parse(data=r.content, format=rdflib_format),
                      release_file(live_server, name))


@pytest.mark.parametrize("doc, name", DOCS)
def test_no_accept_header_gets_the_turtle_file_byte_for_byte(live_server: LiveServer, doc: str,
                                                              name: str) -> None:
    status, headers, body = bare_request(live_server, "GET", doc, {})
    assert status == 200 and headers["content-type"] == "text/turtle; charset=utf-8"
    folder = live_server.project.releases_dir / live_server.release.release_id
    assert body == (folder / name).read_bytes()


def test_harvester_head_then_get(live_server: LiveServer) -> None:
    """data.gouv.fr's DCAT harvester (python-requests): no extension in the URL, so a HEAD whose
    ``Content-Type`` names the format, then a GET, both with ``Accept: */*``, no redirect."""
    ua = {"User-Agent": "uData/0.1 dcat", "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
    status, headers, body = bare_request(live_server, "HEAD", "catalog", ua)
    assert status == 200 and body == b""
    assert headers["content-type"].split(";")[0] == "text/turtle"
    status, headers, body = bare_request(live_server, "GET", "catalog", ua)
    assert status == 200 and headers["content-type"].split(";")[0] == "text/turtle"
    assert_isomorphic(Graph().parse(data=body, format="turtle"),
                      release_file(live_server, rm.CATALOG_TTL))


@pytest.mark.parametrize("doc, name", DOCS)
def test_format_parameter_wins(live_server: LiveServer, client: httpx.Client, doc: str,
                               name: str) -> None:
    r = client.get(doc, params={"format": "ttl"}, headers={"Accept": CHROMIUM})
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    assert_isomorphic(Graph().parse(data=r.content, format="turtle"),
                      release_file(live_server, name))
    r = client.get(doc, params={"format": "html"}, headers={"Accept": "text/turtle"})
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    r = client.get(doc, params={"format": "application/ld+json"}, headers={"Accept": "*/*"})
    assert r.headers["content-type"] == "application/ld+json; charset=utf-8"


@pytest.mark.parametrize("doc", ["catalog", ".well-known/void"])
def test_406_when_nothing_offered_fits(client: httpx.Client, doc: str) -> None:
    r = client.get(doc, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert client.get(doc, params={"format": "pdf"}).status_code == 406


# ------------------------------------------------------------------ the view model


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, str, str, str]:
    """The catalogue of the second of two releases of a copy of the shipped campus."""
    project = copy_campus(tmp_path_factory.mktemp("catalogue-page") / "campus")
    first = build_release(project).info
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom",
             "Lycée professionnel Exemple de Laon (fictif, renommé)")
    second = build_release(project).info
    graph = Graph().parse(Path(project.releases_dir / second.release_id / rm.CATALOG_TTL))
    return graph, second.catalog_iri, first.release_id, second.release_id


def test_view_has_the_versions_newest_first(two_versions: tuple[Graph, str, str, str]) -> None:
    graph, iri, first, second = two_versions
    public = "http://127.0.0.1:8000/"
    view = catalog_view(graph, iri, Linker("https://w3id.org/cmq/campus/x/"), public)
    assert view is not None and len(view.datasets) == 1
    versions = view.datasets[0].versions
    assert [v.version for v in versions] == [second, first]
    assert [v.current for v in versions] == [True, False]
    assert versions[0].previous is not None and versions[0].previous.endswith(first)
    files = [f.download for v in versions for f in v.distributions]
    assert files and all(f is not None and f.startswith("/releases/") for f in files)
    spatial = [p for p in view.datasets[0].places if p.bbox is not None]
    assert len(spatial) == 1
    west, south, east, north = spatial[0].bbox or (0, 0, 0, 0)
    assert west < east and south < north


def test_bbox_of_a_polygon() -> None:
    assert bbox_of("POLYGON((2.29 49.56, 3.63 49.56, 3.63 49.895, 2.29 49.895, 2.29 49.56))") == (
        2.29, 49.56, 3.63, 49.895)
    assert bbox_of("not a polygon") is None


def test_void_view_lists_subsets_and_linksets(live_server: LiveServer) -> None:
    info = live_server.release
    base = info.config.base_iri
    version = info.version_iri
    graph = Graph().parse(data=f"""
        @prefix void: <http://rdfs.org/ns/void#> . @prefix dct: <http://purl.org/dc/terms/> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <{version}> a void:Dataset ; void:triples 10 ; void:subset <{base}graph/campus/a> .
        <{base}graph/campus/a> a void:Dataset ; dct:title "Campus A" ; void:triples 7 .
        <{version}#wikidata> a void:Linkset ; void:linkPredicate owl:sameAs ;
            void:subjectsTarget <{version}> ; void:objectsTarget <http://www.wikidata.org/> ;
            void:triples 3 .
    """, format="turtle")
    view = void_view(graph, Graph(), info, Linker(base))
    assert view is not None
    assert [(s.title.fr, s.href, s.triples) for s in view.subsets] == [
        ("Campus A", "/graph/campus/a", 7)]
    assert len(view.linksets) == 1 and view.linksets[0].triples == 3
    assert view.linksets[0].predicate is not None
    assert view.linksets[0].predicate.compact == "owl:sameAs"
    assert [c.value for c in view.counts] == [10]


def test_void_page_links_classes_to_their_lists(live_server: LiveServer,
                                                client: httpx.Client) -> None:
    """A class whose list holds exactly its instances links to that list, with the same count."""
    html = client.get(".well-known/void", headers={"Accept": CHROMIUM}).text
    row = re.search(r'href="/formations/">.*?</a></td><td class="num">([^<]+)</td>', html)
    assert row is not None, "no list link for the formations"
    rows = client.get("formations.json").json()["rows"]  # every row of the list, no cap
    assert int(row.group(1).replace("\u202f", "")) == len(rows) > 0


def test_dates_with_an_offset_are_shown_in_utc() -> None:
    stamp = Literal("2026-12-03T20:15:00+02:00", datatype=XSD.dateTime)
    assert show_date(stamp) == "2026-12-03 18:15 UTC"
    assert show_date(Literal("2026-12-03T20:15:00", datatype=XSD.dateTime)) == "2026-12-03 20:15"
    assert show_date(Literal("2026-12-03", datatype=XSD.date)) == "2026-12-03"
