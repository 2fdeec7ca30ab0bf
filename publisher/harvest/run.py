"""``cmq harvest``: aggregate other campuses' published data into one national release.

For each catalogue URL: download it (content negotiation: Turtle, JSON-LD, RDF/XML…), list its
datasets, choose each dataset's best RDF dump (:mod:`publisher.harvest.source`), download it
(:mod:`publisher.harvest.fetch`: http(s) only, size and time limits, conditional requests),
check its checksum, parse it, validate it with the shipped shapes and ontology (fast engine).
Every dataset that passes becomes a named graph of the national release
(:mod:`publisher.harvest.release`); every one that fails is reported with a reason and left out,
never merged. See docs/decisions/0014-harvest.md.

The national "project" is the ``--out`` folder: ``data/campus.toml`` (the national
configuration, written on the first harvest), ``releases/`` (served by ``cmq serve --project``)
and ``harvest-cache/`` (downloaded bodies and their validators).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from publisher.core.errors import ProjectError
from publisher.core.graphs import load_graph
from publisher.harvest.addresses import AddressPolicy, redact
from publisher.harvest.fetch import (
    TOO_LARGE,
    Fetcher,
    FetchError,
    HttpCache,
    Limits,
    check_scheme,
    gunzip_file,
)
from publisher.harvest.release import Harvested, graph_iri, publish_national
from publisher.harvest.source import (
    CATALOG_ACCEPT,
    CatalogError,
    DumpChoice,
    catalog_of,
    choose_dump,
    datasets,
    parse_catalog,
    rdf_format,
    source_description,
    title_of,
)
from publisher.project.folder import Project, shipped_files
from publisher.release.folder import Publication
from publisher.validate.validation import VIOLATION, validate_graph

CACHE_DIR = "harvest-cache"
#: Reasons a dataset is left out, besides the download failures of harvest_fetch.REASONS.
BAD_CATALOG, NO_DATASET, NO_RDF = "bad-catalogue", "no-dataset", "no-rdf-distribution"
CHECKSUM_MISMATCH, UNPARSEABLE, INVALID, DUPLICATE = ("checksum-mismatch", "unparseable",
                                                      "invalid-data", "duplicate")
MAX_DETAILS = 5
Progress = Callable[[str], None]

DEFAULT_NATIONAL = {
    "id": "national",
    "name": "Réseau national des campus des métiers et des qualifications",
    "base_iri": "https://w3id.org/cmq/national/",
    "public_url": "http://127.0.0.1:8000/",
}


@dataclass
class Outcome:
    """What happened to one catalogue (when it failed as a whole) or one of its datasets."""

    catalog_url: str
    dataset: str | None = None
    status: str = "rejected"  # harvested | rejected
    reason: str | None = None
    detail: str = ""
    graph: str | None = None
    download_url: str | None = None
    triples: int | None = None
    warnings: int | None = None
    checksum: str | None = None  # "sha256:…" as declared by the catalogue, if any
    checksum_verified: bool = False
    not_modified: bool = False  # the dump was revalidated with a 304

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class HarvestSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    release: Publication | None = None
    requests: int = 0
    not_modified: int = 0

    @property
    def harvested(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "harvested"]

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "harvested"]

    def as_dict(self) -> dict[str, object]:
        rel = self.release
        return {
            "ok": rel is not None,
            "release_id": rel.info.release_id if rel else None,
            "status": rel.status if rel else None,
            "path": str(rel.path) if rel else None,
            "triples": rel.info.triples if rel else None,
            "harvested": [o.as_dict() for o in self.harvested],
            "rejected": [o.as_dict() for o in self.rejected],
            "requests": self.requests,
            "not_modified": self.not_modified,
        }

    def text(self) -> str:
        lines = [f"moissonné / harvested: {o.dataset} → {o.graph} ({o.triples} triplets/triples"
                 f"{', 304' if o.not_modified else ''})" for o in self.harvested]
        lines += [f"rejeté / rejected: {o.dataset or o.catalog_url}: {o.reason}: {o.detail}"
                  for o in self.rejected]
        rel = self.release
        if rel is None:
            lines.append("aucune version publiée / no release published")
        else:
            lines.append(f"version nationale / national release {rel.info.release_id} "
                         f"({rel.status}): {len(self.harvested)} campus, {rel.info.triples} "
                         f"quads, {len(self.rejected)} rejeté(s)/rejected ({rel.path})")
        return "\n".join(lines)


def national_project(out: Path, settings: dict[str, str] | None = None) -> Project:
    """The national project in ``out``; ``data/campus.toml`` is written when missing (from
    ``settings``: id, name, base_iri, public_url; defaults :data:`DEFAULT_NATIONAL`). When it
    exists, a setting that differs from it is an error (edit the file instead). A campus
    project (with CSV tables) is refused: its releases are not to be replaced."""
    toml = out / "data" / "campus.toml"
    wanted = {k: v for k, v in (settings or {}).items() if v}
    if any((out / "data").glob("*.csv")):
        raise ProjectError(f"{out}: projet de campus (tableaux CSV), pas un dossier national / "
                           "a campus project (CSV tables), not a national folder")
    if not toml.is_file():
        values = {**DEFAULT_NATIONAL, **wanted}
        if not values["public_url"].endswith("/"):
            values["public_url"] += "/"
        toml.parent.mkdir(parents=True, exist_ok=True)
        toml.write_text(_NATIONAL_TOML.format(**{k: _toml_str(v) for k, v in values.items()}),
                        encoding="utf-8")
    project = Project.open(out)
    cfg = project.config
    current = {"id": cfg.id, "name": cfg.name, "base_iri": cfg.base_iri,
               "public_url": cfg.public_url}
    for key, value in wanted.items():
        if key == "public_url" and not value.endswith("/"):
            value += "/"
        if current.get(key) != value:
            raise ProjectError(f"{toml}: {key} = {current.get(key)!r}, pas / not {value!r} "
                               "(modifier le fichier / edit the file)")
    return project


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_NATIONAL_TOML = """\
# Agrégation nationale (cmq harvest) / national aggregation. À adapter / edit as needed.
[campus]
id = {id}
nom = {name}
description = "Données liées des campus des métiers et des qualifications, moissonnées depuis \
leurs catalogues DCAT : un graphe nommé par campus."
description_en = "Linked data of the campuses of trades and qualifications, harvested from \
their DCAT catalogues: one named graph per campus."

[publication]
base_iri = {base_iri}
public_url = {public_url}
editeur = "Agrégation nationale des campus des métiers et des qualifications"
themes = ["EDUC"]
"""


def slug_of(dataset: str) -> str:
    """A short name for a dataset IRI: its last meaningful path segment (``…/campus/<id>/
    dataset`` → ``<id>``), else a hash."""
    parts = [p for p in re.split(r"[/#]", urlsplit(dataset).path) if p]
    while parts and parts[-1].lower() in {"dataset", "datasets", "data", "catalog", "catalogue"}:
        parts.pop()
    slug = re.sub(r"[^a-z0-9-]+", "-", parts[-1].lower()).strip("-") if parts else ""
    return slug or "d-" + hashlib.sha1(dataset.encode("utf-8")).hexdigest()[:12]


class Slugged(Protocol):
    dataset: str
    slug: str


def assign_slugs(campuses: Sequence[Slugged]) -> None:
    """Give each campus its slug; when several share one, each gets a hash suffix (so the
    result does not depend on the order of the catalogues)."""
    counts: dict[str, int] = {}
    for c in campuses:
        counts[c.slug] = counts.get(c.slug, 0) + 1
    for c in campuses:
        if counts[c.slug] > 1:
            c.slug += "-" + hashlib.sha1(c.dataset.encode("utf-8")).hexdigest()[:8]


def load_dump(path: Path, fmt: ox.RdfFormat, base_iri: str, dataset: str,
              max_triples: int | None = None) -> Graph:
    """Parse a dump into an rdflib graph; blank nodes get labels of this dataset only. Past
    ``max_triples`` the parse stops (:class:`FetchError` ``too-large``): memory stays bounded."""
    g = Graph()
    limit = Limits().max_triples if max_triples is None else max_triples
    salt = dataset.encode("utf-8") + b"\0"

    def term(t: object) -> Node:
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode("b" + hashlib.sha1(salt + t.value.encode("utf-8")).hexdigest()[:24])
        if isinstance(t, ox.Literal):
            if t.language:
                return Literal(t.value, lang=t.language)
            return Literal(t.value, datatype=URIRef(t.datatype.value))
        raise CatalogError(f"terme non pris en charge / unsupported term: {t!r}")

    try:
        for n, q in enumerate(ox.parse(path=str(path), format=fmt, base_iri=base_iri,
                                       without_named_graphs=True)):
            if n >= limit:
                raise FetchError(TOO_LARGE, base_iri, f"plus de / more than {limit} "
                                 "triplets/triples (--max-triples)")
            g.add((term(q.subject), term(q.predicate), term(q.object)))
    except (SyntaxError, ValueError) as exc:
        raise CatalogError(str(exc)) from exc
    return g


class _Harvest:
    def __init__(self, fetcher: Fetcher, say: Progress) -> None:
        self.fetcher, self.say = fetcher, say
        self.shapes = load_graph(shipped_files("shapes"))
        self.ontology = load_graph(shipped_files("ontology"))
        self.outcomes: list[Outcome] = []
        self.accepted: list[Harvested] = []
        self.used: set[str] = set()  # URLs whose cached bodies the next harvest may reuse

    def catalogue(self, url: str) -> None:
        self.say(f"catalogue {redact(url)}")
        try:
            fetched = self.fetcher.fetch(url, accept=CATALOG_ACCEPT,
                                         max_bytes=self.fetcher.limits.max_catalog_bytes)
        except FetchError as exc:
            self.outcomes.append(Outcome(url, reason=exc.reason, detail=exc.detail))
            return
        self.used.add(url)
        fmt = rdf_format(fetched.media_type, fetched.final_url)
        try:
            if fmt is None:
                raise CatalogError(f"format inconnu / unknown format {fetched.media_type!r}")
            g = parse_catalog(fetched.path.read_bytes(), fmt, fetched.final_url)
        except CatalogError as exc:
            self.outcomes.append(Outcome(url, reason=BAD_CATALOG, detail=str(exc)))
            return
        found = datasets(g)
        if not found:
            self.outcomes.append(Outcome(url, reason=NO_DATASET,
                                         detail="aucun dcat:Dataset / no dcat:Dataset"))
        for d in found:
            out = Outcome(url, dataset=str(d))
            self.outcomes.append(out)
            try:
                self.dataset(g, d, url, fetched.retrieved, out)
            except FetchError as exc:
                out.reason, out.detail = exc.reason, exc.detail
            except MemoryError:  # this source only: the others are still harvested
                out.reason, out.detail = TOO_LARGE, "mémoire insuffisante / out of memory"

    def dataset(self, g: Graph, d: Node, catalog_url: str, catalog_time: datetime,
                out: Outcome) -> None:
        if not isinstance(d, URIRef):
            out.reason, out.detail = NO_DATASET, "jeu de données sans IRI / dataset without IRI"
            return
        if any(a.dataset == str(d) for a in self.accepted):
            out.reason, out.detail = DUPLICATE, "déjà moissonné / already harvested"
            return
        choice = choose_dump(g, d)
        if choice is None:
            out.reason, out.detail = NO_RDF, "aucune distribution RDF / no RDF distribution"
            return
        out.download_url = redact(choice.url)
        if choice.checksum is not None:
            out.checksum = f"{choice.checksum.algorithm}:{choice.checksum.value}"
        check_scheme(choice.url)
        limit = self.fetcher.limits.max_bytes
        if choice.byte_size is not None and choice.byte_size > limit:
            raise FetchError(TOO_LARGE, choice.url, f"dcat:byteSize {choice.byte_size} > {limit}")
        self.say(f"  {d}: {choice.url}")
        fetched = self.fetcher.fetch(choice.url, accept=choice.media_type or None)
        out.not_modified = fetched.not_modified
        if choice.checksum is not None:
            actual = choice.checksum.of_file(fetched.path)
            if actual != choice.checksum.value:
                out.reason = CHECKSUM_MISMATCH
                out.detail = (f"{choice.checksum.algorithm} {actual} ≠ {choice.checksum.value} "
                              "(catalogue)")
                return
            out.checksum_verified = True
        data = self._parse(fetched.path, choice, fetched.final_url, str(d), out)
        if data is None:
            return
        report = validate_graph(data, self.shapes, self.ontology)
        out.warnings = report.count("Warning")
        if not report.conforms:
            bad = [p for p in report.problems if p.severity == VIOLATION]
            out.reason = INVALID
            out.detail = f"{len(bad)} violation(s): " + " | ".join(
                str(p) for p in bad[:MAX_DETAILS])
            return
        cat = catalog_of(g, d)
        self.accepted.append(Harvested(
            dataset=str(d), slug=slug_of(str(d)), title=title_of(g, d), catalog_url=catalog_url,
            catalog=str(cat) if isinstance(cat, URIRef) else None,
            catalog_retrieved=catalog_time, choice=choice, final_url=fetched.final_url,
            size=fetched.size, sha256=fetched.sha256, retrieved=fetched.retrieved,
            not_modified=fetched.not_modified, data=data, report=report,
            description=source_description(g, d, choice, cat)))
        out.status, out.triples = "harvested", len(data)
        self.used.add(choice.url)

    def _parse(self, path: Path, choice: DumpChoice, url: str, dataset: str,
               out: Outcome) -> Graph | None:
        plain = path
        try:
            if choice.gzip:
                plain = path.with_name(path.name + ".plain")
                gunzip_file(path, plain, self.fetcher.limits.max_bytes, url)
            return load_dump(plain, choice.format, url, dataset,
                             self.fetcher.limits.max_triples)
        except CatalogError as exc:
            out.reason, out.detail = UNPARSEABLE, str(exc)[:500]
            return None
        finally:
            if plain != path:
                plain.unlink(missing_ok=True)


def harvest(catalog_urls: Sequence[str], out: Path, *, limits: Limits | None = None,
            national: dict[str, str] | None = None, client: httpx.Client | None = None,
            progress: Progress | None = None,
            allow_addresses: Sequence[str] = ()) -> HarvestSummary:
    """Harvest the catalogues into the national project ``out`` and publish its release.

    Only public addresses are contacted, plus the addresses or networks of ``allow_addresses``
    (:mod:`publisher.harvest.addresses`). Returns the summary; ``summary.release`` is None when
    no dataset could be harvested (then nothing is published and the current release, if any,
    stays)."""
    say = progress or (lambda _msg: None)
    started = datetime.now(UTC).replace(microsecond=0)
    project = national_project(out, national)
    policy = AddressPolicy.of(allow_addresses)  # AddressRefused: an invalid address
    fetcher = Fetcher(HttpCache(out / CACHE_DIR), limits, client, policy)
    run = _Harvest(fetcher, say)
    try:
        for url in catalog_urls:
            try:
                check_scheme(url)
            except FetchError as exc:
                run.outcomes.append(Outcome(redact(url), reason=exc.reason, detail=exc.detail))
                continue
            run.catalogue(url)
    finally:
        if client is None:
            fetcher.close()
        fetcher.cache.keep_only(run.used)
    summary = HarvestSummary(run.outcomes, None, fetcher.requests, fetcher.not_modified)
    if run.accepted:
        assign_slugs(run.accepted)
        for c in run.accepted:
            c.graph_iri = graph_iri(project.config.base_iri, c.slug)
        for o in run.outcomes:
            o.graph = next((c.graph_iri for c in run.accepted
                            if o.status == "harvested" and c.dataset == o.dataset), None)
        say("écriture de la version nationale / writing the national release")
        summary.release = publish_national(project, run.accepted,
                                           [o.as_dict() for o in run.outcomes], started)
    return summary


__all__ = ["DEFAULT_NATIONAL", "HarvestSummary", "Limits", "Outcome", "harvest", "national_project"]
