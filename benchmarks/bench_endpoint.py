"""The SPARQL endpoint under a bounded concurrent load, against other servers (issue 4).

    .venv/bin/python benchmarks/bench_endpoint.py --workdir /tmp/cmq-bench-endpoint \\
        --establishments 1000 10000 --duration 20 --rounds 2 --out benchmarks/results

For each size: generate the fictitious campus (``benchmarks/generate.py``; 1,000 establishments
≈ 100k triples, 10,000 ≈ 1M), build a release (``cmq --project DIR build``), start on loopback
``cmq serve`` (one per ``--cmq-workers`` value), ``oxigraph serve`` in memory, ``oxigraph
serve-read-only`` on a RocksDB store and ``rdflib-endpoint`` over the same files, check that they
give the same answers, then run the 5-query mix of ``endpoint_load`` with ``--clients``
closed-loop clients for ``--duration`` seconds on each, ``--rounds`` times in rotating order
(the machine may be shared: ratios are taken within a round). Then the runaway scenario: one
client sending a cartesian product over the whole graph again and again while 4 clients send
light queries (lookup, join, DESCRIBE), on ``cmq serve`` (time limit: its default
``query_timeout``) and on fresh ``oxigraph serve`` instances (without and with ``--timeout-s``).

Every server is started by this script and stopped by its PID at the end, even on error or
Ctrl-C. Every loop is bounded in time and count; requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from endpoint_load import (
    KINDS,
    LIGHT_KINDS,
    RUNAWAY_QUERY,
    Campus,
    LoadResult,
    Summary,
    check_answers,
    run_load,
)
from endpoint_report import ROOT, MachineLoad, fmt, machine, median, table
from endpoint_servers import (
    CMQ_MAIN,
    Target,
    start_cmq,
    start_oxigraph_disk,
    start_oxigraph_memory,
    start_rdflib_endpoint,
)

BASE_IRI = "https://example.org/cmq-bench/"  # generate.py's


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, default=Path("/tmp/cmq-bench-endpoint"))
    p.add_argument("--establishments", type=int, nargs="*", default=[1000, 10000])
    p.add_argument("--shipped", action="store_true",
                   help="also the shipped campus (data/ of this repository, ~1,100 triples), first")
    p.add_argument("--targets", nargs="+", default=["cmq", "oxigraph", "oxigraph-disk",
                                                     "rdflib-endpoint"])
    p.add_argument("--cmq-workers", type=int, nargs="+", default=[2, 4],
                   help="one cmq serve per value of its `workers` setting")
    p.add_argument("--cmq-python", help="interpreter running cmq serve (default: this one)")
    p.add_argument("--cmq-extra-python", metavar="PYTHON",
                   help="also run cmq serve (workers: the first --cmq-workers value) with this "
                   "interpreter, e.g. one whose environment adds uvloop and httptools")
    p.add_argument("--cmq-extra-label", default="uvloop+httptools")
    p.add_argument("--cmq-baseline-python", metavar="PYTHON",
                   help="also run cmq serve with this interpreter, one whose environment has "
                   "another version of cmq installed (e.g. main), labelled "
                   "--cmq-baseline-label: a comparison in the same run")
    p.add_argument("--cmq-baseline-label", default="cmq main")
    p.add_argument("--rdflib-endpoint", help="rdflib-endpoint executable (default: .venv/bin)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=20.0, help="seconds per load run")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--max-requests", type=int, default=50_000, help="per load run")
    p.add_argument("--rdflib-max-establishments", type=int, default=10000,
                   help="skip rdflib-endpoint above this size")
    p.add_argument("--runaway-duration", type=float, default=30.0)
    p.add_argument("--runaway-clients", type=int, default=2,
                   help="clients repeating the runaway query (default 2: as many as workers)")
    p.add_argument("--runaway-sizes", type=int, nargs="*", default=None,
                   help="sizes (establishments) with the runaway scenario (default: all)")
    p.add_argument("--mapping", type=Path,
                   help="mapping.toml to use instead of the one generate.py copies")
    p.add_argument("--reuse", action="store_true", help="reuse an existing generated build")
    p.add_argument("--out", type=Path, help="folder for results.json and results.md")
    return p.parse_args()


SHIPPED = 0  # the "size" of the shipped campus


def size_name(size: int) -> str:
    return "the shipped campus" if size == SHIPPED else f"{size} establishments"


def prepare(size: int, args: argparse.Namespace, log: list[str]) -> tuple[Path, Path, int]:
    """Generate (or copy, for the shipped campus) and build the campus; (project, release)."""
    project = args.workdir / (f"campus-{size}" if size != SHIPPED else "campus-shipped")
    current = project / "releases" / "current"
    if not (args.reuse and current.exists()):
        if project.exists():
            shutil.rmtree(project)
        if size == SHIPPED:
            for folder in ("data", "ontology", "shapes"):
                shutil.copytree(ROOT / folder, project / folder)
        else:
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"),
                            str(project), "--establishments", str(size)], check=True,
                           timeout=600)
        if args.mapping:
            shutil.copy(args.mapping, project / "data" / "mapping.toml")
        started = time.monotonic()
        subprocess.run([args.cmq_python or sys.executable, *CMQ_MAIN, "--project", str(project),
                        "build", "-q"], check=True, timeout=3600)
        log.append(f"build of {size_name(size)}: {time.monotonic() - started:.1f} s")
    release = current.resolve()
    with (release / "campus.nt").open("rb") as fh:
        triples = sum(1 for _ in fh)
    log.append(f"{size_name(size)}: {triples} triples in campus.nt (release {release.name})")
    return project, release, triples


def start_targets(size: int, project: Path, release: Path, base: str,
                  args: argparse.Namespace, logs: Path, running: list[Target]) -> None:
    for name in args.targets:
        before = len(running)
        if name == "cmq":
            for w in args.cmq_workers:
                running.append(start_cmq(project, logs, {"workers": str(w)}, label=f"cmq w={w}",
                                         python=args.cmq_python))
            if args.cmq_baseline_python:
                w = args.cmq_workers[0]
                running.append(start_cmq(project, logs, {"workers": str(w)},
                                         label=f"{args.cmq_baseline_label} w={w}",
                                         python=args.cmq_baseline_python))
            if args.cmq_extra_python:
                w = args.cmq_workers[0]
                running.append(start_cmq(project, logs, {"workers": str(w)},
                                         label=f"cmq w={w} {args.cmq_extra_label}",
                                         python=args.cmq_extra_python))
        elif name == "oxigraph":
            running.append(start_oxigraph_memory(release, base, logs))
        elif name == "oxigraph-disk":
            running.append(start_oxigraph_disk(release, base, logs, args.workdir / "oxdb"))
        elif name == "rdflib-endpoint":
            if size <= args.rdflib_max_establishments:
                running.append(start_rdflib_endpoint(release, logs, args.rdflib_endpoint))
        else:
            raise SystemExit(f"unknown target {name}")
        for t in running[before:]:
            print(f"  started {t.name}: {t.startup_s:.1f} s, {fmt(t.pss_mb())} MB", flush=True)


@dataclass
class Run:
    """One load run on one server, with the CPU accounting around it."""

    target: str
    round: int
    all: Summary
    kinds: dict[str, Summary]
    server_cpu_ms_per_req: float  # the server process and its children (cmq's workers)
    client_cpu_ms_per_req: float  # this load generator
    other_cores: float  # CPU used meanwhile by everything else on the machine, in cores
    duration_s: float


@dataclass
class Runaway:
    run: Run
    light: Summary
    runaway: list[str]  # outcome of each runaway request
    cores_busy_after: float  # server CPU in the 3 s after the clients stopped


@dataclass
class SizeResult:
    establishments: int
    triples: int
    answers: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    startup: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    memory_after: dict[str, float | None] = field(default_factory=dict)  # MB PSS after the runs
    # every round of a server pooled: latency percentiles, and req/s = answers / total time
    pooled: dict[str, Summary] = field(default_factory=dict)
    pooled_kinds: dict[str, dict[str, Summary]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    runaway: list[Runaway] = field(default_factory=list)


def measure(target: Target, campus: Campus, round_: int, *, clients: int, duration_s: float,
            max_requests: int, kinds: Sequence[str] = KINDS, runaway_clients: int = 0
            ) -> tuple[Run, LoadResult]:
    cpu0, own0, box = target.cpu_s(), time.process_time(), MachineLoad()
    box.start()
    result = run_load(target.name, target.endpoint, campus, clients=clients,
                      duration_s=duration_s, max_requests=max_requests, kinds=kinds,
                      seed=1 + 10_000 * round_,  # every round its own sequence, same for all
                      runaway_clients=runaway_clients, runaway_timeout_s=15.0)
    wall, busy = box.stop()
    cpu1, own1 = target.cpu_s(), time.process_time()
    server = sum(cpu1.values()) - sum(v for k, v in cpu0.items() if k in cpu1)
    n = max(1, len(result.samples))
    run = Run(
        target=target.name, round=round_, all=result.summary(),
        kinds={k: result.summary([k]) for k in sorted({s.kind for s in result.samples})},
        server_cpu_ms_per_req=round(server / n * 1000, 2),
        client_cpu_ms_per_req=round((own1 - own0) / n * 1000, 2),
        other_cores=round(max(0.0, busy - server - (own1 - own0)) / wall, 2),
        duration_s=round(result.duration_s, 1),
    )
    return run, result


def runaway(target: Target, campus: Campus, args: argparse.Namespace) -> Runaway:
    run, result = measure(target, campus, 0, clients=4, duration_s=args.runaway_duration,
                          max_requests=args.max_requests, kinds=LIGHT_KINDS,
                          runaway_clients=args.runaway_clients)
    cpu0 = target.cpu_s()
    time.sleep(3.0)
    cpu1 = target.cpu_s()
    after = (sum(cpu1.values()) - sum(v for k, v in cpu0.items() if k in cpu1)) / 3.0
    outcomes = [f"{s.status or s.error} after {s.latency_s:.1f} s"
                for s in result.samples if s.kind == "runaway"]
    return Runaway(run, result.summary(LIGHT_KINDS), outcomes, round(after, 2))


@contextlib.contextmanager
def servers() -> Iterator[list[Target]]:
    """The started servers, all stopped on the way out (SIGTERM too)."""
    running: list[Target] = []

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield running
    finally:
        for target in running:
            code = target.stop()
            print(f"  stopped {target.name} (pid {target.pid}, exit {code})", flush=True)
        running.clear()
        signal.signal(signal.SIGTERM, previous)


def bench_size(size: int, args: argparse.Namespace, notes: list[str]) -> SizeResult:
    print(f"== {size_name(size)}", flush=True)
    project, release, triples = prepare(size, args, notes)
    if size == SHIPPED:
        from publisher.project.folder import Project

        base = Project.open(project).config.base_iri
        campus = Campus.from_release(base, release / "campus.nt")
    else:
        base, campus = BASE_IRI, Campus.generated(BASE_IRI, size)
    logs = args.workdir / f"logs-{size}"
    logs.mkdir(parents=True, exist_ok=True)
    out = SizeResult(size, triples)
    wanted = args.runaway_sizes is None or size in args.runaway_sizes
    with servers() as running:
        start_targets(size, project, release, base, args, logs, running)
        out.startup = {t.name: (round(t.startup_s, 1), t.pss_mb()) for t in running}
        out.answers = {t.name: check_answers(t.endpoint, campus,
                                             per_kind=1 if "rdflib" in t.name else 3)
                       for t in running}
        for t in running:  # warm-up
            run_load(t.name, t.endpoint, campus, clients=args.clients, duration_s=3.0,
                     max_requests=2000)
        pooled: dict[str, LoadResult] = {}
        for r in range(args.rounds):
            order = running[r % len(running):] + running[:r % len(running)]
            for t in order:
                run, result = measure(t, campus, r, clients=args.clients,
                                      duration_s=args.duration, max_requests=args.max_requests)
                out.runs.append(run)
                pool = pooled.setdefault(t.name, LoadResult(t.name, args.clients, 0.0))
                pool.samples += result.samples
                pool.duration_s += result.duration_s
                print(f"  round {r} {t.name}: {run.all}", flush=True)
        out.pooled = {name: res.summary() for name, res in pooled.items()}
        out.pooled_kinds = {name: {k: res.summary([k]) for k in KINDS}
                            for name, res in pooled.items()}
        out.memory_after = {t.name: t.pss_mb() for t in running}
        if wanted:
            for t in [t for t in running if t.name.startswith("cmq")]:
                out.runaway.append(runaway(t, campus, args))
                print(f"  runaway {t.name}: {out.runaway[-1].light}", flush=True)
    for timeout in (None, 10.0) if wanted and "oxigraph" in args.targets else ():
        with servers() as running:
            label = "oxigraph" if timeout is None else f"oxigraph --timeout-s {timeout:g}"
            running.append(start_oxigraph_memory(release, base, logs, label=label,
                                                 timeout_s=timeout))
            out.runaway.append(runaway(running[0], campus, args))
            print(f"  runaway {label}: {out.runaway[-1].light}", flush=True)
    return out


def _ratio(runs: list[Run], mine: list[Run], ref: str) -> str | None:
    ratios = []
    for r in mine:
        other = [o for o in runs if o.target == ref and o.round == r.round]
        if other and other[0].all.req_s:
            ratios.append(r.all.req_s / other[0].all.req_s)
    value = median(ratios)
    return None if value is None else f"{value:.2f}×"


def _pcts(s: Summary) -> str:
    return f"{fmt(s.p50_ms)} / {fmt(s.p95_ms)} / {fmt(s.p99_ms)}"


def markdown(results: list[SizeResult], info: dict[str, str], notes: list[str],
             args: argparse.Namespace) -> str:
    parts = [
        (f"Run of {info['date']}: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, "
         f"Linux {info['kernel']}, Python {info['python']}, commit {info['commit']}.  "),
        f"Versions: {info['versions']}.  ",
        (f"Load: {args.clients} closed-loop clients (httpx, one keep-alive connection each), "
         f"{args.duration:g} s per run, {args.rounds} rounds in rotating order."),
        "",
    ]
    parts += [f"- {n}" for n in notes] + [""]
    for res in results:
        names = list(dict.fromkeys(r.target for r in res.runs))
        parts.append(f"### {size_name(res.establishments)} ({res.triples} triples)\n")
        rows: list[list[object]] = []
        for name in names:
            mine = [r for r in res.runs if r.target == name]
            a = res.pooled[name]
            rows.append([name, a.req_s, " / ".join(f"{r.all.req_s:.0f}" for r in mine),
                         a.p50_ms, a.p95_ms, a.p99_ms, a.errors,
                         median([r.server_cpu_ms_per_req for r in mine]),
                         median([r.other_cores for r in mine]),
                         _ratio(res.runs, mine, "oxigraph"),
                         _ratio(res.runs, mine, "rdflib-endpoint")])
        parts.append(table(["server", "req/s (all rounds)", "req/s per round", "p50 ms",
                            "p95 ms", "p99 ms", "errors", "server CPU ms/req (median)",
                            "other load, cores (median)", "vs oxigraph (median of rounds)",
                            "vs rdflib-endpoint"], rows))
        parts.append("\nLatency by query (ms, p50 / p95 / p99, all rounds):\n")
        parts.append(table(["server", *KINDS], [
            [name, *(_pcts(res.pooled_kinds[name][k]) for k in KINDS)] for name in names]))
        parts.append("\nAnswer sizes (rows; triples for DESCRIBE) of the same fixed queries: "
                     + "; ".join(f"{n}: {json.dumps(a, sort_keys=True)}"
                                 for n, a in res.answers.items()) + "\n")
        parts.append("Start-up (s, data load included) and memory (MB PSS, server + children, after loading): "
                     + ", ".join(f"{n} {v[0]} s / {fmt(v[1])} MB"
                                 for n, v in res.startup.items())
                     + "; after the load rounds: "
                     + ", ".join(f"{n} {fmt(v)} MB" for n, v in res.memory_after.items()) + "\n")
        if res.runaway:
            parts.append(f"Runaway scenario ({args.runaway_duration:g} s): "
                         f"{args.runaway_clients} client(s) repeat "
                         f"`{RUNAWAY_QUERY}` (client timeout 15 s) while 4 clients send "
                         "lookup / join / DESCRIBE:\n")
            parts.append(table(
                ["server", "light req/s", "light p50 / p95 / p99 ms", "errors",
                 "runaway requests", "server cores busy 3 s after"],
                [[r.run.target, r.light.req_s, _pcts(r.light), r.light.errors,
                  ", ".join(r.runaway), r.cores_busy_after] for r in res.runaway]))
        parts.append("")
    return "\n".join(parts)


def main() -> int:
    args = parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    info = machine()
    notes: list[str] = []
    results = []
    try:
        for size in ([SHIPPED] if args.shipped else []) + list(args.establishments):
            results.append(bench_size(size, args, notes))
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        return 130
    text = markdown(results, info, notes, args)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(text, encoding="utf-8")
        (args.out / "results.json").write_text(json.dumps(
            {"machine": info, "notes": notes, "args": {k: str(v) for k, v in vars(args).items()},
             "results": [dataclasses.asdict(r) for r in results]}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
