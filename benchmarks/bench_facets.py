"""What one facet column costs the served lists: memory of the postings and time of a view's
selection and facet counts (docs/decisions/0025-browse-in-memory.md), in one process, on one
release's ``browse.sqlite``.

    python benchmarks/bench_facets.py /tmp/bench1m/releases/current formations certification

The kind's postings are read twice from the same file: as declared, and with the column's
``facet`` turned off (as before it was a facet). For each: the memory they hold (tracemalloc),
the seconds to read them, and the median seconds of :data:`VIEWS` (the selection and every
facet's counts, as a list page computes them). One JSON line per variant.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
import tracemalloc
from pathlib import Path

from publisher.release.browse_index import INDEX_FILE, KINDS_BY_NAME, Kind, read_only
from publisher.server.browse_postings import KindPostings, ordinals

#: filters of the views timed, per kind (codes of the generated benchmark campus)
VIEWS: dict[str, list[dict[str, tuple[str, ...]]]] = {
    "formations": [{}, {"voie": ("apprentissage",)}, {"niveau": ("5",), "voie": ("apprentissage",)},
                   {"certification": ("cert-7",)}],
    "adhesions": [{}, {"role": ("etablissement-membre",)}, {"membre_de": ("campus",)}],
}
RUNS = 7


def without(kind: Kind, column: str) -> Kind:
    cols = tuple(dataclasses.replace(c, facet=False) if c.name == column else c
                 for c in kind.columns)
    return dataclasses.replace(kind, columns=cols)


def measure(folder: Path, kind: Kind, label: str) -> dict[str, object]:
    with read_only(folder / INDEX_FILE) as db:
        tracemalloc.start()
        clock = time.perf_counter()
        postings = KindPostings.load(db, kind)
        load_s = time.perf_counter() - clock
        held, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    views = {}
    for filters in VIEWS.get(kind.name, [{}]):
        times = []
        for _ in range(RUNS):
            clock = time.perf_counter()
            bits = postings.select({k: v for k, v in filters.items() if k in postings.columns})
            chosen = None if not filters else ordinals(bits, postings.size)
            postings.counts(bits, chosen)
            times.append(time.perf_counter() - clock)
        views[json.dumps(filters)] = round(statistics.median(times) * 1000, 2)
    return {"variant": label, "records": postings.size, "facets": len(postings.columns),
            "postings_mib": round(held / 2**20, 2), "load_s": round(load_s, 3), "views_ms": views}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("release", type=Path)
    ap.add_argument("kind")
    ap.add_argument("column")
    args = ap.parse_args()
    kind = KINDS_BY_NAME[args.kind]
    for label, variant in (("without", without(kind, args.column)), ("with", kind),
                           ("without (again)", without(kind, args.column))):
        print(json.dumps(measure(args.release, variant, label), ensure_ascii=False))


if __name__ == "__main__":
    main()
