"""Write the national release of ``cmq harvest``: one named graph per campus, same layout.

The folder and its atomic publication are those of docs/decisions/0002-release-layout.md and of
``cmq build``: :func:`publisher.release.folder.publish_folder` (lock, stale folders, temporary
folder, fsync, rename, ``current`` swap, pruning) calls the writer of this module.
What differs (docs/decisions/0014-harvest.md):

- data: ``campus.nq`` (N-Quads, lines in code-point order, blank nodes labelled per campus) and
  ``campus.trig`` (the same quads grouped by graph), both gzipped; the id is the first 16 hex
  digits of the SHA-256 of ``campus.nq``; ``changeset-added.nq`` / ``changeset-removed.nq``;
- ``catalog.ttl``: the national catalogue (:func:`publisher.release.metadata.catalog.build_catalog` for the
  national dataset) plus, for each campus, its dataset as the source catalogue described it,
  its source catalogue (``dcat:catalog``) and ``dct:source`` from the national dataset;
- ``provenance.ttl``: the harvest as a ``prov:Activity``; each campus graph is a ``prov:Entity``
  derived from the downloaded distribution (URL, retrieval time, size, checksum) of the campus
  dataset listed in the campus catalogue;
- ``void.ttl``: :func:`publisher.release.metadata.void.build_void` over all campuses plus one ``void:subset`` per
  campus graph (the graph IRI itself);
- ``harvest.json``: what was harvested and what was rejected, and why;
- ``browse.sqlite``: the browse index of the site's lists and search, over every campus graph,
  with a ``campus`` facet (:mod:`publisher.release.browse_index`; not in the manifest).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from publisher import __version__
from publisher.core.errors import ReleaseError
from publisher.core.files import durable, gzip_file, write_bytes
from publisher.core.graphs import load_graph
from publisher.core.namespaces import DCAT, PREFIXES, PROV, SPDX, VOID
from publisher.core.ntriples import sorted_rows
from publisher.harvest.source import DumpChoice
from publisher.project.folder import Project, shipped_files
from publisher.release.browse_index import write_index
from publisher.release.changeset import write_changeset
from publisher.release.data import write_ontology_docs
from publisher.release.dumps.formats import write_turtle_canonical, write_turtle_fast
from publisher.release.folder import (
    Publication,
    build_lock,
    kept_after_publishing,
    publish_folder,
)
from publisher.release.manifest import file_entry, release_id_of, write_manifest
from publisher.release.metadata.catalog import build_catalog, timestamp
from publisher.release.metadata.provenance import build_provenance
from publisher.release.metadata.report_html import render_report
from publisher.release.metadata.terms import IANA
from publisher.release.metadata.void import build_void
from publisher.release.model import (
    ADDED_NQ,
    CATALOG_TTL,
    DATA_NQ,
    DATA_TRIG,
    HARVEST_JSON,
    ONTOLOGY_TTL,
    PROVENANCE_TTL,
    REMOVED_NQ,
    REPORT_HTML,
    REPORT_TTL,
    SHAPES_TTL,
    UNLISTED,
    VOID_TTL,
    FileEntry,
    ReleaseInfo,
    SourceEntry,
)
from publisher.validate.validation import Report


@dataclass
class Harvested:
    """One campus dataset that passed every check, ready to become a named graph."""

    dataset: str  # the campus dataset IRI (from its catalogue)
    slug: str  # short name, for the graph IRI ``{base}graph/campus/{slug}``
    title: str | None
    catalog_url: str
    catalog: str | None  # the catalogue's IRI, if it names itself
    catalog_retrieved: datetime
    choice: DumpChoice
    final_url: str  # where the dump was downloaded from (after redirects)
    size: int
    sha256: str  # of the downloaded file
    retrieved: datetime
    not_modified: bool
    data: Graph
    report: Report
    description: Graph  # what the source catalogue says (dataset, distribution, catalogue)
    graph_iri: str = ""

    @property
    def checksum_verified(self) -> bool:
        return self.choice.checksum is not None


def graph_iri(base_iri: str, slug: str) -> str:
    return f"{base_iri}graph/campus/{slug}"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def nquads_lines(campuses: list[Harvested]) -> list[str]:
    """Every quad as an N-Quads line (canonical terms), sorted by code point."""
    lines: list[str] = []
    for c in campuses:
        tail = f" <{c.graph_iri}> .\n"
        lines += [row[0][:-3] + tail for row in sorted_rows(c.data, bnodes=True)]
    lines.sort()
    return lines


def _write_trig(nq: Path, campuses: list[Harvested], path: Path) -> None:
    """TriG of the quads grouped by graph, with the prefix header in a fixed order."""
    graphs = sorted(c.graph_iri for c in campuses)
    order = {g: i for i, g in enumerate(graphs)}
    quads = sorted(ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS),
                   key=lambda q: order[q.graph_name.value])
    raw = path.with_name(path.name + ".raw")
    ox.serialize(quads, str(raw), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    skip = len(PREFIXES)
    with raw.open("rb") as src, durable(path) as out:
        out.write("".join(f"@prefix {k}: <{v}> .\n" for k, v in sorted(PREFIXES.items()))
                  .encode())
        for line in src:
            if skip and line.startswith(b"@prefix "):
                skip -= 1
                continue
            out.write(line)
    raw.unlink()


def publish_national(project: Project, campuses: list[Harvested], outcomes: list[dict[str, object]],
                     started: datetime) -> Publication:
    """Write (or reuse) the national release of ``campuses`` and make it current."""
    if not campuses:
        raise ReleaseError("aucun campus moissonné : rien à publier / no campus harvested: "
                           "nothing to publish")
    base = project.config.base_iri
    for c in campuses:
        c.graph_iri = graph_iri(base, c.slug)
    releases_dir = project.releases_dir.resolve()
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
        with build_lock(releases_dir):
            data = "".join(nquads_lines(campuses)).encode("utf-8")
            rid = release_id_of(data, national_inputs(project, campuses))
            writer = _NationalWriter(project, rid, data, campuses, outcomes, started)
            return publish_folder(releases_dir, rid, project.config, writer)
    except OSError as exc:
        raise ReleaseError(f"{releases_dir}: écriture impossible / cannot write: {exc}") from exc


def national_inputs(project: Project, campuses: list[Harvested]) -> dict[str, str]:
    """What reaches a national release besides its quads (part of its id): the national
    configuration, the cmq version, and where each campus's dump came from."""
    toml = project.data_dir / "campus.toml"
    config = hashlib.sha256(toml.read_bytes()).hexdigest() if toml.is_file() else ""
    sources = "".join(f"{c.final_url}\0{c.sha256}\n" for c in sorted(campuses,
                                                                     key=lambda c: c.graph_iri))
    return {"config": config, "cmq": __version__,
            "sources": hashlib.sha256(sources.encode("utf-8")).hexdigest()}


@dataclass(frozen=True)
class _NationalWriter:
    """Writes the national release into the temporary folder (a ``ReleaseWriter``)."""

    project: Project
    rid: str
    data: bytes
    campuses: list[Harvested]
    outcomes: list[dict[str, object]]
    started: datetime

    def __call__(self, tmp: Path, previous: Path | None) -> ReleaseInfo:
        config, data, campuses, started = (self.project.config, self.data, self.campuses,
                                           self.started)
        write_bytes(tmp / DATA_NQ, data)
        _write_trig(tmp / DATA_NQ, campuses, tmp / DATA_TRIG)
        for name in (DATA_NQ, DATA_TRIG):
            gzip_file(tmp / name, tmp / f"{name}.gz")
        old = previous / DATA_NQ if previous is not None else None
        n_add, n_rem = write_changeset(old if old is not None and old.is_file() else None,
                                       tmp / DATA_NQ, tmp / ADDED_NQ, tmp / REMOVED_NQ)
        write_turtle_canonical(load_graph(shipped_files("ontology")), tmp / ONTOLOGY_TTL)
        write_turtle_canonical(load_graph(shipped_files("shapes")), tmp / SHAPES_TTL)
        union = Graph()
        for c in campuses:
            union += c.data
        write_ontology_docs(tmp, self.project, union)  # ontology.html, as in a campus release
        report = Report([p for c in campuses for p in c.report.problems])
        shacl = Graph()
        for c in campuses:
            if c.report.shacl_graph is not None:
                shacl += c.report.shacl_graph
        write_turtle_fast(shacl, tmp / REPORT_TTL, PREFIXES)
        record = {"created": started.isoformat(), "cmq_version": __version__,
                  "outcomes": self.outcomes}
        write_bytes(tmp / HARVEST_JSON,
                    (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        info = ReleaseInfo(
            release_id=self.rid, created=started, config=config,
            triples=data.count(b"\n"), cmq_version=__version__, files=_entries(tmp),
            sources=tuple(SourceEntry(c.final_url, c.size, c.sha256) for c in campuses),
            previous_id=previous.name if previous is not None else None,
            violations=0, warnings=report.count("Warning"), added=n_add, removed=n_rem,
        )
        write_turtle_canonical(national_void(union, campuses, info), tmp / VOID_TTL)
        write_bytes(tmp / REPORT_HTML, render_report(report, info).encode("utf-8"))
        write_turtle_canonical(national_provenance(info, campuses, started, _now()),
                               tmp / PROVENANCE_TTL)
        info = dataclasses.replace(info, files=_entries(tmp))
        kept = kept_after_publishing(tmp.parent, config)
        write_turtle_canonical(national_catalog(info, kept, campuses), tmp / CATALOG_TTL)
        info = dataclasses.replace(info, files=_entries(tmp))
        write_manifest(tmp, info)
        write_index(tmp, config.base_iri, info.release_id)  # not in the manifest: decision 0019
        return info


def _entries(folder: Path) -> tuple[FileEntry, ...]:
    return tuple(file_entry(p) for p in sorted(folder.iterdir())
                 if p.is_file() and p.name not in UNLISTED)


def national_void(union: Graph, campuses: list[Harvested], info: ReleaseInfo) -> Graph:
    """VoID of all the campuses, plus one ``void:subset`` per campus graph."""
    g = build_void(union, info)
    version = URIRef(info.version_iri)
    for c in campuses:
        sub = URIRef(c.graph_iri)
        g.add((version, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, VOID.triples, Literal(len(c.data), datatype=XSD.integer)))
        g.add((sub, DCTERMS.source, URIRef(c.dataset)))
        g.add((sub, VOID.dataDump, URIRef(c.choice.url)))
        if c.title:
            g.add((sub, DCTERMS.title, Literal(c.title)))
    for fmt in ("N-Quads", "TriG"):
        g.add((version, VOID.feature, URIRef(f"http://www.w3.org/ns/formats/{fmt}")))
    return g


def national_provenance(info: ReleaseInfo, campuses: list[Harvested], started: datetime,
                        ended: datetime) -> Graph:
    """PROV-O: the harvest activity, and for each campus graph where it comes from."""
    g = build_provenance(info, started, ended)
    activity = URIRef(f"{info.version_iri}#build")
    g.remove((activity, RDFS.label, None))
    g.add((activity, RDFS.label, Literal(f"cmq harvest {info.release_id}")))
    release = URIRef(info.version_iri)
    for c in campuses:
        graph, dump, dataset = URIRef(c.graph_iri), URIRef(c.choice.url), URIRef(c.dataset)
        key = f"{info.version_iri}#{c.slug}"
        g.add((release, PROV.hadMember, graph))
        g.add((graph, RDF.type, PROV.Entity))
        g.add((graph, PROV.wasGeneratedBy, activity))
        g.add((graph, PROV.wasDerivedFrom, dump))
        g.add((graph, DCTERMS.source, dataset))
        if c.title:
            g.add((graph, RDFS.label, Literal(c.title)))
        usage = URIRef(f"{key}-retrieval")
        g.add((activity, PROV.used, dump))
        g.add((activity, PROV.qualifiedUsage, usage))
        g.add((usage, RDF.type, PROV.Usage))
        g.add((usage, PROV.entity, dump))
        g.add((usage, PROV.atTime, timestamp(c.retrieved)))
        g.add((dump, RDF.type, PROV.Entity))
        g.add((dump, RDF.type, DCAT.Distribution))
        g.add((dump, DCAT.downloadURL, dump))
        g.add((dump, DCAT.mediaType, URIRef(IANA + c.choice.media_type)))
        g.add((dump, DCAT.byteSize, Literal(c.size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{key}-sha256")
        g.add((dump, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(c.sha256, datatype=XSD.hexBinary)))
        g.add((dataset, DCAT.distribution, dump))
        cat = URIRef(c.catalog or c.catalog_url)
        g.add((cat, RDF.type, PROV.Entity))
        g.add((cat, RDF.type, DCAT.Catalog))
        g.add((cat, DCAT.dataset, dataset))
        g.add((cat, RDFS.seeAlso, URIRef(c.catalog_url)))
        g.add((activity, PROV.used, cat))
        g.add((graph, PROV.hadPrimarySource, cat))
    return g


def national_catalog(info: ReleaseInfo, kept: list[ReleaseInfo],
                     campuses: list[Harvested]) -> Graph:
    """The national DCAT-AP catalogue: the national dataset, each campus dataset, each source
    catalogue."""
    g = build_catalog(info, kept)
    cat, national = URIRef(info.catalog_iri), URIRef(info.dataset_iri)
    for dist in list(g.objects(national, DCAT.distribution)):
        if any(str(dist).endswith(f"/distribution/{n}") for n in
               (DATA_NQ, DATA_TRIG, f"{DATA_NQ}.gz", f"{DATA_TRIG}.gz")):
            name = str(dist).rsplit("/", 1)[1]
            g.remove((dist, DCTERMS.title, None))
            g.remove((dist, DCTERMS.description, None))
            g.add((dist, DCTERMS.title, Literal(f"Données des campus — {name}", lang="fr")))
            g.add((dist, DCTERMS.title, Literal(f"Campus data — {name}", lang="en")))
            g.add((dist, DCTERMS.description, Literal(
                f"Un graphe nommé par campus moissonné, fichier {name} de la version "
                f"{info.release_id}.", lang="fr")))
            g.add((dist, DCTERMS.description, Literal(
                f"One named graph per harvested campus, file {name} of version "
                f"{info.release_id}.", lang="en")))
    for c in campuses:
        dataset = URIRef(c.dataset)
        g += c.description
        g.add((cat, DCAT.dataset, dataset))
        g.add((national, DCTERMS.source, dataset))
        if c.catalog is not None:
            g.add((cat, DCAT.catalog, URIRef(c.catalog)))
            g.add((URIRef(c.catalog), RDFS.seeAlso, URIRef(c.catalog_url)))
    return g
