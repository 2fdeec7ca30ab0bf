"""Start and stop the SPARQL servers compared by ``bench_endpoint.py`` (loopback only).

Each :class:`Target` is one server process started by us (``subprocess.Popen``, its own session)
and stopped by its PID: SIGINT, then SIGKILL after a grace period. Every target serves the same
files of one release: ``campus.nt`` (default graph) and ``ontology.ttl`` (named graph
``{base}graph/ontology``), queried with the union of the graphs as default graph.

- ``cmq``: ``cmq --project DIR serve`` (this project);
- ``oxigraph``: ``oxigraph serve`` without ``--location`` (in memory), the files POSTed through
  its Graph Store endpoint after start-up;
- ``oxigraph-disk``: ``oxigraph load`` into a RocksDB folder, then ``oxigraph serve-read-only``;
- ``rdflib-endpoint``: ``rdflib-endpoint serve FILES`` (rdflib's in-memory store).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent
#: ``cmq`` as its console script runs it (after the interpreter).
CMQ_MAIN = ["-c", "import sys; from publisher.cli.main import main; sys.exit(main())"]
ONTOLOGY_GRAPH = "graph/ontology"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tool(name: str) -> str:
    """An executable of this interpreter's environment (``.venv/bin/NAME``), else from PATH."""
    local = VENV_BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


@dataclass
class Target:
    """One running server: its name, SPARQL endpoint URL, process and log."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path
    command: list[str]
    startup_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def pss_mb(self) -> float | None:
        """Proportional set size of the server process and its descendants (MB): memory shared
        copy-on-write (cmq's store, shared by its workers) is counted once, not per process."""
        total = 0
        for pid in _descendants(self.pid) | {self.pid}:
            try:
                with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            except (OSError, ValueError, IndexError):
                continue
        return total / 1e6 if total else None

    def cpu_s(self) -> dict[int, float]:
        """CPU seconds (user + system, reaped children included) of the server process and
        each live descendant, by PID."""
        out: dict[int, float] = {}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in _descendants(self.pid) | {self.pid}:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = sum(int(v) for v in fields[11:15]) / tick
        return out

    def stop(self, grace_s: float = 15.0) -> int | None:
        """SIGINT (Ctrl-C) to this PID, SIGKILL after ``grace_s``; returns the exit code."""
        proc = self.process
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        return proc.returncode


def _descendants(pid: int) -> set[int]:
    """PIDs whose ancestry reaches ``pid`` (the cmq query engine's zygote and workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found: set[int] = set()
    frontier = {pid}
    for _ in range(8):  # bounded depth: server → zygote → workers
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        if not frontier:
            break
        found |= frontier
    return found


def _spawn(command: Sequence[str], log: Path, env: dict[str, str] | None = None
           ) -> subprocess.Popen[bytes]:
    # cwd: the log folder, never a checkout (`python -c` imports from the working directory
    # first, which would run that checkout's cmq instead of the interpreter's)
    with log.open("wb") as out:
        return subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                cwd=log.parent)


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path,
               deadline_s: float) -> None:
    """Poll ``ready()`` every 0.2 s until it is true, the process exits, or the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited ({proc.returncode}):\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{proc.args!r} not ready after {deadline_s} s")


def _get_ok(url: str, **kwargs: object) -> bool:
    r = httpx.get(url, timeout=5.0, **kwargs)  # type: ignore[arg-type]
    return r.status_code == 200


def start_cmq(project: Path, logs: Path, settings: dict[str, str], label: str = "cmq",
              python: str | None = None, deadline_s: float = 600.0) -> Target:
    """``cmq serve`` run by ``python`` (default: this interpreter), ready once /healthz is."""
    port = free_port()
    cmd = [python or sys.executable, *CMQ_MAIN, "--project", str(project), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--setting", "build_if_missing", "false", "--setting", "reload_interval", "0",
           "--setting", "log_level", "warning"]
    for name, value in settings.items():
        cmd += ["--setting", name, value]
    log = logs / f"{label}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMQ_")}
    started = time.monotonic()
    proc = _spawn(cmd, log, env)
    target = Target(label, f"http://127.0.0.1:{port}/sparql", proc, log, cmd)
    try:
        wait_until(lambda: _get_ok(f"http://127.0.0.1:{port}/healthz"), proc, log, deadline_s)
    except BaseException:
        target.stop()
        raise
    target.startup_s = time.monotonic() - started
    return target


def start_oxigraph_memory(release: Path, base_iri: str, logs: Path, label: str = "oxigraph",
                          timeout_s: float | None = None, deadline_s: float = 600.0) -> Target:
    """``oxigraph serve`` in memory; the files are POSTed to ``/store`` once it listens."""
    port = free_port()
    cmd = [tool("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    if timeout_s is not None:
        cmd += ["--timeout-s", f"{timeout_s:g}"]
    log = logs / f"{label}.log"
    started = time.monotonic()
    proc = _spawn(cmd, log)
    url = f"http://127.0.0.1:{port}"
    target = Target(label, f"{url}/query", proc, log, cmd)
    try:
        wait_until(lambda: _get_ok(url + "/"), proc, log, 60.0)
        with httpx.Client(timeout=deadline_s) as client:
            for path, params, media in (
                (release / "campus.nt", {"default": ""}, "application/n-triples"),
                (release / "ontology.ttl", {"graph": base_iri + ONTOLOGY_GRAPH}, "text/turtle"),
            ):
                with path.open("rb") as fh:
                    r = client.post(url + "/store", params=params, content=fh,
                                    headers={"Content-Type": media})
                r.raise_for_status()
    except BaseException:
        target.stop()
        raise
    target.startup_s = time.monotonic() - started
    return target


def start_oxigraph_disk(release: Path, base_iri: str, logs: Path, store_dir: Path,
                        label: str = "oxigraph-disk", deadline_s: float = 600.0) -> Target:
    """``oxigraph load`` into ``store_dir`` (RocksDB), then ``oxigraph serve-read-only``."""
    if store_dir.exists():
        shutil.rmtree(store_dir)
    log = logs / f"{label}.log"
    started = time.monotonic()
    with log.open("wb") as out:
        for path, graph in ((release / "campus.nt", None),
                            (release / "ontology.ttl", base_iri + ONTOLOGY_GRAPH)):
            load = [tool("oxigraph"), "load", "--location", str(store_dir), "--file", str(path)]
            if graph:
                load += ["--graph", graph]
            subprocess.run(load, stdout=out, stderr=subprocess.STDOUT, check=True,
                           timeout=deadline_s)
    port = free_port()
    cmd = [tool("oxigraph"), "serve-read-only", "--location", str(store_dir),
           "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    proc = _spawn(cmd, logs / f"{label}-serve.log")
    url = f"http://127.0.0.1:{port}"
    target = Target(label, f"{url}/query", proc, logs / f"{label}-serve.log", cmd)
    try:
        wait_until(lambda: _get_ok(url + "/"), proc, target.log, 60.0)
    except BaseException:
        target.stop()
        raise
    target.startup_s = time.monotonic() - started
    return target


def start_rdflib_endpoint(release: Path, logs: Path, executable: str | None = None,
                          label: str = "rdflib-endpoint", deadline_s: float = 900.0) -> Target:
    """``rdflib-endpoint serve campus.nt ontology.ttl`` (both into its union default graph)."""
    port = free_port()
    cmd = [executable or tool("rdflib-endpoint"), "serve", "--host", "127.0.0.1",
           "--port", str(port), str(release / "campus.nt"), str(release / "ontology.ttl")]
    log = logs / f"{label}.log"
    started = time.monotonic()
    proc = _spawn(cmd, log)
    endpoint = f"http://127.0.0.1:{port}/"
    target = Target(label, endpoint, proc, log, cmd)
    try:
        wait_until(lambda: _get_ok(endpoint, params={"query": "ASK {}"},
                                   headers={"Accept": "application/sparql-results+json"}),
                   proc, log, deadline_s)
    except BaseException:
        target.stop()
        raise
    target.startup_s = time.monotonic() - started
    return target
