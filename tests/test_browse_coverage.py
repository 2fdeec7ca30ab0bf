"""A release without a current browse index (built before the index existed, or by a cmq with
other list declarations) is served with lists all the same (docs/decisions/0026): the REAL server
builds the index into its own cache folder (``browse_cache``), answers 503 with ``Retry-After``
and an "index en préparation" page meanwhile, and never writes into the release folder."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import copy_campus
from server_fixtures import start_server

from publisher.project.folder import Project
from publisher.release.browse_index import INDEX_FILE, write_index
from publisher.release.build import build_release
from publisher.release.folder import current_release
from publisher.server.browse_cache import is_current

READY_DEADLINE_S = 60.0


def snapshot(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())


@pytest.fixture(scope="module")
def old_release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Path]]:
    """A built campus whose current release lost its browse.sqlite, then made read-only."""
    project = copy_campus(tmp_path_factory.mktemp("no-index"))
    build_release(project)
    folder = current_release(project.releases_dir)
    assert folder is not None
    (folder / INDEX_FILE).unlink()
    mode = folder.stat().st_mode
    folder.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield project, folder
    finally:
        folder.chmod(mode)


def list_once_built(url: str, params: dict[str, str]) -> httpx.Response:
    """The list page at ``url``, asked until the server has built the index (503 meanwhile)."""
    seen: list[int] = []
    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        r = httpx.get(url, params=params, headers={"Accept": "text/html"}, timeout=30)
        seen.append(r.status_code)
        if r.status_code == 200:
            return r
        assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
        assert "Index en préparation" in r.text and "Index being prepared" in r.text
        time.sleep(0.2)
    raise AssertionError(f"no list after {READY_DEADLINE_S} s: {seen}")


def test_lists_of_a_release_without_index_work_once_the_server_built_it(
        old_release: tuple[Project, Path], tmp_path: Path) -> None:
    project, folder = old_release
    before = snapshot(folder)
    cache = tmp_path / "cache"
    with start_server(project.root, {"browse_cache": str(cache), "map_tiles": ""}) as server:
        r = list_once_built(server.url + "formations/", {"secteur": "plasturgie"})
        total = re.search(r'<strong id="total">(\d+)</strong>', r.text)
        answer = httpx.post(server.sparql, timeout=30, data={"query": """
            PREFIX schema: <https://schema.org/> PREFIX cmq: <https://w3id.org/cmq/ontology/>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a schema:EducationalOccupationalProgram .
              { ?s schema:educationalCredentialAwarded/cmq:sector ?f } UNION {
                ?s a schema:EducationalOccupationalProgram FILTER NOT EXISTS {
                  ?s schema:educationalCredentialAwarded/cmq:sector ?x }
                ?c a cmq:Campus ; cmq:sector ?f }
              ?f skos:notation "plasturgie" }"""},
                            headers={"Accept": "application/sparql-results+json"})
        expected = int(answer.json()["results"]["bindings"][0]["n"]["value"])
        assert total is not None and int(total.group(1)) == expected > 0
        search = httpx.get(server.url + "recherche", params={"q": "0029901B", "format": "json"},
                           timeout=30).json()["hits"]
        assert [h["page"].rsplit("/", 1)[-1] for h in search] == ["lp-exemple-laon"]
        void = httpx.get(server.url + ".well-known/void", headers={"Accept": "text/html"},
                         timeout=30)
        assert 'href="/formations/"' in void.text  # the VoID page links the lists it now has
    built = cache / server.release.release_id / INDEX_FILE
    assert is_current(built, server.release.release_id, server.release.config.base_iri)
    assert snapshot(folder) == before  # nothing written into the release folder
    assert not (folder / INDEX_FILE).exists()


class PausedBuild:
    """Watches /proc for the server's index build of ``folder`` and stops it (SIGSTOP) as soon
    as it starts, so that the pages answered meanwhile can be seen; :meth:`resume` lets it go."""

    def __init__(self, folder: Path) -> None:
        self.marker = str(folder).encode()
        self.pid: int | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + READY_DEADLINE_S
        while self.pid is None and time.monotonic() < deadline:
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) == os.getpid():
                    continue
                try:
                    argv = (entry / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"child_build(sys.argv[1:])" in b" ".join(argv) and self.marker in argv:
                    os.kill(int(entry.name), signal.SIGSTOP)
                    self.pid = int(entry.name)
                    break
            time.sleep(0.002)
        self.done.set()

    def resume(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):  # the server stopped it meanwhile
                os.kill(self.pid, signal.SIGCONT)


def test_search_and_charts_say_the_index_is_being_prepared(
        old_release: tuple[Project, Path], tmp_path: Path) -> None:
    project, folder = old_release
    paused = PausedBuild(folder)
    try:
        with start_server(project.root, {"browse_cache": str(tmp_path / "cache"),
                                         "map_tiles": ""}) as server:
            assert paused.done.wait(READY_DEADLINE_S) and paused.pid is not None
            html = {"Accept": "text/html"}
            for path, heading in (("recherche?q=laon", "Recherche"), ("graphiques", "Graphiques"),
                                  ("formations/", "Formations")):
                r = httpx.get(server.url + path, headers=html, timeout=30)
                assert r.status_code == 503 and int(r.headers["retry-after"]) > 0, path
                assert "Index en préparation" in r.text and f"<h1>{heading}" in r.text, path
            as_json = httpx.get(server.url + "recherche", params={"q": "laon", "format": "json"})
            assert as_json.status_code == 503 and "json" in as_json.headers["content-type"]
            paused.resume()
            deadline = time.monotonic() + READY_DEADLINE_S
            while time.monotonic() < deadline:
                r = httpx.get(server.url + "graphiques", headers=html, timeout=30)
                if r.status_code == 200:
                    break
                time.sleep(0.2)
            assert r.status_code == 200 and 'id="formations-niveau"' in r.text
    finally:
        paused.resume()


def test_an_index_of_other_declarations_is_not_current(tmp_path: Path,
                                                       old_release: tuple[Project, Path]) -> None:
    project, folder = old_release
    info_id, base = folder.name, project.config.base_iri
    write_index(folder, base, info_id, out=tmp_path)
    index = tmp_path / INDEX_FILE
    assert is_current(index, info_id, base)
    assert not is_current(index, "another-release", base)
    stale = tmp_path / "stale"
    stale.mkdir()
    shutil.copy(index, stale / INDEX_FILE)
    with sqlite3.connect(stale / INDEX_FILE) as db:
        db.execute("UPDATE meta SET value = 'older' WHERE key = 'columns'")
    assert not is_current(stale / INDEX_FILE, info_id, base)


def test_an_index_of_the_previous_declarations_is_rebuilt_with_the_new_facets(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """A release built before the ``certification`` facet: its own index (older schema and
    digest, no such postings) is not used; the server's build of it filters on the facet."""
    project = copy_campus(tmp_path_factory.mktemp("older-index"))
    build_release(project)
    folder = current_release(project.releases_dir)
    assert folder is not None
    with contextlib.closing(sqlite3.connect(folder / INDEX_FILE)) as db, db:
        db.execute("DELETE FROM facets WHERE value IN (SELECT id FROM facet_values "
                   "WHERE col IN ('certification', 'membre_de'))")
        db.execute("DELETE FROM facet_values WHERE col IN ('certification', 'membre_de')")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        db.execute("UPDATE meta SET value = 'older' WHERE key = 'columns'")
    before = snapshot(folder)
    cache = tmp_path / "cache"
    with start_server(project.root, {"browse_cache": str(cache), "map_tiles": ""}) as server:
        r = list_once_built(server.url + "formations/", {"certification": "cap-plasturgie"})
        total = re.search(r'<strong id="total">(\d+)</strong>', r.text)
        cert = f"{server.release.config.base_iri}certification/cap-plasturgie"
        expected = server.count(f"?s schema:educationalCredentialAwarded <{cert}>")
        assert total is not None and int(total.group(1)) == expected > 0
        members = httpx.get(server.url + "adhesions.json", params={"membre_de": "campus"},
                            timeout=30).json()["rows"]
        assert len(members) == server.count("?s a org:Membership ; org:organization ?o . "
                                            "?o a cmq:Campus") > 0
    assert is_current(cache / server.release.release_id / INDEX_FILE, server.release.release_id,
                      server.release.config.base_iri)
    assert snapshot(folder) == before  # the release's own (older) index is left as it was
