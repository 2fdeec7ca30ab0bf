"""The query mix and the bounded concurrent load of ``bench_endpoint.py`` (loopback only).

Five query kinds on the generated campus (``benchmarks/generate.py``), each with a parameter drawn
per request (an establishment, a threshold, a number) so that no server can answer from a cache:

``lookup``     every triple of one establishment (lookup by IRI);
``join``       the formations of one establishment → their certification → its level and label;
``aggregate``  formations and places by route and level, over every formation with ≥ N places;
``describe``   ``DESCRIBE`` one establishment (Turtle);
``search``     a regex over every ``rdfs:label`` (``FILTER regex``), ``LIMIT 20``.

:func:`run_load` runs ``clients`` closed-loop clients (each sends its next request when the
previous answer is in) for ``duration_s`` seconds, at most ``max_requests`` requests in all; every
request has a timeout. Client ``i`` draws its queries from ``random.Random(seed + i)``, so every
target gets the same sequence (``bench_endpoint`` gives each round its own seed).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

KINDS = ("lookup", "join", "aggregate", "describe", "search")
#: The kinds that each touch one establishment: the "light" queries of the runaway scenario.
LIGHT_KINDS = ("lookup", "join", "describe")

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
#: A cartesian product over the whole graph: never finishes on its own (runaway scenario).
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"


@dataclass(frozen=True)
class Campus:
    """What the queries need to know about the campus: its base IRI, the establishments that
    provide formations (lookup, join, describe) and the formations' labels (search)."""

    base: str  # base IRI, ends with "/"
    establishments: tuple[str, ...]
    labels: tuple[str, ...]

    @classmethod
    def generated(cls, base: str, establishments: int) -> Campus:
        """The campus of ``generate.py`` (``etab-N``, ``formation fictive N``, 5 per etab)."""
        return cls(base, tuple(f"{base}organisation/etab-{i}" for i in range(establishments)),
                   tuple(f"formation fictive {i}" for i in range(establishments * 5)))

    @classmethod
    def from_release(cls, base: str, campus_nt: Path) -> Campus:
        """Any built campus (e.g. the shipped one), read from its ``campus.nt``."""
        import pyoxigraph

        store = pyoxigraph.Store()
        store.load(path=str(campus_nt), format=pyoxigraph.RdfFormat.N_TRIPLES)
        rows = store.query(PREFIXES + """SELECT DISTINCT ?etab ?label WHERE {
  ?formation schema:provider ?etab ; rdfs:label ?label } ORDER BY ?etab ?label""")
        etabs: dict[str, None] = {}
        labels: dict[str, None] = {}
        for row in rows:  # type: ignore[union-attr]
            etabs[str(row["etab"].value)] = None
            labels[str(row["label"].value)] = None
        return cls(base, tuple(etabs), tuple(labels))


def _regex_literal(text: str) -> str:
    """``^text$`` as an XPath regular expression inside a SPARQL string literal."""
    escaped = re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)
    return '"^' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '$"'


def make_query(kind: str, campus: Campus, rnd: random.Random) -> str:
    etab = f"<{rnd.choice(campus.establishments)}>"
    if kind == "lookup":
        return f"SELECT ?p ?o WHERE {{ {etab} ?p ?o }}"
    if kind == "join":
        return PREFIXES + f"""SELECT ?formation ?intitule ?certification ?niveau ?libelle WHERE {{
  ?formation schema:provider {etab} ;
             rdfs:label ?intitule ;
             schema:educationalCredentialAwarded ?certification .
  ?certification schema:educationalLevel ?niveau .
  OPTIONAL {{ ?niveau skos:prefLabel ?libelle FILTER(lang(?libelle) = "fr") }}
}}"""
    if kind == "aggregate":
        places = rnd.randint(8, 40)
        return PREFIXES + f"""SELECT ?voie ?niveau (COUNT(DISTINCT ?formation) AS ?formations)
       (SUM(?places) AS ?total) WHERE {{
  ?formation a schema:EducationalOccupationalProgram ;
             schema:educationalProgramMode ?voie ;
             schema:maximumEnrollment ?places ;
             schema:educationalCredentialAwarded ?certification .
  ?certification schema:educationalLevel ?niveau .
  FILTER(?places >= {places})
}} GROUP BY ?voie ?niveau ORDER BY ?voie ?niveau"""
    if kind == "describe":
        return f"DESCRIBE {etab}"
    if kind == "search":
        label = _regex_literal(rnd.choice(campus.labels))
        return PREFIXES + f"""SELECT ?s ?label WHERE {{
  ?s rdfs:label ?label FILTER(regex(str(?label), {label}, "i"))
}} LIMIT 20"""
    raise ValueError(kind)


def accept_for(kind: str) -> str:
    return GRAPH_ACCEPT if kind == "describe" else SELECT_ACCEPT


@dataclass
class Sample:
    kind: str
    latency_s: float
    status: int  # HTTP status; 0 = transport error or client timeout
    size: int
    error: str = ""


@dataclass
class LoadResult:
    target: str
    clients: int
    duration_s: float  # wall time from the first request to the last answer
    samples: list[Sample] = field(default_factory=list)

    def ok(self, kinds: Sequence[str] | None = None) -> list[Sample]:
        return [s for s in self.samples
                if 200 <= s.status < 300 and (kinds is None or s.kind in kinds)]

    def errors(self, kinds: Sequence[str] | None = None) -> list[Sample]:
        return [s for s in self.samples
                if not 200 <= s.status < 300 and (kinds is None or s.kind in kinds)]

    def rate(self, kinds: Sequence[str] | None = None) -> float:
        return len(self.ok(kinds)) / self.duration_s if self.duration_s > 0 else 0.0

    def summary(self, kinds: Sequence[str] | None = None) -> Summary:
        lat = sorted(s.latency_s for s in self.ok(kinds))
        errs = self.errors(kinds)
        return Summary(
            ok=len(lat),
            errors=len(errs),
            error_kinds=sorted({e.error or str(e.status) for e in errs})[:5],
            req_s=round(self.rate(kinds), 1),
            p50_ms=pct_ms(lat, 50),
            p95_ms=pct_ms(lat, 95),
            p99_ms=pct_ms(lat, 99),
            max_ms=round(lat[-1] * 1000, 1) if lat else None,
        )


@dataclass(frozen=True)
class Summary:
    """Successful answers, errors, rate and latency percentiles of some samples."""

    ok: int
    errors: int
    error_kinds: list[str]
    req_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def pct_ms(sorted_s: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in ms."""
    if not sorted_s:
        return None
    rank = max(1, min(len(sorted_s), -(-len(sorted_s) * p // 100)))
    return round(sorted_s[int(rank) - 1] * 1000, 1)


async def _send(client: httpx.AsyncClient, endpoint: str, kind: str, query: str,
                timeout_s: float) -> Sample:
    started = time.perf_counter()
    try:
        r = await client.get(endpoint, params={"query": query},
                             headers={"Accept": accept_for(kind)}, timeout=timeout_s)
        body = r.content
        return Sample(kind, time.perf_counter() - started, r.status_code, len(body),
                      "" if r.is_success else f"{r.status_code} {body[:80]!r}")
    except httpx.TimeoutException:
        return Sample(kind, time.perf_counter() - started, 0, 0, "client timeout")
    except httpx.TransportError as exc:
        return Sample(kind, time.perf_counter() - started, 0, 0, type(exc).__name__)


async def _client(endpoint: str, campus: Campus, kinds: Sequence[str], seed: int, end: float,
                  budget: list[int], out: list[Sample], timeout_s: float,
                  query_for: Callable[[str, random.Random], str] | None = None) -> None:
    rnd = random.Random(seed)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=limits, http2=False) as client:
        while time.monotonic() < end and budget[0] > 0:
            budget[0] -= 1
            kind = rnd.choice(list(kinds))
            query = query_for(kind, rnd) if query_for else make_query(kind, campus, rnd)
            out.append(await _send(client, endpoint, kind, query, timeout_s))


async def _load(endpoint: str, campus: Campus, clients: int, duration_s: float,
                max_requests: int, seed: int, kinds: Sequence[str], timeout_s: float,
                runaway_clients: int, runaway_timeout_s: float) -> tuple[float, list[Sample]]:
    samples: list[Sample] = []
    budget = [max_requests]
    started = time.monotonic()
    end = started + duration_s
    tasks = [_client(endpoint, campus, kinds, seed + i, end, budget, samples, timeout_s)
             for i in range(clients)]
    tasks += [_client(endpoint, campus, ("runaway",), seed + 1000 + i, end, budget, samples,
                      runaway_timeout_s, lambda _k, _r: RUNAWAY_QUERY)
              for i in range(runaway_clients)]
    await asyncio.gather(*tasks)
    return time.monotonic() - started, samples


def run_load(target: str, endpoint: str, campus: Campus, *, clients: int = 8,
             duration_s: float = 20.0, max_requests: int = 100_000, seed: int = 1,
             kinds: Sequence[str] = KINDS, timeout_s: float = 60.0, runaway_clients: int = 0,
             runaway_timeout_s: float = 15.0) -> LoadResult:
    """Closed-loop load on ``endpoint`` for ``duration_s`` (no new request after it; the
    requests in flight then finish or time out). Bounded by ``max_requests`` too."""
    elapsed, samples = asyncio.run(_load(endpoint, campus, clients, duration_s, max_requests,
                                         seed, kinds, timeout_s, runaway_clients,
                                         runaway_timeout_s))
    return LoadResult(target, clients, elapsed, samples)


def result_size(kind: str, body: bytes) -> int:
    """Rows of a SPARQL JSON answer; for DESCRIBE, triples of the Turtle answer (or RDF/XML,
    which rdflib-endpoint sends whatever the Accept header)."""
    if kind == "describe":
        import pyoxigraph

        rdf_xml = body.lstrip().startswith(b"<?xml")
        fmt = pyoxigraph.RdfFormat.RDF_XML if rdf_xml else pyoxigraph.RdfFormat.TURTLE
        return len(list(pyoxigraph.parse(body, format=fmt)))
    data = json.loads(body)
    return len(data["results"]["bindings"])


def check_answers(endpoint: str, campus: Campus, seed: int = 7, per_kind: int = 3,
                  timeout_s: float = 300.0) -> dict[str, list[int]]:
    """Answer sizes of ``per_kind`` fixed queries of each kind (compare across targets)."""
    rnd = random.Random(seed)
    sizes: dict[str, list[int]] = {}
    with httpx.Client(timeout=timeout_s) as client:
        for kind in KINDS:
            for _ in range(per_kind):
                r = client.get(endpoint, params={"query": make_query(kind, campus, rnd)},
                               headers={"Accept": accept_for(kind)})
                if not r.is_success:
                    sizes.setdefault(kind, []).append(-r.status_code)
                    continue
                sizes.setdefault(kind, []).append(result_size(kind, r.content))
    return sizes
