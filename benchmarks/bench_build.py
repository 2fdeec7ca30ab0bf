"""Time the build at 10k / 100k / 1M triples, against plain rdflib + pyshacl in the same run.

    python benchmarks/bench_build.py --workdir /tmp/cmq-bench --sizes 100 1000 10000 \\
        --cap 600 --json /tmp/cmq-bench/results.json > /tmp/cmq-bench/results.md

For each size (establishments given to ``benchmarks/generate.py``: 100 / 1,000 / 10,000 make
~10k / ~100k / ~1M triples) every measurement runs in a fresh Python process (this script with
``--step``), which reports the step's wall time and CPU time (all threads; set-up such as
imports and, for a validation, the conversion it needs is not counted) and the process's peak
memory (``VmHWM`` of /proc/self/status); a step still running after ``--cap`` seconds is killed and
reported as "did not finish". cmq steps: convert (sources → sorted N-Triples lines), validate
(Oxigraph store + compiled checks), dumps (N-Triples, Turtle, JSON-LD, gzip), catalogue + VoID,
the whole ``build_release`` (full: no build cache), and an incremental ``build_release`` after one
changed row. Plain steps on the same N-Triples: rdflib parse, pyshacl with the same shapes (and
with the SHACL Core shapes only: no SHACL-SPARQL), rdflib's Turtle and JSON-LD writers.
Peak memory of a step includes what it needs first (a validation converts first).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph

from publisher.project.folder import Project

ROOT = Path(__file__).resolve().parents[1]
STEPS_CMQ = ("convert", "validate", "dumps", "catalog_void", "build_full", "build_incremental")
STEPS_PLAIN = ("rdflib_parse", "pyshacl", "pyshacl_core", "rdflib_turtle", "rdflib_jsonld")
LABELS = {
    "convert": "convert (CSV → sorted N-Triples lines)",
    "validate": "validate (Oxigraph store + compiled SHACL)",
    "dumps": "dumps (nt, ttl, jsonld + gzip)",
    "catalog_void": "catalogue + VoID",
    "build_full": "**whole build_release (full)**",
    "build_incremental": "**build_release after one changed row (incremental)**",
    "rdflib_parse": "rdflib parse of campus.nt",
    "pyshacl": "pyshacl, same shapes (Core + SHACL-SPARQL)",
    "pyshacl_core": "pyshacl, SHACL Core shapes only",
    "rdflib_turtle": "rdflib Turtle writer",
    "rdflib_jsonld": "rdflib JSON-LD writer",
}


# ---------------------------------------------------------------- steps (in the child process)


def _project(path: Path) -> Project:
    return Project.open(path)


_CPU: list[float] = []


def _timed(fn: Callable[[], object]) -> float:
    """Wall time of ``fn()``; its CPU time (all threads) is kept in ``_CPU``."""
    c = time.process_time()
    t = time.perf_counter()
    fn()
    wall = time.perf_counter() - t
    _CPU.append(time.process_time() - c)
    return wall


def step(name: str, project_dir: Path, out: Path) -> float:
    """Run one measured step; returns its wall time (set-up excluded)."""
    from publisher.convert.tables import convert
    from publisher.core.graphs import load_graph

    project = _project(project_dir)
    if name == "convert":
        return _timed(lambda: convert(project).sorted_lines())
    if name == "validate":
        from publisher.validate.validation import validate_conversion

        conv = convert(project)
        conv.sorted_lines()
        shapes = load_graph(project.shape_files())
        files = project.ontology_files()
        return _timed(lambda: validate_conversion(conv, shapes, files))
    if name in ("dumps", "catalog_void"):
        return _dumps_or_catalog(name, project, out)
    if name in ("build_full", "build_incremental"):
        from publisher.release.build import build_release

        if name == "build_full":
            shutil.rmtree(out, ignore_errors=True)
        return _timed(lambda: build_release(project, out,
                                            incremental=name == "build_incremental"))
    return _plain(name, out)


def _dumps_or_catalog(name: str, project: Project, out: Path) -> float:
    from datetime import UTC, datetime

    from publisher import __version__
    from publisher.convert.tables import convert
    from publisher.release.dumps.chunks import DataChunks, write_chunked_dumps
    from publisher.release.dumps.formats import prefixes_for, write_turtle_canonical
    from publisher.release.metadata.catalog import build_catalog
    from publisher.release.metadata.void import build_void
    from publisher.release.model import ReleaseInfo

    config = project.config
    lines = convert(project).sorted_lines()
    folder = Path(tempfile.mkdtemp(dir=out.parent))
    try:
        if name == "dumps":
            def dumps() -> None:
                write_chunked_dumps(lines, folder, prefixes_for(lines, config.base_iri),
                                    ("campus.nt", "campus.ttl", "campus.jsonld", "context.jsonld"),
                                    data=DataChunks.of(lines))
            return _timed(dumps)

        def catalog() -> None:
            info = ReleaseInfo(DataChunks.of(lines).release_id, datetime.now(UTC), config,
                               len(lines), __version__)
            write_turtle_canonical(build_void(lines, info), folder / "void.ttl")
            write_turtle_canonical(build_catalog(info, []), folder / "catalog.ttl")
        return _timed(catalog)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _plain(name: str, out: Path) -> float:
    nt = out / "current" / "campus.nt"
    g = Graph()
    if name == "rdflib_parse":
        return _timed(lambda: g.parse(nt, format="nt"))
    g.parse(nt, format="nt")
    if name in ("rdflib_turtle", "rdflib_jsonld"):
        fmt = "turtle" if name == "rdflib_turtle" else "json-ld"
        return _timed(lambda: g.serialize(format=fmt, encoding="utf-8"))
    from pyshacl import validate

    from publisher.core.graphs import load_graph
    from publisher.project.folder import shipped_files

    shapes = load_graph(shipped_files("shapes"))
    if name == "pyshacl_core":
        shapes = _core_only(shapes)
    union = g + load_graph(shipped_files("ontology"))
    return _timed(lambda: validate(union, shacl_graph=shapes, inference="none", advanced=True,
                                   allow_warnings=True))


def _core_only(g: Graph) -> Graph:
    """The shapes without SHACL-SPARQL: no sh:sparql, no parameters of SPARQL components."""
    from rdflib.namespace import SH

    params = {g.value(p, SH.path) for c in g.subjects(None, SH.ConstraintComponent)
              for p in g.objects(c, SH.parameter)}
    out = Graph()
    for t in g:
        if t[1] == SH.sparql or t[1] in params:
            continue
        out.add(t)
    return out


def child(args: argparse.Namespace) -> None:
    wall = step(args.step, Path(args.project), Path(args.out))
    peak = 0
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    print(json.dumps({"wall": wall, "cpu": _CPU[-1], "peak": peak}))


# ---------------------------------------------------------------- driver


def run_step(name: str, project: Path, out: Path, cap: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--step", name, "--project", str(project), "--out", str(out)]
    t = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=cap, check=False,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"step": name, "dnf": cap}
    if done.returncode != 0:
        return {"step": name, "error": done.stderr.strip().splitlines()[-1:],
                "elapsed": time.perf_counter() - t}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["step"] = name
    return result


def edit_one_row(project: Path) -> None:
    """Change the title of one formation (the same row at every size), or change it back."""
    path = project / "data" / "formations.csv"
    text = path.read_text(encoding="utf-8")
    a, b = "Formation fictive 7,", "Formation fictive 7 (modifiée),"
    path.write_text(text.replace(a, b, 1) if a in text else text.replace(b, a, 1),
                    encoding="utf-8")


def triples_of(out: Path) -> int:
    manifest = json.loads((out / "current" / "manifest.json").read_text(encoding="utf-8"))
    return int(manifest["triples"])


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (f"{os.cpu_count()} CPU ({model}), {int(mem) / 1024 / 1024:.1f} GiB RAM, "
            f"Python {sys.version.split()[0]}, load average at start {load}")


def fmt(r: dict[str, Any] | None) -> str:
    if r is None:
        return "—"
    if "dnf" in r:
        return f"did not finish in {r['dnf']:.0f} s"
    if "error" in r:
        return f"error: {r['error']}"
    wall, cpu, peak = float(r["wall"]), float(r["cpu"]), int(r["peak"])
    return f"{wall:.1f} s (cpu {cpu:.1f} s), {peak / 2**30:.2f} GB"


def driver(args: argparse.Namespace) -> None:
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, dict[str, Any]]] = {}
    triples: dict[int, int] = {}
    print(f"machine: {machine()}", file=sys.stderr)
    for size in args.sizes:
        project = work / f"e{size}"
        out = work / f"e{size}-releases"
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(project),
                        "--establishments", str(size)], check=True)
        shutil.rmtree(out, ignore_errors=True)
        res: dict[str, dict[str, Any]] = {}
        for name in STEPS_CMQ:
            if name == "build_incremental":
                edit_one_row(project)
            res[name] = run_step(name, project, out, args.cap)
            print(f"{size} {name}: {fmt(res[name])}", file=sys.stderr, flush=True)
        triples[size] = triples_of(out)
        for name in STEPS_PLAIN:
            if name in args.skip_plain:
                continue
            res[name] = run_step(name, project, out, args.cap)
            print(f"{size} {name}: {fmt(res[name])}", file=sys.stderr, flush=True)
        results[size] = res
        if args.json:
            Path(args.json).write_text(json.dumps({"machine": machine(), "triples": triples,
                                                   "results": results}, indent=1))
    print(table(args.sizes, triples, results))


def _seconds(r: dict[str, Any] | None) -> float | None:
    if r is None or "error" in r:
        return None
    return float(r["dnf"] if "dnf" in r else r["wall"])


def table(sizes: list[int], triples: dict[int, int],
          results: dict[int, dict[str, dict[str, Any]]]) -> str:
    head = "| step | " + " | ".join(f"{triples[s]:,} triples" for s in sizes) + " |"
    lines = [head, "|---|" + "---|" * len(sizes)]
    for name in (*STEPS_CMQ, *STEPS_PLAIN):
        lines.append(f"| {LABELS[name]} | " + " | ".join(
            fmt(results[s].get(name)) for s in sizes) + " |")
    plain, ratio = [], []
    for s in sizes:
        parts = [_seconds(results[s].get(n)) for n in
                 ("rdflib_parse", "pyshacl", "rdflib_turtle", "rdflib_jsonld")]
        dnf = any("dnf" in results[s].get(n, {}) for n in
                  ("rdflib_parse", "pyshacl", "rdflib_turtle", "rdflib_jsonld"))
        total = sum(p for p in parts if p is not None)
        plain.append(f"{'≥ ' if dnf else ''}{total:.0f} s")
        ours = _seconds(results[s].get("build_full"))
        ratio.append(f"{'≤ ' if dnf else ''}{ours / total:.3f}" if ours and total else "—")
    lines.append("| plain pipeline total (parse + pyshacl + Turtle + JSON-LD) | "
                 + " | ".join(plain) + " |")
    lines.append("| full build_release ÷ plain pipeline | " + " | ".join(ratio) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", default="/tmp/cmq-bench")
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    p.add_argument("--cap", type=float, default=600.0, help="seconds before a step is killed")
    p.add_argument("--skip-plain", nargs="*", default=[], choices=STEPS_PLAIN)
    p.add_argument("--json", default=None, help="also write the raw results there")
    p.add_argument("--step", default=None, help=argparse.SUPPRESS)
    p.add_argument("--project", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.step:
        child(args)
    else:
        driver(args)


if __name__ == "__main__":
    main()
