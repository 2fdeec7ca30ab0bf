"""The DCAT-AP 3 catalogue: structure, harvester needs, own shapes (with a negative case for each
constraint) and the official DCAT-AP 3 shapes (when ../shared/reference is there)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import DCTERMS, FOAF, SH
from rdflib.term import Node

from publisher.core.errors import SourceError
from publisher.core.namespaces import DCAT, SPDX, VCARD
from publisher.project.config import CampusConfig
from publisher.project.folder import Project
from publisher.release.metadata.catalog import (
    LICENCE,
    build_catalog,
    catalog_shapes,
)
from publisher.release.metadata.terms import SHA256, file_format
from publisher.release.model import (
    ADDED_NT,
    CONTEXT,
    DATA_JSONLD,
    DATA_NT,
    DATA_TTL,
    ONTOLOGY_TTL,
    PROVENANCE_TTL,
    REMOVED_NT,
    REPORT_HTML,
    REPORT_TTL,
    SHAPES_TTL,
    VOID_TTL,
    FileEntry,
    ReleaseInfo,
)
from publisher.validate.reference import validate_with_pyshacl
from publisher.validate.validation import VIOLATION, Report

REPO = Path(__file__).resolve().parents[1]
OFFICIAL = REPO.parent / "shared" / "reference" / "dcat-ap-3.0.1"
IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"

FILES = (
    (DATA_NT, "application/n-triples", "data"),
    (DATA_TTL, "text/turtle", "data"),
    (DATA_JSONLD, "application/ld+json", "data"),
    (DATA_NT + ".gz", "application/gzip", "data-gz"),
    (DATA_TTL + ".gz", "application/gzip", "data-gz"),
    (DATA_JSONLD + ".gz", "application/gzip", "data-gz"),
    (CONTEXT, "application/ld+json", "context"),
    (ONTOLOGY_TTL, "text/turtle", "ontology"),
    (SHAPES_TTL, "text/turtle", "shapes"),
    (VOID_TTL, "text/turtle", "void"),
    (REPORT_TTL, "text/turtle", "report"),
    (REPORT_HTML, "text/html; charset=utf-8", "report"),
    (PROVENANCE_TTL, "text/turtle", "provenance"),
    (ADDED_NT, "application/n-triples", "changeset"),
    (REMOVED_NT, "application/n-triples", "changeset"),
)


def entries() -> tuple[FileEntry, ...]:
    return tuple(FileEntry(name, media, 1000 + i, f"{i:02x}" * 32, kind)
                 for i, (name, media, kind) in enumerate(FILES))


def release(config: CampusConfig, rid: str, when: datetime, previous: str | None = None,
            files: tuple[FileEntry, ...] = ()) -> ReleaseInfo:
    return ReleaseInfo(rid, when, config, 1086, "0.1.0", files, previous_id=previous,
                       violations=0, warnings=3)


@pytest.fixture(scope="module")
def config() -> CampusConfig:
    return Project.open(REPO).config


@pytest.fixture(scope="module")
def older(config: CampusConfig) -> list[ReleaseInfo]:
    return [release(config, "00000000000000a1", datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
            release(config, "00000000000000a2", datetime(2025, 6, 1, 8, 0, tzinfo=UTC),
                    "00000000000000a1")]


@pytest.fixture(scope="module")
def info(config: CampusConfig) -> ReleaseInfo:
    return release(config, "0123456789abcdef", datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
                   "00000000000000a2", entries())


@pytest.fixture(scope="module")
def catalog(info: ReleaseInfo, older: list[ReleaseInfo]) -> Graph:
    return build_catalog(info, older)


@pytest.fixture(scope="module")
def own_shapes() -> Graph:
    return catalog_shapes()


def dist_iri(info: ReleaseInfo, name: str) -> URIRef:
    """The distribution of the current data ``name`` (stable: the same for every release)."""
    return URIRef(f"{info.dataset_iri}/distribution/{name}")


def version_dist_iri(info: ReleaseInfo, name: str) -> URIRef:
    """The distribution of one release's immutable file ``name`` (a version's)."""
    return URIRef(f"{info.version_iri}/distribution/{name}")


DATA_FILES = {name for name, _media, kind in FILES if kind in ("data", "data-gz")}


def show(report: Report) -> str:
    return "\n".join(str(p) for p in report.problems)


# --------------------------------------------------------------------------------- structure

def test_catalogue_dataset_and_service(catalog: Graph, info: ReleaseInfo) -> None:
    cat, ds = URIRef(info.catalog_iri), URIRef(info.dataset_iri)
    assert (cat, RDF.type, DCAT.Catalog) in catalog
    assert set(catalog.objects(cat, DCAT.dataset)) == {ds}
    assert (ds, RDF.type, DCAT.Dataset) in catalog
    assert catalog.value(ds, DCTERMS.identifier) == Literal(info.dataset_iri)
    titles = {t.language: str(t) for t in catalog.objects(ds, DCTERMS.title)
              if isinstance(t, Literal)}
    assert titles == {"fr": info.config.title, "en": info.config.title_en}
    service = catalog.value(cat, DCAT.service)
    assert service is not None and (service, RDF.type, DCAT.DataService) in catalog
    assert catalog.value(service, DCAT.endpointURL) == URIRef(info.sparql_url)
    assert catalog.value(service, DCAT.endpointDescription) is not None
    assert catalog.value(service, DCAT.servesDataset) == ds
    via = [d for d in catalog.objects(ds, DCAT.distribution)
           if (d, DCAT.accessService, service) in catalog]
    assert len(via) == 1 and catalog.value(via[0], DCAT.accessURL) == URIRef(info.sparql_url)


def test_one_distribution_per_file(catalog: Graph, info: ReleaseInfo) -> None:
    ds = URIRef(info.dataset_iri)
    files = {d for d in catalog.objects(ds, DCAT.distribution)
             if (d, SPDX.checksum, None) in catalog}
    assert files == {dist_iri(info, name) for name in DATA_FILES}
    for e in info.files:
        if e.name not in DATA_FILES:
            continue
        d = dist_iri(info, e.name)
        url = URIRef(info.current_url(e.name))
        assert catalog.value(d, DCAT.downloadURL) == url
        assert catalog.value(d, DCAT.accessURL) == url
        assert catalog.value(d, DCAT.byteSize) == Literal(
            str(e.byte_size), datatype=XSD.nonNegativeInteger)
        ck = catalog.value(d, SPDX.checksum)
        assert ck is not None and (ck, RDF.type, SPDX.Checksum) in catalog
        assert catalog.value(ck, SPDX.algorithm) == SHA256
        assert catalog.value(ck, SPDX.checksumValue) == Literal(e.sha256, datatype=XSD.hexBinary)
        assert catalog.value(d, DCTERMS.license) == LICENCE
        assert str(catalog.value(d, DCAT.mediaType)).startswith(IANA)
        assert str(catalog.value(d, DCTERMS.format)).startswith(FILE_TYPE)


@pytest.mark.parametrize(("name", "media", "fmt", "gz"), [
    (DATA_NT, "application/n-triples", "RDF_N_TRIPLES", False),
    (DATA_TTL, "text/turtle", "RDF_TURTLE", False),
    (DATA_JSONLD, "application/ld+json", "JSON_LD", False),
    (DATA_NT + ".gz", "application/n-triples", "RDF_N_TRIPLES", True),
    (DATA_JSONLD + ".gz", "application/ld+json", "JSON_LD", True),
])
def test_media_type_format_and_compression(catalog: Graph, info: ReleaseInfo, name: str,
                                           media: str, fmt: str, gz: bool) -> None:
    d = dist_iri(info, name)
    assert catalog.value(d, DCAT.mediaType) == URIRef(IANA + media)
    assert catalog.value(d, DCTERMS.format) == URIRef(FILE_TYPE + fmt)
    compress = catalog.value(d, DCAT.compressFormat)
    assert compress == (URIRef(IANA + "application/gzip") if gz else None)


def test_file_format_of_unknown_files() -> None:
    plain = file_format(FileEntry("notes.xyz", "text/plain", 1, "00", "other"))
    assert (plain.media, plain.code) == ("text/plain", None)
    archive = file_format(FileEntry("bundle.tar.gz", "application/gzip", 1, "00", "other"))
    assert (archive.media, archive.code, archive.gzip) == ("application/gzip", "GZIP", False)
    bad = file_format(FileEntry("x.bin", "not a media type", 1, "00", "other"))
    assert bad.media is None


def test_catalog_and_manifest_are_not_distributions(info: ReleaseInfo) -> None:
    extra = (FileEntry("catalog.ttl", "text/turtle", 1, "00", "catalog"),
             FileEntry("manifest.json", "application/json", 1, "00", "manifest"))
    g = build_catalog(dataclasses.replace(info, files=info.files + extra), [])
    assert (dist_iri(info, "catalog.ttl"), None, None) not in g
    assert (dist_iri(info, "manifest.json"), None, None) not in g


def test_licence_everywhere(catalog: Graph, info: ReleaseInfo) -> None:
    for s in (info.catalog_iri, info.dataset_iri):
        assert set(catalog.objects(URIRef(s), DCTERMS.license)) == {LICENCE}
    for d in catalog.subjects(RDF.type, DCAT.Distribution):
        assert set(catalog.objects(d, DCTERMS.license)) == {LICENCE}
    assert (LICENCE, RDF.type, DCTERMS.LicenseDocument) in catalog
    assert catalog.value(LICENCE, DCTERMS.title)
    # no rdfs:label: data.gouv.fr would match the label's text instead of the IRI
    assert catalog.value(LICENCE, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) is None


def test_description_metadata(catalog: Graph, info: ReleaseInfo) -> None:
    ds = URIRef(info.dataset_iri)
    cfg = info.config
    assert {str(k) for k in catalog.objects(ds, DCAT.keyword)} == set(cfg.keywords)
    assert all(k.language == "fr" for k in catalog.objects(ds, DCAT.keyword)
               if isinstance(k, Literal))
    assert set(catalog.objects(ds, DCAT.theme)) == {
        URIRef(f"http://publications.europa.eu/resource/authority/data-theme/{t}")
        for t in cfg.themes}
    assert (ds, DCTERMS.language,
            URIRef("http://publications.europa.eu/resource/authority/language/FRA")) in catalog
    assert (ds, DCTERMS.conformsTo, URIRef("https://w3id.org/cmq/ontology")) in catalog
    assert catalog.value(ds, DCAT.landingPage) == URIRef(cfg.public_url)
    period = catalog.value(ds, DCTERMS.temporal)
    assert period is not None
    assert catalog.value(period, DCAT.startDate) == Literal(cfg.period_start, datatype=XSD.date)
    spatial = set(catalog.objects(ds, DCTERMS.spatial))
    assert URIRef("http://publications.europa.eu/resource/authority/country/FRA") in spatial
    region = [s for s in spatial if (s, DCTERMS.identifier, Literal(cfg.region)) in catalog]
    assert len(region) == 1 and (region[0], RDF.type, DCTERMS.Location) in catalog
    publisher = catalog.value(ds, DCTERMS.publisher)
    assert publisher is not None and (publisher, RDF.type, FOAF.Agent) in catalog
    assert str(catalog.value(publisher, FOAF.name)) == cfg.publisher_name
    assert catalog.value(ds, DCTERMS.modified) == Literal(
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert catalog.value(ds, DCTERMS.issued) == Literal(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    assert URIRef(info.current_url(REPORT_HTML)) in set(catalog.objects(ds, FOAF.page))
    prov = catalog.value(ds, DCTERMS.provenance)
    assert prov is not None and (prov, RDF.type, DCTERMS.ProvenanceStatement) in catalog


def test_contact_point_is_an_organisation_never_a_person(catalog: Graph, info: ReleaseInfo
                                                         ) -> None:
    ds = URIRef(info.dataset_iri)
    contact = catalog.value(ds, DCAT.contactPoint)
    assert contact is not None
    assert (contact, RDF.type, VCARD.Organization) in catalog
    assert (None, RDF.type, VCARD.Individual) not in catalog
    assert str(catalog.value(contact, VCARD.fn)) == info.config.contact_name
    assert (contact, VCARD.hasEmail, None) not in catalog  # no address configured


@pytest.mark.reference
def test_contact_email_only_when_configured(info: ReleaseInfo) -> None:
    cfg = dataclasses.replace(info.config, contact_email="accueil@campus.invalid")
    g = build_catalog(dataclasses.replace(info, config=cfg), [])
    contact = g.value(URIRef(info.dataset_iri), DCAT.contactPoint)
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:accueil@campus.invalid")
    none = dataclasses.replace(info.config, contact_name="", contact_email="")
    g2 = build_catalog(dataclasses.replace(info, config=none), [])
    assert (None, DCAT.contactPoint, None) not in g2
    assert not validate_with_pyshacl(g2, catalog_shapes()).problems


def test_versions(catalog: Graph, info: ReleaseInfo, older: list[ReleaseInfo]) -> None:
    ds, v = URIRef(info.dataset_iri), URIRef(info.version_iri)
    a1, a2 = (URIRef(o.version_iri) for o in older)
    assert set(catalog.objects(ds, DCAT.hasVersion)) == {a1, a2, v}
    assert catalog.value(ds, DCAT.hasCurrentVersion) == v
    assert catalog.value(v, DCAT.previousVersion) == a2
    assert catalog.value(a2, DCAT.previousVersion) == a1
    assert catalog.value(a1, DCAT.previousVersion) is None
    assert catalog.value(v, DCAT.version) == Literal(info.release_id)
    assert catalog.value(v, DCAT.isVersionOf) == ds
    # Only the stable dataset is a dcat:Dataset: harvesters make one dataset per dcat:Dataset.
    assert set(catalog.subjects(RDF.type, DCAT.Dataset)) == {ds}


def test_first_release_has_no_previous_version(info: ReleaseInfo) -> None:
    g = build_catalog(dataclasses.replace(info, previous_id=None), [])
    assert (None, DCAT.previousVersion, None) not in g
    assert set(g.objects(URIRef(info.dataset_iri), DCAT.hasVersion)) == {URIRef(info.version_iri)}


def test_no_blank_nodes_and_deterministic(catalog: Graph, info: ReleaseInfo,
                                          older: list[ReleaseInfo]) -> None:
    # the only blank node is the period: data.gouv.fr's harvester dereferences an IRI there
    blanks = {t for triple in catalog for t in triple if isinstance(t, BNode)}
    assert blanks == {catalog.value(URIRef(info.dataset_iri), DCTERMS.temporal)}
    again = build_catalog(info, list(reversed(older)))
    assert set(again) == set(catalog)


def test_turtle_round_trip(catalog: Graph) -> None:
    back = Graph().parse(data=catalog.serialize(format="turtle"), format="turtle")
    if not isomorphic(back, catalog):
        _, only_a, only_b = graph_diff(back, catalog)
        pytest.fail(f"{only_a.serialize(format='nt')}\n---\n{only_b.serialize(format='nt')}")


def test_unknown_theme_is_a_source_error(info: ReleaseInfo) -> None:
    cfg = dataclasses.replace(info.config, themes=("EDUC", "NOPE"))
    with pytest.raises(SourceError) as err:
        build_catalog(dataclasses.replace(info, config=cfg), [])
    assert err.value.problems[0][0].column == "publication.themes"
    assert "NOPE" in err.value.message


def test_harvester_needs(catalog: Graph) -> None:
    """data.gouv.fr: a title on every dataset, a URL on every distribution."""
    for ds in catalog.subjects(RDF.type, DCAT.Dataset):
        assert catalog.value(ds, DCTERMS.title) is not None
        assert catalog.value(ds, DCTERMS.license) == LICENCE
    for d in catalog.subjects(RDF.type, DCAT.Distribution):
        assert (d, DCAT.downloadURL, None) in catalog or (d, DCAT.accessURL, None) in catalog


# ------------------------------------------------------------------------------- own shapes

@pytest.mark.reference
def test_catalogue_passes_own_shapes(catalog: Graph, own_shapes: Graph) -> None:
    report = validate_with_pyshacl(catalog, own_shapes)
    assert report.problems == [], show(report)


def test_own_shapes_are_not_applied_to_campus_data() -> None:
    files = Project.open(REPO).shape_files()
    assert all("catalogue" not in f.parts for f in files)


def _set(g: Graph, s: URIRef, p: URIRef, *objects: Node) -> None:
    g.remove((s, p, None))
    for o in objects:
        g.add((s, p, o))


def _nodes(info: ReleaseInfo) -> dict[str, URIRef]:
    dist = dist_iri(info, DATA_NT)
    return {
        "cat": URIRef(info.catalog_iri), "ds": URIRef(info.dataset_iri), "dist": dist,
        "ck": URIRef(f"{dist}#sha256"), "svc": URIRef(f"{info.catalog_iri}#sparql-service"),
        "pub": URIRef(info.config.campus_iri),
        "contact": URIRef(f"{info.catalog_iri}#contact"),
    }


OTHER = URIRef("https://example.org/other")
TEXT = Literal("texte", lang="fr")
WHEN = Literal("2026-01-01T00:00:00Z", datatype=XSD.dateTime)

#: (id, node key, property, component, mutation) — one per constraint of dcat-ap.ttl.
NEGATIVE: list[tuple[str, str, URIRef, str, Callable[[Graph, dict[str, URIRef]], object]]] = [
    ("catalog-no-title", "cat", DCTERMS.title, "MinCount",
     lambda g, n: _set(g, n["cat"], DCTERMS.title)),
    ("catalog-title-iri", "cat", DCTERMS.title, "NodeKind",
     lambda g, n: _set(g, n["cat"], DCTERMS.title, OTHER)),
    ("catalog-no-description", "cat", DCTERMS.description, "MinCount",
     lambda g, n: _set(g, n["cat"], DCTERMS.description)),
    ("catalog-description-iri", "cat", DCTERMS.description, "NodeKind",
     lambda g, n: _set(g, n["cat"], DCTERMS.description, OTHER)),
    ("catalog-no-publisher", "cat", DCTERMS.publisher, "MinCount",
     lambda g, n: _set(g, n["cat"], DCTERMS.publisher)),
    ("catalog-two-publishers", "cat", DCTERMS.publisher, "MaxCount",
     lambda g, n: g.add((n["cat"], DCTERMS.publisher, n["contact"]))),
    ("catalog-publisher-not-agent", "cat", DCTERMS.publisher, "Class",
     lambda g, n: _set(g, n["cat"], DCTERMS.publisher, OTHER)),
    ("catalog-no-dataset", "cat", DCAT.dataset, "MinCount",
     lambda g, n: _set(g, n["cat"], DCAT.dataset)),
    ("catalog-dataset-untyped", "cat", DCAT.dataset, "Class",
     lambda g, n: g.add((n["cat"], DCAT.dataset, OTHER))),
    ("catalog-wrong-licence", "cat", DCTERMS.license, "Node",
     lambda g, n: _set(g, n["cat"], DCTERMS.license, OTHER)),
    ("catalog-two-licences", "cat", DCTERMS.license, "MaxCount",
     lambda g, n: g.add((n["cat"], DCTERMS.license, OTHER))),
    ("catalog-modified-text", "cat", DCTERMS.modified, "Node",
     lambda g, n: _set(g, n["cat"], DCTERMS.modified, Literal("hier"))),
    ("catalog-two-modified", "cat", DCTERMS.modified, "MaxCount",
     lambda g, n: g.add((n["cat"], DCTERMS.modified, WHEN))),
    ("dataset-no-title", "ds", DCTERMS.title, "MinCount",
     lambda g, n: _set(g, n["ds"], DCTERMS.title)),
    ("dataset-title-iri", "ds", DCTERMS.title, "NodeKind",
     lambda g, n: g.add((n["ds"], DCTERMS.title, OTHER))),
    ("dataset-no-french-title", "ds", DCTERMS.title, "QualifiedMinCount",
     lambda g, n: _set(g, n["ds"], DCTERMS.title, Literal("Title", lang="en"))),
    ("dataset-no-description", "ds", DCTERMS.description, "MinCount",
     lambda g, n: _set(g, n["ds"], DCTERMS.description)),
    ("dataset-description-iri", "ds", DCTERMS.description, "NodeKind",
     lambda g, n: g.add((n["ds"], DCTERMS.description, OTHER))),
    ("dataset-no-identifier", "ds", DCTERMS.identifier, "MinCount",
     lambda g, n: _set(g, n["ds"], DCTERMS.identifier)),
    ("dataset-two-identifiers", "ds", DCTERMS.identifier, "MaxCount",
     lambda g, n: g.add((n["ds"], DCTERMS.identifier, Literal("autre")))),
    ("dataset-identifier-iri", "ds", DCTERMS.identifier, "NodeKind",
     lambda g, n: _set(g, n["ds"], DCTERMS.identifier, OTHER)),
    ("dataset-no-licence", "ds", DCTERMS.license, "MinCount",
     lambda g, n: _set(g, n["ds"], DCTERMS.license)),
    ("dataset-wrong-licence", "ds", DCTERMS.license, "Node",
     lambda g, n: _set(g, n["ds"], DCTERMS.license,
                       URIRef("https://creativecommons.org/licenses/by-nc/4.0/"))),
    ("dataset-no-publisher", "ds", DCTERMS.publisher, "MinCount",
     lambda g, n: _set(g, n["ds"], DCTERMS.publisher)),
    ("dataset-two-publishers", "ds", DCTERMS.publisher, "MaxCount",
     lambda g, n: g.add((n["ds"], DCTERMS.publisher, n["contact"]))),
    ("dataset-publisher-not-agent", "ds", DCTERMS.publisher, "Class",
     lambda g, n: _set(g, n["ds"], DCTERMS.publisher, OTHER)),
    ("dataset-no-distribution", "ds", DCAT.distribution, "MinCount",
     lambda g, n: _set(g, n["ds"], DCAT.distribution)),
    ("dataset-distribution-untyped", "ds", DCAT.distribution, "Class",
     lambda g, n: g.add((n["ds"], DCAT.distribution, OTHER))),
    ("dataset-contact-is-a-person", "ds", DCAT.contactPoint, "Class",
     lambda g, n: (g.remove((n["contact"], RDF.type, None)),
                   g.add((n["contact"], RDF.type, VCARD.Individual)))),
    ("dataset-theme-not-eu", "ds", DCAT.theme, "Pattern",
     lambda g, n: g.add((n["ds"], DCAT.theme, OTHER))),
    ("dataset-theme-literal", "ds", DCAT.theme, "NodeKind",
     lambda g, n: g.add((n["ds"], DCAT.theme, Literal(
         "http://publications.europa.eu/resource/authority/data-theme/EDUC")))),
    ("dataset-keyword-iri", "ds", DCAT.keyword, "NodeKind",
     lambda g, n: g.add((n["ds"], DCAT.keyword, OTHER))),
    ("dataset-modified-text", "ds", DCTERMS.modified, "Node",
     lambda g, n: _set(g, n["ds"], DCTERMS.modified, Literal("2026"))),
    ("dataset-two-modified", "ds", DCTERMS.modified, "MaxCount",
     lambda g, n: g.add((n["ds"], DCTERMS.modified, WHEN))),
    ("dataset-issued-text", "ds", DCTERMS.issued, "Node",
     lambda g, n: _set(g, n["ds"], DCTERMS.issued, TEXT)),
    ("dataset-two-issued", "ds", DCTERMS.issued, "MaxCount",
     lambda g, n: g.add((n["ds"], DCTERMS.issued, WHEN))),
    ("distribution-no-access-url", "dist", DCAT.accessURL, "MinCount",
     lambda g, n: _set(g, n["dist"], DCAT.accessURL)),
    ("distribution-access-url-literal", "dist", DCAT.accessURL, "NodeKind",
     lambda g, n: _set(g, n["dist"], DCAT.accessURL, Literal("http://x.invalid/"))),
    ("distribution-no-licence", "dist", DCTERMS.license, "MinCount",
     lambda g, n: _set(g, n["dist"], DCTERMS.license)),
    ("distribution-wrong-licence", "dist", DCTERMS.license, "Node",
     lambda g, n: _set(g, n["dist"], DCTERMS.license, OTHER)),
    ("distribution-two-licences", "dist", DCTERMS.license, "MaxCount",
     lambda g, n: g.add((n["dist"], DCTERMS.license, OTHER))),
    ("distribution-no-title", "dist", DCTERMS.title, "MinCount",
     lambda g, n: _set(g, n["dist"], DCTERMS.title)),
    ("distribution-media-type-not-iana", "dist", DCAT.mediaType, "Pattern",
     lambda g, n: _set(g, n["dist"], DCAT.mediaType, OTHER)),
    ("distribution-media-type-literal", "dist", DCAT.mediaType, "NodeKind",
     lambda g, n: _set(g, n["dist"], DCAT.mediaType, Literal("text/turtle"))),
    ("distribution-two-media-types", "dist", DCAT.mediaType, "MaxCount",
     lambda g, n: g.add((n["dist"], DCAT.mediaType, URIRef(IANA + "text/plain")))),
    ("distribution-format-not-eu", "dist", DCTERMS.format, "Pattern",
     lambda g, n: _set(g, n["dist"], DCTERMS.format, OTHER)),
    ("distribution-format-literal", "dist", DCTERMS.format, "NodeKind",
     lambda g, n: _set(g, n["dist"], DCTERMS.format, Literal("RDF_TURTLE"))),
    ("distribution-two-formats", "dist", DCTERMS.format, "MaxCount",
     lambda g, n: g.add((n["dist"], DCTERMS.format, URIRef(FILE_TYPE + "CSV")))),
    ("distribution-byte-size-integer", "dist", DCAT.byteSize, "Datatype",
     lambda g, n: _set(g, n["dist"], DCAT.byteSize, Literal(12, datatype=XSD.integer))),
    ("distribution-two-byte-sizes", "dist", DCAT.byteSize, "MaxCount",
     lambda g, n: g.add((n["dist"], DCAT.byteSize,
                         Literal("1", datatype=XSD.nonNegativeInteger)))),
    ("distribution-two-checksums", "dist", SPDX.checksum, "MaxCount",
     lambda g, n: g.add((n["dist"], SPDX.checksum, OTHER))),
    ("distribution-checksum-untyped", "dist", SPDX.checksum, "Class",
     lambda g, n: g.remove((n["ck"], RDF.type, SPDX.Checksum))),
    ("file-no-download-url", "dist", DCAT.downloadURL, "MinCount",
     lambda g, n: _set(g, n["dist"], DCAT.downloadURL)),
    ("file-two-download-urls", "dist", DCAT.downloadURL, "MaxCount",
     lambda g, n: g.add((n["dist"], DCAT.downloadURL, OTHER))),
    ("file-download-url-literal", "dist", DCAT.downloadURL, "NodeKind",
     lambda g, n: _set(g, n["dist"], DCAT.downloadURL, Literal("http://x.invalid/f"))),
    ("file-no-byte-size", "dist", DCAT.byteSize, "MinCount",
     lambda g, n: _set(g, n["dist"], DCAT.byteSize)),
    ("checksum-no-algorithm", "ck", SPDX.algorithm, "MinCount",
     lambda g, n: _set(g, n["ck"], SPDX.algorithm)),
    ("checksum-two-algorithms", "ck", SPDX.algorithm, "MaxCount",
     lambda g, n: g.add((n["ck"], SPDX.algorithm, SPDX.checksumAlgorithm_sha1))),
    ("checksum-unknown-algorithm", "ck", SPDX.algorithm, "In",
     lambda g, n: _set(g, n["ck"], SPDX.algorithm, SPDX.checksumAlgorithm_md2)),
    ("checksum-no-value", "ck", SPDX.checksumValue, "MinCount",
     lambda g, n: _set(g, n["ck"], SPDX.checksumValue)),
    ("checksum-two-values", "ck", SPDX.checksumValue, "MaxCount",
     lambda g, n: g.add((n["ck"], SPDX.checksumValue, Literal("00", datatype=XSD.hexBinary)))),
    ("checksum-value-string", "ck", SPDX.checksumValue, "Datatype",
     lambda g, n: _set(g, n["ck"], SPDX.checksumValue, Literal("00ff"))),
    ("checksum-value-upper-case", "ck", SPDX.checksumValue, "Pattern",
     lambda g, n: _set(g, n["ck"], SPDX.checksumValue,
                       Literal("00FF", datatype=XSD.hexBinary, normalize=False))),
    ("service-no-title", "svc", DCTERMS.title, "MinCount",
     lambda g, n: _set(g, n["svc"], DCTERMS.title)),
    ("service-title-iri", "svc", DCTERMS.title, "NodeKind",
     lambda g, n: _set(g, n["svc"], DCTERMS.title, OTHER)),
    ("service-no-endpoint", "svc", DCAT.endpointURL, "MinCount",
     lambda g, n: _set(g, n["svc"], DCAT.endpointURL)),
    ("service-endpoint-literal", "svc", DCAT.endpointURL, "NodeKind",
     lambda g, n: _set(g, n["svc"], DCAT.endpointURL, Literal("http://x.invalid/sparql"))),
    ("service-serves-nothing", "svc", DCAT.servesDataset, "MinCount",
     lambda g, n: _set(g, n["svc"], DCAT.servesDataset)),
    ("service-serves-untyped", "svc", DCAT.servesDataset, "Class",
     lambda g, n: _set(g, n["svc"], DCAT.servesDataset, OTHER)),
    ("agent-no-name", "pub", FOAF.name, "MinCount",
     lambda g, n: _set(g, n["pub"], FOAF.name)),
    ("agent-name-iri", "pub", FOAF.name, "NodeKind",
     lambda g, n: _set(g, n["pub"], FOAF.name, OTHER)),
]


@pytest.mark.reference
@pytest.mark.parametrize(("node", "path", "component", "mutate"),
                         [case[1:] for case in NEGATIVE], ids=[case[0] for case in NEGATIVE])
def test_own_shapes_report_each_broken_constraint(
    catalog: Graph, own_shapes: Graph, info: ReleaseInfo, node: str, path: URIRef,
    component: str, mutate: Callable[[Graph, dict[str, URIRef]], object],
) -> None:
    g = Graph() + catalog
    nodes = _nodes(info)
    mutate(g, nodes)
    report = validate_with_pyshacl(g, own_shapes)
    hits = [p for p in report.problems if p.focus == str(nodes[node]) and p.path == str(path)
            and (p.component or "").endswith(f"#{component}ConstraintComponent")]
    assert hits, show(report)
    assert hits[0].message_fr and hits[0].message_en and hits[0].message_fr != hits[0].message_en


def test_negative_cases_cover_every_property_shape(own_shapes: Graph) -> None:
    """Each property shape of dcat-ap.ttl has at least one negative case above."""
    covered = {(str(path), comp) for _, _, path, comp, _ in NEGATIVE}
    for prop in own_shapes.objects(None, SH.property):
        path = own_shapes.value(prop, SH.path)
        components = {str(p).rsplit("#", 1)[-1] for p in own_shapes.predicates(prop)} & {
            "minCount", "maxCount", "nodeKind", "class", "node", "pattern", "datatype", "in",
            "qualifiedMinCount"}
        for c in components:
            name = c[0].upper() + c[1:]
            assert (str(path), name) in covered, f"no negative case for {path} {name}"


@pytest.mark.reference
def test_a_missing_distribution_title_is_only_a_warning(catalog: Graph, own_shapes: Graph,
                                                        info: ReleaseInfo) -> None:
    g = Graph() + catalog
    dist = _nodes(info)["dist"]
    _set(g, dist, DCTERMS.title)
    report = validate_with_pyshacl(g, own_shapes)
    assert [p.severity for p in report.problems] == ["Warning"], show(report)
    assert report.conforms


# -------------------------------------------------------------------------- official shapes

def _official(*names: str) -> Graph:
    if not OFFICIAL.is_dir():
        pytest.skip(f"official DCAT-AP 3 shapes not found at {OFFICIAL} (../shared/reference)")
    g = Graph()
    for n in names:
        g.parse(OFFICIAL / n, format="turtle")
    return g


@pytest.fixture(scope="module")
def official_mandatory() -> Graph:
    return _official("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl")


def _known_defect(p: object) -> bool:
    """mdr-vocabularies.shape.ttl wants spdx:algorithm to match ``^https://spdx.org/rdf/terms``
    while the SPDX namespace (and data.gouv.fr) use ``http://spdx.org/rdf/terms#``."""
    return (getattr(p, "path", None) == str(SPDX.algorithm)
            and getattr(p, "value", None) == str(SHA256))


@pytest.mark.reference
def test_no_violation_of_official_shapes(catalog: Graph, official_mandatory: Graph) -> None:
    report = validate_with_pyshacl(catalog, official_mandatory)
    violations = [p for p in report.problems if p.severity == VIOLATION and not _known_defect(p)]
    assert violations == [], show(report)
    excused = [p for p in report.problems if _known_defect(p)]
    assert len(excused) <= len(FILES)  # one per checksum at most, nothing else excused


@pytest.mark.reference
def test_official_recommended_and_deprecation_shapes_give_no_violation(catalog: Graph) -> None:
    shapes = _official("shapes_recommended.ttl", "deprecateduris.ttl")
    report = validate_with_pyshacl(catalog, shapes)
    assert [p for p in report.problems if p.severity == VIOLATION] == [], show(report)


@pytest.mark.reference
def test_official_shapes_do_catch_a_broken_catalogue(catalog: Graph, info: ReleaseInfo,
                                                     official_mandatory: Graph) -> None:
    g = Graph() + catalog
    _set(g, URIRef(info.dataset_iri), DCTERMS.title)
    _set(g, dist_iri(info, DATA_TTL), DCAT.accessURL)
    report = validate_with_pyshacl(g, official_mandatory)
    broken = {(p.focus, p.path) for p in report.problems if p.severity == VIOLATION}
    assert (info.dataset_iri, str(DCTERMS.title)) in broken
    assert (str(dist_iri(info, DATA_TTL)), str(DCAT.accessURL)) in broken
