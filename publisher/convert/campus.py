"""The campus itself (from ``data/campus.toml``) as triples."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from publisher.core.namespaces import CMQ, ORG, concept
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
    for s in cfg.sectors:
        yield c, CMQ.sector, concept("secteur", s)
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
