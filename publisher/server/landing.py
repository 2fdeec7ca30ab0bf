"""The landing page's view model: what the dataset is, its VoID counts, its files and links.

Counts come from the release's VoID description (fetched through the SPARQL engine by
:func:`publisher.server.describe.void_query`): the ``void:Dataset`` of the served version (else
the one with the most triples), its ``void:triples``, ``void:entities``, ``void:classes`` and
``void:classPartition`` s (``void:class`` + ``void:entities``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.term import Node

from publisher.core.graphs import integer
from publisher.core.namespaces import VOID
from publisher.html.render import Linker, Renderer, Term
from publisher.release.model import ReleaseInfo


@dataclass(frozen=True)
class FileRow:
    name: str
    media_type: str
    size: str
    kind: str


@dataclass(frozen=True)
class Landing:
    title: str
    title_en: str
    description: str
    description_en: str
    triples: int | None
    entities: int | None
    classes_count: int | None
    classes: tuple[tuple[Term, int], ...]
    files: tuple[FileRow, ...]
    release_id: str
    created: str
    violations: int
    warnings: int
    base_iri: str
    sparql_url: str
    campus: Term | None


def human_size(n: int) -> str:
    """Bytes in French units (``o``, ``kio``, ``Mio``), decimal comma."""
    if n < 1024:
        return f"{n} o"
    value, unit = n / 1024, "kio"
    if value >= 1024:
        value, unit = value / 1024, "Mio"
    return f"{value:.1f} {unit}".replace(".", ",")


def void_dataset(g: Graph, info: ReleaseInfo) -> Node | None:
    """The ``void:Dataset`` describing the served version (or the biggest one)."""
    datasets = set(g.subjects(RDF.type, VOID.Dataset))
    for iri in (info.version_iri, info.dataset_iri):
        if URIRef(iri) in datasets:
            return URIRef(iri)
    return max(datasets, key=lambda d: (integer(g, d, VOID.triples) or 0, str(d)), default=None)


def partition_counts(g: Graph, dataset: Node, partition: URIRef, term: URIRef,
                     count: URIRef) -> list[tuple[URIRef, int]]:
    """``(term, count)`` of the dataset's VoID partitions, largest first: ``(class, entities)``
    of ``void:classPartition``, ``(property, triples)`` of ``void:propertyPartition``."""
    out = []
    for part in g.objects(dataset, partition):
        found = g.value(part, term)
        n = integer(g, part, count)
        if isinstance(found, URIRef) and n is not None:
            out.append((found, n))
    return sorted(out, key=lambda tn: (-tn[1], str(tn[0])))


def class_counts(g: Graph, dataset: Node) -> list[tuple[URIRef, int]]:
    """``(class, entities)`` of the class partitions, most populated first."""
    return partition_counts(g, dataset, VOID.classPartition, VOID["class"], VOID.entities)


def landing_view(void: Graph, context: Graph, info: ReleaseInfo, linker: Linker) -> Landing:
    """The landing page of ``info`` (``void``: VoID graph; ``context``: labels of its classes)."""
    cfg = info.config
    r = Renderer(context, linker, cfg.base_iri)
    d = void_dataset(void, info)
    classes = class_counts(void, d) if d is not None else []
    campus = URIRef(cfg.campus_iri)
    files = tuple(
        FileRow(f.name, f.media_type, human_size(f.byte_size), f.kind)
        for f in sorted(info.files, key=lambda f: (f.kind != "data", f.name))
    )
    return Landing(
        title=cfg.title or cfg.name, title_en=cfg.title_en or cfg.name_en,
        description=cfg.description, description_en=cfg.description_en,
        triples=integer(void, d, VOID.triples) if d is not None else info.triples,
        entities=integer(void, d, VOID.entities) if d is not None else None,
        classes_count=(integer(void, d, VOID.classes) if d is not None else None) or len(classes)
        or None,
        classes=tuple((r.term(c), n) for c, n in classes),
        files=files, release_id=info.release_id,
        created=info.created.strftime("%Y-%m-%d %H:%M UTC"),
        violations=info.violations, warnings=info.warnings,
        base_iri=cfg.base_iri, sparql_url=info.sparql_url,
        campus=r.term(campus) if (campus, None, None) in context else None,
    )
