"""Lists, search and the map in a real headless Chromium (tests/chromium_cdp.py): each list opens,
two facets applied by clicking give the row count SPARQL gives for the same question, the CSV of
that view downloads and parses to the same records, the search box finds a record with and
without accents, and the establishments map has one marker per positioned establishment when
no tile server is reachable (``map_tiles`` points at a closed loopback port)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from browser_fixtures import BROWSER_TESTS
from chromium_cdp import Browser, Page
from server_fixtures import LiveServer

from publisher.release.browse_index import KINDS

pytestmark = BROWSER_TESTS

LEVEL = "schema:educationalCredentialAwarded/schema:educationalLevel/skos:notation"
ROUTE = "schema:educationalProgramMode/skos:notation"



def click_facet(page: Page, facet: str, code: str) -> None:
    before = page.evaluate("location.href")
    page.evaluate(f"document.querySelector('[data-facet=\"{facet}\"] a[data-code=\"{code}\"]')"
                  ".click()")
    page.wait_for(f"location.href !== {before!r} && document.readyState === 'complete'",
                  f"facet {facet}={code}")


def table_rows(page: Page) -> int:
    return int(page.evaluate("document.querySelectorAll('table.records tbody tr').length"))


def test_every_list_opens(browser: Browser, no_tiles_server: LiveServer, tmp_path: Path) -> None:
    page = browser.new_page()
    for kind in KINDS:
        page.navigate(f"{no_tiles_server.url}{kind.name}/")
        assert page.evaluate("document.querySelector('article.list').dataset.kind") == kind.name
        total = int(page.evaluate("document.getElementById('total').textContent"))
        assert total == table_rows(page) > 0, kind.name
        page.screenshot(tmp_path / f"{kind.name}.png")


def clicked_formations(browser: Browser, server: LiveServer, clicks: list[tuple[str, str]],
                       where: str) -> tuple[Page, int]:
    """/formations/ after clicking the facet values ``clicks``; the page shows as many rows
    (its total and its table) as SPARQL finds formations for ``where``, which it returns."""
    page = browser.new_page()
    page.navigate(server.url + "formations/")
    for facet, code in clicks:
        click_facet(page, facet, code)
        assert f"{facet}={code}" in page.evaluate("location.search")
    expected = server.count(f"?s a schema:EducationalOccupationalProgram . {where}")
    assert int(page.evaluate("document.getElementById('total').textContent")) == expected
    assert table_rows(page) == expected > 0
    return page, expected


def test_two_facets_by_clicking_then_csv(browser: Browser, no_tiles_server: LiveServer) -> None:
    page, expected = clicked_formations(browser, no_tiles_server,
                                        [("niveau", "5"), ("voie", "apprentissage")],
                                        f'?s {LEVEL} "5" ; {ROUTE} "apprentissage" .')
    # the CSV of this view, fetched by the page from its own link
    text = page.evaluate("fetch(document.getElementById('csv').href).then(r => r.text())")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == expected
    assert all(r["niveau_code"] == "5" and "apprentissage" in r["voie_code"] for r in rows)
    shown = page.evaluate("Array.from(document.querySelectorAll('table.records tbody tr "
                          "td:first-child a')).map(a => a.getAttribute('href'))")
    assert sorted(shown) == sorted("/" + r["page"].split("/", 3)[3] for r in rows)


def test_sector_facet_by_clicking(browser: Browser, no_tiles_server: LiveServer) -> None:
    """``/formations/?secteur=plasturgie``: the certification's sector, else the campus's."""
    cert = "schema:educationalCredentialAwarded/cmq:sector"
    clicked_formations(browser, no_tiles_server, [("secteur", "plasturgie"), ("niveau", "4")],
                       f"""?s {LEVEL} "4" . {{ ?s {cert} ?v }} UNION {{
                       ?s a schema:EducationalOccupationalProgram FILTER NOT EXISTS {{ ?s {cert} ?x }} ?c a cmq:Campus ; cmq:sector ?v }}
                       ?v skos:notation "plasturgie" .""")


@pytest.mark.parametrize("text", ["Lycée professionnel Laon", "lycee professionnel laon"])
def test_search_box_with_and_without_accents(browser: Browser, no_tiles_server: LiveServer,
                                             text: str) -> None:
    page = browser.new_page()
    page.navigate(no_tiles_server.url + "ontology")  # the box is on every page
    page.evaluate(f"(() => {{ const i = document.querySelector('form.site-search input'); "
                  f"i.value = {text!r}; i.form.submit(); }})()")
    page.wait_for("location.pathname", "the results page")
    page.wait_for("location.pathname === '/recherche' && !!document.querySelector('ol.hits a')",
                  f"search results ({page.evaluate('location.href')})")
    first = page.evaluate("document.querySelector('ol.hits a').getAttribute('href')")
    assert first == "/organisation/lp-exemple-laon"


def test_map_markers_without_tile_server(browser: Browser, no_tiles_server: LiveServer,
                                         tmp_path: Path) -> None:
    expected = no_tiles_server.count("?s a schema:EducationalOrganization ; "
                                     "locn:geometry/geo:asWKT ?w .")
    page = browser.new_page()
    page.navigate(no_tiles_server.url + "etablissements/")
    markers = page.wait_for("document.getElementById('map').dataset.markers", "map markers")
    assert int(markers) == expected > 0
    page.screenshot(tmp_path / "map.png")
    # the landing page's map: establishments and partners
    page.navigate(no_tiles_server.url)
    members = page.wait_for("document.getElementById('map').dataset.markers", "landing map")
    assert int(members) > expected
