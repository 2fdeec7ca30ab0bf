"""Time the browse index build (``browse.sqlite``, docs/decisions/0019 and 0026) of one release.

    python benchmarks/bench_index.py /tmp/bench1m/releases/current
    python benchmarks/bench_index.py /tmp/bench1m/releases/current --module /tmp/old_browse_index.py

The release's data and ontology files are linked (or copied) into a temporary folder, and the
index is written there, in a fresh child process per run (so its CPU time is its own): wall
seconds, CPU seconds, records and file size are printed as one JSON line per run. ``--module``
runs the ``write_index`` of another revision's ``browse_index.py`` (e.g. ``git show
main:publisher/release/browse_index.py > /tmp/old_browse_index.py``; a version whose only
imports are the standard library and pyoxigraph), for a comparison in the same session.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = ("campus.nt", "campus.nq", "ontology.ttl", "manifest.json")
CHILD = """
import importlib.util, json, resource, sys, time
from pathlib import Path
folder, module, base, rid = sys.argv[1:5]
if module:
    spec = importlib.util.spec_from_file_location("other_browse_index", module)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
else:
    import publisher.release.browse_index as mod
clock = time.monotonic()
stats = mod.write_index(Path(folder), base, rid)
cpu = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": round(time.monotonic() - clock, 2),
                  "cpu_s": round(cpu.ru_utime + cpu.ru_stime, 2), "records": stats.records,
                  "mib": round(stats.bytes / 2**20, 1), "max_rss_mib": round(cpu.ru_maxrss / 1024)}))
"""


def link_release(release: Path, into: Path) -> None:
    for name in FILES:
        src = release / name
        if src.is_file():
            try:
                os.link(src, into / name)
            except OSError:
                shutil.copyfile(src, into / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--module", default="", help="another browse_index.py to time")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    manifest = json.loads((args.release / "manifest.json").read_text("utf-8"))
    base, rid = manifest["campus"]["base_iri"], manifest["release_id"]
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
            link_release(args.release.resolve(), Path(tmp))
            done = subprocess.run([sys.executable, "-c", CHILD, tmp, args.module, base, rid],
                                  check=False, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(done.stderr)
            print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
