"""A record page's block cut short at RELATED_LIMIT points to the browse list holding all its
records (publisher/server/related_lists.py), against the real server: a copy of the campus where
one establishment provides more formations than the limit (synthetic rows, marked illustrative)
links its « Formations par niveau » to ``/formations/?etablissement=…``, and that list (page,
CSV and JSON) holds exactly the formations SPARQL counts; the certification they lead to has no
list with such a facet and keeps its SPARQL link. Without a browse index there is no list link."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
from conftest import copy_campus
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS
from server_fixtures import LiveServer, start_server

from publisher.core.namespaces import CMQ_NS
from publisher.release.build import build_release
from publisher.release.folder import current_release
from publisher.server.browse_query import BrowseIndex
from publisher.server.related import RELATED_LIMIT
from publisher.server.related_lists import list_links, list_of

HTML = {"Accept": "text/html"}
SCHOOL = "lp-exemple-laon"
CERTIFICATION = "cap-plasturgie"
EXTRA = RELATED_LIMIT + 7  # synthetic formations of SCHOOL, more than a page shows


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The campus with EXTRA illustrative formations at SCHOOL, all leading to CERTIFICATION."""
    project = copy_campus(tmp_path_factory.mktemp("crowded"))
    table = project.data_dir / "formations.csv"
    with table.open("a", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for i in range(EXTRA):
            writer.writerow([f"formation-illustrative-{i:03d}",
                             f"Formation illustrative n° {i:03d} (fictif)", CERTIFICATION, SCHOOL,
                             "voie-scolaire", "P2Y", "12", "", "oui", "cmq-lod-illustratif"])
    build_release(project)
    with start_server(project.root, {"workers": "1", "map_tiles": ""}) as server:
        yield server


def section(html: str, key: str) -> str:
    found = re.search(rf'<section class="related" id="{key}">(.*?)</section>', html, re.DOTALL)
    assert found is not None, f"no block {key}"
    return found.group(1)


def sparql_set(server: LiveServer, where: str) -> set[str]:
    return {row["s"] for row in server.rows(f"SELECT DISTINCT ?s WHERE {{ {where} }}")}


def test_cut_short_formations_link_to_the_filtered_list(crowded: LiveServer) -> None:
    base = crowded.release.config.base_iri
    school = f"{base}organisation/{SCHOOL}"
    expected = sparql_set(crowded, f"?s schema:provider <{school}>")
    assert len(expected) > RELATED_LIMIT
    r = httpx.get(f"{crowded.url}organisation/{SCHOOL}", headers=HTML, timeout=60)
    assert r.status_code == 200
    block = section(r.text, "formations-par-niveau")
    assert block.count("<li>") == RELATED_LIMIT  # the page shows the limit…
    link = re.search(r'<a class="full-list" href="([^"]+)">les (\d+) formations</a>', block)
    assert link is not None, block[-800:]  # …and links the list of them all
    href = link.group(1).replace("&amp;", "&")
    assert urlsplit(href).path == "/formations/"
    assert parse_qsl(urlsplit(href).query) == [("etablissement", SCHOOL)]
    assert int(link.group(2)) == len(expected)
    assert "List cut short: see all" in block and f"{len(expected)} programmes" in block
    heading = f'<span class="count">({RELATED_LIMIT} sur {len(expected)})</span>'
    assert heading in block and block.index(heading) < block.index("full-list") < block.index("<li>")
    page = httpx.get(urljoin(crowded.url, href), headers=HTML, timeout=60)
    assert page.status_code == 200
    total = re.search(r'<strong id="total">(\d+)</strong>', page.text)
    assert total is not None and int(total.group(1)) == len(expected)
    listed = httpx.get(f"{crowded.url}formations.json", params={"etablissement": SCHOOL},
                       timeout=60).json()
    assert {row["iri"] for row in listed["rows"]} == expected
    rows = list(csv.reader(io.StringIO(httpx.get(
        f"{crowded.url}formations.csv", params={"etablissement": SCHOOL}, timeout=60).text)))
    assert {row[0] for row in rows[1:]} == expected


def test_a_block_without_a_facet_keeps_its_sparql_link(crowded: LiveServer) -> None:
    base = crowded.release.config.base_iri
    leading = sparql_set(crowded, f"?s schema:educationalCredentialAwarded "
                                  f"<{base}certification/{CERTIFICATION}>")
    assert len(leading) > RELATED_LIMIT
    r = httpx.get(f"{crowded.url}certification/{CERTIFICATION}", headers=HTML, timeout=60)
    assert r.status_code == 200
    block = section(r.text, "formations-menant")
    assert block.count("<li>") == RELATED_LIMIT
    assert "full-list" not in block and 'href="/sparql"' in block
    assert "Liste tronquée : la suite est disponible par" in block
    assert f'<span class="count">({RELATED_LIMIT})</span>' in block  # no total known


def test_pages_not_cut_short_say_nothing(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}organisation/{SCHOOL}", headers=HTML, timeout=60)
    assert r.status_code == 200 and "formations-par-niveau" in r.text
    assert "Liste tronquée" not in r.text and "full-list" not in r.text


def test_code_concepts_use_the_facet_of_their_scheme() -> None:
    concept = f"{CMQ_NS}specialite-nsf/225"
    doc = Graph()
    doc.add((URIRef(concept), SKOS.inScheme, URIRef(f"{CMQ_NS}specialite-nsf")))
    doc.add((URIRef(concept), SKOS.notation, Literal("225")))
    assert list_of("certifications", concept, doc) == ("certifications", "nsf")
    assert list_of("certifications", concept, Graph()) is None  # no scheme: no list
    assert list_of("formations-menant", concept, doc) is None
    assert list_of("membres", concept, doc) is None


def test_every_list_link_counts_what_sparql_counts(live_server: LiveServer) -> None:
    """Each block's list, in the shipped campus's index, holds the block's records."""
    base = live_server.release.config.base_iri
    folder = current_release(live_server.project.releases_dir)
    assert folder is not None
    index = BrowseIndex(folder)
    school, condorcet = f"{base}organisation/{SCHOOL}", f"{base}organisation/lycee-condorcet"
    links = list_links(index, "/", school, Graph(),
                       ["formations-par-niveau", "adhesions", "partenariats", "membres"])
    assert set(links) == {"formations-par-niveau", "adhesions"}  # it has no partnership
    expected = {"formations-par-niveau": live_server.count(f"?s schema:provider <{school}>"),
                "adhesions": live_server.count(f"?s org:member <{school}>")}
    assert {k: link.count for k, link in links.items()} == expected
    assert links["adhesions"].url == f"/adhesions/?membre={SCHOOL}"
    parties = list_links(index, "/", condorcet, Graph(), ["partenariats"])["partenariats"]
    assert parties.url == "/partenariats/?partie=lycee-condorcet"
    assert parties.count == live_server.count(f"?s cmq:party <{condorcet}>") > 0
    concept = URIRef(f"{CMQ_NS}specialite-nsf/225")
    doc = Graph()
    doc.add((concept, SKOS.inScheme, URIRef(f"{CMQ_NS}specialite-nsf")))
    doc.add((concept, SKOS.notation, Literal("225")))
    coded = list_links(index, "/", str(concept), doc, ["certifications"])["certifications"]
    assert coded.url == "/certifications/?nsf=225"
    assert coded.count == live_server.count('?s cmq:nsf "225"') > 0


def test_no_browse_index_no_list_link(tmp_path: Path) -> None:
    doc = Graph()
    blocks = ["formations-par-niveau", "adhesions", "partenariats"]
    assert list_links(BrowseIndex(tmp_path), "/", "https://example.org/organisation/x", doc,
                      blocks) == {}
