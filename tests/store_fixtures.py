"""REAL SPARQL stores on loopback ports for the remote-store tests (and the benchmark).

- Oxigraph server: ``oxigraph serve`` from the ``oxigraph`` PyPI package (``.venv/bin``);
- Virtuoso: Debian's ``virtuoso-opensource`` (``virtuoso-t``), started in the foreground with a
  small ``virtuoso.ini`` of its own (its own folder and ports; not the system service). When the
  binary is missing and we are root, :func:`virtuoso_binary` installs the package with apt-get;
  tests are skipped (with the reason) only when that is impossible.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``): test modules ask for its fixtures
by name and import only types and helpers (``from store_fixtures import StoreProcess,
start_store``).

Fixtures (session scope):

``store``
    a running store, parametrized over :data:`KINDS` (test ids ``[oxigraph]`` / ``[virtuoso]``);
    one process per kind, started when a test first needs it (pytest groups the tests by kind and
    stops one kind's process before it starts the other's). Each param carries the ``external``
    marker, so every test that uses ``store`` (directly or through another fixture) is selected
    by ``-m external``.
``campus_releases``
    a copy of the shipped campus with two built releases (:class:`CampusReleases`).

Tests that stop or kill a store start their own with :func:`start_store` (a context manager); mark
them ``@pytest.mark.external``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from conftest import copy_campus, set_cell
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from server_fixtures import _CMQ, free_port
from server_fixtures import stop as stop_server

from publisher.project.folder import Project
from publisher.project.settings import Settings, load_settings
from publisher.release import model as rm
from publisher.release.build import build_release
from publisher.release.manifest import file_entry, read_release, release_id_of, write_manifest

KINDS = ("oxigraph", "virtuoso")
VIRTUOSO_PACKAGE = "virtuoso-opensource"
#: Virtuoso's administrator on a fresh database (its documented default).
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"
START_DEADLINE_S = 60.0
_OXIGRAPH = Path(sys.executable).with_name("oxigraph")

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {d}
ThreadsPerQuery = 2
MaxQueryMem = 1G

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 8
MaxClientConnections = 8
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 30
MaxQueryCostEstimationTime = 0
"""


@dataclass
class StoreProcess:
    """A store running in a subprocess; ``env`` holds the credentials ``cmq publish`` needs."""

    kind: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: the store vanishes mid-request, as in a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        """Start it again on the same folder and port (after :meth:`kill` or :meth:`stop`)."""
        self.stop()
        self.process = _spawn(self.kind, self.folder, self.port, self.extra_args)
        wait_ready(self)


def virtuoso_binary() -> str | None:
    """``virtuoso-t``, installed with apt-get when missing and possible; None otherwise."""
    found = shutil.which("virtuoso-t")
    if found or not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", VIRTUOSO_PACKAGE]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=False)
    return shutil.which("virtuoso-t")


def _spawn(kind: str, folder: Path, port: int, extra: tuple[str, ...]) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "process.log").open("ab")
    if kind == "oxigraph":
        cmd = [str(_OXIGRAPH), "serve", "--location", str(folder / "db"), "--bind",
               f"127.0.0.1:{port}", *extra]
    else:
        binary = virtuoso_binary()
        if binary is None:
            raise RuntimeError("virtuoso-t missing")
        cmd = [binary, "+foreground", "+configfile", str(folder / "virtuoso.ini")]
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        log.close()


def wait_ready(store: StoreProcess) -> None:
    probe = "/query?query=ASK%7B%7D" if store.kind == "oxigraph" else "/sparql?query=ASK%7B%7D"
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if store.process.poll() is not None:
            log = (store.folder / "process.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{store.kind} exited ({store.process.returncode}):\n{log}")
        try:
            if httpx.get(store.url + probe, timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    store.kill()
    raise RuntimeError(f"{store.kind} not ready after {START_DEADLINE_S} s")


def launch(kind: str, folder: Path, *, big: bool = False,
           extra_args: tuple[str, ...] = ()) -> StoreProcess:
    """Start a store of ``kind`` with its data in ``folder`` (``big``: more Virtuoso memory)."""
    port = free_port()
    env: dict[str, str] = {}
    if kind == "virtuoso":
        if virtuoso_binary() is None:
            pytest.skip(f"virtuoso-t not found and {VIRTUOSO_PACKAGE} cannot be installed "
                        "(needs root and apt-get)")
        folder.mkdir(parents=True, exist_ok=True)
        buffers = 340000 if big else 20000  # 8 KB pages: ~2.7 GB / ~160 MB
        (folder / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
            d=folder, sql_port=free_port(), http_port=port, buffers=buffers,
            dirty=buffers * 3 // 4), encoding="utf-8")
        env = {"CMQ_STORE_USER": VIRTUOSO_USER, "CMQ_STORE_PASSWORD": VIRTUOSO_PASSWORD}
    store = StoreProcess(kind, port, folder, _spawn(kind, folder, port, extra_args), env,
                         extra_args)
    try:
        wait_ready(store)
    except BaseException:
        store.kill()
        raise
    return store


@contextmanager
def start_store(kind: str, folder: Path, **kwargs: object) -> Iterator[StoreProcess]:
    store = launch(kind, folder, **kwargs)  # type: ignore[arg-type]
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture(scope="session",
                params=[pytest.param(kind, marks=pytest.mark.external) for kind in KINDS])
def store(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    kind: str = request.param
    with start_store(kind, tmp_path_factory.mktemp(f"store-{kind}")) as running:
        yield running


# --------------------------------------------------------------------------- releases to publish


@dataclass(frozen=True)
class CampusReleases:
    """A copy of the shipped campus with two real releases: ``first`` (as shipped) and
    ``second`` (one label changed, ``CHANGED_LABEL``); ``releases`` is their folder."""

    project: Project
    first: Path
    second: Path

    @property
    def releases(self) -> Path:
        return self.project.releases_dir


CHANGED = ("etablissements.csv", "lycee-condorcet", "nom", "Lycée Condorcet (version 2)")
CHANGED_LABEL = CHANGED[3]


@pytest.fixture(scope="session")
def campus_releases(tmp_path_factory: pytest.TempPathFactory) -> CampusReleases:
    project = copy_campus(tmp_path_factory.mktemp("store-campus"))
    first = build_release(project).path
    set_cell(project, *CHANGED)
    second = build_release(project).path
    return CampusReleases(project, first, second)


def synthetic_release(template: Path, releases: Path, triples: int, seed: str) -> Path:
    """A valid release folder with ``triples`` generated triples under the campus's base IRI
    (the side files of ``template``): a larger release without a long build."""
    info = read_release(template)
    base = info.config.base_iri
    tmp = releases / f".tmp-synthetic-{seed}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    lines = sorted(f'<{base}synthetique/{seed}-{i:07d}> <http://www.w3.org/2000/01/rdf-schema#'
                   f'label> "ressource {seed} n° {i}"@fr .\n' for i in range(triples))
    data = "".join(lines).encode("utf-8")
    (tmp / rm.DATA_NT).write_bytes(data)
    for name in (rm.ONTOLOGY_TTL, rm.CATALOG_TTL, rm.VOID_TTL):
        shutil.copyfile(template / name, tmp / name)
    rid = release_id_of(data, {"synthetic": str(seed)})
    files = tuple(file_entry(p) for p in sorted(tmp.iterdir()))
    created = info.created + timedelta(seconds=triples)  # newer than the template
    write_manifest(tmp, dataclasses.replace(info, release_id=rid, triples=triples, files=files,
                                            created=created, previous_id=None, added=None,
                                            removed=None))
    target = releases / rid
    shutil.rmtree(target, ignore_errors=True)
    os.rename(tmp, target)
    return target


# --------------------------------------------------------------------------- cmq serve --store

#: Settings of the servers in front of a store: a short time limit, a fast release check and a
#: small row cap (a store's partial answer at the time limit must exceed it to count as cut).
SERVE_SETTINGS: dict[str, str] = {
    "query_timeout": "1.5",
    "reload_interval": "0.3",
    "workers": "2",
    "max_rows": "500",
    "max_body_bytes": "65536",
}


@dataclass(frozen=True)
class StoreServer:
    url: str  # ends with "/"
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve_store(root: Path, store_url: str, env: dict[str, str] | None = None,
                settings: dict[str, str] | None = None) -> Iterator[StoreServer]:
    """``cmq --project root serve --store URL`` on a free loopback port, until exit."""
    port = free_port()
    cmd = [sys.executable, "-c", _CMQ, "--project", str(root), "serve", "--host", "127.0.0.1",
           "--port", str(port), "--store", store_url]
    for name, value in {**SERVE_SETTINGS, **(settings or {})}.items():
        cmd += ["--setting", name, value]
    log = root / f"serve-store-{port}.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CMQ_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**clean, **(env or {})})
    server = StoreServer(f"http://127.0.0.1:{port}/", log, proc)
    try:
        wait_server(server)
        yield server
    finally:
        stop_server(proc)


def wait_server(server: StoreServer) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"cmq serve exited ({server.process.returncode}):\n"
                               f"{server.log_text()[-4000:]}")
        try:
            if httpx.get(server.url + "healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"cmq serve not ready:\n{server.log_text()[-4000:]}")


def wait_for_release(server: StoreServer, release_id: str, limit_s: float = 30.0) -> None:
    """Until ``/healthz`` names ``release_id`` (the server polls the store)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if httpx.get(server.url + "healthz", timeout=5.0).json().get("release") == release_id:
            return
        time.sleep(0.1)
    raise AssertionError(f"the server did not switch to {release_id} in {limit_s} s")


# --------------------------------------------------------------------------- comparing data

#: Datatypes Virtuoso 7.2 rewrites on load (counts stay equal, values change): WKT becomes
#: its own virtrdf:Geometry with float noise (openlink/virtuoso-opensource#456, #803),
#: xsd:duration a number of months (#936). Documented in docs/deploy.md.
VIRTUOSO_REWRITES = {URIRef("http://www.opengis.net/ont/geosparql#wktLiteral"),
                     URIRef("http://www.openlinksw.com/schemas/virtrdf#Geometry"),
                     URIRef("http://www.w3.org/2001/XMLSchema#duration")}


def without_rewritten(g: Graph) -> Graph:
    out = Graph()
    for s, p, o in g:
        if not (isinstance(o, Literal) and o.datatype in VIRTUOSO_REWRITES):
            out.add((s, p, o))
    return out


def assert_same_data(kind: str, got: Graph, expected: Graph) -> None:
    """Identical graphs; on Virtuoso, identical but for the literals it rewrites (and the same
    number of triples)."""
    if kind == "virtuoso":
        assert len(got) == len(expected)
        got, expected = without_rewritten(got), without_rewritten(expected)
    assert_isomorphic(got, expected)


def assert_isomorphic(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(f"graphs differ\nonly in store:\n{only_got.serialize(format='nt')[:3000]}\n"
                    f"only in release:\n{only_expected.serialize(format='nt')[:3000]}")


def connect_settings(s: StoreProcess) -> Settings:
    """The settings that name store ``s`` (its dialect found from its Server header)."""
    return load_settings(store=s.url)
