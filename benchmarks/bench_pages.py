"""Time the HTML record pages of a running ``cmq serve`` (one client, sequential requests).

    python benchmarks/bench_pages.py http://127.0.0.1:8732/ --repeat 5

Prints, for each page kind of the benchmark campus (``benchmarks/generate.py``: the campus,
an establishment, a formation, a certification, a code concept, a membership), the median and
the worst time of ``--repeat`` requests, the number of list items on the page and whether a
list says it was cut short. Run it against two servers over the same release to compare.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

import httpx

PAGES = ("organisation/campus", "organisation/etab-0", "formation/formation-0",
         "certification/cert-1", "ontology/metier-rome/H1404",
         "adhesion/etab-0-etablissement-membre")


def time_page(client: httpx.Client, path: str, repeat: int) -> str:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(path, headers={"Accept": "text/html"})
        times.append(time.perf_counter() - start)
    cut = "Liste tronquée" in r.text
    return (f"| `{path}` | {r.status_code} | {statistics.median(times) * 1000:.0f} ms | "
            f"{max(times) * 1000:.0f} ms | {r.text.count('<li>')} | {'yes' if cut else 'no'} |")


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="the server's root URL, ending with /")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    print("| page | status | median | worst | list items | cut short |\n|---|---|---|---|---|---|")
    with httpx.Client(base_url=args.url, timeout=120) as client:
        for path in PAGES:
            print(time_page(client, path, args.repeat))


if __name__ == "__main__":
    main()
