"""The VoID description of a release's data (``void.ttl``, served at ``/.well-known/void``).

The ``void:Dataset`` is the release version itself (``{base}dataset/{id}``, the IRI the catalogue
describes as a version of ``{base}dataset``). Statistics come from one pass over the graph with
dicts and sets, so the cost is linear in the number of triples. Partition nodes get deterministic
IRIs: ``{version}/void/class/<sha1(class)[:12]>`` and ``{version}/void/property/<sha1[:12]>``.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from publisher.core.namespaces import CMQ_NS, DCAT, ORG, PREFIXES, VOID
from publisher.core.ntriples import RDF_TYPE_NT, to_rdflib
from publisher.release.metadata.catalog import LICENCE, timestamp
from publisher.release.model import DATA_JSONLD, DATA_NT, DATA_TTL, ReleaseInfo

#: Role of the support establishment in a membership (example resource of the dataset).
SUPPORT_ROLE = URIRef(f"{CMQ_NS}role/etablissement-support")
#: Dump file extension → W3C format IRI (``void:feature``).
FEATURES = {
    ".nt": URIRef("http://www.w3.org/ns/formats/N-Triples"),
    ".ttl": URIRef("http://www.w3.org/ns/formats/Turtle"),
    ".jsonld": URIRef("http://www.w3.org/ns/formats/JSON-LD"),
}
MAX_EXAMPLES = 3


@dataclass
class Statistics:
    """Counts of a graph, as VoID defines them."""

    triples: int = 0
    entities: int = 0  # distinct subjects that are IRIs
    distinct_subjects: int = 0
    distinct_objects: int = 0
    properties: Counter[Node] = field(default_factory=Counter)  # property → triples
    classes: dict[Node, int] = field(default_factory=dict)  # class → IRI instances
    #: class IRI → its instance with the smallest IRI (from :func:`line_statistics` only)
    first: dict[str, str] = field(default_factory=dict, compare=False)


def statistics(data: Graph) -> Statistics:
    """One pass over ``data``; memory is one set of subjects and one of objects."""
    subjects: set[Node] = set()
    objects: set[Node] = set()
    props: Counter[Node] = Counter()
    instances: dict[Node, set[Node]] = {}
    n = 0
    for s, p, o in data:
        n += 1
        subjects.add(s)
        objects.add(o)
        props[p] += 1
        if p == RDF.type:
            members = instances.get(o)
            if members is None:
                members = instances[o] = set()
            if isinstance(s, URIRef):
                members.add(s)
    return Statistics(
        triples=n,
        entities=sum(1 for s in subjects if isinstance(s, URIRef)),
        distinct_subjects=len(subjects),
        distinct_objects=len(objects),
        properties=props,
        classes={c: len(m) for c, m in instances.items()},
    )


def line_statistics(lines: Sequence[str], campus_iri: str = "") -> tuple[Statistics, list[URIRef]]:
    """:func:`statistics` and :func:`example_resources` of sorted, distinct N-Triples lines, in
    one pass over the strings (no RDF term is made but for classes and properties).

    ``Statistics.first`` gets, for each class, its instance with the smallest IRI.
    """
    objects: set[str] = set()
    add_object = objects.add
    props: dict[str, int] = {}
    count = props.get
    classes: dict[str, int] = {}
    first: dict[str, str] = {}
    n_subjects = n_entities = 0
    last = ""
    role, org, member = (f"<{ORG.role}>", f"<{ORG.organization}>", f"<{ORG.member}>")
    watched = {role, org, member}
    support, campus = f"<{SUPPORT_ROLE}> .\n", f"<{campus_iri}> .\n"
    supported: set[str] = set()
    in_campus: set[str] = set()
    members: dict[str, list[str]] = {}
    for line in lines:
        s, p, rest = line.split(" ", 2)
        if s != last:
            last = s
            n_subjects += 1
            if s[0] == "<":
                n_entities += 1
        add_object(rest)  # the object and " .\n": as distinct as the objects
        props[p] = count(p, 0) + 1
        if p == RDF_TYPE_NT:
            o = rest[:-3]
            if s[0] == "<":
                classes[o] = classes.get(o, 0) + 1
                if o[0] == "<":
                    cur = first.get(o)
                    if cur is None or s[1:-1] < cur[1:-1]:
                        first[o] = s
            else:
                classes.setdefault(o, 0)
        elif p in watched:
            if p == role and rest == support:
                supported.add(s)
            elif p == org and rest == campus:
                in_campus.add(s)
            elif p == member and rest[0] == "<":
                members.setdefault(s, []).append(rest[1:-4])
    stats = Statistics(
        triples=len(lines),
        entities=n_entities,
        distinct_subjects=n_subjects,
        distinct_objects=len(objects),
        properties=Counter({to_rdflib(k): v for k, v in props.items()}),
        classes={to_rdflib(c): n for c, n in classes.items()},
        first={c[1:-1]: s[1:-1] for c, s in first.items()},
    )
    i = bisect.bisect_left(lines, f"<{campus_iri}> ")
    out = [URIRef(campus_iri)] if (
        campus_iri and i < len(lines) and lines[i].startswith(f"<{campus_iri}> ")) else []
    support_members = {m for s in supported & in_campus for m in members.get(s, [])}
    out += [URIRef(m) for m in sorted(support_members)]
    return stats, out[:MAX_EXAMPLES]


def vocabulary(term: str) -> str:
    """The namespace of a term: up to and including its last ``#`` or ``/``."""
    cut = max(term.rfind("#"), term.rfind("/"))
    return term[: cut + 1] if cut > 0 else term


def _short(iri: str) -> str:
    return hashlib.sha1(iri.encode("utf-8")).hexdigest()[:12]


def _count(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def example_resources(data: Graph, info: ReleaseInfo) -> list[URIRef]:
    """A few stable resources: the campus, then its support establishment(s)."""
    campus = URIRef(info.config.campus_iri)
    out = [campus] if (campus, None, None) in data else []
    support: set[URIRef] = set()
    for membership in data.subjects(ORG.role, SUPPORT_ROLE):
        if (membership, ORG.organization, campus) in data:
            support.update(m for m in data.objects(membership, ORG.member)
                           if isinstance(m, URIRef))
    out += sorted(support)
    return out[:MAX_EXAMPLES]


def dump_names(info: ReleaseInfo) -> list[str]:
    """Names of the data dumps of the release (the standard three if files are not listed yet)."""
    names = [f.name for f in info.files if f.kind in ("data", "data-gz")]
    return sorted(names) if names else [DATA_NT, DATA_TTL, DATA_JSONLD]


def build_void(data: Graph | Sequence[str], info: ReleaseInfo, *,
               computed: tuple[Statistics, list[URIRef]] | None = None) -> Graph:
    """VoID description of ``data`` (a graph, or its sorted distinct N-Triples lines) as the
    release version ``info.version_iri``; ``computed``: :func:`line_statistics` of the lines
    when the caller has it already."""
    cfg = info.config
    if computed is not None:
        stats, examples = computed
    elif isinstance(data, Graph):
        stats = statistics(data)
        examples = example_resources(data, info)
    else:
        stats, examples = line_statistics(data, cfg.campus_iri)
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    d = URIRef(info.version_iri)
    g.add((d, RDF.type, VOID.Dataset))
    title = cfg.title or cfg.name
    g.add((d, DCTERMS.title, Literal(f"{title} — version {info.release_id}", lang="fr")))
    if cfg.title_en:
        g.add((d, DCTERMS.title, Literal(f"{cfg.title_en} — version {info.release_id}",
                                         lang="en")))
    g.add((d, DCTERMS.description, Literal(
        "Description VoID des données liées de cette version.", lang="fr")))
    g.add((d, DCTERMS.description, Literal(
        "VoID description of the linked data of this version.", lang="en")))
    g.add((d, DCTERMS.license, LICENCE))
    g.add((d, DCTERMS.created, timestamp(info.created)))
    g.add((d, DCAT.isVersionOf, URIRef(info.dataset_iri)))
    g.add((d, DCAT.version, Literal(info.release_id)))
    g.add((d, VOID.sparqlEndpoint, URIRef(info.sparql_url)))
    g.add((d, VOID.uriSpace, Literal(cfg.base_iri)))
    features: set[URIRef] = set()
    for name in dump_names(info):
        g.add((d, VOID.dataDump, URIRef(info.download_url(name))))
        ext = name.removesuffix(".gz")
        features.update(f for e, f in FEATURES.items() if ext.endswith(e))
    for f in sorted(features):
        g.add((d, VOID.feature, f))
    for r in examples:
        g.add((d, VOID.exampleResource, r))
    if examples and examples[0] == URIRef(cfg.campus_iri):
        g.add((d, VOID.rootResource, examples[0]))

    g.add((d, VOID.triples, _count(stats.triples)))
    g.add((d, VOID.entities, _count(stats.entities)))
    g.add((d, VOID.distinctSubjects, _count(stats.distinct_subjects)))
    g.add((d, VOID.distinctObjects, _count(stats.distinct_objects)))
    g.add((d, VOID.properties, _count(len(stats.properties))))
    g.add((d, VOID.classes, _count(len(stats.classes))))

    vocabularies = {vocabulary(str(p)) for p in stats.properties}
    vocabularies |= {vocabulary(str(c)) for c in stats.classes if isinstance(c, URIRef)}
    for v in sorted(vocabularies):
        g.add((d, VOID.vocabulary, URIRef(v)))

    for cls, entities in stats.classes.items():
        part = URIRef(f"{info.version_iri}/void/class/{_short(str(cls))}")
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, _count(entities)))
    for prop, triples in stats.properties.items():
        part = URIRef(f"{info.version_iri}/void/property/{_short(str(prop))}")
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, _count(triples)))
    return g
