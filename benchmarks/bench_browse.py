"""Lists with facets and search at scale (issue 13), against the same question in SPARQL.

    python benchmarks/generate.py /tmp/bench1m --establishments 10000
    cmq --project /tmp/bench1m build          # writes releases/<id>/browse.sqlite too
    python benchmarks/bench_browse.py /tmp/bench1m --clients 8 --requests 400

Starts ``cmq serve`` on loopback (benchmarks/endpoint_servers.py), then runs, one after the
other, ``clients`` closed-loop clients (bounded: ``requests`` per scenario and a timeout each):

``list``    ``GET /formations/?niveau=N&voie=R[&territoire=T]`` — the HTML page: 50 rows, the
            total and every facet's counts (the browse index, SQLite);
``search``  ``GET /recherche?q=…&format=json`` — FTS5, bm25, up to 100 hits;
``sparql``  ``POST /sparql`` — the same facet question as one SPARQL ``GROUP BY`` (the level
            counts of the same filtered formations) on the endpoint.

Filters and words are drawn per request from ``random.Random(seed + client)``. Prints p50, p90,
p99 and max in ms per scenario, as JSON (``--out``) and as a Markdown table, and the server
process's resident memory (``VmRSS``, without its query workers) after startup and after each
scenario.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint_servers import start_cmq

LEVELS = ["3", "4", "5", "6", "7"]
ROUTES = ["voie-scolaire", "apprentissage", "formation-continue"]
WORDS = ["formation fictive {n}", "etablissement fictif {n}", "commune {n}", "RNCP9{n}",
         "ÉTABLISSEMENT fictif {n}"]
SPARQL = """PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX cmq: <https://w3id.org/cmq/ontology/>
SELECT ?code (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  ?s a schema:EducationalOccupationalProgram ;
     schema:educationalProgramMode/skos:notation "{route}" ;
     schema:educationalCredentialAwarded/schema:educationalLevel/skos:notation ?code .
  {territory}
}} GROUP BY ?code"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def request_for(kind: str, rnd: random.Random, base: str, territories: int
                ) -> tuple[str, str, dict[str, str] | None]:
    level, route = rnd.choice(LEVELS), rnd.choice(ROUTES)
    territory = f"territoire-{rnd.randrange(territories)}" if rnd.random() < 0.5 else ""
    if kind == "list":
        url = f"{base}formations/?niveau={level}&voie={route}"
        return "GET", url + (f"&territoire={territory}" if territory else ""), None
    if kind == "search":
        text = rnd.choice(WORDS).format(n=rnd.randrange(1000))
        return "GET", f"{base}recherche?format=json&q={httpx.QueryParams({'q': text})['q']}", None
    where = (f"?s schema:provider/cmq:territory <{{base_iri}}territoire/{territory}> ."
             if territory else "")
    return "POST", f"{base}sparql", {"query": SPARQL.format(route=route, territory=where)}


def run(kind: str, base: str, base_iri: str, clients: int, requests: int, seed: int,
        territories: int) -> dict[str, float]:
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    left = [requests]

    def client(i: int) -> None:
        rnd = random.Random(seed + i)
        with httpx.Client(timeout=60) as http:
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                method, url, data = request_for(kind, rnd, base, territories)
                if data is not None:
                    data = {"query": data["query"].replace("{base_iri}", base_iri)}
                t0 = time.perf_counter()
                r = (http.post(url, data=data, headers={"Accept": "application/sparql-results+json"})
                     if method == "POST" else http.get(url))
                dt = (time.perf_counter() - t0) * 1000
                with lock:
                    times.append(dt)
                    if r.status_code != 200:
                        errors[0] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"requests": len(times), "errors": errors[0], "req_per_s": len(times) / wall,
            "p50": statistics.median(times), "p90": percentile(times, 0.9),
            "p99": percentile(times, 0.99), "max": max(times)}


def rss_mib(pid: int) -> float:
    """Resident memory of the server process (not its query workers), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--territories", type=int, default=100)
    ap.add_argument("--base-iri", default="https://example.org/cmq-bench/")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    logs = Path("/tmp/cmq-bench-browse")
    logs.mkdir(exist_ok=True)
    target = start_cmq(args.project, logs, {"workers": "2"})
    try:
        base = target.endpoint.removesuffix("sparql")
        results: dict[str, Any] = {"startup_s": target.startup_s,
                                   "rss_mib_started": rss_mib(target.process.pid)}
        for kind in ("list", "search", "sparql"):
            run(kind, base, args.base_iri, args.clients, min(40, args.requests), args.seed + 99,
                args.territories)  # warm-up
            results[kind] = run(kind, base, args.base_iri, args.clients, args.requests,
                                args.seed, args.territories)
            results[f"rss_mib_after_{kind}"] = rss_mib(target.process.pid)
    finally:
        target.stop()
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    print("| scenario | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in ("list", "search", "sparql"):
        r = results[kind]
        assert isinstance(r, dict)
        print(f"| {kind} | {r['requests']} | {r['errors']} | {r['req_per_s']:.1f} | "
              f"{r['p50']:.0f} | {r['p90']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
