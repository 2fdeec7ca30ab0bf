"""The pages in a real headless Chromium (Debian ``chromium``), driven over the DevTools
protocol (tests/chromium_cdp.py): the landing page with its counts, a resource page with its
French label and links, and the YASGUI query page — its files from our server only, the first
named query as the one tab of a fresh browser (the others in the picker), a query run from the
page showing its results (more in test_query_page_browser.py)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from browser_fixtures import BROWSER_TESTS
from chromium_cdp import Browser, Page
from server_fixtures import LiveServer

from publisher.project.queries import load_queries

pytestmark = BROWSER_TESTS

QUERIES = Path(__file__).resolve().parents[1] / "queries"
TAB_NAMES = ("Array.from(document.querySelectorAll('.yasgui .tabsList .tab'))"
             ".map(t => t.querySelector('span').textContent.trim())")



def local_only(page: Page, server: LiveServer) -> None:
    """Every request the page made went to our server (or stayed inside the browser)."""
    assert page.foreign_requests(str(urlsplit(server.url).hostname)) == []


def test_landing_page_shows_counts(browser: Browser, live_server: LiveServer,
                                   tmp_path: Path) -> None:
    page = browser.new_page()
    page.navigate(live_server.url)
    triples = page.evaluate("document.getElementById('count-triples').textContent")
    assert int(triples.replace("\u202f", "")) > 1000
    classes = page.evaluate("document.querySelectorAll('table.classes tbody tr').length")
    assert classes > 5
    assert page.evaluate("document.getElementById('release-id').textContent") == (
        live_server.release.release_id)
    # the stylesheet applied: the header has the accent border
    border = page.evaluate("getComputedStyle(document.querySelector('header.site'))"
                           ".borderBottomStyle")
    assert border == "solid"
    local_only(page, live_server)
    assert page.screenshot(tmp_path / "landing.png").stat().st_size > 10_000


def test_resource_page_french_label_and_links(browser: Browser,
                                              live_server: LiveServer) -> None:
    page = browser.new_page()
    page.navigate(live_server.url + "organisation/lycee-condorcet")
    assert page.evaluate("document.querySelector('h1').textContent") == (
        "Lycée Condorcet (espace scolaire Condorcet)")
    assert page.evaluate("document.querySelector('article').lang") == "fr"
    links = page.evaluate("Array.from(document.querySelectorAll('main a'))"
                          ".map(a => a.getAttribute('href'))")
    assert "/territoire/saint-quentinois" in links
    assert "/partenariat/innovaltech-condorcet" in links
    # following a link lands on the linked resource's page
    page.navigate(live_server.url + "territoire/saint-quentinois")
    assert page.evaluate("document.querySelector('h1').textContent") == "Saint-Quentinois"
    local_only(page, live_server)


def test_query_page_tabs_and_run(browser: Browser, live_server: LiveServer,
                                 tmp_path: Path) -> None:
    named = load_queries(QUERIES)
    page = browser.new_page()
    page.navigate(live_server.url + "sparql")
    # YASGUI's script ran (from our server): a fresh browser gets the first named query as its
    # one tab, the others wait in the picker
    tabs = page.wait_for("document.querySelector('#yasgui[data-ready]') && " + TAB_NAMES,
                         "YASGUI tabs")
    assert tabs == [named[0].title_fr]
    options = page.evaluate("Array.from(document.querySelectorAll('#query-choice option'))"
                            ".map(o => o.value)")
    assert options == [q.name for q in named]
    assert page.evaluate("!!document.querySelector('#yasgui .yasgui .yasqe')")
    assert page.evaluate("window.cmqYasgui.getTab().getEndpoint()") == (
        live_server.url + "sparql")
    # the first tab is active and holds the first query; run it from the page
    assert page.evaluate("window.cmqYasgui.getTab().getQuery()") == named[0].text
    page.evaluate("window.cmqYasgui.getTab().query().then(() => true)")
    rows = page.wait_for("document.querySelectorAll('.yasr table.dataTable tbody tr').length",
                         "result rows")
    assert rows >= 1
    table = page.evaluate("document.querySelector('.yasr table.dataTable tbody').innerText")
    assert "Campus des métiers et des qualifications" in table
    page.screenshot(tmp_path / "query.png")
    local_only(page, live_server)
    # a reload keeps the tabs (localStorage) without duplicating them
    page.navigate(live_server.url + "sparql")
    again = page.wait_for("document.querySelector('#yasgui[data-ready]') && " + TAB_NAMES,
                          "YASGUI tabs after reload")
    assert again == tabs
