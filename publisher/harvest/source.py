"""Reading a harvested DCAT catalogue: its datasets and, for each, the best RDF dump to fetch.

Works on cmq's own catalogues (docs/decisions/0005-catalogue.md) and on any DCAT(-AP) catalogue
that describes downloadable RDF files. Parsing goes through pyoxigraph, whose JSON-LD parser
never loads a remote context (it fails instead), so reading a catalogue makes no request.

Choosing a distribution (:func:`choose_dump`):

1. if some distributions declare ``dct:conformsTo`` the CMQ ontology (cmq marks its data dumps
   so), only those are considered; otherwise every distribution of the dataset is (DCAT: each
   distribution is a form of the dataset);
2. distributions behind a ``dcat:accessService`` (APIs, SPARQL endpoints) are skipped; the URL is
   ``dcat:downloadURL``, else ``dcat:accessURL``;
3. the content format comes from ``dcat:mediaType`` (IANA IRI or literal), else ``dct:format``
   (EU file type, IANA IRI or literal), else the URL's extension; ``dcat:compressFormat`` gzip
   (or a ``.gz`` URL, or the media type ``application/gzip``) marks a gzip file;
4. ranked N-Triples, Turtle, RDF/XML, JSON-LD; within a format the uncompressed file first (the
   transfer is compressed anyway when the server offers it, and the checksum then covers exactly
   what is parsed), then by IRI for a stable choice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from publisher.core.graphs import from_ox, integer
from publisher.core.namespaces import DCAT, ONTOLOGY_IRI, SPDX
from publisher.release.metadata.terms import EU, IANA

#: Content formats of a dump, best first.
DUMP_FORMATS: tuple[ox.RdfFormat, ...] = (
    ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD,
)
#: What a catalogue request accepts (content negotiation), best first.
CATALOG_ACCEPT = ("text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
                  "application/n-triples;q=0.7, application/n-quads;q=0.5, application/trig;q=0.5")
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
#: EU file-type codes → format.
EU_FILE_TYPES: dict[str, ox.RdfFormat] = {
    "RDF_N_TRIPLES": ox.RdfFormat.N_TRIPLES, "RDF_TURTLE": ox.RdfFormat.TURTLE,
    "RDF_XML": ox.RdfFormat.RDF_XML, "RDF": ox.RdfFormat.RDF_XML, "JSON_LD": ox.RdfFormat.JSON_LD,
}
#: SPDX checksum algorithm → hashlib name, strongest first.
ALGORITHMS: tuple[tuple[URIRef, str], ...] = (
    (SPDX.checksumAlgorithm_sha512, "sha512"), (SPDX.checksumAlgorithm_sha384, "sha384"),
    (SPDX.checksumAlgorithm_sha256, "sha256"), (SPDX.checksumAlgorithm_sha224, "sha224"),
    (SPDX.checksumAlgorithm_sha1, "sha1"), (SPDX.checksumAlgorithm_md5, "md5"),
)


class CatalogError(ValueError):
    """A catalogue that cannot be read (syntax, unknown format)."""


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # hashlib name
    value: str  # lower-case hex

    def of_file(self, path: Path) -> str:
        """The digest of a file with this checksum's algorithm (lower-case hex)."""
        h = hashlib.new(self.algorithm)
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()


@dataclass(frozen=True)
class DumpChoice:
    """The distribution chosen for a dataset."""

    distribution: str | None  # its IRI (None for a blank node)
    url: str
    format: ox.RdfFormat  # of the content (after gunzip)
    gzip: bool  # the file itself is gzip (not a transfer coding)
    byte_size: int | None
    checksum: Checksum | None
    media_type: str  # of the file as described (application/gzip for a gzip file)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph,
              ) -> Node:
    """A pyoxigraph term as an rdflib term."""
    try:
        return from_ox(term)
    except TypeError as exc:
        raise CatalogError(f"terme non pris en charge / unsupported term: {term!r}") from exc


def rdf_format(media_type: str | None, url: str) -> ox.RdfFormat | None:
    """The RDF format of a document from its media type, else its URL's extension."""
    if media_type:
        fmt = ox.RdfFormat.from_media_type(media_type)
        if fmt is not None:
            return fmt
    path = urlsplit(url).path
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return ox.RdfFormat.from_extension(ext) if ext else None


def parse_catalog(data: bytes, fmt: ox.RdfFormat, base_iri: str) -> Graph:
    """A catalogue document as an rdflib graph (parsed by pyoxigraph; no remote context)."""
    g = Graph()
    try:
        for q in ox.parse(data, format=fmt, base_iri=base_iri):
            g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    except (SyntaxError, ValueError) as exc:
        raise CatalogError(f"catalogue illisible / unreadable catalogue: {exc}") from exc
    return g


def datasets(g: Graph) -> list[Node]:
    """The datasets a catalogue lists (``dcat:dataset`` of a ``dcat:Catalog``), else every
    ``dcat:Dataset``; sorted by IRI."""
    listed: set[Node] = set()
    for cat in g.subjects(RDF.type, DCAT.Catalog):
        listed.update(g.objects(cat, DCAT.dataset))
    if not listed:
        listed = set(g.subjects(RDF.type, DCAT.Dataset))
    return sorted(listed, key=str)


def catalog_of(g: Graph, dataset: Node) -> Node | None:
    return next(iter(sorted(g.subjects(DCAT.dataset, dataset), key=str)), None)


def _media(value: Node) -> str | None:
    s = str(value).strip()
    if isinstance(value, URIRef):
        if s.startswith(IANA):
            return s[len(IANA):].lower()
        if s.startswith("http://www.iana.org/assignments/media-types/"):  # other catalogues
            return s.rsplit("/media-types/", 1)[1].lower()
        return None
    return s.split(";", 1)[0].strip().lower() or None


def _format_of(g: Graph, dist: Node, url: str) -> tuple[ox.RdfFormat | None, bool, str]:
    """(content format, gzip file?, media type of the file) of one distribution."""
    gz = any((_media(c) or "") in GZIP_TYPES for c in g.objects(dist, DCAT.compressFormat))
    fmt: ox.RdfFormat | None = None
    file_media = ""
    for m in g.objects(dist, DCAT.mediaType):
        media = _media(m)
        if media in GZIP_TYPES:
            gz, file_media = True, media or ""
        elif media and fmt is None:
            fmt = ox.RdfFormat.from_media_type(media)
            file_media = file_media or media
    if fmt is None:
        for f in g.objects(dist, DCTERMS.format):
            s = str(f)
            if isinstance(f, URIRef) and s.startswith(f"{EU}file-type/"):
                code = s.rsplit("/", 1)[1]
                if code == "GZIP":
                    gz = True
                fmt = fmt or EU_FILE_TYPES.get(code)
            else:
                fmt = fmt or (ox.RdfFormat.from_media_type(_media(f) or ""))
    path = urlsplit(url).path.lower()
    if path.endswith(".gz"):
        gz, path = True, path[:-3]
    if fmt is None:
        fmt = rdf_format(None, path)
    if fmt is not None and not file_media:
        file_media = fmt.media_type
    return fmt, gz, ("application/gzip" if gz else file_media)


def checksum_of(g: Graph, dist: Node) -> Checksum | None:
    """The strongest ``spdx:checksum`` of a distribution whose algorithm hashlib knows."""
    found: dict[str, str] = {}
    for c in g.objects(dist, SPDX.checksum):
        value = g.value(c, SPDX.checksumValue)
        algo = g.value(c, SPDX.algorithm)
        for iri, name in ALGORITHMS:
            if algo == iri and value is not None:
                found[name] = str(value).strip().lower()
    for _iri, name in ALGORITHMS:
        if name in found:
            return Checksum(name, found[name])
    return None


def choose_dump(g: Graph, dataset: Node) -> DumpChoice | None:
    """The best RDF distribution of ``dataset`` (module docstring), or None."""
    dists = sorted(set(g.objects(dataset, DCAT.distribution)), key=str)
    ours = [d for d in dists if (d, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)) in g]
    best: tuple[tuple[int, int, str], DumpChoice] | None = None
    for d in ours or dists:
        if (d, DCAT.accessService, None) in g:
            continue
        url = g.value(d, DCAT.downloadURL) or g.value(d, DCAT.accessURL)
        if not isinstance(url, URIRef):
            continue
        fmt, gz, media = _format_of(g, d, str(url))
        if fmt not in DUMP_FORMATS:
            continue
        assert fmt is not None
        choice = DumpChoice(str(d) if isinstance(d, URIRef) else None, str(url), fmt, gz, integer(g, d, DCAT.byteSize),
                            checksum_of(g, d), media)
        key = (DUMP_FORMATS.index(fmt), int(gz), str(d))
        if best is None or key < best[0]:
            best = (key, choice)
    return best[1] if best is not None else None


FOAF_NAME = URIRef("http://xmlns.com/foaf/0.1/name")
#: What the national catalogue copies from a source catalogue, per kind of node.
DATASET_PROPS = (DCTERMS.title, DCTERMS.description, DCTERMS.identifier, DCTERMS.publisher,
                 DCTERMS.license, DCAT.landingPage, DCAT.keyword, DCAT.theme, DCTERMS.spatial,
                 DCTERMS.language, DCTERMS.issued, DCTERMS.modified, DCAT.contactPoint)
DISTRIBUTION_PROPS = (DCTERMS.title, DCTERMS.description, DCAT.accessURL, DCAT.downloadURL,
                      DCAT.mediaType, DCAT.compressFormat, DCTERMS.format, DCAT.byteSize,
                      SPDX.checksum, DCTERMS.license, DCTERMS.issued, DCTERMS.modified,
                      DCTERMS.conformsTo)
CATALOG_PROPS = (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCTERMS.license,
                 URIRef("http://xmlns.com/foaf/0.1/homepage"), DCTERMS.language,
                 DCTERMS.issued, DCTERMS.modified)
#: Properties of the nodes those point to (publisher name, checksum value…), one level deep.
NESTED_PROPS = (RDF.type, DCTERMS.title, FOAF_NAME, RDFS.label,
                URIRef("http://www.w3.org/2006/vcard/ns#fn"),
                URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
                SPDX.algorithm, SPDX.checksumValue)


def _copy(g: Graph, out: Graph, node: Node, props: tuple[URIRef, ...]) -> None:
    for p in props:
        for o in g.objects(node, p):
            if isinstance(o, BNode):
                continue  # a blank node would not be the same node in another graph
            out.add((node, p, o))
            if isinstance(o, URIRef):
                for q in NESTED_PROPS:
                    for v in g.objects(o, q):
                        if not isinstance(v, BNode):
                            out.add((o, q, v))


def source_description(g: Graph, dataset: URIRef, choice: DumpChoice | None,
                       catalog: Node | None) -> Graph:
    """What the source catalogue says about a dataset, the distribution harvested and the
    catalogue itself (chosen properties, one level deep; blank nodes left out)."""
    out = Graph()
    out.add((dataset, RDF.type, DCAT.Dataset))
    _copy(g, out, dataset, DATASET_PROPS)
    if choice is not None and choice.distribution is not None:
        dist = URIRef(choice.distribution)
        out.add((dataset, DCAT.distribution, dist))
        out.add((dist, RDF.type, DCAT.Distribution))
        _copy(g, out, dist, DISTRIBUTION_PROPS)
    if isinstance(catalog, URIRef):
        out.add((catalog, RDF.type, DCAT.Catalog))
        out.add((catalog, DCAT.dataset, dataset))
        _copy(g, out, catalog, CATALOG_PROPS)
    return out


def title_of(g: Graph, node: Node) -> str | None:
    titles = {getattr(t, "language", None): str(t) for t in g.objects(node, DCTERMS.title)}
    return titles.get("fr") or titles.get(None) or next(iter(titles.values()), None)
