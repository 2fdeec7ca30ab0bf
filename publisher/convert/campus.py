"""The campus itself (from ``data/campus.toml``) as triples."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from publisher.core.namespaces import CMQ, CMQ_NS, ORG, concept
from publisher.project.config import CampusConfig

#: The ``campus.toml`` key each property of the campus comes from (problems are reported there).
CONFIG_KEYS: dict[URIRef, str] = {
    SKOS.prefLabel: "campus.nom, campus.nom_en",
    DCTERMS.description: "campus.description, campus.description_en",
    CMQ.sector: "campus.secteurs",
    CMQ.region: "campus.region",
    CMQ.labelDate: "campus.date_label",
    CMQ.pilot: "campus.pilotes",
    ORG.purpose: "campus.missions",
    DCTERMS.source: "campus.sources",
    CMQ.territory: "territoires",
}


def campus_triples(cfg: CampusConfig) -> Iterator[tuple[URIRef, URIRef, Node]]:
    base = cfg.base_iri
    c = URIRef(cfg.campus_iri)
    for t in (CMQ.Campus, ORG.OrganizationalCollaboration, ORG.Organization):
        yield c, RDF.type, t
    yield c, SKOS.prefLabel, Literal(cfg.name, lang="fr")
    yield c, CMQ.illustrative, Literal(False)
    if cfg.name_en:
        yield c, SKOS.prefLabel, Literal(cfg.name_en, lang="en")
    if cfg.description:
        yield c, DCTERMS.description, Literal(cfg.description, lang="fr")
    if cfg.description_en:
        yield c, DCTERMS.description, Literal(cfg.description_en, lang="en")
    own = {o.code: o for o in cfg.own_sectors}
    for s in cfg.sectors:
        yield c, CMQ.sector, URIRef(f"{base}secteur/{s}") if s in own else concept("secteur", s)
    yield from own_sector_triples(cfg)
    if cfg.region:
        yield c, CMQ.region, Literal(cfg.region)
    if cfg.label_date:
        dt = XSD.gYear if len(cfg.label_date) == 4 else XSD.date
        yield c, CMQ.labelDate, Literal(cfg.label_date, datatype=dt)
    for p in cfg.pilots:
        yield c, CMQ.pilot, URIRef(f"{base}organisation/{p}")
    for m in cfg.missions:
        yield c, ORG.purpose, Literal(m, lang="fr")
    for s in cfg.sources:
        yield c, DCTERMS.source, URIRef(f"{base}source/{s}")
    if cfg.territories:
        scheme = URIRef(f"{base}territoire")
        yield scheme, RDF.type, SKOS.ConceptScheme
        yield scheme, SKOS.prefLabel, Literal(f"Territoires du campus — {cfg.name}", lang="fr")
        yield scheme, RDFS.label, Literal(f"Territoires du campus — {cfg.name}", lang="fr")
        for terr in cfg.territories:
            ti = URIRef(f"{base}territoire/{terr.id}")
            yield c, CMQ.territory, ti
            yield ti, RDF.type, SKOS.Concept
            yield ti, SKOS.prefLabel, Literal(terr.name, lang="fr")
            yield ti, RDFS.label, Literal(terr.name, lang="fr")
            yield ti, SKOS.inScheme, scheme
            yield ti, SKOS.topConceptOf, scheme


def own_sector_triples(cfg: CampusConfig) -> Iterator[tuple[URIRef, URIRef, Node]]:
    """The sectors the campus declares (``[[secteurs_campus]]``): concepts of the ``secteur``
    list's scheme under the campus's base IRI, so the same shape checks them as the shipped
    ones."""
    scheme = URIRef(f"{CMQ_NS}secteur")
    for o in cfg.own_sectors:
        si = URIRef(f"{cfg.base_iri}secteur/{o.code}")
        yield si, RDF.type, SKOS.Concept
        yield si, SKOS.inScheme, scheme
        yield si, SKOS.notation, Literal(o.code)
        for label, lang in ((o.label, "fr"), (o.label_en, "en")):
            if label:
                yield si, SKOS.prefLabel, Literal(label, lang=lang)
                yield si, RDFS.label, Literal(label, lang=lang)
        yield si, SKOS.scopeNote, Literal(
            f"Secteur déclaré par le campus {cfg.name} (campus.toml, secteurs_campus).", lang="fr")
