"""The release's DCAT-AP 3 catalogue: dcat:Catalog → dcat:Dataset → dcat:Distribution.

One harvestable dataset (``{base}dataset``, stable, ``dct:identifier`` = its IRI) carries the
distributions of the current data at stable URLs (``{public_url}dumps/<file>``: RDF dumps, their
gzip, the campus's tables as CSV and their CSVW metadata) plus a SPARQL distribution with a
``dcat:accessService`` (the ``dcat:DataService``). What is not data is described for what it is:
the ontology and shapes are ``dct:conformsTo`` standards, the validation report and the VoID
description ``foaf:page`` documents, the provenance a ``dct:provenance`` statement.

Each release is a version of the dataset (``{base}dataset/{id}``): ``dcat:hasVersion``,
``dcat:hasCurrentVersion``, ``dcat:previousVersion``, ``dcat:version``; a version carries its
immutable files (``{public_url}releases/<id>/<file>``) and its non-empty changesets as its own
distributions. Versions are not typed ``dcat:Dataset``: data.gouv.fr's harvester would make each
one a separate dataset. Spatial coverage: France (EU country table), the INSEE region, and the
bounding box of the data's positions (``dcat:bbox`` polygon, ``dcat:centroid``); temporal
coverage: a blank-node period. The authority concepts the catalogue uses are typed and put in
their scheme so the graph validates on its own against the official DCAT-AP 3 shapes (range and
vocabulary shapes). See docs/decisions/0005-catalogue.md and
docs/decisions/0020-harvested-and-installed.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from publisher.core.errors import Location, SourceError
from publisher.core.graphs import load_graph
from publisher.core.namespaces import ADMS, DCAT, ONTOLOGY_IRI, PREFIXES, SHAPES_NS, SPDX, VCARD
from publisher.project.folder import PACKAGE_ROOT
from publisher.release.metadata.extent import Extent
from publisher.release.metadata.terms import (
    CSVW_NS,
    DCATAP,
    EU,
    GZIP,
    IANA,
    KINDS,
    LICENCE_TYPES,
    REGIONS,
    SCHEMES,
    SHA256,
    SPARQL_PROTOCOL,
    THEMES,
    file_format,
)
from publisher.release.model import (
    CATALOG_TTL,
    CSVW_METADATA,
    MANIFEST,
    ONTOLOGY_HTML,
    ONTOLOGY_TTL,
    PROVENANCE_TTL,
    REPORT_HTML,
    SHAPES_TTL,
    VOID_TTL,
    FileEntry,
    ReleaseInfo,
)

#: Licence Ouverte / Open Licence 2.0 (Etalab), as data.gouv.fr recognises it.
LICENCE = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence")
#: The project's own catalogue shapes (not applied to campus data: they live in a subfolder).
SHAPES_FILE = PACKAGE_ROOT / "shapes" / "catalogue" / "dcat-ap.ttl"

#: GeoSPARQL WKT literal (what data.gouv.fr's harvester parses in dcat:bbox)
WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
#: Kinds of release files that are the campus data (distributions of the dataset)
DATA_KINDS = ("data", "data-gz", "table", "table-metadata")
#: Kinds of files each version keeps as its own distributions (immutable URLs)
VERSION_KINDS = ("data", "changeset")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def full_date(text: str) -> Literal | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as an ``xsd:date`` (first day of the year or
    month): data.gouv.fr's harvester misreads ``xsd:gYear``."""
    m = _PARTIAL_DATE.match(text.strip())
    if m is None:
        return None
    return Literal(f"{m.group(1)}-{m.group(2) or '01'}-{m.group(3) or '01'}", datatype=XSD.date)


def timestamp(moment: datetime) -> Literal:
    """An ``xsd:dateTime`` in UTC, to the second."""
    return Literal(moment.astimezone(UTC).replace(microsecond=0))


def _fr_en(fr: str, en: str) -> list[Literal]:
    out = [Literal(fr, lang="fr")]
    if en and en != fr:
        out.append(Literal(en, lang="en"))
    return out


class _Builder:
    def __init__(self, info: ReleaseInfo, previous: list[ReleaseInfo],
                 extent: Extent | None) -> None:
        self.info, self.cfg, self.extent = info, info.config, extent
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.g.bind("dcatap", str(DCATAP))
        self.versions = sorted(
            {p.release_id: p for p in [*previous, info]}.values(),
            key=lambda r: (r.created, r.release_id),
        )
        self.catalog = URIRef(info.catalog_iri)
        self.dataset = URIRef(info.dataset_iri)
        self.version = URIRef(info.version_iri)
        self.service = URIRef(f"{info.catalog_iri}#sparql-service")
        self.home = URIRef(self.cfg.public_url)

    def add(self, s: URIRef | BNode, p: URIRef, *objects: URIRef | BNode | Literal) -> None:
        for o in objects:
            self.g.add((s, p, o))

    def concept(self, scheme: str, code: str, fr: str, en: str, *types: URIRef) -> URIRef:
        """An authority concept, typed and in its scheme (the official vocabulary shapes)."""
        c, s = URIRef(f"{EU}{scheme}/{code}"), URIRef(f"{EU}{scheme}")
        self.add(c, RDF.type, SKOS.Concept, *types)
        self.add(c, SKOS.prefLabel, *_fr_en(fr, en))
        self.add(c, SKOS.inScheme, s)
        self.add(s, RDF.type, SKOS.ConceptScheme)
        self.add(s, DCTERMS.title, *_fr_en(*SCHEMES[scheme]))
        return c

    def doc(self, iri: str, fr: str, en: str = "") -> URIRef:
        d = URIRef(iri)
        self.add(d, RDF.type, FOAF.Document)
        self.add(d, DCTERMS.title, *_fr_en(fr, en))
        return d

    def standard(self, iri: str, fr: str, en: str) -> URIRef:
        s = URIRef(iri)
        self.add(s, RDF.type, DCTERMS.Standard)
        self.add(s, DCTERMS.title, *_fr_en(fr, en))
        return s

    def build(self) -> Graph:
        self.common()
        self.catalogue()
        self.abstract_dataset()
        self.versions_()
        for entry in self.info.files:
            if entry.kind in DATA_KINDS and entry.name not in (CATALOG_TTL, MANIFEST):
                self.distribution(entry, self.dataset, self.info.current_url(entry.name),
                                  URIRef(f"{self.info.dataset_iri}/distribution/"))
        self.sparql()
        return self.g

    def common(self) -> None:
        """Nodes shared by the catalogue, the dataset and the service."""
        cfg = self.cfg
        self.publisher = (URIRef(cfg.campus_iri) if cfg.publisher_name == cfg.name
                          else URIRef(f"{self.info.catalog_iri}#publisher"))
        self.add(self.publisher, RDF.type, FOAF.Agent, FOAF.Organization)
        self.add(self.publisher, FOAF.name, Literal(cfg.publisher_name, lang="fr"))
        self.add(LICENCE, RDF.type, DCTERMS.LicenseDocument)
        # dct:title, not rdfs:label: data.gouv.fr matches a licence's rdfs:label text, not its IRI
        self.add(LICENCE, DCTERMS.title, *_fr_en("Licence Ouverte / Open Licence version 2.0",
                                                 "Open Licence version 2.0 (Etalab)"))
        attribution = URIRef(f"{LICENCE_TYPES}Attribution")
        self.add(LICENCE, DCTERMS.type, attribution)
        self.add(attribution, RDF.type, SKOS.Concept)
        self.add(attribution, SKOS.prefLabel, *_fr_en("Attribution", "Attribution"))
        self.add(attribution, SKOS.inScheme, URIRef(f"{LICENCE_TYPES}1.0"))
        self.add(URIRef(f"{LICENCE_TYPES}1.0"), RDF.type, SKOS.ConceptScheme)
        self.add(URIRef(f"{LICENCE_TYPES}1.0"), DCTERMS.title,
                 *_fr_en("Types de licences (ADMS)", "Licence types (ADMS)"))
        self.fra = self.concept("language", "FRA", "français", "French", DCTERMS.LinguisticSystem)
        self.eng = self.concept("language", "ENG", "anglais", "English", DCTERMS.LinguisticSystem)
        self.public = self.concept("access-right", "PUBLIC", "public", "public",
                                   DCTERMS.RightsStatement)
        # Per-release files are kept for a few releases (medium term); the endpoint stays.
        self.available = self.concept("planned-availability", "AVAILABLE", "disponible",
                                      "available")
        self.stable = self.concept("planned-availability", "STABLE", "stable", "stable")
        self.themes = [self.theme(t) for t in cfg.themes]
        self.spatial = [self.concept("country", "FRA", "France", "France", DCTERMS.Location)]
        if cfg.region:
            region = URIRef(f"{self.info.dataset_iri}#region")
            name = REGIONS.get(cfg.region, f"Région {cfg.region}")
            self.add(region, RDF.type, DCTERMS.Location)
            self.add(region, SKOS.prefLabel, Literal(name, lang="fr"))
            self.add(region, DCTERMS.identifier, Literal(cfg.region))
            self.add(region, RDFS.comment, *_fr_en(
                f"Région {name} (code officiel géographique de l'Insee : {cfg.region})",
                f"Region {name} (INSEE official geographic code {cfg.region})"))
            self.spatial.append(region)
        if self.extent is not None:
            area = URIRef(f"{self.info.dataset_iri}#emprise")
            self.add(area, RDF.type, DCTERMS.Location)
            self.add(area, SKOS.prefLabel, *_fr_en(
                "Emprise des établissements et partenaires du campus",
                "Extent of the campus's establishments and partners"))
            self.add(area, DCAT.bbox, Literal(self.extent.polygon(), datatype=WKT))
            self.add(area, DCAT.centroid, Literal(self.extent.centroid(), datatype=WKT))
            self.spatial.append(area)
        self.contact: URIRef | None = None
        if cfg.contact_name or cfg.contact_email:
            self.contact = URIRef(f"{self.info.catalog_iri}#contact")
            self.add(self.contact, RDF.type, VCARD.Organization, VCARD.Kind)
            self.add(self.contact, VCARD.fn, Literal(cfg.contact_name or cfg.publisher_name))
            if cfg.contact_email:
                mailto = "mailto:" + quote(cfg.contact_email, safe="@.+-_~")
                self.add(self.contact, VCARD.hasEmail, URIRef(mailto))
        self.landing = self.doc(cfg.public_url, f"Données liées — {cfg.name}",
                                f"Linked data — {cfg.name_en}" if cfg.name_en else "")
        self.issued = timestamp(self.versions[0].created)
        self.modified = timestamp(self.info.created)

    def theme(self, code: str) -> URIRef:
        if code not in THEMES:
            msg = (f"thème inconnu / unknown data theme: {code!r} "
                   f"(attendu / expected: {', '.join(sorted(THEMES))})")
            raise SourceError([(Location("campus.toml", column="publication.themes"), msg)])
        return self.concept("data-theme", code, *THEMES[code])

    def describe(self, s: URIRef) -> None:
        """What the catalogue, the dataset and the service all carry."""
        self.add(s, DCTERMS.publisher, self.publisher)
        self.add(s, DCTERMS.license, LICENCE)

    def catalogue(self) -> None:
        cfg, c = self.cfg, self.catalog
        self.add(c, RDF.type, DCAT.Catalog)
        self.add(c, DCTERMS.title, *_fr_en(f"Catalogue de données — {cfg.name}",
                                           f"Data catalogue — {cfg.name_en or cfg.name}"))
        self.add(c, DCTERMS.description, *_fr_en(
            f"Catalogue DCAT-AP 3 des données liées publiées par le {cfg.name}.",
            f"DCAT-AP 3 catalogue of the linked data published by the {cfg.name_en or cfg.name}."))
        self.describe(c)
        self.add(c, DCTERMS.language, self.fra, self.eng)
        self.add(c, FOAF.homepage, self.landing)
        self.add(c, DCTERMS.spatial, *self.spatial)
        self.add(c, DCAT.themeTaxonomy, URIRef(f"{EU}data-theme"))
        self.concept_scheme("data-theme")
        self.add(c, DCTERMS.issued, self.issued)
        self.add(c, DCTERMS.modified, self.modified)
        self.add(c, DCAT.dataset, self.dataset)
        self.add(c, DCAT.service, self.service)

    def concept_scheme(self, scheme: str) -> None:
        s = URIRef(f"{EU}{scheme}")
        self.add(s, RDF.type, SKOS.ConceptScheme)
        self.add(s, DCTERMS.title, *_fr_en(*SCHEMES[scheme]))

    def abstract_dataset(self) -> None:
        cfg, info, d = self.cfg, self.info, self.dataset
        self.add(d, RDF.type, DCAT.Dataset)
        self.add(d, DCTERMS.identifier, Literal(info.dataset_iri))
        self.add(d, DCTERMS.title, *_fr_en(cfg.title or cfg.name, cfg.title_en))
        self.add(d, DCTERMS.description, *_fr_en(cfg.description or cfg.title or cfg.name,
                                                 cfg.description_en))
        self.describe(d)
        self.add(d, DCTERMS.accessRights, self.public)
        if self.contact is not None:
            self.add(d, DCAT.contactPoint, self.contact)
        self.add(d, DCAT.theme, *self.themes)
        self.add(d, DCAT.keyword, *(Literal(k, lang="fr") for k in cfg.keywords))
        self.add(d, DCTERMS.spatial, *self.spatial)
        self.add(d, DCTERMS.language, self.fra)
        self.add(d, DCAT.landingPage, self.landing)
        self.add(d, DCTERMS.accrualPeriodicity, self.concept(
            "frequency", "IRREG", "irrégulière", "irregular", DCTERMS.Frequency))
        names = {f.name for f in info.files}
        ontology = self.standard(ONTOLOGY_IRI, "Ontologie des Campus des métiers et des "
                                 "qualifications",
                                 "Ontology of the Campus des métiers et des qualifications")
        shapes = self.standard(SHAPES_NS, "Formes SHACL des données CMQ",
                               "SHACL shapes of CMQ data")
        self.add(d, DCTERMS.conformsTo, ontology, shapes)
        for standard, name in ((ontology, ONTOLOGY_TTL), (ontology, ONTOLOGY_HTML),
                               (shapes, SHAPES_TTL)):
            if name in names:
                self.add(standard, RDFS.seeAlso, URIRef(info.current_url(name)))
        start = (full_date(cfg.period_start) or full_date(cfg.label_date)
                 or Literal(self.versions[0].created.date()))
        period = BNode("period")  # a blank node: the harvester dereferences an IRI
        self.add(period, RDF.type, DCTERMS.PeriodOfTime)
        self.add(period, DCAT.startDate, start)
        self.add(d, DCTERMS.temporal, period)
        self.add(d, DCTERMS.issued, self.issued)
        self.add(d, DCTERMS.modified, self.modified)
        self.add(d, DCAT.hasCurrentVersion, self.version)
        if REPORT_HTML in names:
            self.add(d, FOAF.page, self.doc(info.current_url(REPORT_HTML),
                                            "Rapport de validation", "Validation report"))
        if VOID_TTL in names:
            self.add(d, FOAF.page, self.doc(info.current_url(VOID_TTL),
                                            "Description VoID du jeu de données",
                                            "VoID description of the dataset"))
        if PROVENANCE_TTL in names:
            prov = URIRef(f"{info.version_iri}#provenance")
            self.add(prov, RDF.type, DCTERMS.ProvenanceStatement)
            self.add(prov, RDFS.label, *_fr_en(
                "Construit par cmq à partir des tableaux du campus ; détail en PROV-O.",
                "Built by cmq from the campus's tables; details in PROV-O."))
            self.add(prov, RDFS.seeAlso, URIRef(info.download_url(PROVENANCE_TTL)))
            self.add(d, DCTERMS.provenance, prov)
            self.add(self.version, DCTERMS.provenance, prov)  # in the document of its IRI

    def versions_(self) -> None:
        """Every known release as a version of the dataset, chained by ``dcat:previousVersion``."""
        before: URIRef | None = None
        for rel in self.versions:
            v = URIRef(rel.version_iri)
            self.add(self.dataset, DCAT.hasVersion, v)
            self.add(v, DCAT.isVersionOf, self.dataset)
            self.add(v, DCAT.version, Literal(rel.release_id))
            self.add(v, DCTERMS.issued, timestamp(rel.created))
            prev = (URIRef(f"{self.cfg.base_iri}dataset/{rel.previous_id}") if rel.previous_id
                    else before)
            if prev is not None and prev != v:
                self.add(v, DCAT.previousVersion, prev)
            before = v
            for entry in rel.files:
                if entry.kind in VERSION_KINDS and entry.byte_size > 0:
                    self.distribution(entry, v, rel.download_url(entry.name),
                                      URIRef(f"{rel.version_iri}/distribution/"), rel)
        info, v = self.info, self.version
        self.add(v, DCTERMS.title, *_fr_en(f"{self.cfg.title or self.cfg.name} — version "
                                           f"{info.release_id}", ""))
        self.add(v, ADMS.versionNotes, *_fr_en(
            f"{info.triples} triplets ; validation : {info.violations} violation(s), "
            f"{info.warnings} avertissement(s). Construit par cmq {info.cmq_version}.",
            f"{info.triples} triples; validation: {info.violations} violation(s), "
            f"{info.warnings} warning(s). Built by cmq {info.cmq_version}."))

    def distribution(self, entry: FileEntry, owner: URIRef, link: str, prefix: URIRef,
                     release: ReleaseInfo | None = None) -> None:
        """One file as a distribution of ``owner`` (the dataset, or a version), at ``link``."""
        info = release or self.info
        dist = URIRef(f"{prefix}{quote(entry.name, safe='.-_~')}")
        url = URIRef(link)
        fmt = file_format(entry)
        kind = entry.kind
        if kind == "changeset":
            kind += "-removed" if "removed" in entry.name else "-added"
        fr, en = KINDS.get(kind, (entry.name, entry.name))
        if kind == "table":
            fr, en = f"{fr} {entry.name}", f"{en} {entry.name}"
        suffix = "" if fmt.label in fr else f" — {fmt.title}"
        self.add(owner, DCAT.distribution, dist)
        self.add(dist, RDF.type, DCAT.Distribution)
        self.add(dist, DCTERMS.title, *_fr_en(fr + suffix, en + suffix))
        if owner == self.dataset:
            self.add(dist, DCTERMS.description, *_fr_en(
                f"{fr}, fichier {entry.name} de la version courante (adresse stable).",
                f"{en}, file {entry.name} of the current version (stable address)."))
        else:
            self.add(dist, DCTERMS.description, *_fr_en(
                f"{fr}, fichier {entry.name} de la version {info.release_id} (immuable).",
                f"{en}, file {entry.name} of version {info.release_id} (immutable)."))
        self.add(dist, DCAT.accessURL, url)
        self.add(dist, DCAT.downloadURL, url)
        if fmt.media:
            self.add(dist, DCAT.mediaType, self.media_type(fmt.media))
        if fmt.gzip:
            self.add(dist, DCAT.compressFormat, self.media_type(GZIP))
        if fmt.code:
            self.add(dist, DCTERMS.format, self.concept(
                "file-type", fmt.code, fmt.label, fmt.label, DCTERMS.MediaTypeOrExtent))
        self.add(dist, DCAT.byteSize, Literal(str(entry.byte_size),
                                              datatype=XSD.nonNegativeInteger))
        checksum = URIRef(f"{dist}#sha256")
        self.add(dist, SPDX.checksum, checksum)
        self.add(checksum, RDF.type, SPDX.Checksum)
        self.add(checksum, SPDX.algorithm, SHA256)
        self.add(checksum, SPDX.checksumValue, Literal(entry.sha256.lower(),
                                                       datatype=XSD.hexBinary))
        self.add(SHA256, RDF.type, SPDX.ChecksumAlgorithm)
        self.add(dist, DCTERMS.license, LICENCE)
        self.add(dist, DCATAP.availability, self.available)
        self.add(dist, DCTERMS.issued, timestamp(info.created))
        self.add(dist, DCTERMS.modified, timestamp(info.created))
        if entry.kind in ("data", "data-gz"):
            self.add(dist, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI))
        elif entry.kind == "table":
            self.add(dist, DCTERMS.conformsTo, self.standard(
                self.info.current_url(CSVW_METADATA) if owner == self.dataset
                else info.download_url(CSVW_METADATA),
                "Description CSVW des tableaux", "CSVW description of the tables"))
        elif entry.kind == "table-metadata":
            self.add(dist, DCTERMS.conformsTo, self.standard(
                CSVW_NS, "Métadonnées CSV sur le Web (W3C)", "CSV on the Web metadata (W3C)"))

    def media_type(self, media: str) -> URIRef:
        m = URIRef(IANA + media)
        self.add(m, RDF.type, DCTERMS.MediaType)
        return m

    def sparql(self) -> None:
        info, cfg, s = self.info, self.cfg, self.service
        endpoint = URIRef(info.sparql_url)
        self.add(s, RDF.type, DCAT.DataService)
        self.add(s, DCTERMS.title, *_fr_en(f"Point d'accès SPARQL — {cfg.name}",
                                           f"SPARQL endpoint — {cfg.name_en or cfg.name}"))
        self.add(s, DCTERMS.description, *_fr_en(
            "Interrogation SPARQL 1.1 de la version courante des données.",
            "SPARQL 1.1 queries over the current version of the data."))
        self.describe(s)
        self.add(s, DCTERMS.accessRights, self.public)
        self.add(s, DCAT.endpointURL, endpoint)
        self.add(s, DCAT.endpointDescription, endpoint)
        self.add(s, DCAT.servesDataset, self.dataset)
        self.add(s, DCTERMS.conformsTo, self.standard(
            str(SPARQL_PROTOCOL), "Protocole SPARQL 1.1", "SPARQL 1.1 Protocol"))
        self.add(s, DCAT.theme, *self.themes)
        self.add(s, DCAT.keyword, Literal("SPARQL"), *(Literal(k, lang="fr")
                                                       for k in cfg.keywords))
        if self.contact is not None:
            self.add(s, DCAT.contactPoint, self.contact)
        dist = URIRef(f"{info.dataset_iri}#sparql")
        self.add(self.dataset, DCAT.distribution, dist)
        self.add(dist, RDF.type, DCAT.Distribution)
        self.add(dist, DCTERMS.title, *_fr_en("Point d'accès SPARQL", "SPARQL endpoint"))
        self.add(dist, DCTERMS.description, *_fr_en(
            "Accès aux données par requêtes SPARQL 1.1 (version courante).",
            "Access to the data through SPARQL 1.1 queries (current version)."))
        self.add(dist, DCAT.accessURL, endpoint)
        self.add(dist, DCAT.accessService, s)
        self.add(dist, DCTERMS.format, self.concept(
            "file-type", "SPARQLQ", "Requête SPARQL", "SPARQL query", DCTERMS.MediaTypeOrExtent))
        self.add(dist, DCTERMS.conformsTo, SPARQL_PROTOCOL)
        self.add(dist, DCTERMS.license, LICENCE)
        self.add(dist, DCATAP.availability, self.stable)


def build_catalog(info: ReleaseInfo, previous: list[ReleaseInfo],
                  extent: Extent | None = None) -> Graph:
    """The DCAT-AP 3 catalogue of a release (``previous``: older releases still described;
    ``extent``: the bounding box of the data's positions, :mod:`.extent`)."""
    return _Builder(info, previous, extent).build()


def catalog_shapes() -> Graph:
    """The project's own shapes for the catalogue (mandatory DCAT-AP 3 + data.gouv.fr)."""
    return load_graph([SHAPES_FILE])
