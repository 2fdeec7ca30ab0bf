"""Namespaces: the project's own vocabulary as an rdflib ``DefinedNamespace`` plus the reused ones.

``CMQ`` lists exactly the classes and properties declared in ``ontology/cmq.ttl`` (a test keeps
them in step); ``_fail = True`` makes a typo an error instead of a new IRI.
"""

from __future__ import annotations

from rdflib import RDF, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_IRI = "https://w3id.org/cmq/ontology"
CMQ_NS = "https://w3id.org/cmq/ontology/"
SHAPES_NS = "https://w3id.org/cmq/shapes/"


class CMQ(DefinedNamespace):
    """Own terms of the CMQ ontology."""

    _NS = Namespace(CMQ_NS)
    _fail = True

    # classes
    Campus: URIRef
    KeyFigure: URIRef
    Partnership: URIRef
    # properties
    academie: URIRef
    active: URIRef
    certifierSiret: URIRef
    cfd: URIRef
    formacode: URIRef
    illustrative: URIRef
    indicator: URIRef
    inseeCommune: URIRef
    inseeDepartement: URIRef
    inseeRegion: URIRef
    labelDate: URIRef
    lheoElement: URIRef  # annotation property (ontology/alignments.ttl)
    nsf: URIRef
    offer: URIRef
    onisep: URIRef
    party: URIRef
    pilot: URIRef
    region: URIRef
    rncp: URIRef
    rome: URIRef
    sector: URIRef
    siren: URIRef
    siret: URIRef
    status: URIRef
    territory: URIRef
    uai: URIRef


def concept(scheme: str, code: str) -> URIRef:
    """IRI of a concept of one of the ontology's controlled lists."""
    return URIRef(f"{CMQ_NS}{scheme}/{code}")


ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
CMQSH = Namespace(SHAPES_NS)

#: Prefixes bound in every graph cmq writes.
PREFIXES: dict[str, str] = {
    "cmq": CMQ_NS,
    "cmqsh": SHAPES_NS,
    "org": str(ORG),
    "schema": str(SCHEMA),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": str(LOCN),
    "geo": str(GEO),
    "vcard": str(VCARD),
    "dcat": str(DCAT),
    "void": str(VOID),
    "prov": str(PROV),
    "spdx": str(SPDX),
    "adms": str(ADMS),
    "sd": str(SD),
    "sh": "http://www.w3.org/ns/shacl#",
    "time": "http://www.w3.org/2006/time#",
}

#: :data:`PREFIXES` and ``rdf`` (rdflib binds that one itself): every prefix cmq's own queries
#: and pages may use.
ALL_PREFIXES: dict[str, str] = {**PREFIXES, "rdf": str(RDF)}
#: :data:`ALL_PREFIXES` as SPARQL ``PREFIX`` lines (with a final newline), to put before the
#: queries cmq writes.
SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(ALL_PREFIXES.items()))
