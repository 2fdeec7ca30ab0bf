"""Files of the REAL server: /dumps, /releases, /catalog, /.well-known/void, /healthz —
validators and 304, precomputed gzip, content negotiation, path traversal, hot swap."""

from __future__ import annotations

import gzip
import http.client
import time
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import copy_campus, set_cell
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from server_fixtures import LiveServer, start_server

from publisher.core.errors import ReleaseError
from publisher.project.folder import Project
from publisher.release import model as rm
from publisher.release.build import build_release
from publisher.release.folder import swap_current
from publisher.release.manifest import verify_files
from publisher.release.model import FileEntry

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
RENAMED = "CAP Plasturgie (apprentissage), intitulé changé pour le test de bascule"


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def folder(server: LiveServer) -> Path:
    return server.project.releases_dir / server.release.release_id


def entry(server: LiveServer, name: str) -> FileEntry:
    return next(f for f in server.release.files if f.name == name)


def raw_get(server: LiveServer, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, bytes]:
    """GET with the path sent byte for byte (no client-side normalisation of ``..``)."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def assert_isomorphic(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(f"graphs differ\nonly in answer:\n{only_got.serialize(format='nt')}\n"
                    f"only expected:\n{only_expected.serialize(format='nt')}")


# ------------------------------------------------------------------ healthz


def test_healthz(live_server: LiveServer, client: httpx.Client) -> None:
    r = client.get("healthz")
    assert r.status_code == 200
    body = r.json()
    engine = body.pop("engine")
    assert body == {"status": "ready", "release": live_server.release.release_id,
                    "triples": live_server.release.triples}
    assert engine["status"] == "ready" and engine["workers"] == 2 and engine["restarts"] == 0


# ------------------------------------------------------------------ dumps


@pytest.mark.parametrize("name", [rm.DATA_NT, rm.DATA_TTL, rm.DATA_JSONLD, rm.VOID_TTL,
                                  rm.REPORT_HTML])
def test_dump_bytes_type_and_validators(live_server: LiveServer, client: httpx.Client,
                                        name: str) -> None:
    r = client.get(f"dumps/{name}", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.content == (folder(live_server) / name).read_bytes()
    e = entry(live_server, name)
    assert r.headers["content-type"] == f"{e.media_type}; charset=utf-8"
    assert r.headers["ETag"] == f'"{e.sha256}"'
    assert "content-encoding" not in r.headers
    modified = parsedate_to_datetime(r.headers["Last-Modified"])
    assert modified == live_server.release.created.replace(microsecond=0)


def test_manifest_is_served(live_server: LiveServer, client: httpx.Client) -> None:
    r = client.get("dumps/manifest.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json()["release_id"] == live_server.release.release_id


def test_if_none_match_gives_304(live_server: LiveServer, client: httpx.Client) -> None:
    etag = f'"{entry(live_server, rm.DATA_TTL).sha256}"'
    for header in (etag, f'"other", W/{etag}', "*"):
        r = client.get("dumps/campus.ttl", headers={"If-None-Match": header,
                                                    "Accept-Encoding": "identity"})
        assert r.status_code == 304, header
        assert r.content == b"" and r.headers["ETag"] == etag
    r = client.get("dumps/campus.ttl", headers={"If-None-Match": '"stale"',
                                                "Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.content


def test_if_modified_since(client: httpx.Client) -> None:
    first = client.get("dumps/campus.nt", headers={"Accept-Encoding": "identity"})
    last = first.headers["Last-Modified"]
    assert client.get("dumps/campus.nt", headers={"If-Modified-Since": last}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(last).replace(year=2000), usegmt=True)
    assert client.get("dumps/campus.nt",
                      headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    r = client.get("dumps/campus.nt", headers={"If-Modified-Since": last,
                                               "If-None-Match": '"stale"'})
    assert r.status_code == 200


def test_gzip_when_accepted(live_server: LiveServer, client: httpx.Client) -> None:
    plain = (folder(live_server) / rm.DATA_NT).read_bytes()
    packed = (folder(live_server) / f"{rm.DATA_NT}.gz").read_bytes()
    with client.stream("GET", "dumps/campus.nt", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
        headers = r.headers
    assert headers["Content-Encoding"] == "gzip"
    assert headers["content-type"].startswith("application/n-triples")
    assert raw == packed and gzip.decompress(raw) == plain
    assert headers["ETag"] == f'"{entry(live_server, rm.DATA_NT + ".gz").sha256}"'
    assert "accept-encoding" in headers["Vary"].lower()
    r304 = client.get("dumps/campus.nt", headers={"Accept-Encoding": "gzip",
                                                  "If-None-Match": headers["ETag"]})
    assert r304.status_code == 304
    refused = client.get("dumps/campus.nt", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "content-encoding" not in refused.headers and refused.content == plain


def test_gz_file_by_name(live_server: LiveServer, client: httpx.Client) -> None:
    packed = (folder(live_server) / f"{rm.DATA_TTL}.gz").read_bytes()
    with client.stream("GET", "dumps/campus.ttl.gz", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-type"] == "application/gzip"
        assert "content-encoding" not in r.headers
    assert raw == packed


def test_head_has_headers_and_no_body(live_server: LiveServer, client: httpx.Client) -> None:
    r = client.head("dumps/campus.nt", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(entry(live_server, rm.DATA_NT).byte_size)


def test_unknown_dump_is_404_json(client: httpx.Client) -> None:
    r = client.get("dumps/nope.nt")
    assert r.status_code == 404
    assert r.json()["status"] == 404 and "nope.nt" in r.json()["message"]


# ------------------------------------------------------------------ kept releases


def test_release_files_by_id(live_server: LiveServer, client: httpx.Client) -> None:
    rid = live_server.release.release_id
    r = client.get(f"releases/{rid}/{rm.DATA_NT}", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.content == (folder(live_server) / rm.DATA_NT).read_bytes()
    assert "immutable" in r.headers["Cache-Control"]
    for bad in ("0000000000000000", "current", "ABCDEF0123456789", "zz"):
        assert client.get(f"releases/{bad}/{rm.DATA_NT}").status_code == 404, bad


def test_download_urls_of_the_catalogue_resolve(live_server: LiveServer,
                                                client: httpx.Client) -> None:
    url = live_server.release.download_url(rm.DATA_TTL)
    path = urlsplit(url).path.lstrip("/")
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", [
    "/dumps/..%2F..%2Fdata%2Fcampus.toml",
    "/dumps/%2e%2e/%2e%2e/data/campus.toml",
    "/dumps/../../data/campus.toml",
    "/dumps/..%2Fmanifest.json%2F..%2F..%2F..%2Fdata%2Fcampus.toml",
    "/releases/..%2F..%2Fdata/campus.toml",
    "/releases/%2e%2e/data%2Fcampus.toml",
    "/releases/{rid}/..%2F..%2Fdata%2Fcampus.toml",
    "/releases/{rid}/%2e%2e%2f%2e%2e%2fdata%2fcampus.toml",
    "/dumps/%2Fetc%2Fpasswd",
    "/dumps/.build.lock",
    "/releases/current/campus.nt",
])
def test_path_traversal_is_impossible(live_server: LiveServer, path: str) -> None:
    status, body = raw_get(live_server, path.format(rid=live_server.release.release_id))
    assert status in (400, 404), (path, status)
    assert b"base_iri" not in body and b"root:" not in body


# ------------------------------------------------------------------ catalogue and VoID


@pytest.mark.parametrize("doc, name", [("catalog", rm.CATALOG_TTL),
                                       (".well-known/void", rm.VOID_TTL)])
@pytest.mark.parametrize("accept, media, rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("text/turtle;q=0.2, application/rdf+xml;q=0.9", "application/rdf+xml", "xml"),
    ("*/*", "text/turtle", "turtle"),
])
def test_rdf_documents_by_negotiation(live_server: LiveServer, client: httpx.Client, doc: str,
                                      name: str, accept: str, media: str,
                                      rdflib_format: str) -> None:
    r = client.get(doc, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert "accept" in r.headers["Vary"].lower()
    expected = Graph().parse(folder(live_server) / name, format="turtle")
    assert len(expected) > 10
    assert_isomorphic(Graph().parse(data=r.content, format=rdflib_format), expected)


def test_catalog_format_parameter_and_406(client: httpx.Client) -> None:
    r = client.get("catalog", params={"format": "nt"}, headers={"Accept": "text/turtle"})
    assert r.headers["content-type"].startswith("application/n-triples")
    assert client.get("catalog", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("catalog", params={"format": "pdf"}).status_code == 406


def test_catalog_etag_per_format(client: httpx.Client) -> None:
    ttl = client.get("catalog", headers={"Accept": "text/turtle"})
    jsonld = client.get("catalog", headers={"Accept": "application/ld+json"})
    assert ttl.headers["ETag"] != jsonld.headers["ETag"]
    again = client.get("catalog", headers={"Accept": "application/ld+json",
                                           "If-None-Match": jsonld.headers["ETag"]})
    assert again.status_code == 304


# ------------------------------------------------------------------ errors are uniform


def test_error_as_html_for_browsers(client: httpx.Client) -> None:
    r = client.get("dumps/nope.nt", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "nope.nt" in r.text


# ------------------------------------------------------------------ hot swap


@pytest.fixture(scope="module")
def swapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, str]]:
    """A server of its own on a fresh copy with no release (``cmq serve`` builds it, as on a
    fresh clone), then a second release built while it runs."""
    project = copy_campus(tmp_path_factory.mktemp("swap"))
    assert not (project.releases_dir / rm.CURRENT_LINK).exists()
    settings = {"reload_interval": "0.2", "workers": "1", "build_if_missing": "true"}
    with start_server(project.root, settings) as server:
        first = server.release.release_id
        set_cell(project, "formations.csv", "cap-plasturgie-cfa", "intitule", RENAMED)
        second = build_release(project).info.release_id
        assert second != first
        deadline = time.monotonic() + 30
        seen = first
        while seen != second and time.monotonic() < deadline:
            seen = httpx.get(server.url + "healthz").json()["release"]
            time.sleep(0.1)
        yield server, first, second


def test_serve_builds_the_first_release(swapped: tuple[LiveServer, str, str]) -> None:
    server, first, _ = swapped
    assert (server.project.releases_dir / first / rm.MANIFEST).is_file()
    assert "pas de version courante" in server.log_text()


def test_new_release_is_served_without_restart(swapped: tuple[LiveServer, str, str]) -> None:
    server, first, second = swapped
    assert httpx.get(server.url + "healthz").json()["release"] == second
    folder2 = server.project.releases_dir / second
    r = httpx.get(server.url + "dumps/campus.nt", headers={"Accept-Encoding": "identity"})
    assert r.content == (folder2 / rm.DATA_NT).read_bytes()
    q = httpx.get(server.sparql, params={
        "query": f'ASK {{ ?s ?p "{RENAMED}"@fr }}'},
        headers={"Accept": "application/sparql-results+json"})
    assert q.json()["boolean"] is True
    old = httpx.get(f"{server.url}releases/{first}/{rm.DATA_NT}",
                    headers={"Accept-Encoding": "identity"})
    assert old.status_code == 200
    assert old.content == (server.project.releases_dir / first / rm.DATA_NT).read_bytes()


# ------------------------------------------------------------------ what a release folder holds


def _keep_one(root: Path) -> None:
    toml = root / "data" / "campus.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("releases_conservees = 5", "releases_conservees = 1"),
                    encoding="utf-8")


def test_a_symlink_in_a_release_is_never_served(tmp_path: Path) -> None:
    """``releases/<id>/validation.html -> /etc/passwd``: that release is refused (kept or
    made current), the release being served stays, and no byte of the target goes out."""
    project = copy_campus(tmp_path / "campus")
    first = build_release(project)
    set_cell(project, "formations.csv", "cap-plasturgie-cfa", "intitule", RENAMED)
    second = build_release(project)
    bad = second.path / rm.REPORT_HTML
    bad.unlink()
    bad.symlink_to("/etc/passwd")
    swap_current(project.releases_dir, first.info.release_id)
    secret = Path("/etc/passwd").read_bytes()[:64]
    with start_server(project.root, {"reload_interval": "0.2", "workers": "1"}) as server:
        kept = httpx.get(f"{server.url}releases/{second.info.release_id}/{rm.REPORT_HTML}")
        assert kept.status_code == 404 and secret not in kept.content
        swap_current(project.releases_dir, second.info.release_id)
        time.sleep(1.5)  # several reload intervals
        assert httpx.get(server.url + "healthz").json()["release"] == first.info.release_id
        r = httpx.get(f"{server.url}dumps/{rm.REPORT_HTML}")
        assert r.status_code == 200 and secret not in r.content
        assert r.content == (first.path / rm.REPORT_HTML).read_bytes()
        assert "files differ from the manifest" in server.log_text()


def test_verify_files_refuses_a_changed_file(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "campus")
    built = build_release(project)
    verify_files(built.path, built.info.files)
    void = built.path / rm.VOID_TTL
    data = void.read_bytes()
    void.write_bytes(data[:-2] + b"#\n")  # same size, other bytes
    with pytest.raises(ReleaseError, match="void.ttl: somme de contrôle"):
        verify_files(built.path, built.info.files)


def test_the_release_a_server_holds_is_never_pruned(tmp_path: Path) -> None:
    """Builds faster than the reload interval (kept: 1): the served release stays on disk
    while the server runs; once it stops, the next build prunes it."""
    root = tmp_path / "campus"
    copy_campus(root)
    _keep_one(root)
    project = Project.open(root)
    first = build_release(project)
    with start_server(root, {"reload_interval": "3600", "workers": "1"}) as server:
        assert server.release.release_id == first.info.release_id
        set_cell(project, "formations.csv", "cap-plasturgie-cfa", "intitule", RENAMED)
        second = build_release(project)
        assert second.pruned == ()
        set_cell(project, "formations.csv", "cap-plasturgie-cfa", "intitule", RENAMED + " 2")
        third = build_release(project)
        assert third.pruned == (second.info.release_id,)
        r = httpx.get(server.url + "dumps/campus.nt", headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200
        assert r.content == (first.path / rm.DATA_NT).read_bytes()
    set_cell(project, "formations.csv", "cap-plasturgie-cfa", "intitule", RENAMED + " 3")
    fourth = build_release(project)
    assert first.info.release_id in fourth.pruned, "a stopped server's lease is gone"
