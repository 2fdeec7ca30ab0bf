"""The query page's HTML against the real server (httpx over loopback): the picker of the named
queries with their French and English descriptions, ``?q=<name>`` and the ``/query`` address,
the configuration its script reads (local IRI prefixes, tile server), and the page without
YASGUI installed (the notice and the plain list, no picker)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from server_fixtures import LiveServer, ServedProject, start_server

from publisher.core.namespaces import CMQ_NS
from publisher.project.queries import load_queries

QUERIES = load_queries(Path(__file__).resolve().parents[1] / "queries")
HTML = {"Accept": "text/html"}


def flat(text: str) -> str:
    """Runs of ASCII white space as one space (the no-break spaces of French stay)."""
    return re.sub(r"[ \t\n]+", " ", text).strip()


class QueryPage(HTMLParser):
    """The picker's options (value, selected, text), texts by element id, the page config."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.options: list[tuple[str, bool, str]] = []
        self.by_id: dict[str, str] = {}
        self._open: list[str | None] = []
        self._option: list[object] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "option":
            self._option = [found.get("value"), "selected" in found, ""]
        if tag not in {"br", "hr", "img", "input", "link", "meta", "wbr", "source"}:
            self._open.append(found.get("id"))
            if found.get("id"):
                self.by_id[str(found["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            value, selected, text = self._option
            self.options.append((str(value), bool(selected), str(text).strip()))
            self._option = None
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2] = str(self._option[2]) + data
        for ident in self._open:
            if ident:
                self.by_id[ident] += data

    def config(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.by_id["cmq-query-config"])
        return loaded


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def test_picker_offers_every_named_query_first_one_chosen(client: httpx.Client) -> None:
    page = QueryPage(client.get("sparql", headers=HTML).text)
    assert [value for value, _, _ in page.options] == [q.name for q in QUERIES]
    assert [text for _, _, text in page.options] == [
        f"{q.title_fr} — {q.title_en}" for q in QUERIES]
    assert [value for value, selected, _ in page.options if selected] == [QUERIES[0].name]
    assert flat(page.by_id["query-description-fr"]) == QUERIES[0].description_fr
    assert flat(page.by_id["query-description-en"]) == QUERIES[0].description


def test_q_chooses_the_query_and_query_redirects_there(client: httpx.Client) -> None:
    chosen = next(q for q in QUERIES if q.name == "13-carte-apprentissage")
    page = QueryPage(client.get("sparql", params={"q": chosen.name}, headers=HTML).text)
    assert [value for value, selected, _ in page.options if selected] == [chosen.name]
    assert flat(page.by_id["query-description-fr"]) == chosen.description_fr
    unknown = QueryPage(client.get("sparql", params={"q": "nope"}, headers=HTML).text)
    assert [value for value, selected, _ in unknown.options if selected] == [QUERIES[0].name]
    moved = client.get("query", params={"q": chosen.name}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/sparql?q={chosen.name}"
    followed = client.get("query", params={"q": chosen.name}, headers=HTML,
                          follow_redirects=True)
    assert followed.status_code == 200 and 'id="query-choice"' in followed.text


def test_config_for_the_script(client: httpx.Client, live_server: LiveServer) -> None:
    config = QueryPage(client.get("sparql", headers=HTML).text).config()
    base = live_server.release.config.base_iri
    assert [base, "/"] in config["local"] and [CMQ_NS, "/ontology/"] in config["local"]
    queries = config["queries"]
    assert isinstance(queries, list)
    assert [(q["name"], q["description_fr"]) for q in queries] == [
        (q.name, q.description_fr) for q in QUERIES]
    assert config["tiles"] == ""  # the server's map_tiles setting (server_fixtures: none)
    assert isinstance(config["attribution"], str)


@pytest.fixture(scope="module")
def without_yasgui(served_project: ServedProject,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    missing = tmp_path_factory.mktemp("no-yasgui") / "absent"
    with start_server(served_project.project.root, {"yasgui_dir": str(missing)}) as server:
        yield server


def test_without_yasgui_the_notice_and_the_plain_list(without_yasgui: LiveServer) -> None:
    text = httpx.get(without_yasgui.url + "sparql", params={"q": QUERIES[2].name}, headers=HTML,
                     timeout=30).text
    page = QueryPage(text)
    assert "n'est pas installé" in text and not page.options  # the notice, no picker
    assert "yasgui" not in page.by_id  # nor the editor's empty box
    for q in QUERIES:
        assert f"q-{q.name}" in page.by_id  # the anchors of the plain list
        assert q.description_fr and q.description_fr in flat(page.by_id[f"q-{q.name}"])
    assert "<details open><summary>Texte de la requête" in text.split(f'id="q-{QUERIES[2].name}"')[1]
