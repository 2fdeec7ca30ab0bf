"""The catalogue page's view model: the release's DCAT-AP graph (the one ``/catalog`` serves) →
what a person reads (no HTTP, no store: an rdflib graph in, frozen dataclasses out).

Contract: :func:`catalog_view` reads the ``dcat:Catalog`` of the graph (the one at
``info.catalog_iri``, else any), each of its ``dcat:dataset`` s with their distributions (format
label, media type, size, checksum, download link), the ``dcat:DataService`` s, and the versions of
each dataset (``dcat:hasVersion``, newest first, with their dates and immutable files). Texts are
French first with the English beside (:func:`~publisher.server.graph_values.fr_en`); labels of the
authority concepts come from the graph itself (the catalogue carries them). Links to this server's
files are made local (:meth:`publisher.server.graph_values.Links.url`: ``{public_url}x`` →
``{root}x``) so that they work wherever the site is reached; the IRIs of the campus's records link
to their pages (:class:`publisher.html.render.Linker`). Nothing is invented: a value missing from
the graph is shown as missing (``None`` / empty).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF
from rdflib.term import Node

from publisher.core.graphs import integer
from publisher.core.namespaces import ADMS, DCAT, GEO, SPDX, VCARD
from publisher.html.render import DESCRIPTIONS, Linker, Term, pick_literal
from publisher.release.metadata.terms import IANA
from publisher.server.graph_values import Href, Links, Text, fr_en, show_date
from publisher.server.landing import human_size


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None
    url: str | None


@dataclass(frozen=True)
class Place:
    """A spatial coverage: its label, and its bounding box (west, south, east, north) if any."""

    label: Term
    bbox: tuple[float, float, float, float] | None
    note: str


@dataclass(frozen=True)
class Distribution:
    iri: str
    title: Text
    description: Text
    format: Term | None
    media_type: str | None
    compression: str | None
    size: str | None
    byte_size: int | None
    checksum: str | None
    algorithm: str | None
    download: str | None
    access: str | None
    service: bool


@dataclass(frozen=True)
class Version:
    iri: str
    version: str
    issued: str | None
    title: Text
    notes: Text
    current: bool
    previous: str | None
    distributions: tuple[Distribution, ...]


@dataclass(frozen=True)
class Service:
    iri: str
    title: Text
    description: Text
    endpoint: Href | None
    endpoint_description: Href | None
    conforms: tuple[Term, ...]
    access_rights: Term | None
    serves: tuple[Term, ...]


@dataclass(frozen=True)
class Dataset:
    iri: str
    identifier: str | None
    title: Text
    description: Text
    landing: Href | None
    issued: str | None
    modified: str | None
    publisher: Term | None
    contact: tuple[Contact, ...]
    licence: Term | None
    access_rights: Term | None
    frequency: Term | None
    languages: tuple[Term, ...]
    places: tuple[Place, ...]
    temporal: tuple[str | None, str | None] | None
    themes: tuple[Term, ...]
    keywords: tuple[str, ...]
    conforms: tuple[Term, ...]
    pages: tuple[Term, ...]
    distributions: tuple[Distribution, ...]
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class Source:
    """A catalogue this one was harvested from (``dcat:catalog``) and where it was read."""

    catalog: Term
    url: Href | None


@dataclass(frozen=True)
class Catalog:
    iri: str
    title: Text
    description: Text
    issued: str | None
    modified: str | None
    publisher: Term | None
    licence: Term | None
    languages: tuple[Term, ...]
    homepage: Href | None
    places: tuple[Place, ...]
    datasets: tuple[Dataset, ...]
    services: tuple[Service, ...]
    sources: tuple[Source, ...]


def bbox_of(wkt: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the points of a WKT literal (lon lat order), or None."""
    numbers: list[float] = []
    for token in wkt.replace("(", " ").replace(")", " ").replace(",", " ").split():
        try:
            numbers.append(float(token))
        except ValueError:
            continue
    lons, lats = numbers[0::2], numbers[1::2]
    if not lons or len(lons) != len(lats):
        return None
    return min(lons), min(lats), max(lons), max(lats)


def places(links: Links, s: Node) -> tuple[Place, ...]:
    g, out = links.graph, []
    for loc in g.objects(s, DCTERMS.spatial):
        box = next((bbox_of(str(b)) for b in g.objects(loc, DCAT.bbox)
                    if isinstance(b, Literal) and b.datatype == GEO.wktLiteral), None)
        note = fr_en(g, loc, DESCRIPTIONS).fr
        out.append(Place(links.term(loc), box, note))
    return tuple(sorted(out, key=lambda p: (p.bbox is None, p.label.text.casefold())))


def contacts(g: Graph, s: Node) -> tuple[Contact, ...]:
    out = []
    for c in g.objects(s, DCAT.contactPoint):
        name = pick_literal(g, c, (VCARD.fn, VCARD["organization-name"]))
        email = g.value(c, VCARD.hasEmail)
        url = g.value(c, VCARD.hasURL)
        out.append(Contact(str(name) if name is not None else str(c),
                           str(email).removeprefix("mailto:") if email is not None else None,
                           str(url) if url is not None else None))
    return tuple(out)


def temporal(g: Graph, s: Node) -> tuple[str | None, str | None] | None:
    for period in g.objects(s, DCTERMS.temporal):
        return show_date(g.value(period, DCAT.startDate)), show_date(g.value(period, DCAT.endDate))
    return None


def distribution(links: Links, d: Node) -> Distribution:
    g = links.graph
    media = g.value(d, DCAT.mediaType)
    compress = g.value(d, DCAT.compressFormat)
    checksum = g.value(d, SPDX.checksum)
    value = g.value(checksum, SPDX.checksumValue) if checksum is not None else None
    algo = g.value(checksum, SPDX.algorithm) if checksum is not None else None
    size = integer(g, d, DCAT.byteSize)
    return Distribution(
        iri=str(d), title=fr_en(g, d), description=fr_en(g, d, DESCRIPTIONS),
        format=links.first(d, DCTERMS["format"]),
        media_type=str(media).removeprefix(IANA) if media is not None else None,
        compression=str(compress).removeprefix(IANA) if compress is not None else None,
        size=human_size(size) if size is not None else None, byte_size=size,
        checksum=str(value) if value is not None else None,
        algorithm=str(algo).rsplit("_", 1)[-1].upper() if algo is not None else None,
        download=links.url(g.value(d, DCAT.downloadURL)),
        access=links.url(g.value(d, DCAT.accessURL)),
        service=g.value(d, DCAT.accessService) is not None,
    )


def distributions(links: Links, s: Node) -> tuple[Distribution, ...]:
    found = (distribution(links, d) for d in links.graph.objects(s, DCAT.distribution))
    return tuple(sorted(found, key=lambda d: (not d.service, d.title.fr.casefold(), d.iri)))


def versions(links: Links, ds: Node) -> tuple[Version, ...]:
    g = links.graph
    current = g.value(ds, DCAT.hasCurrentVersion)
    out = []
    for v in g.objects(ds, DCAT.hasVersion):
        name = g.value(v, DCAT.version)
        issued = g.value(v, DCTERMS.issued)
        out.append((str(issued or ""), Version(
            iri=str(v), version=str(name) if name is not None else str(v).rsplit("/", 1)[-1],
            issued=show_date(issued), title=fr_en(g, v), notes=fr_en(g, v, (ADMS.versionNotes,)),
            current=v == current, previous=str(g.value(v, DCAT.previousVersion) or "") or None,
            distributions=distributions(links, v))))
    return tuple(v for _, v in sorted(out, key=lambda iv: (iv[0], iv[1].version), reverse=True))


def keywords(g: Graph, s: Node) -> tuple[str, ...]:
    words = {str(k) for k in g.objects(s, DCAT.keyword) if isinstance(k, Literal)}
    return tuple(sorted(words, key=str.casefold))


def dataset(links: Links, ds: Node) -> Dataset:
    g = links.graph
    ident = g.value(ds, DCTERMS.identifier)
    return Dataset(
        iri=str(ds), identifier=str(ident) if ident is not None else None,
        title=fr_en(g, ds), description=fr_en(g, ds, DESCRIPTIONS),
        landing=links.link(g.value(ds, DCAT.landingPage)),
        issued=show_date(g.value(ds, DCTERMS.issued)),
        modified=show_date(g.value(ds, DCTERMS.modified)),
        publisher=links.first(ds, DCTERMS.publisher), contact=contacts(g, ds),
        licence=links.first(ds, DCTERMS.license),
        access_rights=links.first(ds, DCTERMS.accessRights),
        frequency=links.first(ds, DCTERMS.accrualPeriodicity),
        languages=links.terms(ds, DCTERMS.language), places=places(links, ds),
        temporal=temporal(g, ds), themes=links.terms(ds, DCAT.theme), keywords=keywords(g, ds),
        conforms=links.terms(ds, DCTERMS.conformsTo), pages=links.terms(ds, FOAF.page),
        distributions=distributions(links, ds), versions=versions(links, ds),
    )


def service(links: Links, s: Node) -> Service:
    g = links.graph
    return Service(
        iri=str(s), title=fr_en(g, s), description=fr_en(g, s, DESCRIPTIONS),
        endpoint=links.link(g.value(s, DCAT.endpointURL)),
        endpoint_description=links.link(g.value(s, DCAT.endpointDescription)),
        conforms=links.terms(s, DCTERMS.conformsTo),
        access_rights=links.first(s, DCTERMS.accessRights), serves=links.terms(s, DCAT.servesDataset),
    )


def the_catalog(g: Graph, iri: str) -> Node | None:
    if (URIRef(iri), RDF.type, DCAT.Catalog) in g:
        return URIRef(iri)
    return min(g.subjects(RDF.type, DCAT.Catalog), key=str, default=None)


def catalog_view(g: Graph, catalog_iri: str, linker: Linker, public_url: str,
                 primary: str = "") -> Catalog | None:
    """The page of the catalogue ``catalog_iri`` (else the graph's one), or None when the graph
    has no ``dcat:Catalog``. Datasets by title, the ``primary`` one (the release's own) first."""
    cat = the_catalog(g, catalog_iri)
    if cat is None:
        return None
    links = Links(g, linker, public_url, str(cat))
    sets = sorted((dataset(links, d) for d in g.objects(cat, DCAT.dataset)),
                  key=lambda d: (d.iri != primary, d.title.fr.casefold()))
    sources = [Source(links.term(c), links.link(g.value(c, RDFS.seeAlso)))
               for c in g.objects(cat, DCAT.catalog)]
    services = [service(links, s) for s in g.objects(cat, DCAT.service)]
    homepage = g.value(cat, FOAF.homepage)
    return Catalog(
        iri=str(cat), title=fr_en(g, cat), description=fr_en(g, cat, DESCRIPTIONS),
        issued=show_date(g.value(cat, DCTERMS.issued)),
        modified=show_date(g.value(cat, DCTERMS.modified)),
        publisher=links.first(cat, DCTERMS.publisher), licence=links.first(cat, DCTERMS.license),
        languages=links.terms(cat, DCTERMS.language),
        homepage=links.link(homepage), places=places(links, cat), datasets=tuple(sets),
        services=tuple(sorted(services, key=lambda s: s.title.fr.casefold())),
        sources=tuple(sorted(sources, key=lambda s: s.catalog.text.casefold())),
    )


__all__ = ["Catalog", "Contact", "Dataset", "Distribution", "Place", "Service", "Source", "Version",
           "bbox_of", "catalog_view"]
