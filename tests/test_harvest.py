"""``cmq harvest`` end to end: three campus projects built with ``cmq build`` and served by REAL
``cmq serve`` processes on loopback ports, plus a tiny local HTTP server (``http.server`` in a
thread) serving hand-crafted catalogues for the cases a real campus cannot publish (checksum
mismatch, too large, unreachable, other schemes, invalid or unparseable data, remote JSON-LD
context, slow server). The national release is served by ``cmq serve --project`` and queried
across campuses with SPARQLWrapper; a second harvest must use conditional requests (304)."""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from server_fixtures import LiveServer, free_port, start_server
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from publisher.cli.main import main
from publisher.core.errors import ProjectError
from publisher.harvest.addresses import AddressPolicy
from publisher.harvest.fetch import (
    BAD_RESPONSE,
    BAD_SCHEME,
    TOO_LARGE,
    FetchError,
    check_scheme,
    gunzip_chunks,
)
from publisher.harvest.run import assign_slugs, national_project, slug_of
from publisher.harvest.source import choose_dump, parse_catalog
from publisher.release import model as rm
from publisher.release.browse_index import INDEX_FILE, KINDS_BY_NAME
from publisher.release.folder import current_release
from publisher.release.metadata.catalog import catalog_shapes
from publisher.server.browse_query import BrowseIndex, ListQuery
from publisher.validate.reference import validate_with_pyshacl

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")

SCHEMA_EDU = "https://schema.org/EducationalOrganization"
PER_GRAPH = f"""SELECT ?g (COUNT(DISTINCT ?e) AS ?n)
WHERE {{ GRAPH ?g {{ ?e a <{SCHEMA_EDU}> }} }} GROUP BY ?g ORDER BY ?g"""
MIB = 1024 * 1024
NATIONAL_BASE = "https://example.org/cmq-national/"


# ---------------------------------------------------------------- campus projects


#: The test network: campus → (sector, number of (fictional) establishments added).
CAMPUSES: dict[str, tuple[str, int]] = {
    "alpha": ("plasturgie", 3), "beta": ("metallurgie", 2), "gamma": ("plasturgie", 1),
}
#: campus → the sector of its one (fictional) certification ("": none, the campus's counts)
CERTIFICATION_SECTOR = {"alpha": "metallurgie", "beta": "", "gamma": ""}


def make_campus(dest: Path, name: str, port: int) -> Path:
    """A campus project made by ``cmq init`` (its own id, base IRI and public URL), with a few
    fictional establishments added to its table, as a campus officer would."""
    sector, establishments = CAMPUSES[name]
    code, text = cmq("init", str(dest), "--id", name, "--name", f"Campus d'essai {name}",
                     "--base-iri", f"https://example.org/cmq/{name}/", "--sector", sector,
                     "--public-url", f"http://127.0.0.1:{port}/", "--region", "32")
    assert code == 0, text
    fictional = {"illustratif": "oui", "source": "declaration-campus"}
    append_rows(dest / "data" / "etablissements.csv", [{
        "id": f"lp-{name}-{i}", "nom": f"Lycée professionnel {name} {i} (fictif)",
        "nature": "lycee-professionnel", "statut": "public", "commune": "Exempleville",
        **fictional} for i in range(establishments)])
    append_rows(dest / "data" / "certifications.csv", [{
        "id": f"cap-{name}", "intitule": f"CAP {name} (fictif)", "type": "cap", "niveau": "3",
        "secteur": CERTIFICATION_SECTOR[name], **fictional}])
    append_rows(dest / "data" / "formations.csv", [{
        "id": f"cap-{name}-{i}", "intitule": f"CAP {name} — lycée {i} (fictif)",
        "certification": f"cap-{name}", "etablissement": f"lp-{name}-{i}",
        "voies": "voie-scolaire", **fictional} for i in range(establishments)])
    append_rows(dest / "data" / "adhesions.csv", [{
        "organisation": f"lp-{name}-0", "role": "etablissement-membre", **fictional}])
    return dest


def append_rows(table: Path, rows: list[dict[str, str]]) -> None:
    with table.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    with table.open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, header, lineterminator="\n", restval="").writerows(rows)


def cmq(*args: str) -> tuple[int, str]:
    """Run the ``cmq`` command line in this process; (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


# ---------------------------------------------------------------- the tiny catalogue server


@dataclass
class Route:
    body: bytes = b""
    media: str = "text/turtle"
    status: int = 200
    location: str | None = None
    delay: float = 0.0
    chunked: bool = False  # no Content-Length, body sent in pieces

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest() + '"'


@dataclass
class Tiny:
    url: str
    routes: dict[str, Route]
    hits: dict[str, list[int]] = field(default_factory=dict)  # path → statuses answered

    def count(self, path: str, status: int | None = None) -> int:
        return sum(1 for s in self.hits.get(path, []) if status is None or s == status)


def _handler(tiny: Tiny) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def answer(self, status: int) -> None:
            tiny.hits.setdefault(self.path, []).append(status)

        def do_GET(self) -> None:
            route = tiny.routes.get(self.path)
            if route is None:
                self.answer(404)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.delay:
                time.sleep(route.delay)
            if route.location is not None:
                self.answer(302)
                self.send_response(302)
                self.send_header("Location", route.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == route.etag:
                self.answer(304)
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.answer(route.status)
            self.send_response(route.status)
            self.send_header("Content-Type", route.media)
            self.send_header("ETag", route.etag)
            if route.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with contextlib.suppress(OSError):
                    for i in range(0, len(route.body), 65536):
                        piece = route.body[i:i + 65536]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(route.body)

    return Handler


@contextlib.contextmanager
def tiny_server(routes: dict[str, Route], port: int) -> Iterator[Tiny]:
    tiny = Tiny(f"http://127.0.0.1:{port}", routes)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(tiny))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tiny
    finally:
        server.shutdown()
        server.server_close()


def catalog_ttl(base: str, dump_url: str, *, media: str = "application/n-triples",
                gz: bool = False, byte_size: int | None = None,
                sha256: str | None = None) -> bytes:
    """A small DCAT catalogue with one dataset ``{base}/dataset`` and one distribution."""
    extra = ""
    if gz:
        extra += "    dcat:compressFormat <http://www.iana.org/assignments/media-types/" \
                 "application/gzip> ;\n"
    if byte_size is not None:
        extra += f'    dcat:byteSize "{byte_size}"^^xsd:nonNegativeInteger ;\n'
    if sha256 is not None:
        extra += (f"    spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;\n"
                  f'        spdx:checksumValue "{sha256}"^^xsd:hexBinary ] ;\n')
    return f"""\
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{base}/catalog> a dcat:Catalog ; dct:title "Catalogue {base}"@fr ;
    dcat:dataset <{base}/dataset> .
<{base}/dataset> a dcat:Dataset ; dct:title "Jeu {base}"@fr ;
    dcat:distribution <{base}/dataset#dump> .
<{base}/dataset#dump> a dcat:Distribution ;
{extra}    dcat:mediaType <http://www.iana.org/assignments/media-types/{media}> ;
    dcat:downloadURL <{dump_url}> .
""".encode()


def catalog_jsonld(base: str, dump_url: str, sha256: str, size: int) -> bytes:
    """The same as a JSON-LD document (a gzip file, DCAT 3 style)."""
    iana = "http://www.iana.org/assignments/media-types/"
    doc = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "spdx": "http://spdx.org/rdf/terms#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@graph": [
            {"@id": f"{base}/catalog", "@type": "dcat:Catalog",
             "dcat:dataset": {"@id": f"{base}/dataset"}},
            {"@id": f"{base}/dataset", "@type": "dcat:Dataset",
             "dct:title": {"@value": "Campus delta", "@language": "fr"},
             "dcat:distribution": {"@id": f"{base}/dataset#gz"}},
            {"@id": f"{base}/dataset#gz", "@type": "dcat:Distribution",
             "dcat:downloadURL": {"@id": dump_url},
             "dcat:mediaType": {"@id": f"{iana}application/n-triples"},
             "dcat:compressFormat": {"@id": f"{iana}application/gzip"},
             "dcat:byteSize": {"@value": str(size), "@type": "xsd:nonNegativeInteger"},
             "spdx:checksum": {
                 "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                 "spdx:checksumValue": {"@value": sha256, "@type": "xsd:hexBinary"}}},
        ],
    }
    return json.dumps(doc).encode()


def rebase(nt: bytes, old: str, new: str) -> bytes:
    return nt.replace(f"<{old}".encode(), f"<{new}".encode())


def break_names(nt: bytes) -> bytes:
    """Remove the names of the organisations: the shapes require them (a violation)."""
    label = b"<http://www.w3.org/2004/02/skos/core#prefLabel>"
    return b"".join(x for x in nt.splitlines(keepends=True)
                    if not (label in x and b"/organisation/" in x.split(b" ", 1)[0]))


def negative_routes(tiny_url: str, beta_nt: bytes, closed_port: int) -> tuple[
        dict[str, Route], dict[str, str]]:
    """Routes of the tiny server and, for each catalogue URL, the expected rejection reason
    (``harvested`` for the one good hand-crafted catalogue, ``delta``)."""
    t = tiny_url
    beta = "https://example.org/cmq/beta/"

    def data(name: str) -> bytes:
        return rebase(beta_nt, beta, f"https://example.org/cmq/{name}/")

    delta_gz = gzip.compress(data("delta"), mtime=0)
    invalid = break_names(data("invalid"))
    mismatch = data("mismatch")
    big = b"".join(f"<http://x/{i}> <http://x/p> \"{'x' * 80}\" .\n".encode()
                   for i in range(25_000))
    assert len(big) > 2 * MIB
    routes = {
        "/delta/catalog.jsonld": Route(catalog_jsonld(f"{t}/delta", f"{t}/delta/campus.nt.gz",
                                                      hashlib.sha256(delta_gz).hexdigest(),
                                                      len(delta_gz)), "application/ld+json"),
        "/delta/campus.nt.gz": Route(delta_gz, "application/gzip"),
        "/mismatch/catalog.ttl": Route(catalog_ttl(f"{t}/mismatch", f"{t}/mismatch/campus.nt",
                                                   sha256="0" * 64)),
        "/mismatch/campus.nt": Route(mismatch, "application/n-triples"),
        "/declared-large/catalog.ttl": Route(catalog_ttl(
            f"{t}/declared-large", f"{t}/declared-large/campus.nt", byte_size=10 * MIB)),
        "/declared-large/campus.nt": Route(big, "application/n-triples"),
        "/streamed-large/catalog.ttl": Route(catalog_ttl(f"{t}/streamed-large",
                                                         f"{t}/streamed-large/campus.nt")),
        "/streamed-large/campus.nt": Route(big, "application/n-triples", chunked=True),
        "/unreachable/catalog.ttl": Route(catalog_ttl(
            f"{t}/unreachable", f"http://127.0.0.1:{closed_port}/campus.nt")),
        "/file-scheme/catalog.ttl": Route(catalog_ttl(f"{t}/file-scheme",
                                                      "file:///etc/passwd")),
        "/redirect-file/catalog.ttl": Route(catalog_ttl(f"{t}/redirect-file",
                                                        f"{t}/redirect-file/campus.nt")),
        "/redirect-file/campus.nt": Route(location="file:///etc/passwd"),
        "/invalid/catalog.ttl": Route(catalog_ttl(f"{t}/invalid", f"{t}/invalid/campus.nt",
                                                  sha256=hashlib.sha256(invalid).hexdigest())),
        "/invalid/campus.nt": Route(invalid, "application/n-triples"),
        "/unparseable/catalog.ttl": Route(catalog_ttl(f"{t}/unparseable",
                                                      f"{t}/unparseable/campus.nt")),
        "/unparseable/campus.nt": Route(b"<http://x/a> <http://x/b> oops .\n",
                                        "application/n-triples"),
        "/remote-context/catalog.jsonld": Route(json.dumps(
            {"@context": f"{t}/context.jsonld", "@id": f"{t}/remote-context/catalog",
             "@type": "Catalog"}).encode(), "application/ld+json"),
        "/context.jsonld": Route(b'{"@context": {}}', "application/ld+json"),
        "/slow/catalog.ttl": Route(catalog_ttl(f"{t}/slow", f"{t}/slow/campus.nt")),
        "/slow/campus.nt": Route(data("slow"), "application/n-triples", delay=6.0),
    }
    expected = {
        f"{t}/delta/catalog.jsonld": "harvested",
        f"{t}/mismatch/catalog.ttl": "checksum-mismatch",
        f"{t}/declared-large/catalog.ttl": "too-large",
        f"{t}/streamed-large/catalog.ttl": "too-large",
        f"{t}/unreachable/catalog.ttl": "unreachable",
        f"{t}/file-scheme/catalog.ttl": "bad-scheme",
        f"{t}/redirect-file/catalog.ttl": "bad-scheme",
        f"{t}/invalid/catalog.ttl": "invalid-data",
        f"{t}/unparseable/catalog.ttl": "unparseable",
        f"{t}/remote-context/catalog.jsonld": "bad-catalogue",
        f"{t}/missing/catalog.ttl": "http-error",
        f"{t}/slow/catalog.ttl": "timeout",
        "ftp://127.0.0.1/catalog.ttl": "bad-scheme",
    }
    return routes, expected


# ---------------------------------------------------------------- the network, once per module


@dataclass
class Network:
    campuses: dict[str, LiveServer]
    tiny: Tiny
    expected: dict[str, str]
    out: Path
    first_code: int
    first: dict[str, object]
    second_code: int
    second: dict[str, object]
    national: LiveServer
    tiny_hits_after_first: dict[str, list[int]]

    def outcomes(self, run: dict[str, object]) -> list[dict[str, object]]:
        harvested = run["harvested"]
        rejected = run["rejected"]
        assert isinstance(harvested, list) and isinstance(rejected, list)
        return [*harvested, *rejected]


#: The test network is on loopback: allowed explicitly (only public addresses by default).
HARVEST_OPTS = ("--max-mib", "1", "--timeout", "2", "--total-timeout", "20",
                "--allow-address", "127.0.0.1")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    root = tmp_path_factory.mktemp("harvest")
    with contextlib.ExitStack() as stack:
        starting = []
        for name in CAMPUSES:
            port = free_port()
            project = make_campus(root / name, name, port)
            code, text = cmq("--project", str(project), "build", "--json")
            assert code == 0, text
            starting.append(start_server(project, port=port))
        with ThreadPoolExecutor(len(starting)) as pool:  # the three servers start together
            servers = dict(zip(CAMPUSES, pool.map(stack.enter_context, starting), strict=True))
        beta_nt = (servers["beta"].project.releases_dir / "current" / rm.DATA_NT).read_bytes()
        tiny_port, closed_port = free_port(), free_port()
        routes, expected = negative_routes(f"http://127.0.0.1:{tiny_port}", beta_nt,
                                           closed_port)
        tiny = stack.enter_context(tiny_server(routes, tiny_port))
        campus_urls = [servers[n].url + "catalog" for n in CAMPUSES]
        out = root / "national"
        national_port = free_port()
        first_code, text = cmq("harvest", *campus_urls, *expected, "--out", str(out), "--json",
                               "--base-iri", NATIONAL_BASE,
                               "--public-url", f"http://127.0.0.1:{national_port}/",
                               *HARVEST_OPTS)
        first = json.loads(text)
        hits_after_first = {k: list(v) for k, v in tiny.hits.items()}
        good = [*campus_urls, f"{tiny.url}/delta/catalog.jsonld"]
        second_code, text = cmq("harvest", *good, "--out", str(out), "--json", *HARVEST_OPTS)
        second = json.loads(text)
        national = stack.enter_context(start_server(out, port=national_port))
        yield Network(servers, tiny, expected, out, first_code, first, second_code, second,
                      national, hits_after_first)


def _sparql(server: LiveServer, query: str) -> list[dict[str, str]]:
    w = SPARQLWrapper(server.sparql)
    w.setQuery(query)
    w.setReturnFormat(JSON)
    result = w.queryAndConvert()
    assert isinstance(result, dict)
    return [{k: v["value"] for k, v in b.items()} for b in result["results"]["bindings"]]


def _count_establishments(nt: Path) -> int:
    store = ox.Store()
    store.load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    rows = store.query(f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a <{SCHEMA_EDU}> }}")
    assert isinstance(rows, ox.QuerySolutions)
    n = next(iter(rows))["n"]
    assert isinstance(n, ox.Literal)
    return int(n.value)


def graph_of(name: str) -> str:
    return f"{NATIONAL_BASE}graph/campus/{name}"


# ---------------------------------------------------------------- the summary


def test_first_harvest_publishes_and_reports_every_rejection(network: Network) -> None:
    assert network.first_code == 0
    assert network.first["ok"] is True and network.first["status"] == "published"
    got: dict[str, str] = {}
    for o in network.outcomes(network.first):
        url, status, reason = str(o["catalog_url"]), str(o["status"]), o["reason"]
        got[url] = status if status == "harvested" else str(reason)
        if status != "harvested":
            assert o["detail"], o  # every rejection says why
            assert o["graph"] is None
    expected = dict(network.expected)
    expected.update({s.url + "catalog": "harvested" for s in network.campuses.values()})
    assert got == expected


def test_harvested_campuses_have_verified_checksums(network: Network) -> None:
    harvested = network.first["harvested"]
    assert isinstance(harvested, list)
    graphs = {o["graph"] for o in harvested}
    assert graphs == {graph_of(n) for n in (*CAMPUSES, "delta")}
    for o in harvested:
        assert o["checksum_verified"] is True and str(o["checksum"]).startswith("sha256:")
    by_dataset = {o["dataset"]: o for o in harvested}
    alpha = by_dataset["https://example.org/cmq/alpha/dataset"]
    release = network.campuses["alpha"].release
    assert alpha["download_url"] == release.current_url(rm.DATA_NT)  # N-Triples, stable URL
    nt = next(f for f in release.files if f.name == rm.DATA_NT)
    assert alpha["checksum"] == f"sha256:{nt.sha256}"


def test_nothing_is_downloaded_beyond_the_limits(network: Network) -> None:
    hits = network.tiny_hits_after_first
    # declared too large: refused from the catalogue's dcat:byteSize, never requested
    assert "/declared-large/campus.nt" not in hits
    # a JSON-LD catalogue with a remote context: refused without fetching the context
    assert "/context.jsonld" not in hits
    # the redirect to file: was answered, and not followed anywhere
    assert hits["/redirect-file/campus.nt"] == [302]


def test_second_harvest_uses_conditional_requests(network: Network) -> None:
    second = network.second
    assert network.second_code == 0
    assert second["release_id"] == network.first["release_id"]
    assert second["status"] == "unchanged"
    harvested = second["harvested"]
    assert isinstance(harvested, list) and len(harvested) == 4
    assert all(o["not_modified"] is True for o in harvested)
    # 4 catalogues + 4 dumps, all answered 304 (the real servers and the tiny one)
    assert second["requests"] == 8 and second["not_modified"] == 8
    assert network.tiny.count("/delta/campus.nt.gz", 304) == 1
    assert network.tiny.count("/delta/catalog.jsonld", 304) == 1
    index = json.loads((network.out / "harvest-cache" / "index.json").read_text())
    dumps = [u for u in index["entries"] if u.endswith((".nt", ".nt.gz"))]
    assert all(index["entries"][u]["etag"] for u in dumps)


def test_nothing_harvested_publishes_nothing(network: Network, tmp_path: Path) -> None:
    bad = [f"{network.tiny.url}/mismatch/catalog.ttl", "file:///etc/passwd"]
    code, text = cmq("harvest", *bad, "--out", str(tmp_path / "n"), "--json", *HARVEST_OPTS)
    summary = json.loads(text)
    assert code == 1 and summary["ok"] is False and summary["release_id"] is None
    assert {o["reason"] for o in summary["rejected"]} == {"checksum-mismatch", "bad-scheme"}
    assert not (tmp_path / "n" / "releases" / "current").exists()


def test_strict_fails_when_a_campus_is_rejected(network: Network, tmp_path: Path) -> None:
    urls = [network.campuses["alpha"].url + "catalog", f"{network.tiny.url}/missing/catalog.ttl"]
    code, text = cmq("harvest", *urls, "--out", str(tmp_path / "n"), "--json", "--strict",
                     *HARVEST_OPTS)
    summary = json.loads(text)
    assert code == 1 and summary["ok"] is False and summary["release_id"]


# ---------------------------------------------------------------- the national release, served


def test_cross_campus_query_counts_establishments_per_campus(network: Network) -> None:
    rows = _sparql(network.national, PER_GRAPH)
    got = {r["g"]: int(r["n"]) for r in rows}
    expected = {graph_of(n): _count_establishments(
        s.project.releases_dir / "current" / rm.DATA_NT) for n, s in network.campuses.items()}
    expected[graph_of("delta")] = expected[graph_of("beta")]
    assert got == expected
    assert [got[graph_of(n)] for n in CAMPUSES] == [n for _s, n in CAMPUSES.values()]
    union = _sparql(network.national, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ "
                    f"?e a <{SCHEMA_EDU}> }} }}")
    assert int(union[0]["n"]) == sum(expected.values())


def test_cross_campus_query_names_each_campus(network: Network) -> None:
    rows = _sparql(network.national, """
        PREFIX cmq: <https://w3id.org/cmq/ontology/>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?g ?name ?sector WHERE {
          GRAPH ?g { ?c a cmq:Campus ; skos:prefLabel ?name ; cmq:sector ?s }
          ?s skos:notation ?sector }""")  # the sector list is in the ontology graph
    got = {(r["g"], r["name"], r["sector"]) for r in rows}
    expected = {(graph_of(n), f"Campus d'essai {n}", s) for n, (s, _e) in CAMPUSES.items()}
    expected.add((graph_of("delta"), "Campus d'essai beta", CAMPUSES["beta"][0]))
    assert got == expected


def test_campus_graph_is_the_campus_data(network: Network) -> None:
    w = SPARQLWrapper(network.national.sparql)
    w.setQuery(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_of('alpha')}> {{ ?s ?p ?o }} }}")
    w.setReturnFormat(TURTLE)
    body = w.queryAndConvert()
    assert isinstance(body, bytes)
    served = Graph().parse(data=body, format="turtle")
    own = Graph().parse(network.campuses["alpha"].project.releases_dir / "current" / rm.DATA_NT,
                        format="nt")
    if not isomorphic(served, own):
        _both, only_served, only_own = graph_diff(to_isomorphic(served), to_isomorphic(own))
        pytest.fail(f"only served: {sorted(only_served)[:5]}\nonly own: {sorted(only_own)[:5]}")


def test_rejected_datasets_are_absent(network: Network) -> None:
    rows = _sparql(network.national, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                   f"FILTER(STRSTARTS(STR(?g), '{NATIONAL_BASE}graph/campus/')) }}")
    assert {r["g"] for r in rows} == {graph_of(n) for n in (*CAMPUSES, "delta")}
    for bad in ("invalid", "mismatch", "slow"):
        rows = _sparql(network.national, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o "
                       f"FILTER(STRSTARTS(STR(?s), 'https://example.org/cmq/{bad}/')) }} }}")
        assert rows[0]["n"] == "0", bad


def test_provenance_of_each_graph(network: Network) -> None:
    harvested = network.first["harvested"]
    assert isinstance(harvested, list)
    for o in harvested:
        rows = _sparql(network.national, f"""
            PREFIX prov: <http://www.w3.org/ns/prov#>
            PREFIX spdx: <http://spdx.org/rdf/terms#>
            PREFIX dct: <http://purl.org/dc/terms/>
            SELECT ?src ?dataset ?when ?sum ?cat WHERE {{ GRAPH <{NATIONAL_BASE}graph/provenance> {{
              <{o["graph"]}> prov:wasDerivedFrom ?src ; dct:source ?dataset ;
                  prov:hadPrimarySource ?cat .
              ?use prov:entity ?src ; prov:atTime ?when .
              ?src spdx:checksum/spdx:checksumValue ?sum .
            }} }}""")
        assert len(rows) == 1, (o["graph"], rows)
        row = rows[0]
        assert row["src"] == o["download_url"] and row["dataset"] == o["dataset"]
        assert f"sha256:{row['sum']}" == o["checksum"]
        assert row["when"] and row["cat"]


def test_national_catalogue_lists_each_campus_dataset(network: Network) -> None:
    r = httpx.get(network.national.url + "catalog", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    dcat = "http://www.w3.org/ns/dcat#"
    catalog = URIRef(f"{NATIONAL_BASE}catalog")
    listed = {str(d) for d in g.objects(catalog, URIRef(dcat + "dataset"))}
    datasets = {f"https://example.org/cmq/{n}/dataset" for n in CAMPUSES}
    datasets.add(f"{network.tiny.url}/delta/dataset")
    assert listed == {f"{NATIONAL_BASE}dataset", *datasets}
    sources = {str(d) for d in g.objects(URIRef(f"{NATIONAL_BASE}dataset"),
                                         URIRef("http://purl.org/dc/terms/source"))}
    assert sources == datasets


@pytest.mark.reference
def test_national_catalogue_validates(network: Network) -> None:
    """The catalogue shapes hold, except where the hand-crafted source catalogue (delta) says
    too little (no licence, publisher…): what a source omits is not invented."""
    folder = network.out / "releases" / str(network.first["release_id"])
    report = validate_with_pyshacl(Graph().parse(folder / rm.CATALOG_TTL), catalog_shapes())
    bad = [p for p in report.problems if p.severity == "Violation"
           and not str(p.focus).startswith(network.tiny.url)]
    assert not bad, "\n".join(map(str, bad))
    assert any(str(p.focus).startswith(network.tiny.url) for p in report.problems)


def test_national_dumps_are_served(network: Network) -> None:
    r = httpx.get(network.national.url + "dumps/" + rm.DATA_NQ)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/n-quads")
    lines = r.content.splitlines(keepends=True)
    assert lines == sorted(lines) and len(lines) == network.first["triples"]
    trig = httpx.get(network.national.url + "dumps/" + rm.DATA_TRIG)
    assert trig.status_code == 200
    a, b = ox.Dataset(ox.parse(r.content, format=ox.RdfFormat.N_QUADS)), ox.Dataset(
        ox.parse(trig.content, format=ox.RdfFormat.TRIG))
    assert len(a) == len(b) and all(q in b for q in a)
    record = httpx.get(network.national.url + "dumps/" + rm.HARVEST_JSON).json()
    reasons = {o["catalog_url"]: o["reason"] for o in record["outcomes"]
               if o["status"] != "harvested"}
    assert reasons[f"{network.tiny.url}/invalid/catalog.ttl"] == "invalid-data"


# ---------------------------------------------------------------- the national release, browsed

BROWSE_PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX cmq: <https://w3id.org/cmq/ontology/>
PREFIX org: <http://www.w3.org/ns/org#>
"""
#: a record's campus: the cmq:Campus of the named graph it is typed in, coded by the graph's name
IN_CAMPUS = ("GRAPH ?g {{ ?s a {cls} . ?c a cmq:Campus }} "
             'BIND(REPLACE(STR(?g), "^.*/", "") AS ?campus)')
CERT_SECTOR = "schema:educationalCredentialAwarded/cmq:sector"


def national_facets(network: Network, kind: str,
                    filters: dict[str, tuple[str, ...]] | None = None) -> dict[str, dict[str, int]]:
    folder = current_release(network.national.project.releases_dir)
    assert folder is not None and (folder / INDEX_FILE).is_file()
    page = BrowseIndex(folder).page(ListQuery(KINDS_BY_NAME[kind], filters or {}))
    return {f.column.name: {v.code: v.count for v in f.values} for f in page.facets}


def grouped(network: Network, where: str, code: str) -> dict[str, int]:
    rows = _sparql(network.national, f"{BROWSE_PREFIXES}SELECT ?{code} (COUNT(DISTINCT ?s) AS ?n) "
                   f"WHERE {{ {where} }} GROUP BY ?{code}")
    return {r[code]: int(r["n"]) for r in rows}


def test_national_release_is_indexed_with_a_campus_facet(network: Network) -> None:
    folder = current_release(network.national.project.releases_dir)
    assert folder is not None
    manifest = json.loads((folder / rm.MANIFEST).read_text("utf-8"))
    assert INDEX_FILE not in {f["name"] for f in manifest["files"]}  # decision 0019
    for kind, cls in (("formations", "schema:EducationalOccupationalProgram"),
                      ("etablissements", "schema:EducationalOrganization")):
        expected = grouped(network, IN_CAMPUS.format(cls=cls), "campus")
        assert national_facets(network, kind)["campus"] == expected, kind
    assert grouped(network, IN_CAMPUS.format(cls="schema:EducationalOccupationalProgram"),
                   "campus") == {n: e for n, (_s, e) in CAMPUSES.items()} | {"delta": 2}


def test_national_sector_facet_falls_back_on_the_campus_sector(network: Network) -> None:
    own = f"?s {CERT_SECTOR} ?v"
    campus = ("?s a schema:EducationalOccupationalProgram FILTER NOT EXISTS { "
              f"?s {CERT_SECTOR} ?x }} ?c cmq:sector ?v")
    where = (IN_CAMPUS.format(cls="schema:EducationalOccupationalProgram") +
             f" {{ {own} }} UNION {{ {campus} }} ?v skos:notation ?code")
    expected = grouped(network, where, "code")
    assert national_facets(network, "formations")["secteur"] == expected
    # alpha (a plastics campus) teaches a metalworking CAP: its formations count there
    assert expected == {"metallurgie": 3 + 2 + 2, "plasturgie": 1}
    within = national_facets(network, "formations", {"secteur": ("metallurgie",)})
    assert within["campus"] == {"alpha": 3, "beta": 2, "delta": 2}


def test_national_membership_facet_keeps_each_campus_apart(network: Network) -> None:
    """Every campus IRI ends in ``organisation/campus``: ``membre_de`` codes a campus by its
    graph's name, as the ``campus`` facet does."""
    where = ("GRAPH ?g { ?s a org:Membership ; org:organization ?o . ?o a cmq:Campus } "
             'BIND(REPLACE(STR(?g), "^.*/", "") AS ?campus)')
    expected = grouped(network, where, "campus")
    assert national_facets(network, "adhesions")["membre_de"] == expected
    assert {c: expected.get(c) for c in CAMPUSES} == dict.fromkeys(CAMPUSES, 1)
    rows = list(csv.DictReader(io.StringIO(httpx.get(
        network.national.url + "adhesions.csv", params={"membre_de": "beta"}, timeout=30).text)))
    assert [(row["membre"], row["membre_de_code"]) for row in rows] == [
        ("Lycée professionnel beta 0 (fictif)", "beta")]


def test_national_lists_link_each_record_to_its_own_iri(network: Network) -> None:
    r = httpx.get(network.national.url + "formations/", params={"campus": "alpha"}, timeout=30)
    assert r.status_code == 200
    assert re.search(r'<strong id="total">3</strong>', r.text)
    assert 'href="https://example.org/cmq/alpha/formation/cap-alpha-0"' in r.text
    rows = list(csv.DictReader(io.StringIO(httpx.get(
        network.national.url + "formations.csv", params={"secteur": "plasturgie"},
        timeout=30).text)))
    assert [(row["iri"], row["campus_code"]) for row in rows] == [
        ("https://example.org/cmq/gamma/formation/cap-gamma-0", "gamma")]


def test_national_not_found_page_suggests_foreign_records_at_their_own_iri(
        network: Network) -> None:
    r = httpx.get(network.national.url + "formation/cap-alpha", timeout=30)
    assert r.status_code == 404
    nearest = r.text.split('class="nearest"', 1)[1].split("</ul>", 1)[0]
    assert 'href="https://example.org/cmq/alpha/formation/cap-alpha-0"' in nearest


# ---------------------------------------------------------------- pieces, without servers


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.nt",
                                 "javascript:alert(1)", "http:///nohost", "gopher://x/",
                                 "/relative/path"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchError) as err:
        check_scheme(url)
    assert err.value.reason == BAD_SCHEME


def test_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (8 * MIB))
    assert len(bomb) < 64 * 1024
    produced = 0
    with pytest.raises(FetchError) as err:
        for part in gunzip_chunks(iter([bomb]), MIB, "http://x/"):
            produced += len(part)
    assert err.value.reason == TOO_LARGE and produced <= MIB


def test_gzip_members_and_truncation() -> None:
    two = gzip.compress(b"abc", mtime=0) + gzip.compress(b"def", mtime=0)
    pieces = [two[i:i + 7] for i in range(0, len(two), 7)]
    assert b"".join(gunzip_chunks(iter(pieces), MIB, "http://x/")) == b"abcdef"
    with pytest.raises(FetchError) as err:
        b"".join(gunzip_chunks(iter([two[:-12]]), MIB, "http://x/"))
    assert err.value.reason == BAD_RESPONSE


def test_choose_dump_prefers_ntriples_of_the_data() -> None:
    ttl = b"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix m: <http://www.iana.org/assignments/media-types/> .
<http://c/d> a dcat:Dataset ; dcat:distribution <http://c/ttl>, <http://c/ntgz>, <http://c/nt>,
    <http://c/changes>, <http://c/sparql> .
<http://c/ttl> dcat:downloadURL <http://c/campus.ttl> ; dcat:mediaType m:text\\/turtle ;
    dct:conformsTo <https://w3id.org/cmq/ontology> .
<http://c/ntgz> dcat:downloadURL <http://c/campus.nt.gz> ; dcat:mediaType m:application\\/n-triples ;
    dcat:compressFormat m:application\\/gzip ; dct:conformsTo <https://w3id.org/cmq/ontology> .
<http://c/nt> dcat:downloadURL <http://c/campus.nt> ; dcat:mediaType m:application\\/n-triples ;
    dct:conformsTo <https://w3id.org/cmq/ontology> .
<http://c/changes> dcat:downloadURL <http://c/changeset-added.nt> .
<http://c/sparql> dcat:accessURL <http://c/sparql> ; dcat:accessService <http://c/svc> .
"""
    g = parse_catalog(ttl, ox.RdfFormat.TURTLE, "http://c/")
    choice = choose_dump(g, URIRef("http://c/d"))
    assert choice is not None
    assert (choice.url, choice.gzip, choice.format) == ("http://c/campus.nt", False,
                                                        ox.RdfFormat.N_TRIPLES)
    g.remove((URIRef("http://c/d"), None, URIRef("http://c/nt")))
    choice = choose_dump(g, URIRef("http://c/d"))
    assert choice is not None and (choice.url, choice.gzip) == ("http://c/campus.nt.gz", True)


def test_slugs_are_stable_and_unique() -> None:
    assert slug_of("https://w3id.org/cmq/campus/plasturgie-picardie/dataset") == \
        "plasturgie-picardie"
    assert slug_of("http://x.example/").startswith("d-")

    @dataclass
    class C:
        dataset: str
        slug: str

    a, b, c = (C("http://a/x/dataset", "x"), C("http://b/x/dataset", "x"),
               C("http://c/y/dataset", "y"))
    assign_slugs([a, b, c])
    assert a.slug != b.slug and a.slug.startswith("x-") and c.slug == "y"
    d, e = C("http://b/x/dataset", "x"), C("http://a/x/dataset", "x")
    assign_slugs([d, e])
    assert (d.slug, e.slug) == (b.slug, a.slug)  # the same whatever the order


def test_national_configuration_is_kept(tmp_path: Path) -> None:
    project = national_project(tmp_path, {"base_iri": NATIONAL_BASE})
    assert project.config.base_iri == NATIONAL_BASE
    assert national_project(tmp_path, {}).config.base_iri == NATIONAL_BASE
    with pytest.raises(ProjectError):
        national_project(tmp_path, {"base_iri": "https://other.example/"})
    (tmp_path / "data" / "etablissements.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(ProjectError):  # a campus project is never overwritten
        national_project(tmp_path, {})


# ---------------------------------------------------------------- credentials, addresses, memory


def _files_holding(folder: Path, needle: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_credentials_in_a_url_are_refused_and_never_published(network: Network,
                                                               tmp_path: Path) -> None:
    t = network.tiny
    secret = "s3cret-pw"
    t.routes["/cred-dump/catalog.ttl"] = Route(catalog_ttl(
        f"{t.url}/cred-dump", f"http://harvester:{secret}@127.0.0.1:1/campus.nt"))
    before = {k: len(v) for k, v in t.hits.items()}
    with_credentials = t.url.replace("http://", f"http://harvester:{secret}@")
    urls = [f"{with_credentials}/delta/catalog.jsonld", f"{t.url}/cred-dump/catalog.ttl",
            f"{t.url}/delta/catalog.jsonld"]
    out = tmp_path / "national"
    code, text = cmq("harvest", *urls, "--out", str(out), "--json", *HARVEST_OPTS)
    summary = json.loads(text)
    assert code == 0 and summary["release_id"], text
    reasons = {(o["catalog_url"], o["reason"]) for o in summary["rejected"]}
    assert reasons == {(f"{t.url}/delta/catalog.jsonld", "credentials-in-url"),
                       (f"{t.url}/cred-dump/catalog.ttl", "credentials-in-url")}
    assert secret not in text and "harvester" not in text
    assert _files_holding(out / "releases", secret.encode()) == []
    assert t.count("/delta/catalog.jsonld") - before.get("/delta/catalog.jsonld", 0) == 1
    code, text = cmq("harvest", *urls, "--out", str(out), *HARVEST_OPTS)  # printed output
    assert secret not in text and "harvester" not in text


@contextlib.contextmanager
def loopback_server(host: str, routes: dict[str, Route]) -> Iterator[Tiny]:
    port = free_port()
    tiny = Tiny(f"http://{host}:{port}", routes)
    server = ThreadingHTTPServer((host, port), _handler(tiny))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield tiny
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_an_address_not_allowed_is_not_followed(network: Network,
                                                              tmp_path: Path) -> None:
    """127.0.0.1 is allowed; its catalogue redirects to 127.0.0.2 (loopback, not allowed):
    refused before any connection to it. Without the allow-list 127.0.0.1 is refused too."""
    t = network.tiny
    with loopback_server("127.0.0.2", {"/catalog.ttl": Route(b"")}) as inner:
        t.routes["/to-inner/catalog.ttl"] = Route(location=f"{inner.url}/catalog.ttl")
        # link-local (cloud metadata) and IPv6 loopback: refused before any connection
        t.routes["/to-metadata/catalog.ttl"] = Route(location="http://169.254.169.254/latest/")
        t.routes["/to-ipv6/catalog.ttl"] = Route(location="http://[::1]:9/catalog.ttl")
        urls = [f"{t.url}/to-inner/catalog.ttl", f"{t.url}/to-metadata/catalog.ttl",
                f"{t.url}/to-ipv6/catalog.ttl"]
        code, text = cmq("harvest", *urls, "--out", str(tmp_path / "n"), "--json",
                         *HARVEST_OPTS)
        summary = json.loads(text)
        assert code == 1
        assert {o["reason"] for o in summary["rejected"]} == {"forbidden-address"}
        assert t.count("/to-inner/catalog.ttl", 302) == 1
        assert inner.hits == {}, "nothing was sent to the address not allowed"
        before = t.count("/delta/catalog.jsonld")
        code, text = cmq("harvest", f"{t.url}/delta/catalog.jsonld", "--out",
                         str(tmp_path / "m"), "--json", "--timeout", "2")  # no allow-list
        assert code == 1
        [rejected] = json.loads(text)["rejected"]
        assert rejected["reason"] == "forbidden-address" and "127.0.0.1" in rejected["detail"]
        assert t.count("/delta/catalog.jsonld") == before


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",
                                     "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"])
def test_only_public_addresses_by_default(address: str) -> None:
    import ipaddress
    ip = ipaddress.ip_address(address)
    assert not AddressPolicy().allows(ip)
    assert AddressPolicy.of([address]).allows(ip)
    assert AddressPolicy().allows(ipaddress.ip_address("193.51.24.1"))  # a public address


def test_a_dump_over_the_triple_limit_fails_alone(network: Network, tmp_path: Path) -> None:
    """One source over ``--max-triples`` is rejected with a message while the others are
    harvested, and the cache keeps no body of a rejected source."""
    t = network.tiny
    delta = gzip.decompress(t.routes["/delta/campus.nt.gz"].body)
    limit = delta.count(b"\n") + 10
    many = b"".join(f"<http://x/{i}> <http://x/p> \"{i}\" .\n".encode()
                    for i in range(limit + 1))
    t.routes["/many/catalog.ttl"] = Route(catalog_ttl(f"{t.url}/many", f"{t.url}/many/campus.nt"))
    t.routes["/many/campus.nt"] = Route(many, "application/n-triples")
    out = tmp_path / "national"
    urls = [f"{t.url}/many/catalog.ttl", f"{t.url}/delta/catalog.jsonld"]
    code, text = cmq("harvest", *urls, "--out", str(out), "--json", "--max-triples", str(limit),
                     *HARVEST_OPTS)
    summary = json.loads(text)
    assert code == 0, text
    assert [o["download_url"] for o in summary["harvested"]] == [f"{t.url}/delta/campus.nt.gz"]
    [rejected] = summary["rejected"]
    assert rejected["reason"] == "too-large" and f"more than {limit}" in rejected["detail"]
    cache = out / "harvest-cache"
    assert not _files_holding(cache, b"<http://x/0> <http://x/p>"), "rejected body not kept"
    index = json.loads((cache / "index.json").read_text(encoding="utf-8"))
    assert f"{t.url}/many/campus.nt" not in index["entries"]
    assert f"{t.url}/delta/campus.nt.gz" in index["entries"]
