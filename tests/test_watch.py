"""``cmq serve --watch`` (issue 12): a table edited → the new release is served; a broken edit →
the last valid release keeps being served and every page shows a banner linking to the report of
the failed attempt (checked in headless Chromium); fixing it removes the banner."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from chromium_cdp import Browser, chromium_path
from conftest import copy_campus, set_cell
from server_fixtures import start_server

from publisher.release.build import build_release

#: The server's reload interval in this test (seconds).
INTERVAL = 0.3
#: Longest wait for a rebuild (a safety net on a loaded machine, not a timed assertion).
PATIENCE_S = 120.0


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(INTERVAL)
    raise AssertionError(f"not within {PATIENCE_S} s: {what}")


def _served(url: str) -> str:
    release: str = httpx.get(url + "healthz", timeout=10).json()["release"]
    return release


@pytest.mark.browser
@pytest.mark.external
@pytest.mark.skipif(chromium_path() is None, reason="chromium absent (Debian package `chromium`)")
def test_watch_serves_valid_edits_and_flags_broken_ones(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "campus")
    first = build_release(project).info.release_id
    settings = {"watch": "true", "reload_interval": str(INTERVAL), "workers": "1"}
    with start_server(project.root, settings) as server, \
            Browser.start(tmp_path / "profile") as browser:
        url = server.url
        assert _served(url) == first
        assert httpx.get(url + "echec/validation.html", timeout=10).status_code == 404

        set_cell(project, "chiffres.csv", "apprenants-2014", "valeur", "2600")
        _wait(lambda: _served(url) != first, "the edited table is served")
        second = _served(url)
        page = httpx.get(url + "chiffre/apprenants-2014", timeout=10,
                         headers={"Accept": "text/turtle"}).text
        assert "2600" in page and "2500" not in page

        set_cell(project, "chiffres.csv", "apprenants-2014", "date", "31/02/2014")
        report = project.releases_dir / "echec" / "validation.html"
        _wait(report.is_file, "the failed attempt's report")
        assert _served(url) == second, "the last valid release keeps being served"
        answer = httpx.get(url + "echec/validation.html", timeout=10)
        assert answer.status_code == 200 and "31/02/2014" in answer.text

        tab = browser.new_page()
        tab.navigate(url)
        shown = tab.evaluate(
            "(() => { const b = document.getElementById('echec');"
            " if (!b) return null; const r = b.getBoundingClientRect();"
            " return [r.height > 0 && getComputedStyle(b).display !== 'none',"
            " b.querySelector('a').getAttribute('href'), b.textContent]; })()")
        assert shown is not None, "the banner is on the page"
        visible, href, text = shown
        assert visible and href.endswith("echec/validation.html")
        assert "rien n'a été publié" in text and "nothing was published" in text
        tab.screenshot(tmp_path / "banner.png")
        tab.navigate(url + href.lstrip("/"))
        assert "31/02/2014" in tab.evaluate("document.body.textContent")

        set_cell(project, "chiffres.csv", "apprenants-2014", "date", "2014-10-15")
        _wait(lambda: not report.is_file(), "a fixed table removes the failure")
        tab.navigate(url)
        assert tab.evaluate("document.getElementById('echec')") is None
