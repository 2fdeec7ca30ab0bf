"""Wikidata entities of establishments, by UAI (Wikidata property P3202 "UAI code").

The importer reads a mapping file the campus keeps, ``data/national/wikidata-uai.csv`` (columns
``uai``, ``wikidata``: ``0750654D,Q…``); it lives in a sub-folder of ``data/`` because the build
reads every ``data/*.csv`` as a table. Filling that file from Wikidata is an explicit, online
step (:func:`lookup_wikidata`, the SPARQL 1.1 protocol over httpx against a configured endpoint) that is off by
default and never used by the tests: a campus reviews the matches before publishing
``owl:sameAs`` links (docs/decisions/0015-national-links.md).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from publisher.core.errors import Location, SourceError
from publisher.core.identifiers import is_valid_uai
from publisher.importers.merge import is_comment, read_campus_table, write_atomic
from publisher.project.folder import Project

_QID = re.compile(r"Q[1-9][0-9]*")
_ENTITY = re.compile(r"https?://www\.wikidata\.org/(?:entity|wiki)/(Q[1-9][0-9]*)")
HEADER = ("uai", "wikidata")
USER_AGENT = "cmq-lod (campus import; +https://w3id.org/cmq)"


def wikidata_map_path(project: Project) -> Path:
    return project.data_dir / "national" / "wikidata-uai.csv"


def qid(value: str) -> str | None:
    """``Q42`` from ``Q42`` or an entity/page URL; None if it is neither."""
    v = value.strip()
    if _QID.fullmatch(v):
        return v
    m = _ENTITY.fullmatch(v)
    return m.group(1) if m else None


def read_wikidata_map(path: Path) -> dict[str, str]:
    """UAI → QID from the mapping file (absent file = empty map); bad lines are an error, with
    their line, since the file is the campus's own."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    problems: list[tuple[Location, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
        if not {"uai", "wikidata"} <= set(fields):
            raise SourceError([(Location(path.name, 1), ("colonnes uai et wikidata attendues / "
                                "columns uai and wikidata expected"))])
        for row in reader:
            uai = (row.get(fields["uai"]) or "").strip().upper()
            q = qid(row.get(fields["wikidata"]) or "")
            if not uai and not q:
                continue
            if not is_valid_uai(uai) or q is None:
                problems.append((Location(path.name, reader.line_num),
                                 f"UAI ou QID invalide / invalid UAI or QID: {row}"))
                continue
            out[uai] = q
    if problems:
        raise SourceError(problems)
    return out


def write_wikidata_map(path: Path, mapping: dict[str, str]) -> None:
    """Merge ``mapping`` into the mapping file (sorted by UAI), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    current = read_wikidata_map(path)
    current.update(mapping)
    write_atomic(path, HEADER, sorted(current.items()))


def sparql_query(uais: Iterable[str]) -> str:
    """The SPARQL query for the items whose P3202 (UAI) is one of ``uais`` (valid ones only)."""
    values = " ".join(f'"{u}"' for u in sorted(set(uais)) if is_valid_uai(u))
    return ("SELECT ?item ?uai WHERE { VALUES ?uai { " + values + " } "
            "?item <http://www.wikidata.org/prop/direct/P3202> ?uai . }")


def lookup_wikidata(uais: Iterable[str], endpoint: str, batch: int = 200,
                    timeout: int = 60) -> dict[str, str]:
    """UAI → QID from a SPARQL endpoint (e.g. ``https://query.wikidata.org/sparql``). Online:
    only called when the user passes ``--wikidata-endpoint``; an ambiguous UAI (two items) is
    left out."""
    todo = sorted({u for u in uais if is_valid_uai(u)})
    found: dict[str, set[str]] = {}
    headers = {"Accept": "application/sparql-results+json", "User-Agent": USER_AGENT}
    with httpx.Client(timeout=timeout, headers=headers) as client:
        for i in range(0, len(todo), batch):
            for b in _select(client, endpoint, sparql_query(todo[i:i + batch])):
                q = qid(b["item"]["value"])
                if q:
                    found.setdefault(b["uai"]["value"], set()).add(q)
    return {u: next(iter(qs)) for u, qs in found.items() if len(qs) == 1}


def _select(client: httpx.Client, endpoint: str, query: str) -> list[dict[str, Any]]:
    """The bindings of a SELECT query sent by the SPARQL 1.1 protocol (POST form)."""
    try:
        response = client.post(endpoint, data={"query": query})
        response.raise_for_status()
        bindings = response.json()["results"]["bindings"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        message = f"requête Wikidata impossible / Wikidata query failed: {exc}"
        raise SourceError([(Location(endpoint), message)]) from exc
    return list(bindings)


def fill_wikidata_column(project: Project, mapping: dict[str, str]) -> int:
    """Write the QIDs of ``mapping`` into ``etablissements.csv`` (rows matched by UAI, cells
    still empty); returns the number of rows filled."""
    path = project.data_dir / "etablissements.csv"
    header, rows = read_campus_table(path)
    if "uai" not in header:
        return 0
    if "wikidata" not in header:
        header.append("wikidata")
    u, w = header.index("uai"), header.index("wikidata")
    rows = [r + [""] * (len(header) - len(r)) for r in rows]
    filled = 0
    for r in rows:
        if is_comment(r):
            continue
        q = mapping.get(r[u].strip().upper())
        if q and not r[w].strip():
            r[w] = q
            filled += 1
    if filled:
        write_atomic(path, header, rows)
    return filled
