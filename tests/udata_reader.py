"""A small reader that reads a DCAT graph the way data.gouv.fr's harvester (udata 17.18) does.

Not udata itself (docs/decisions/0020-harvested-and-installed.md says why): the rules of
``udata.harvest.backends.dcat`` and ``udata.core.dataset.rdf`` that decide what a portal user sees,
reproduced from the source (line numbers in /work/notes/udata-dcat.md, §1-§6):

- every subject typed ``dcat:Dataset`` / ``dcat:DatasetSeries`` is harvested, linked or not; its
  ``remote_id`` is ``str(dct:identifier)`` (``DcatBackend.process_one_datasets_page``);
- title/description: the literal whose language equals ``DEFAULT_LANGUAGE`` exactly, else the
  first value (``default_lang_value``);
- licence: dataset ``dct:license``, then ``dct:rights``, then the distributions' ``dct:license``;
  a node with an ``rdfs:label`` (else ``dct:description``) stands for that text; matched against
  the licence list by id/url/alternate URL, ``netloc+path`` containment, or title (``License.guess``;
  the Levenshtein step is reduced to exact, case-insensitive titles);
- resource URL: ``dcat:downloadURL`` else ``dcat:accessURL``; a resource is identified by its URL;
  type ``api`` iff ``dcat:accessService``;
- format (``format_from_rdf``): ``dct:format`` (an ``rdfs:label`` wins over the IRI), EU file-type
  key lower-cased, ``https`` IANA media type's subtype, else the lower-cased text; none without
  ``dct:format``;
- spatial (``spatial_from_rdf``): every literal of a ``dct:spatial`` node typed ``geo:wktLiteral``
  or ``geo:geoJSONLiteral``; only Polygon/MultiPolygon kept; a CRS prefix fails;
- temporal: one ``dct:temporal``; an IRI is dereferenced (offline: nothing); ``dcat:startDate``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

DCAT = "http://www.w3.org/ns/dcat#"
EUFORMAT = "http://publications.europa.eu/resource/authority/file-type/"
IANAFORMAT = "https://www.iana.org/assignments/media-types/"
WKT = {"http://www.opengis.net/ont/geosparql#wktLiteral", "http://www.opengis.net/rdf#wktLiteral"}
GEOJSON = {"http://www.opengis.net/ont/geosparql#geoJSONLiteral",
           "https://www.iana.org/assignments/media-types/application/vnd.geo+json"}


def d(name: str) -> URIRef:
    return URIRef(DCAT + name)


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str | None
    alternate_urls: tuple[str, ...] = ()
    alternate_titles: tuple[str, ...] = ()


#: The production records that matter here (data.gouv.fr /api/1/datasets/licenses/ snapshot).
LICENCES = (
    Licence("lov2", "Licence Ouverte / Open Licence version 2.0",
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
            ("https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
             "https://github.com/etalab/Licence-Ouverte/blob/master/LO.md"),
            ("Licence Ouverte v2.0", "Open Licence version 2.0", "etalab-2.0",
             "Licence Ouverte / Open Licence v2.0", "Licence Ouverte version 2.0")),
    Licence("fr-lo", "Licence Ouverte / Open Licence",
            "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
            ("https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Open_Licence.pdf",),
            ("LO/OL",)),
    Licence("odc-odbl", "Open Data Commons Open Database License (ODbL)",
            "http://opendatacommons.org/licenses/odbl/summary/"),
    Licence("cc-by", "Creative Commons Attribution",
            "http://www.opendefinition.org/licenses/cc-by"),
)


@dataclass
class Resource:
    url: str
    title: str | None
    format: str | None
    mime: str | None
    type: str  # "main" | "api" | "other"
    schema: str | None


@dataclass
class Dataset:
    remote_id: str | None
    title: str | None
    description: str | None
    licence: str
    polygons: list[list[list[float]]] = field(default_factory=list)
    temporal_start: str | None = None
    resources: list[Resource] = field(default_factory=list)


def default_lang_value(g: Graph, node: Node, predicate: URIRef, lang: str) -> Node | None:
    values = list(g.objects(node, predicate))
    for v in values:
        if isinstance(v, Literal) and v.language == lang:
            return v
    return values[0] if values else None


def _serialise(g: Graph, value: Node, unwrap: tuple[URIRef, ...]) -> str:
    for p in unwrap:
        label = g.value(value, p)
        if label is not None:
            return str(label)
    return str(value)


def _guess_one(text: str) -> str | None:
    m = re.search(r"https?://\S+", text)
    text = m.group(0) if m else text
    low = text.lower()
    for lic in LICENCES:
        if low in {lic.id.lower(), (lic.url or "").lower(),
                   *(u.lower() for u in lic.alternate_urls)}:
            return lic.id
    if m:
        parsed = urlparse(text)
        needle = (parsed.netloc + parsed.path.rstrip("/")).lower()
        hits = [lic.id for lic in LICENCES if lic.url and needle in lic.url.lower()]
        return hits[0] if hits else None
    hits = [lic.id for lic in LICENCES
            if low in {lic.title.lower(), *(t.lower() for t in lic.alternate_titles)}]
    return hits[0] if len(hits) == 1 else None


def guess_licence(g: Graph, dataset: Node) -> str:
    unwrap = (RDFS.label, DCTERMS.description)
    candidates = [_serialise(g, v, unwrap) for v in g.objects(dataset, DCTERMS.license)]
    candidates = candidates or [_serialise(g, v, unwrap) for v in g.objects(dataset,
                                                                           DCTERMS.rights)]
    if not candidates:
        candidates = [_serialise(g, v, unwrap) for dist in g.objects(dataset, d("distribution"))
                      for v in g.objects(dist, DCTERMS.license)]
    for c in candidates:
        found = _guess_one(c)
        if found:
            return found
    return "notspecified"


def format_of(g: Graph, dist: Node) -> str | None:
    value = g.value(dist, DCTERMS.format)
    if value is None:
        return None
    text = _serialise(g, value, (RDFS.label,))
    if text.startswith(EUFORMAT):
        return text[len(EUFORMAT):].lower()
    if text.startswith(IANAFORMAT):
        return text[len(IANAFORMAT):].split("/")[-1].lower()
    return text.lower()


def mime_of(g: Graph, dist: Node) -> str | None:
    value = g.value(dist, d("mediaType"))
    return None if value is None else str(value).removeprefix(IANAFORMAT)


def resource_of(g: Graph, dist: Node, lang: str) -> Resource | None:
    url = g.value(dist, d("downloadURL")) or g.value(dist, d("accessURL"))
    if url is None:
        return None
    title = default_lang_value(g, dist, DCTERMS.title, lang)
    schema = g.value(dist, DCTERMS.conformsTo)
    return Resource(str(url), None if title is None else str(title), format_of(g, dist),
                    mime_of(g, dist), "api" if g.value(dist, d("accessService")) else "main",
                    None if schema is None else str(schema))


def _polygons(literal: Literal) -> list[list[list[float]]]:
    """The Polygon/MultiPolygon rings of a WKT or GeoJSON literal (udata keeps nothing else)."""
    dtype = str(literal.datatype)
    text = str(literal).strip().upper()
    if dtype in GEOJSON:
        geo = json.loads(str(literal))
        kind, coords = geo.get("type"), geo.get("coordinates")
        return coords if kind == "Polygon" else [r for p in coords for r in p] \
            if kind == "MultiPolygon" else []
    if dtype not in WKT or not text.startswith("POLYGON"):
        return []  # Point, CRS prefix ("<http…> POLYGON"), untyped: dropped
    rings = re.findall(r"\(([^()]+)\)", text)
    return [[[float(x) for x in pair.split()] for pair in ring.split(",")] for ring in rings]


def dataset_from_rdf(g: Graph, node: Node, lang: str) -> Dataset:
    ident = g.value(node, DCTERMS.identifier)
    title = default_lang_value(g, node, DCTERMS.title, lang)
    desc = default_lang_value(g, node, DCTERMS.description, lang)
    ds = Dataset(None if ident is None else str(ident), None if title is None else str(title),
                 None if desc is None else str(desc), guess_licence(g, node))
    for place in g.objects(node, DCTERMS.spatial):
        for _p, value in g.predicate_objects(place):
            if isinstance(value, Literal):
                ds.polygons.extend(_polygons(value))
    period = g.value(node, DCTERMS.temporal)
    if period is not None and not isinstance(period, URIRef):
        start = g.value(period, d("startDate"))
        ds.temporal_start = None if start is None else str(start)
    for dist in [*g.objects(node, d("distribution")), *g.objects(node, d("distributions"))]:
        res = resource_of(g, dist, lang)
        if res is not None and res.url not in {r.url for r in ds.resources}:
            ds.resources.append(res)
    return ds


def harvest(g: Graph, lang: str = "fr") -> list[Dataset]:
    """Every dataset the harvester creates or updates from ``g`` (module doc)."""
    nodes = {*g.subjects(RDF.type, d("Dataset")), *g.subjects(RDF.type, d("DatasetSeries"))}
    return [dataset_from_rdf(g, n, lang) for n in sorted(nodes, key=str)]
