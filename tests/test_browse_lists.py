"""Lists with facets, downloads and search (issue 13) against the real server and its endpoint:
every facet count of a view equals the same question asked in SPARQL (``COUNT(DISTINCT ?s)``
grouped by the value's code), the CSV and JSON of a filtered view hold exactly its records, the
search ignores accents and case and matches word prefixes, and the 404 page suggests records."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx
import pytest
from conftest import copy_campus, set_cell
from server_fixtures import LiveServer, start_server

from publisher.release.browse_index import INDEX_FILE, KINDS_BY_NAME
from publisher.release.build import build_release
from publisher.release.folder import current_release
from publisher.server.browse_query import BrowseIndex, ListQuery

LEVEL = "schema:educationalCredentialAwarded/schema:educationalLevel/skos:notation"
ROUTE = "schema:educationalProgramMode/skos:notation"
#: filters of a formations view -> the same condition in SPARQL
FORMATION_VIEWS = [
    ({}, ""),
    ({"niveau": ("5",)}, f'?s {LEVEL} "5" .'),
    ({"niveau": ("5",), "voie": ("apprentissage",)},
     f'?s {LEVEL} "5" ; {ROUTE} "apprentissage" .'),
    ({"voie": ("apprentissage", "formation-continue")},
     f'?s {ROUTE} ?r0 . FILTER(?r0 IN ("apprentissage", "formation-continue"))'),
    ({"niveau": ("3", "5"), "voie": ("voie-scolaire",), "territoire": ("saint-quentinois",)},
     (f'?s {LEVEL} ?l0 ; {ROUTE} "voie-scolaire" ; schema:provider/cmq:territory ?t0 . '
     'FILTER(?l0 IN ("3", "5") && STRENDS(STR(?t0), "/saint-quentinois"))')),
]


def index(server: LiveServer) -> BrowseIndex:
    folder = current_release(server.project.releases_dir)
    assert folder is not None and (folder / INDEX_FILE).is_file()
    return BrowseIndex(folder)


@pytest.mark.parametrize(("filters", "condition"), FORMATION_VIEWS)
def test_formation_facet_counts_equal_sparql(live_server: LiveServer,
                                             filters: dict[str, tuple[str, ...]],
                                             condition: str) -> None:
    page = index(live_server).page(ListQuery(KINDS_BY_NAME["formations"], filters))
    base = f"?s a schema:EducationalOccupationalProgram . {condition}"
    total = live_server.rows(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {base} }}")
    assert page.total == int(total[0]["n"]) > 0
    paths = {"niveau": LEVEL, "voie": ROUTE,
             "territoire": "schema:provider/cmq:territory"}
    facets = {f.column.name: {v.code: v.count for v in f.values} for f in page.facets}
    for name, path in paths.items():
        value = "?code" if name != "territoire" else "?t"
        extra = "" if name != "territoire" else (
            ' BIND(REPLACE(STR(?t), "^.*/", "") AS ?code)')
        rows = live_server.rows(f"SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE "
                           f"{{ {base} ?s {path} {value} .{extra} }} GROUP BY ?code")
        expected = {r["code"]: int(r["n"]) for r in rows}
        assert facets[name] == expected, name


def test_establishment_facets_equal_sparql(live_server: LiveServer) -> None:
    kind = KINDS_BY_NAME["etablissements"]
    page = index(live_server).page(ListQuery(kind, {"statut": ("public",)}))
    rows = live_server.rows("""SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE {
      ?s a schema:EducationalOrganization ; cmq:status/skos:notation "public" ;
         org:classification/skos:notation ?code } GROUP BY ?code""")
    facets = {f.column.name: {v.code: v.count for v in f.values} for f in page.facets}
    assert facets["nature"] == {r["code"]: int(r["n"]) for r in rows}
    assert sum(facets["statut"].values()) == page.total > 0


def test_csv_and_json_of_a_filtered_view(live_server: LiveServer) -> None:
    query = "niveau=5&voie=apprentissage"
    body = httpx.get(f"{live_server.url}formations.csv?{query}", timeout=30)
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.text)))
    expected = live_server.rows(f"""SELECT DISTINCT ?s WHERE {{
      ?s a schema:EducationalOccupationalProgram ; {LEVEL} "5" ; {ROUTE} "apprentissage" }}""")
    assert {r["iri"] for r in rows} == {e["s"] for e in expected}
    assert all("apprentissage" in r["voie_code"].split(" ; ") for r in rows)
    same = httpx.get(f"{live_server.url}formations/?{query}&format=json", timeout=30).json()
    assert same["cap"] is None
    assert {r["iri"] for r in same["rows"]} == {e["s"] for e in expected}
    every = httpx.get(f"{live_server.url}formations.csv?par_page=1", timeout=30)
    assert len(list(csv.DictReader(io.StringIO(every.text)))) == index(live_server).page(
        ListQuery(KINDS_BY_NAME["formations"])).total  # downloads are not paged


def test_list_pages_answer_for_every_kind(live_server: LiveServer) -> None:
    for name in KINDS_BY_NAME:
        r = httpx.get(f"{live_server.url}{name}/", timeout=30)
        assert r.status_code == 200, name
        n = re.search(r'<strong id="total">(\d+)</strong>', r.text)
        assert n is not None and int(n.group(1)) > 0, name
        moved = httpx.get(f"{live_server.url}{name}", timeout=30)
        assert moved.status_code == 301 and moved.headers["location"].endswith(f"/{name}/")


@pytest.mark.parametrize("text", ["lycée professionnel laon", "LYCEE PROF LAO", "lyc prof laon"])
def test_search_ignores_accents_and_case(live_server: LiveServer, text: str) -> None:
    hits = httpx.get(f"{live_server.url}recherche", params={"q": text, "format": "json"},
                     timeout=30).json()["hits"]
    assert hits[0]["page"].endswith("/organisation/lp-exemple-laon")


def test_search_finds_national_identifiers(live_server: LiveServer) -> None:
    uai = "0029901B"  # the fictitious UAI of data/etablissements.csv
    hits = httpx.get(f"{live_server.url}recherche", params={"q": uai.lower(), "format": "json"},
                     timeout=30).json()["hits"]
    assert [h["page"].rsplit("/", 1)[-1] for h in hits] == ["lp-exemple-laon"]


def test_not_found_page_suggests_nearest_records(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}organisation/lycee-exemple-laon", timeout=30)
    assert r.status_code == 404
    assert 'href="/organisation/lp-exemple-laon"' in r.text.split('class="nearest"', 1)[1]


def test_index_file_is_read_only_and_described(live_server: LiveServer) -> None:
    ix = index(live_server)
    with ix.connect() as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        assert meta["release_id"] == live_server.release.release_id
        with pytest.raises(Exception, match="readonly|read-only"):
            db.execute("DELETE FROM records")


def test_charts_page_bars_with_their_data(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}graphiques", timeout=30)
    assert r.status_code == 200
    section = r.text.split('id="formations-voie"', 1)[1].split("</section>", 1)[0]
    rows = live_server.rows(f"""SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE {{
      ?s a schema:EducationalOccupationalProgram ; {ROUTE} ?code }} GROUP BY ?code""")
    assert section.count("<rect ") == len(rows) > 0
    for row in rows:  # the data table beside the chart holds the same counts
        assert re.search(rf'voie={row["code"]}">[^<]+</a></td><td class="num">{row["n"]}<',
                         section), row


def test_charts_page_has_no_time_chart_with_one_date(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}graphiques", timeout=30)
    assert 'id="formations-niveau"' in r.text and "évolution" not in r.text  # one date: 2014


def test_charts_page_shows_a_key_figure_over_time(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    project = copy_campus(tmp_path_factory.mktemp("series"))
    table = project.data_dir / "chiffres.csv"
    with table.open("a", encoding="utf-8", newline="") as out:  # an illustrative later figure
        csv.writer(out).writerow(["apprenants-2016", "Apprenants (2016, illustratif)",
                                  "apprenants", "", "2750", "2016-09-01", "oui",
                                  "cmq-lod-illustratif"])
    build_release(project)
    with start_server(project.root, {"workers": "1"}) as server:
        r = httpx.get(f"{server.url}graphiques", timeout=30)
        assert r.status_code == 200
        section = r.text.split('id="chiffres-apprenants"', 1)[1].split("</section>", 1)[0]
        assert "évolution" in section and section.count("<rect ") == 2
        cells = re.findall(r'<td><a href="/chiffres/\?indicateur=apprenants&amp;date=([0-9-]+)">'
                           r'[^<]+</a></td><td class="num">([0-9]+)<', section)
        assert cells == [("2014-10-15", "2500"), ("2016-09-01", "2750")]
        listed = httpx.get(f"{server.url}chiffres.json",
                           params={"indicateur": "apprenants", "date": "2016-09-01"}).json()
        assert [row["valeur"]["label"] for row in listed["rows"]] == ["2750"]


def test_record_page_labels_reused_properties_in_french(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}formation/cap-plasturgie-lp-laon", timeout=30)
    assert r.status_code == 200
    assert ">dispensée par</a>" in r.text and ">durée</a>" in r.text


# ------------------------------------------------------------------ the served pages


def page_of(server: LiveServer, query: str) -> tuple[int, list[str]]:
    """The total and the record paths of one HTML page of the formations list."""
    r = httpx.get(f"{server.url}formations/?{query}", timeout=30)
    assert r.status_code == 200
    total = re.search(r'<strong id="total">(\d+)</strong>', r.text)
    assert total is not None
    body = r.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return int(total.group(1)), re.findall(r'<tr>\s*<td><a href="/([^"]+)">', body)


def formations_count(server: LiveServer, condition: str) -> int:
    return server.count(f"?s a schema:EducationalOccupationalProgram . {condition}")


@pytest.mark.parametrize(("filters", "condition"), FORMATION_VIEWS)
def test_served_list_total_equals_sparql(live_server: LiveServer,
                                         filters: dict[str, tuple[str, ...]],
                                         condition: str) -> None:
    query = urlencode([(k, c) for k, codes in filters.items() for c in codes])
    for _ in range(2):  # the second answer comes from the release's page cache
        total, paths = page_of(live_server, query)
        assert total == formations_count(live_server, condition) > 0
        assert len(paths) == min(total, 50)


@pytest.mark.parametrize("view", ["tri=intitule", "tri=-intitule", "tri=commune",
                                  "tri=-niveau&voie=apprentissage", "tri=-etablissement"])
def test_pages_follow_the_order_of_the_download(live_server: LiveServer, view: str) -> None:
    rows = list(csv.DictReader(io.StringIO(
        httpx.get(f"{live_server.url}formations.csv?{view}", timeout=30).text)))
    column = view.split("&")[0].removeprefix("tri=")
    desc = column.startswith("-")
    texts = [(r[column.lstrip("-")] != "", r[column.lstrip("-")]) for r in rows]
    assert texts == sorted(texts, reverse=desc)  # empty first ascending, last descending
    paths: list[str] = []
    for page in range(1, -(-len(rows) // 4) + 2):  # one page past the last: empty
        total, found = page_of(live_server, f"{view}&par_page=4&page={page}")
        assert total == len(rows)
        paths += found
    assert paths == [r["page"].removeprefix(live_server.url) for r in rows]


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int]]:
    """A server of its own; a view and a search asked (so cached), then a second release
    where one more formation is in apprenticeship, with a new title."""
    project = copy_campus(tmp_path_factory.mktemp("switch"))
    first = build_release(project).info.release_id
    settings = {"reload_interval": "0.2", "workers": "1"}
    with start_server(project.root, settings) as server:
        before, _ = page_of(server, "voie=apprentissage")
        assert not search(server, "zythologie")
        set_cell(project, "formations.csv", "cap-plasturgie-lp-laon", "voies", "apprentissage")
        set_cell(project, "formations.csv", "cap-plasturgie-lp-laon", "intitule",
                 "CAP Zythologie (apprentissage)")
        second = build_release(project).info.release_id
        assert second != first
        deadline = time.monotonic() + 30
        while (httpx.get(server.url + "healthz").json()["release"] != second
               and time.monotonic() < deadline):
            time.sleep(0.1)
        assert httpx.get(server.url + "healthz").json()["release"] == second
        yield server, before


def search(server: LiveServer, text: str) -> list[str]:
    hits = httpx.get(f"{server.url}recherche", params={"q": text, "format": "json"},
                     timeout=30).json()["hits"]
    return [h["page"].rsplit("/", 1)[-1] for h in hits]


def test_a_new_release_drops_the_old_postings_and_pages(
        switched: tuple[LiveServer, int]) -> None:
    server, before = switched
    total, paths = page_of(server, "voie=apprentissage")
    assert total == before + 1 == formations_count(server, f'?s {ROUTE} "apprentissage" .')
    assert "formation/cap-plasturgie-lp-laon" in paths
    assert search(server, "zythologie") == ["cap-plasturgie-lp-laon"]
    rows = list(csv.DictReader(io.StringIO(httpx.get(
        f"{server.url}formations.csv?voie=apprentissage", timeout=30).text)))
    assert len(rows) == total


CERT_SECTOR = "schema:educationalCredentialAwarded/cmq:sector"
#: a formation's sector: its certification's, else its campus's (the campus of the release)
SECTOR_OF_FORMATION = (
    f"{{ ?s {CERT_SECTOR} ?v }} UNION {{ ?s a schema:EducationalOccupationalProgram "
    f"FILTER NOT EXISTS {{ ?s {CERT_SECTOR} ?x }} ?c a cmq:Campus ; cmq:sector ?v }}")


@pytest.mark.parametrize("filters", [{}, {"niveau": ("5",)}, {"secteur": ("plasturgie",)}])
def test_sector_facet_counts_equal_sparql(live_server: LiveServer,
                                          filters: dict[str, tuple[str, ...]]) -> None:
    condition = {"niveau": f'?s {LEVEL} "5" .',
                 "secteur": f"{SECTOR_OF_FORMATION.replace('?v', '?f')} "
                            '?f skos:notation "plasturgie" .'}
    base = "?s a schema:EducationalOccupationalProgram . " + " ".join(
        condition[name] for name in filters)
    page = index(live_server).page(ListQuery(KINDS_BY_NAME["formations"], filters))
    rows = live_server.rows(f"SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {base} "
                       f"{SECTOR_OF_FORMATION} ?v skos:notation ?code }} GROUP BY ?code")
    facets = {f.column.name: {v.code: v.count for v in f.values} for f in page.facets}
    assert facets["secteur"] == {r["code"]: int(r["n"]) for r in rows} != {}
    total = live_server.rows(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {base} }}")
    assert page.total == int(total[0]["n"])
    assert "campus" not in facets or facets["campus"] == {}  # one campus: no campus facet


def test_sector_list_page_and_certification_sectors(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}formations/", params={"secteur": "plasturgie"}, timeout=30)
    assert r.status_code == 200
    n = re.search(r'<strong id="total">(\d+)</strong>', r.text)
    expected = live_server.rows(f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
      ?s a schema:EducationalOccupationalProgram . {SECTOR_OF_FORMATION.replace('?v', '?f')}
      ?f skos:notation "plasturgie" }}""")
    assert n is not None and int(n.group(1)) == int(expected[0]["n"]) > 0
    assert 'data-facet="secteur"' in r.text and 'data-facet="campus"' not in r.text
    assert "<th" in r.text and ">Campus<" not in r.text  # no empty campus column
    certs = index(live_server).page(ListQuery(KINDS_BY_NAME["certifications"]))
    sectors = {f.column.name: {v.code: v.count for v in f.values} for f in certs.facets}
    rows = live_server.rows("""SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE {
      ?s a schema:EducationalOccupationalCredential .
      { ?s cmq:sector ?v } UNION { ?s a schema:EducationalOccupationalCredential
        FILTER NOT EXISTS { ?s cmq:sector ?x } ?c a cmq:Campus ; cmq:sector ?v }
      ?v skos:notation ?code } GROUP BY ?code""")
    assert sectors["secteur"] == {r["code"]: int(r["n"]) for r in rows}


# ------------------------------------------------------------------ facets whose values are records

#: (list, facet, French and English heading, the records ?s and their value ?v in SPARQL, the
#: value's title)
RECORD_FACETS = [
    ("formations", "certification", "Certification", "Certification",
     "?s a schema:EducationalOccupationalProgram ; schema:educationalCredentialAwarded ?v",
     "?v rdfs:label ?label"),
    ("adhesions", "membre_de", "Membre de", "Member of",
     "?s a org:Membership ; org:organization ?v", "?v skos:prefLabel ?label"),
]


def facet_links(html: str, facet: str) -> dict[str, tuple[str, str, int]]:
    """code -> (link, label, count) of one facet of a list page."""
    found = re.search(rf'<section class="facet" data-facet="{facet}">(.*?)</section>', html,
                      re.DOTALL)
    assert found is not None, facet
    values = re.findall(r'<a href="([^"]+)" data-code="([^"]+)">([^<]+)</a> '
                        r'<span class="n">(\d+)</span>', found.group(1))
    return {code: (unescape(url), unescape(label), int(n)) for url, code, label, n in values}


@pytest.mark.parametrize(("kind", "facet", "fr", "en", "where", "title"), RECORD_FACETS)
def test_record_facets_count_and_select_what_sparql_finds(
        live_server: LiveServer, kind: str, facet: str, fr: str, en: str, where: str,
        title: str) -> None:
    r = httpx.get(f"{live_server.url}{kind}/", timeout=30)
    assert r.status_code == 200
    assert f'data-facet="{facet}">\n      <h2>{fr} <span class="en" lang="en">{en}</span>' in r.text
    shown = facet_links(r.text, facet)
    rows = live_server.rows(f"""SELECT ?v ?label (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} .
      {title} FILTER(lang(?label) IN ("fr", "")) }} GROUP BY ?v ?label""")
    expected = {row["v"].rsplit("/", 1)[-1]: (row["label"], int(row["n"])) for row in rows}
    assert {code: (label, n) for code, (_url, label, n) in shown.items()} == expected != {}
    for code, (url, _label, n) in shown.items():  # each value's link: exactly its records
        assert parse_qsl(urlsplit(url).query) == [(facet, code)]
        page = httpx.get(urljoin(live_server.url, url), timeout=30)
        total = re.search(r'<strong id="total">(\d+)</strong>', page.text)
        assert total is not None and int(total.group(1)) == n, code
        assert f"{fr} : {expected[code][0]} ✕" in unescape(page.text)  # the chip
        listed = httpx.get(f"{live_server.url}{kind}.json", params={facet: code},
                           timeout=30).json()
        members = live_server.rows(f"SELECT DISTINCT ?s WHERE {{ {where} "
                                   f'FILTER(STRENDS(STR(?v), "/{code}")) }}')
        assert {row["iri"] for row in listed["rows"]} == {m["s"] for m in members}, code
