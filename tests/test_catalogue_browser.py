"""The catalogue page in a real headless Chromium (tests/chromium_cdp.py): from the landing page,
the navigation's "Catalogue" link opens the page (not a download), which lists the dataset with its
files; a download link works; the VoID page is one click away and shows the counts."""

from __future__ import annotations

from pathlib import Path

from browser_fixtures import BROWSER_TESTS
from chromium_cdp import Browser
from server_fixtures import LiveServer

pytestmark = BROWSER_TESTS



def test_landing_catalogue_link_opens_the_page(browser: Browser, live_server: LiveServer,
                                               tmp_path: Path) -> None:
    page = browser.new_page()
    page.navigate(live_server.url)
    page.evaluate("document.querySelector('header.site nav a[href$=\"catalog\"]').click()")
    page.wait_for("location.pathname === '/catalog' && document.readyState === 'complete' "
                  "&& !!document.querySelector('section.dataset')", "the catalogue page")
    assert page.evaluate("document.contentType") == "text/html"
    titles = page.evaluate("[...document.querySelectorAll('h3.dataset-title')]"
                           ".map(h => h.firstChild.textContent.trim())")
    assert titles == [live_server.release.config.title]
    downloads = page.evaluate("[...document.querySelectorAll('a.download')].map(a => a.href)")
    assert len(downloads) >= 10
    nt = next(url for url in downloads if url.endswith("/campus.nt"))
    status, size = page.evaluate(f"fetch({nt!r}).then(r => r.arrayBuffer()"
                                 ".then(b => [r.status, b.byteLength]))")
    expected = next(f.byte_size for f in live_server.release.files if f.name == "campus.nt")
    assert (status, size) == (200, expected)
    page.screenshot(tmp_path / "catalogue.png")
    # the VoID description, one click away, is a page too
    page.evaluate("document.querySelector('nav.toc a[href$=\".well-known/void\"]').click()")
    page.wait_for("location.pathname === '/.well-known/void' && "
                  "!!document.querySelector('dl.counts dd')", "the VoID page")
    classes = page.evaluate("document.querySelectorAll('table.classes tbody tr').length")
    assert classes > 5
    page.screenshot(tmp_path / "void.png")
