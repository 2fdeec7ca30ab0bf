"""The query page in a real headless Chromium (tests/chromium_cdp.py): a named query picked from
the picker opens in its own tab and runs; result cells show plain values (an integer, not
``"2"^^xsd:integer``); the campus's IRIs link to pages of this server and other IRIs stay
external; the map query (13) shows one marker per row with a position, with no tile server reachable;
a count query (02) draws one SVG bar per row. YASR's own texts (views, « N résultats en S s »,
page size, buttons, pager, sorting, the raw response's buttons, an ASK answer, the error
view) show in French with English
beside, and none of its English ones remains; so do YASGUI's own texts around them (tabs, their
menu, settings, editor buttons), and Ctrl+Enter still runs the query. A malformed query's error
view shows the parser's message and its place, wrapped within the page, with the server's
whole answer one click away. Every request stays on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from browser_fixtures import BROWSER_TESTS
from chromium_cdp import Browser, Page
from server_fixtures import LiveServer

from publisher.project.queries import load_queries

pytestmark = BROWSER_TESTS

QUERIES = {q.name: q for q in load_queries(Path(__file__).resolve().parents[1] / "queries")}
COUNTS, MAP = "02-formations-par-niveau-et-voie", "13-carte-apprentissage"
READY = "!!(document.querySelector('#yasgui[data-ready]') && window.cmqYasgui.getTab())"


def results(expression: str) -> str:
    """``expression`` about ``r``, the results element of the active tab (each tab has one)."""
    return f"(r => {expression})(window.cmqYasgui.getTab().getYasr().rootEl)"


ROWS = results("r.querySelectorAll('table.dataTable tbody tr').length")
#: the text, titles and labels of the results element, where YASR's English would show
ENGLISH = ("[r.innerText, ...Array.from(r.querySelectorAll('[title], [aria-label]'))"
           ".map(e => (e.title || '') + ' ' + (e.getAttribute('aria-label') || ''))].join('\\n')")
#: YASR's English texts that the page puts in French
YASR_ENGLISH = ("Page size", "seconds", "Download result", "Download Results", "Show all",
                "View documentation", "Activate to sort", "Shows ", "Next", "Previous", "All\n")

#: YASGUI's and YASQE's English texts around the results that the page puts in French (the
#: tabs, their menu, the settings menu, the endpoint field, the editor's buttons)
EDITOR_ENGLISH = ("Run query", "Share query", "Add tab", "Add a new tab", "Close tab",
                  "Open settings", "Close settings", "Settings", "Clear endpoint",
                  "Request method", "Accept Headers", "Arguments", "Header Arguments",
                  "Default Graphs", "Named Graphs", "New Tab", "Rename Tab", "Copy Tab",
                  "Close Tab", "Close other tabs", "Undo close Tab")
#: the titles, labels, placeholders and leaf texts of the editor (not the results, the query
#: text nor the tabs' names), each trimmed
EDITOR_WORDS = (
    "(() => { const out = []; document.querySelectorAll('#yasgui *').forEach(e => {"
    " if (e.closest('.yasr, .CodeMirror-line, [role=tab] > span')) return;"
    " for (const a of ['title', 'aria-label', 'placeholder']) {"
    "  if (e.getAttribute(a)) out.push(e.getAttribute(a).trim()); }"
    " if (e.children.length === 0) out.push(e.textContent.trim()); }); return out; })()")
#: a malformed query whose parser message is long (the list of what it expected)
MALFORMED = "SELECT * WHERE { ?s ?p ?o . FILTER( }"


def solutions(server: LiveServer, query: str) -> list[dict[str, Any]]:
    r = httpx.post(server.sparql, data={"query": query},
                   headers={"Accept": "application/sparql-results+json"}, timeout=30)
    r.raise_for_status()
    rows: list[dict[str, Any]] = r.json()["results"]["bindings"]
    return rows


def pick(page: Page, name: str) -> None:
    page.evaluate(f"(() => {{ const s = document.getElementById('query-choice'); "
                  f"s.value = {name!r}; s.dispatchEvent(new Event('change')); }})()")


def run(page: Page) -> None:
    page.evaluate("window.cmqYasgui.getTab().query().then(() => true)")


def column(page: Page, name: str) -> list[str]:
    """The text of the cells of one column of the result table."""
    return list(page.evaluate(results(
        "(() => { const heads = Array.from(r.querySelectorAll('table.dataTable thead th'))"
        f".map(th => th.textContent.trim()); const i = heads.indexOf({name!r}); "
        "return Array.from(r.querySelectorAll('table.dataTable tbody tr'))"
        ".map(tr => tr.children[i].innerText.trim()); })()")))


def query_page(browser: Browser, server: LiveServer) -> Page:
    page = browser.new_page()
    page.navigate(server.url + "sparql")
    page.wait_for(READY, "YASGUI ready")
    return page


def set_query(page: Page, query: str) -> None:
    page.evaluate(f"window.cmqYasgui.getTab().setQuery({query!r}); true")


def no_english(page: Page, *more: str) -> None:
    """None of YASR's English texts (nor ``more``) in the results element."""
    words = page.evaluate(results(ENGLISH))
    for english in (*YASR_ENGLISH, *more):
        assert english not in words, english


def loopback_only(page: Page) -> None:
    """Every request went to loopback: our server (or the closed port of the tiles)."""
    assert page.foreign_requests("127.0.0.1") == []


def test_pick_run_plain_integers_and_a_bar_chart(browser: Browser, live_server: LiveServer,
                                                 tmp_path: Path) -> None:
    page = browser.new_page()
    page.navigate(live_server.url + "sparql")
    page.wait_for(READY, "YASGUI ready")
    page.screenshot(tmp_path / "picker.png")
    pick(page, COUNTS)
    assert page.evaluate("window.cmqYasgui.getTab().getId()") == "q-" + COUNTS
    assert page.evaluate("window.cmqYasgui.getTab().getQuery()") == QUERIES[COUNTS].text
    assert page.evaluate("new URL(location.href).searchParams.get('q')") == COUNTS
    described = page.evaluate("document.getElementById('query-description-fr').textContent")
    assert described == QUERIES[COUNTS].description_fr
    run(page)
    expected = solutions(live_server, QUERIES[COUNTS].text)
    assert page.wait_for(ROWS, "result rows") == len(expected) > 1
    # plain values: the count is an integer, no datatype IRI anywhere in the table
    assert column(page, "formations") == [row["formations"]["value"] for row in expected]
    assert all(cell.isdigit() for cell in column(page, "formations"))
    assert "XMLSchema" not in page.evaluate(results("r.querySelector('table').innerText"))
    # the table's controls and counts speak French first
    controls = page.evaluate(results("r.querySelector('.tableControls').innerText"))
    assert "Vue simple" in controls and "Abréger" in controls
    assert page.evaluate(results("r.querySelector('input.tableFilter').placeholder")
                         ).startswith("Filtrer les résultats")
    assert f"sur {len(expected)}" in page.evaluate(results("r.innerText"))
    # YASR's own words too: views, count and time, page size, buttons, pager, sorting
    header = page.evaluate(results("r.querySelector('.yasr_header').innerText"))
    assert f"{len(expected)} résultats en " in header and f"{len(expected)} results in " in header
    assert "Lignes par page" in header and "Toutes" in header
    assert "Tableau / Table" in header and "Réponse / Response" in header
    words = page.evaluate(results(ENGLISH))
    assert "Page suivante" in words and "Télécharger" in words and ": trier" in words
    no_english(page)
    page.screenshot(tmp_path / "table.png")
    # the chart view: one bar per row, the counts written beside the bars
    page.evaluate(results("r.querySelector('.select_cmqChart').click()"))
    bars = page.wait_for(results("r.querySelectorAll('svg.cmq-chart rect').length"), "bars")
    assert bars == len(expected)
    values = page.evaluate(results("Array.from(r.querySelectorAll('svg.cmq-chart "
                                   ".cmq-bar text:last-of-type')).map(t => t.textContent)"))
    assert values == [row["formations"]["value"] for row in expected]
    page.screenshot(tmp_path / "chart.png")
    loopback_only(page)


def test_response_view_speaks_french(browser: Browser, live_server: LiveServer) -> None:
    page = query_page(browser, live_server)
    page.evaluate("window.cmqYasgui.getTab().getYasr().selectPlugin('response'); true")
    try:  # the chosen view is kept in the browser's storage: the table again afterwards
        set_query(page, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 100")  # > 30 lines
        run(page)
        buttons = page.wait_for(results("r.querySelector('.overlay_content') && Array.from("
                                        "r.querySelectorAll('.overlay_content button'))"
                                        ".map(b => b.innerText.trim())"), "the response's buttons")
        assert buttons == ["Tout afficher · show all",
                           "Télécharger le résultat · download the result"]
        header = page.evaluate(results("r.querySelector('.yasr_header').innerText"))
        assert "100 résultats en " in header and "Réponse / Response" in header
        no_english(page)
    finally:
        page.evaluate("window.cmqYasgui.getTab().getYasr().selectPlugin('table'); true")
    loopback_only(page)


def test_ask_answer_and_error_view_speak_french(browser: Browser, live_server: LiveServer) -> None:
    page = query_page(browser, live_server)
    set_query(page, "ASK { ?s ?p ?o }")
    run(page)
    assert page.wait_for(results("r.querySelector('.booleanResult') && "
                                 "r.querySelector('.booleanResult').innerText.trim()"),
                         "the ASK answer") == "Vrai · true"
    set_query(page, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    page.evaluate("window.cmqYasgui.getTab().query().then(() => true, () => false)")  # refused
    header = page.wait_for(results("r.querySelector('.errorResult') && "
                                   "r.querySelector('.errorResult').innerText"), "the error view")
    assert "Essayer la requête dans une nouvelle fenêtre" in header and "ServiceRefused" in header
    no_english(page, "Try query", "True")
    loopback_only(page)


def test_campus_iris_link_to_local_pages(browser: Browser, live_server: LiveServer) -> None:
    base = live_server.release.config.base_iri
    page = browser.new_page()
    page.navigate(live_server.url + "sparql")
    page.wait_for(READY, "YASGUI ready")
    query = ("SELECT ?x WHERE { VALUES ?x { <https://schema.org/Thing> "
             f"<{base}organisation/lycee-condorcet> }} }}")
    page.evaluate(f"window.cmqYasgui.getTab().setQuery({query!r}); true")
    run(page)
    page.wait_for(results("Array.from(r.querySelectorAll('table.dataTable tbody a'))"
                          ".some(a => a.href.endsWith('lycee-condorcet'))"), "the new results")
    links = page.evaluate(results("Array.from(r.querySelectorAll('table.dataTable tbody a'))"
                                  ".map(a => [a.textContent, a.getAttribute('href'), a.target])"))
    by_text = {text: (href, target) for text, href, target in links}
    href, target = by_text[f"{base}organisation/lycee-condorcet"]
    assert href == "/organisation/lycee-condorcet" and target in ("", "_self")
    assert urlsplit(urljoin(live_server.url, href)).netloc == urlsplit(live_server.url).netloc
    assert httpx.get(urljoin(live_server.url, href), headers={"Accept": "text/html"},
                     timeout=30).status_code == 200
    assert by_text["https://schema.org/Thing"] == ("https://schema.org/Thing", "_blank")
    loopback_only(page)


def test_map_query_one_marker_per_position(browser: Browser, no_tiles_server: LiveServer,
                                           tmp_path: Path) -> None:
    server = no_tiles_server
    expected = [row for row in solutions(server, QUERIES[MAP].text) if "wkt" in row]
    page = browser.new_page()
    page.navigate(server.url + "query?q=" + MAP)  # the deep link, through /query
    page.wait_for(READY, "YASGUI ready")
    assert page.evaluate("window.cmqYasgui.getTab().getId()") == "q-" + MAP
    assert page.evaluate("document.getElementById('query-choice').value") == MAP
    run(page)
    markers = page.wait_for(results("r.querySelector('.cmq-map') && "
                                    "r.querySelector('.cmq-map').dataset.markers"), "map")
    drawn = page.evaluate(results("r.querySelectorAll('.cmq-map path.leaflet-interactive')"
                                  ".length"))
    assert int(markers) == drawn == len(expected) > 1
    assert page.evaluate(results("r.querySelectorAll('.cmq-map img.leaflet-tile').length"))  # asked
    assert page.evaluate("window.cmqYasgui.getTab().getYasr().getSelectedPluginName()") == (
        "cmqMap")
    page.screenshot(tmp_path / "map.png")
    loopback_only(page)


def editor_words(page: Page) -> list[str]:
    """The editor's words, checked: none of them is one of YASGUI's English texts alone."""
    words: list[str] = page.evaluate(EDITOR_WORDS)
    left = sorted(set(words) & set(EDITOR_ENGLISH))
    assert left == [], left
    return words


def test_editor_and_tabs_speak_french(browser: Browser, live_server: LiveServer,
                                      tmp_path: Path) -> None:
    page = query_page(browser, live_server)
    words = editor_words(page)
    for french in ("Lancer la requête · Run query", "Partager la requête · Share query",
                   "Ajouter un onglet · Add tab", "Fermer l'onglet · Close tab",
                   "Ouvrir les réglages · Open settings",
                   "Effacer le point d'accès · Clear endpoint",
                   "Méthode de la requête · Request method", "Graphes nommés · Named graphs"):
        assert french in words, french
    # the settings menu open: its button's label changes (and stays French)
    page.evaluate("document.querySelector('#yasgui .tabContextButton').click(); true")
    page.wait_for("document.querySelector('#yasgui .tabMenu.open') !== null", "settings open")
    assert "Fermer les réglages · Close settings" in editor_words(page)
    page.wait_for("getComputedStyle(document.querySelector('#yasgui .tabMenu.open')).transform"
                  " === 'none' || document.getAnimations().length === 0", "the menu unfolded")
    page.screenshot(tmp_path / "settings.png")
    page.evaluate("document.body.click(); true")
    # the tabs' menu (right click on a tab)
    page.evaluate("document.querySelector('#yasgui [role=tab]').dispatchEvent("
                  "new MouseEvent('contextmenu', {bubbles: true})); true")
    menu = page.wait_for("Array.from(document.querySelectorAll('#yasgui .context-menu-item'))"
                         ".map(e => e.textContent.trim())", "the tabs' menu")
    assert "Renommer l'onglet · Rename tab" in menu and "Nouvel onglet · New tab" in menu
    editor_words(page)
    page.evaluate("document.body.click(); document.querySelector('.yasqe_share').click(); true")
    page.wait_for("document.querySelector('.yasqe_sharePopup') !== null", "the share popup")
    editor_words(page)
    page.screenshot(tmp_path / "share.png")
    page.evaluate("document.body.click(); true")
    # the keyboard shortcut still runs the query (Ctrl+Enter in the editor)
    set_query(page, "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }")
    page.evaluate("window.cmqYasgui.getTab().getYasqe().focus(); true")
    for kind in ("keyDown", "keyUp"):
        page.send("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                             "windowsVirtualKeyCode": 13, "modifiers": 2})
    assert page.wait_for(results("r.querySelectorAll('table.dataTable tbody tr').length === 3"
                                 " && 3"), "the results of Ctrl+Enter") == 3
    loopback_only(page)


def test_malformed_query_shows_the_parsers_message_wrapped(
        browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    answer = httpx.post(live_server.sparql, data={"query": MALFORMED}, timeout=30)
    assert answer.status_code == 400
    error = answer.json()
    page = query_page(browser, live_server)
    # a narrow window (a phone's): the message is wider than it on one line of code
    page.send("Emulation.setDeviceMetricsOverride",
              {"width": 480, "height": 1200, "deviceScaleFactor": 1, "mobile": False})
    set_query(page, MALFORMED)
    page.evaluate("window.cmqYasgui.getTab().query().then(() => true, () => false)")
    view = results("r.querySelector('.errorResult')")
    text = page.wait_for(f"{view} && {view}.innerText", "the error view")
    assert error["message"] in text
    assert f"Ligne {error['line']}, colonne {error['column']}" in text
    assert "La requête a échoué · the query failed (400 MalformedQuery)" in text
    # wrapped within the page: nothing wider than the view, the view no wider than the page
    widths = page.evaluate(f"[{view}.scrollWidth, {view}.clientWidth, "
                           f"{view}.getBoundingClientRect().right, window.innerWidth]")
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
    lines = page.evaluate(f"(m => m.getClientRects().length && Math.round(m.offsetHeight / "
                          f"parseFloat(getComputedStyle(m).lineHeight)))"
                          f"({view}.querySelector('.cmq-error-message'))")
    assert lines > 1  # the message wraps
    # the whole answer is one click away
    details = page.evaluate(f"{view}.querySelector('details pre').textContent")
    assert json.loads(details) == error
    # YASQE's note over the line it cannot read, in French too
    page.evaluate("(i => { i.scrollIntoView(); i.dispatchEvent(new MouseEvent('mouseover')); })"
                  "(document.querySelector('#yasgui .parseErrorIcon')); true")
    tip = page.wait_for("document.querySelector('.yasqe_tooltip').innerText", "the note")
    assert tip.startswith("Cette ligne est invalide") and "This line is invalid" not in tip, tip
    page.screenshot(tmp_path / "note.png")
    page.evaluate(f"{view}.scrollIntoView(); true")
    page.screenshot(tmp_path / "error.png")
    loopback_only(page)
