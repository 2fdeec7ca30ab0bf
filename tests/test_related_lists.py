"""A record page's block cut short at RELATED_LIMIT points to the browse list holding all its
records (publisher/server/related_lists.py), against the real server: a copy of the campus where
one establishment provides more formations than the limit, all leading to one certification, and
more organisations than the limit are members of the campus (synthetic rows, marked
illustrative). The establishment's « Formations par niveau » links ``/formations/?etablissement=…``,
the certification's « Formations qui y mènent » ``/formations/?certification=…`` and the campus's
« Membres par rôle et nature » ``/adhesions/?membre_de=…``; each list (page, CSV and JSON) holds
exactly the records SPARQL finds. Without a browse index there is no list link."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
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
MEMBERS = RELATED_LIMIT + 3  # synthetic partners, members of the campus
FICTIONAL = ["oui", "cmq-lod-illustratif"]


def append(table: Path, rows: Iterable[list[str]]) -> None:
    with table.open("a", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The campus with EXTRA illustrative formations at SCHOOL, all leading to CERTIFICATION,
    and MEMBERS illustrative partners, members of the campus."""
    project = copy_campus(tmp_path_factory.mktemp("crowded"))
    append(project.data_dir / "formations.csv", (
        [f"formation-illustrative-{i:03d}", f"Formation illustrative n° {i:03d} (fictif)",
         CERTIFICATION, SCHOOL, "voie-scolaire", "P2Y", "12", "", *FICTIONAL]
        for i in range(EXTRA)))
    partners = [f"entreprise-illustrative-{i:03d}" for i in range(MEMBERS)]
    append(project.data_dir / "partenaires.csv", (
        [p, f"Entreprise illustrative n° {p[-3:]} (fictif)", "entreprise", *[""] * 11, *FICTIONAL]
        for p in partners))
    append(project.data_dir / "adhesions.csv",
           ([p, "partenaire-industriel", "", "", *FICTIONAL] for p in partners))
    build_release(project)
    with start_server(project.root, {"workers": "1", "map_tiles": ""}) as server:
        yield server


def section(html: str, key: str) -> str:
    found = re.search(rf'<section class="related" id="{key}">(.*?)</section>', html, re.DOTALL)
    assert found is not None, f"no block {key}"
    return found.group(1)


def sparql_set(server: LiveServer, where: str) -> set[str]:
    return {row["s"] for row in server.rows(f"SELECT DISTINCT ?s WHERE {{ {where} }}")}


#: (page, block, list, facet, code, the block's records in SPARQL ({base}: the base IRI),
#: French and English names of the list's records)
CUT_SHORT = [
    (f"organisation/{SCHOOL}", "formations-par-niveau", "formations", "etablissement", SCHOOL,
     f"?s schema:provider <{{base}}organisation/{SCHOOL}>", "formations", "programmes"),
    (f"certification/{CERTIFICATION}", "formations-menant", "formations", "certification",
     CERTIFICATION, f"?s schema:educationalCredentialAwarded <{{base}}certification/{CERTIFICATION}>",
     "formations", "programmes"),
    ("organisation/campus", "membres", "adhesions", "membre_de", "campus",
     "?s a org:Membership ; org:organization <{base}organisation/campus>", "adhésions",
     "memberships"),
]


@pytest.mark.parametrize(("page", "key", "kind", "facet", "code", "where", "fr", "en"), CUT_SHORT)
def test_a_cut_short_block_links_to_the_filtered_list(
        crowded: LiveServer, page: str, key: str, kind: str, facet: str, code: str, where: str,
        fr: str, en: str) -> None:
    expected = sparql_set(crowded, where.format(base=crowded.release.config.base_iri))
    assert len(expected) > RELATED_LIMIT
    r = httpx.get(f"{crowded.url}{page}", headers=HTML, timeout=60)
    assert r.status_code == 200
    block = section(r.text, key)
    assert block.count("<li>") == RELATED_LIMIT  # the page shows the limit…
    link = re.search(rf'<a class="full-list" href="([^"]+)">les (\d+) {fr}</a>', block)
    assert link is not None, block[-800:]  # …and links the list of them all
    href = link.group(1).replace("&amp;", "&")
    assert urlsplit(href).path == f"/{kind}/"
    assert parse_qsl(urlsplit(href).query) == [(facet, code)]
    assert int(link.group(2)) == len(expected)
    assert "List cut short: see all" in block and f"{len(expected)} {en}" in block
    heading = f'<span class="count">({RELATED_LIMIT} sur {len(expected)})</span>'
    assert heading in block and block.index(heading) < block.index("full-list") < block.index("<li>")
    listed = httpx.get(urljoin(crowded.url, href), headers=HTML, timeout=60)
    assert listed.status_code == 200
    total = re.search(r'<strong id="total">(\d+)</strong>', listed.text)
    assert total is not None and int(total.group(1)) == len(expected)
    as_json = httpx.get(f"{crowded.url}{kind}.json", params={facet: code}, timeout=60).json()
    assert {row["iri"] for row in as_json["rows"]} == expected
    rows = list(csv.reader(io.StringIO(httpx.get(
        f"{crowded.url}{kind}.csv", params={facet: code}, timeout=60).text)))
    assert {row[0] for row in rows[1:]} == expected


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
    assert list_of("incoming", concept, doc) is None  # not a block of related records


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
    cert, campus = f"{base}certification/{CERTIFICATION}", f"{base}organisation/campus"
    leading = list_links(index, "/", cert, Graph(), ["formations-menant"])["formations-menant"]
    assert leading.url == f"/formations/?certification={CERTIFICATION}"
    assert leading.count == live_server.count(
        f"?s schema:educationalCredentialAwarded <{cert}>") > 0
    members = list_links(index, "/", campus, Graph(), ["membres"])["membres"]
    assert members.url == "/adhesions/?membre_de=campus"
    assert members.count == live_server.count(
        f"?s a org:Membership ; org:organization <{campus}>") > 0
    concept = URIRef(f"{CMQ_NS}specialite-nsf/225")
    doc = Graph()
    doc.add((concept, SKOS.inScheme, URIRef(f"{CMQ_NS}specialite-nsf")))
    doc.add((concept, SKOS.notation, Literal("225")))
    coded = list_links(index, "/", str(concept), doc, ["certifications"])["certifications"]
    assert coded.url == "/certifications/?nsf=225"
    assert coded.count == live_server.count('?s cmq:nsf "225"') > 0


def test_no_browse_index_no_list_link(tmp_path: Path) -> None:
    doc = Graph()
    blocks = ["formations-par-niveau", "formations-menant", "adhesions", "membres", "partenariats"]
    assert list_links(BrowseIndex(tmp_path), "/", "https://example.org/organisation/x", doc,
                      blocks) == {}
