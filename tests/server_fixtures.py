"""A REAL cmq server on a loopback port, for the HTTP tests (shared by every server test file).

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``): its fixtures are available to
every test module without an import; a test asks for them by name::

    from server_fixtures import LiveServer  # the type only, for the annotation

    def test_something(live_server: LiveServer) -> None:
        r = httpx.get(live_server.url + "healthz")

Fixtures (session scope: one build and one server for the whole run):

``served_project``
    a copy of the shipped campus in a temporary folder with one release built by
    :func:`publisher.release.build.build_release` (``ServedProject(project, release)``).
``live_server``
    ``cmq serve`` started in a subprocess on a free port of 127.0.0.1 over ``served_project``,
    with :data:`LIVE_SETTINGS` (short query time limit, fast reload check); ready once
    ``/healthz`` answers. :class:`LiveServer` gives ``url`` (ends with ``/``), ``sparql``,
    ``project``, ``release`` and the server's ``log`` file. Stopped (SIGINT, then SIGKILL after
    15 s) at the end of the session.
``no_tiles_server``
    the same project served with ``map_tiles`` on a closed loopback port: the map tests check
    that markers show when no tile server can be reached.

To run another server with other settings (e.g. a different row cap), use
``with start_server(project_root, {"max_rows": "5"}) as server:`` in a module-scoped fixture.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import copy_campus

from publisher.core.namespaces import SPARQL_PREFIXES
from publisher.project.folder import Project
from publisher.release.build import build_release
from publisher.release.folder import current_release
from publisher.release.manifest import read_release
from publisher.release.model import ReleaseInfo

#: Settings of the shared server: a query time limit short enough for the timeout test.
LIVE_SETTINGS: dict[str, str] = {
    "query_timeout": "1.5",
    "reload_interval": "0.5",
    "workers": "2",
    "max_body_bytes": "65536",
    "map_tiles": "",  # maps show their markers only: the browser tests stay on loopback
}
STARTUP_DEADLINE_S = 90.0
#: ``cmq`` as its console script runs it (``python -m publisher.cli.main`` would load cli.py twice).
_CMQ = "import sys; from publisher.cli.main import main; sys.exit(main())"


@dataclass(frozen=True)
class ServedProject:
    project: Project
    release: ReleaseInfo


@dataclass(frozen=True)
class LiveServer:
    url: str
    project: Project
    release: ReleaseInfo
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def rows(self, query: str) -> list[dict[str, str]]:
        """The endpoint's answer to ``query`` (cmq's prefixes declared), as plain values."""
        r = httpx.post(self.sparql, data={"query": SPARQL_PREFIXES + query},
                       headers={"Accept": "application/sparql-results+json"}, timeout=30)
        r.raise_for_status()
        return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]

    def count(self, where: str) -> int:
        """How many ``?s`` the endpoint finds for ``where`` (a list's question in SPARQL)."""
        return int(self.rows(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}")[0]["n"])


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"cmq serve exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url + "healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"cmq serve not ready after {STARTUP_DEADLINE_S} s:\n"
                       f"{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen[bytes]) -> int:
    """Stop the server like Ctrl-C would; SIGKILL only if it does not stop in 15 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


@contextmanager
def start_server(root: Path, settings: Mapping[str, str] | None = None,
                 log: Path | None = None, port: int | None = None) -> Iterator[LiveServer]:
    """``cmq --project root serve --port <free> --setting …`` in a subprocess, until exit.

    ``build_if_missing`` is false unless ``settings`` says otherwise (then the server builds the
    release itself, as on a fresh clone); ``release`` is the one current once it is ready.
    ``port``: a port chosen beforehand (e.g. with :func:`free_port`, when the project's
    ``public_url`` must name it), else a free one."""
    project = Project.open(root)
    port = port or free_port()
    cmd = [sys.executable, "-c", _CMQ, "--project", str(root), "serve",
           "--host", "127.0.0.1", "--port", str(port), "--setting", "build_if_missing", "false"]
    for name, value in (settings or {}).items():
        cmd += ["--setting", name, value]
    log = log or root / f"server-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMQ_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_ready(url, proc, log)
        folder = current_release(project.releases_dir)
        assert folder is not None
        yield LiveServer(url, project, read_release(folder, project.config), log, proc)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def served_project(tmp_path_factory: pytest.TempPathFactory) -> ServedProject:
    project = copy_campus(tmp_path_factory.mktemp("served"))
    return ServedProject(project, build_release(project).info)


@pytest.fixture(scope="session")
def live_server(served_project: ServedProject) -> Iterator[LiveServer]:
    with start_server(served_project.project.root, LIVE_SETTINGS) as server:
        yield server


@pytest.fixture(scope="session")
def no_tiles_server(served_project: ServedProject) -> Iterator[LiveServer]:
    """The served project with a map tile server that cannot be reached (a closed loopback
    port): maps must still show their markers."""
    closed = f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png"  # nothing listens there
    with start_server(served_project.project.root, {"map_tiles": closed,
                                                    "reload_interval": "0"}) as server:
        yield server
