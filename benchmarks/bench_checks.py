"""CPU time of each compiled SHACL check on a project (which checks the validation spends on).

    python benchmarks/generate.py /tmp/cmq-bench/p1m --establishments 10000
    python benchmarks/bench_checks.py /tmp/cmq-bench/p1m [--top 10]

Converts the project, loads the validation store as a build does, then runs the compiled checks
one at a time and prints the CPU time of each (the slowest first) and their total, in the same
process (so the shares compare like with like).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from publisher.convert.tables import convert
from publisher.core.graphs import load_graph
from publisher.project.folder import Project
from publisher.validate.compiled import collect, compile_shapes
from publisher.validate.validation import data_store


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("project", type=Path)
    p.add_argument("--top", type=int, default=10)
    args = p.parse_args()
    project = Project.open(args.project)
    conv = convert(project)
    lines = conv.sorted_lines()
    store = data_store("".join(lines).encode("utf-8"), project.ontology_files())
    checks = compile_shapes(load_graph(project.shape_files()))
    times: list[tuple[float, str]] = []
    for check in checks:
        start = time.process_time()
        collect(store, [check])
        name = f"{str(check.shape).rsplit('/', 1)[-1]} {str(check.component).rsplit('#', 1)[-1]}"
        times.append((time.process_time() - start, name))
    total = sum(t for t, _ in times)
    print(f"{len(lines)} triples, {len(checks)} checks, {total:.2f} s CPU in all")
    for t, name in sorted(times, reverse=True)[: args.top]:
        print(f"{t:7.2f} s  {100 * t / total:4.1f} %  {name}")


if __name__ == "__main__":
    main()
