"""A person reading record pages in a real headless Chromium (tests/chromium_cdp.py): a formation
page shows its summary and the small map of its establishment; following the establishment's
link from the summary leads to the establishment's formations grouped by level, the formation
we came from among them."""

from __future__ import annotations

import json
from pathlib import Path

from browser_fixtures import BROWSER_TESTS
from chromium_cdp import Browser
from server_fixtures import LiveServer

pytestmark = BROWSER_TESTS



def test_formation_then_its_establishment_by_clicking(browser: Browser, live_server: LiveServer,
                                                      tmp_path: Path) -> None:
    page = browser.new_page()
    page.navigate(live_server.url + "formation/bts-europlastics-lgt-sq")
    summary = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#resume dl > div')].map(d => "
        "[d.querySelector('dt').firstChild.textContent.trim(), d.querySelector('dd').innerText]))")
    assert summary["Niveau"] == "niveau 5 (BTS, DEUST)"
    assert summary["Durée"] == "2 ans"
    assert summary["Commune"] == "Saint-Quentin"
    assert summary["NSF"] == "225 — Plasturgie, matériaux composites"
    page.wait_for("document.querySelectorAll('#map .leaflet-marker-icon, #map path').length > 0",
                  "the establishment's marker on the small map")
    page.screenshot(tmp_path / "formation.png")

    before = page.evaluate("location.href")
    page.evaluate("[...document.querySelectorAll('#resume dt')].find(dt => "
                  "dt.textContent.startsWith('Établissement')).nextElementSibling"
                  ".querySelector('a').click()")
    page.wait_for(f"location.href !== {before!r} && document.readyState === 'complete'",
                  "the establishment's page")
    assert page.evaluate("location.pathname") == "/organisation/lgt-fictif-saint-quentin"
    found = page.evaluate(
        "JSON.stringify([...document.querySelectorAll('#formations-par-niveau h3')].map(h => "
        "[h.innerText, [...h.nextElementSibling.querySelectorAll('li > a')].map(a => a.innerText)]))")
    levels = json.loads(found)
    assert levels == [["niveau 5 (BTS, DEUST)", [
        ("BTS Conception des processus de réalisation de produits (voie scolaire, apprentissage) "
        "— Lycée général et technologique Fictif de Saint-Quentin"),
        ("BTS Europlastics et composites (voie scolaire) — Lycée général et technologique Fictif "
        "de Saint-Quentin")]]]
    page.screenshot(tmp_path / "establishment.png")
