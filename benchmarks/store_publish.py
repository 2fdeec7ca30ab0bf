"""Publish a release into real stores with ``cmq publish`` and time it, then time a few queries.

    python benchmarks/generate.py /tmp/bench --establishments 10000   # ~1M triples
    cmq --project /tmp/bench build
    python benchmarks/store_publish.py /tmp/bench [--stores oxigraph virtuoso] [--runs 3]

For each store: a fresh instance on a loopback port (as the tests start them:
tests/store_fixtures.py), ``cmq publish --json`` in a subprocess (wall time, the phases it
reports, its peak memory: the N-Triples file is streamed in chunks), ``cmq publish`` again (the
"already current" check), then queries through :class:`publisher.remote.engine.RemoteEngine` —
the path ``cmq serve --store`` takes — with the median of ``--runs`` runs after one warm-up.
Prints a Markdown table (benchmarks/README.md, section "Remote stores").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from store_fixtures import launch

from publisher.project.folder import Project
from publisher.project.settings import load_settings
from publisher.release.folder import current_release
from publisher.release.manifest import read_release
from publisher.remote.engine import RemoteEngine
from publisher.remote.serving import dataset_of
from publisher.remote.store import open_store
from publisher.server.state import start_engine
from publisher.sparql import QueryEngine

CMQ = [sys.executable, "-c", "import sys; from publisher.cli.main import main; sys.exit(main())"]
TIME = "/usr/bin/time"  # GNU time (Debian package `time`), for the peak memory
ROOT = Path(__file__).resolve().parents[1]
QUERIES = {
    "count all triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "one establishment's document (a page)": None,  # filled from the data
    "formations by level and route (named query 02)": (
        ROOT / "queries" / "02-formations-par-niveau-et-voie.rq").read_text(encoding="utf-8"),
    "10,000 labels (row cap)": ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                                "SELECT ?s ?l WHERE { ?s skos:prefLabel ?l }"),
}


def publish(project: Path, url: str, env: dict[str, str]) -> tuple[float, dict[str, object],
                                                                     float]:
    """``cmq publish --json`` under GNU time: wall time, its report, its peak RSS in MB."""
    started = time.perf_counter()
    out = subprocess.run([TIME, "-f", "peak-kb %M", *CMQ, "--project", str(project), "publish",
                          "--store", url, "--json"],
                         capture_output=True, text=True, env={**os.environ, **env}, check=False)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"cmq publish failed:\n{out.stderr}")
    peak_kb = next(int(line.split()[1]) for line in out.stderr.splitlines()
                   if line.startswith("peak-kb "))
    return wall, json.loads(out.stdout), peak_kb / 1024


def time_queries(engine: RemoteEngine | QueryEngine, queries: dict[str, str], runs: int) -> dict[str, float]:
    out = {}
    for name, query in queries.items():
        engine.run(query, format="json")  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            engine.run(query, format="json")
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("project", type=Path)
    p.add_argument("--stores", nargs="*", default=["oxigraph", "virtuoso"])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--embedded", action="store_true",
                   help="also time the queries on the embedded engine (its load time as the "
                   "publish time)")
    args = p.parse_args()
    project = Project.open(args.project)
    folder = current_release(project.releases_dir)
    if folder is None:
        raise SystemExit("no current release: run `cmq build` first")
    info = read_release(folder)
    size_mb = (folder / "campus.nt").stat().st_size / 1e6
    print(f"release {info.release_id}: {info.triples:,} triples, campus.nt {size_mb:.0f} MB")
    first = next(line for line in (folder / "campus.nt").open(encoding="utf-8")
                 if "/organisation/" in line)
    iri = first.split(">", 1)[0].lstrip("<").split("#")[0]
    queries = dict(QUERIES)
    queries["one establishment's document (a page)"] = (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ <{iri}> ?p ?o BIND(<{iri}> AS ?s) }} UNION "
        f"{{ <{iri}> ?l ?s FILTER(STRSTARTS(STR(?s), \"{iri}#\")) ?s ?p ?o }} }}")
    rows = []
    if args.embedded:  # the same queries on the embedded engine (cmq serve without --store)
        settings = load_settings(query_timeout=120, max_rows=10000)
        t0 = time.perf_counter()
        with start_engine(settings, info, folder) as local:
            load = time.perf_counter() - t0
            timings = time_queries(local, queries, args.runs)
        rows.append(("embedded (cmq serve)", load, {"load_s": load, "verify_s": 0.0}, 0.0,
                     0.0, timings, 0.0))
    for kind in args.stores:
        with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
            store = launch(kind, Path(tmp), big=True)
            try:
                wall, report, peak = publish(args.project, store.url, store.env)
                again, _, _ = publish(args.project, store.url, store.env)
                settings = load_settings(store=store.url, query_timeout=120, max_rows=10000)
                with RemoteEngine(open_store(settings, {}), dataset_of(info), timeout_s=120,
                                  max_rows=10000) as engine:
                    timings = time_queries(engine, queries, args.runs)
                disk = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 1e6
            finally:
                store.stop()
        rows.append((kind, wall, report, peak, again, timings, disk))
    print("\n| | " + " | ".join(r[0] for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    print("| `cmq publish` wall time | " + " | ".join(f"{r[1]:.1f} s" for r in rows) + " |")
    print("| of which loading (chunks of 50,000 triples) | "
          + " | ".join(f"{float(str(r[2]['load_s'])):.1f} s" for r in rows) + " |")
    print("| of which count verification | "
          + " | ".join(f"{float(str(r[2]['verify_s'])):.2f} s" for r in rows) + " |")
    print("| peak memory of `cmq publish` | " + " | ".join(f"{r[3]:.0f} MB" for r in rows)
          + " |")
    print("| `cmq publish` again (already current) | "
          + " | ".join(f"{r[4]:.1f} s" for r in rows) + " |")
    print("| store folder on disk after loading | " + " | ".join(f"{r[6]:.0f} MB" for r in rows)
          + " |")
    for name in queries:
        print(f"| query: {name} | " + " | ".join(f"{r[5][name] * 1000:.0f} ms" for r in rows)
              + " |")


if __name__ == "__main__":
    main()
