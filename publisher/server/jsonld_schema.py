"""schema.org JSON-LD for search engines, embedded in each HTML page.

Built from the same graphs as the page (the resource's document plus the labels and summaries of
what it links to, see :mod:`publisher.server.describe`), in the shapes search engines read:

- ``schema:EducationalOrganization`` (establishments; the campus, a network of them) and
  ``Organization`` (partners): name, description, ``address`` (``PostalAddress`` from LOCN),
  ``geo`` (``GeoCoordinates`` from the GeoSPARQL WKT point), telephone, email, website,
  identifiers (UAI, SIRET… as ``PropertyValue``);
- ``EducationalOccupationalProgram`` (formations): ``provider``, ``educationalCredentialAwarded``
  (with its ``educationalLevel`` and ``credentialCategory``), ``educationalProgramMode``,
  ``timeToComplete``, ``maximumEnrollment``;
- ``EducationalOccupationalCredential``, ``DefinedTerm`` / ``DefinedTermSet`` (SKOS concepts and
  schemes), ``CreativeWork`` (sources), ``Thing`` otherwise; ``Dataset`` for the landing page.

:func:`script_json` makes the text safe inside ``<script type="application/ld+json">``: ``<``,
``>``, ``&`` and the line separators U+2028/U+2029 are written as ``\\uXXXX`` escapes, so no value
can close the element (``</script>``) or open a comment; the JSON value is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from rdflib import OWL, RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS
from rdflib.term import Node

from publisher.core.namespaces import CMQ, GEO, LOCN, ORG, SCHEMA, VCARD
from publisher.core.wkt import point as wkt_point
from publisher.html.render import DESCRIPTIONS, label_of, pick_literal

JsonObject = dict[str, Any]

#: Identifiers shown as schema:PropertyValue, with their usual French names.
_IDENTIFIERS: tuple[tuple[URIRef, str], ...] = (
    (CMQ.uai, "UAI"), (CMQ.siret, "SIRET"), (CMQ.siren, "SIREN"), (CMQ.rncp, "RNCP"),
    (CMQ.cfd, "CFD"), (CMQ.nsf, "NSF"), (CMQ.rome, "ROME"),
)
_TYPES: tuple[tuple[URIRef, str], ...] = (
    (SCHEMA.EducationalOccupationalProgram, "EducationalOccupationalProgram"),
    (SCHEMA.EducationalOccupationalCredential, "EducationalOccupationalCredential"),
    (SCHEMA.EducationalOrganization, "EducationalOrganization"),
    (CMQ.Campus, "EducationalOrganization"),
    (ORG.Organization, "Organization"),
    (SKOS.ConceptScheme, "DefinedTermSet"),
    (OWL.Ontology, "DefinedTermSet"),
    (SKOS.Concept, "DefinedTerm"),
    (DCTERMS.BibliographicResource, "CreativeWork"),
)
_ORGS = {"EducationalOrganization", "Organization"}


def script_json(data: JsonObject) -> str:
    """JSON text that is safe as the content of a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def schema_type(g: Graph, node: Node) -> str:
    types = set(g.objects(node, RDF.type))
    return next((name for iri, name in _TYPES if iri in types), "Thing")


def _text(lit: Literal | None) -> str | None:
    return str(lit) if lit is not None else None


def _one(g: Graph, node: Node, pred: URIRef) -> Node | None:
    return next(iter(sorted(g.objects(node, pred), key=str)), None)


def _value(lit: Node | None) -> Any:
    if not isinstance(lit, Literal):
        return None
    if lit.datatype in (XSD.integer, XSD.int, XSD.decimal, XSD.double, XSD.boolean):
        py = lit.toPython()
        return py if isinstance(py, (int, float, bool)) else str(lit)
    return str(lit)


def _ref(g: Graph, node: Node, kind: str | None = None) -> JsonObject:
    """A linked node: ``@id``, ``@type`` and ``name`` (from the labels fetched with the page)."""
    out: JsonObject = {"@type": kind or schema_type(g, node), "@id": str(node)}
    name = label_of(g, node)
    if name is not None:
        out["name"] = str(name)
    return out


def _defined_term(g: Graph, node: Node) -> JsonObject | str:
    name = label_of(g, node)
    if name is None:
        return str(node)
    out: JsonObject = {"@type": "DefinedTerm", "@id": str(node), "name": str(name)}
    code = _one(g, node, SKOS.notation)
    if code is not None:
        out["termCode"] = str(code)
    return out


def _address(g: Graph, org: Node) -> JsonObject | None:
    addr = _one(g, org, LOCN.address)
    if addr is None:
        return None
    out: JsonObject = {"@type": "PostalAddress", "addressCountry": "FR"}
    for pred, key in ((LOCN.thoroughfare, "streetAddress"), (LOCN.postCode, "postalCode"),
                      (LOCN.postName, "addressLocality")):
        value = _one(g, addr, pred)
        if value is not None:
            out[key] = str(value)
    return out if len(out) > 2 else None


def _geo(g: Graph, org: Node) -> JsonObject | None:
    point = _one(g, org, LOCN.geometry)
    wkt = _one(g, point, GEO.asWKT) if point is not None else None
    lon_lat = wkt_point(str(wkt)) if wkt is not None else None
    if lon_lat is None:
        return None
    return {"@type": "GeoCoordinates", "longitude": lon_lat[0], "latitude": lon_lat[1]}


def _organisation(g: Graph, node: Node, out: JsonObject) -> None:
    address, geo = _address(g, node), _geo(g, node)
    if address:
        out["address"] = address
    if geo:
        out["geo"] = geo
    home = _one(g, node, FOAF.homepage)
    if home is not None:
        out["url"] = str(home)
    contact = _one(g, node, SCHEMA.contactPoint)
    if contact is not None:
        for pred, key, scheme in ((VCARD.hasTelephone, "telephone", "tel:"),
                                  (VCARD.hasEmail, "email", "mailto:")):
            value = _one(g, contact, pred)
            if value is not None:
                out[key] = str(value).removeprefix(scheme)


def _program(g: Graph, node: Node, out: JsonObject) -> None:
    provider = _one(g, node, SCHEMA.provider)
    if provider is not None:
        out["provider"] = _ref(g, provider, "EducationalOrganization")
    credential = _one(g, node, SCHEMA.educationalCredentialAwarded)
    if credential is not None:
        cred = _ref(g, credential, "EducationalOccupationalCredential")
        _credential(g, credential, cred)
        out["educationalCredentialAwarded"] = cred
    modes = sorted(g.objects(node, SCHEMA.educationalProgramMode), key=str)
    labels = [str(label_of(g, m) or m) for m in modes]
    if labels:
        out["educationalProgramMode"] = labels[0] if len(labels) == 1 else labels
    site = _one(g, node, SCHEMA.url)
    if site is not None:
        out["url"] = str(site)
    for pred, key in ((SCHEMA.timeToComplete, "timeToComplete"),
                      (SCHEMA.maximumEnrollment, "maximumEnrollment")):
        value = _value(_one(g, node, pred))
        if value is not None:
            out[key] = value


def _credential(g: Graph, node: Node, out: JsonObject) -> None:
    level = _one(g, node, SCHEMA.educationalLevel)
    if level is not None:
        out["educationalLevel"] = _defined_term(g, level)
    category = _one(g, node, SCHEMA.credentialCategory)
    if category is not None:
        out["credentialCategory"] = _defined_term(g, category)


def schema_org(g: Graph, iri: str, page_url: str | None = None) -> JsonObject:
    """The schema.org description of ``iri`` (``g``: its document plus context)."""
    node = URIRef(iri)
    kind = schema_type(g, node)
    out: JsonObject = {"@context": "https://schema.org", "@type": kind, "@id": iri}
    name = label_of(g, node)
    if name is not None:
        out["name"] = str(name)
    desc = _text(pick_literal(g, node, DESCRIPTIONS))
    if desc:
        out["description"] = desc
    if page_url:
        out["mainEntityOfPage"] = page_url
    ids = [
        {"@type": "PropertyValue", "propertyID": label, "value": str(v)}
        for pred, label in _IDENTIFIERS for v in sorted(g.objects(node, pred), key=str)
    ]
    if ids:
        out["identifier"] = ids
    if kind in _ORGS:
        _organisation(g, node, out)
    elif kind == "EducationalOccupationalProgram":
        _program(g, node, out)
    elif kind == "EducationalOccupationalCredential":
        _credential(g, node, out)
    elif kind == "DefinedTerm":
        scheme = _one(g, node, SKOS.inScheme)
        if scheme is not None:
            out["inDefinedTermSet"] = _ref(g, scheme, "DefinedTermSet")
        code = _one(g, node, SKOS.notation)
        if code is not None:
            out["termCode"] = str(code)
    return out


def web_page(name: str, url: str, about: str) -> JsonObject:
    """A plain ``WebPage`` about the dataset (the query page)."""
    return {"@context": "https://schema.org", "@type": "WebPage", "name": name, "url": url,
            "about": {"@type": "Dataset", "@id": about}, "inLanguage": ["fr", "en"]}


def dataset(
    name: str, description: str, url: str, iri: str,
    downloads: list[tuple[str, str]], license_url: str | None = None,
    keywords: tuple[str, ...] = (),
) -> JsonObject:
    """``schema:Dataset`` of the landing page (downloads: ``(url, media type)``)."""
    out: JsonObject = {
        "@context": "https://schema.org", "@type": "Dataset", "@id": iri, "name": name,
        "description": description, "url": url, "inLanguage": ["fr", "en"],
        "isAccessibleForFree": True,
        "distribution": [
            {"@type": "DataDownload", "contentUrl": u, "encodingFormat": m} for u, m in downloads
        ],
    }
    if license_url:
        out["license"] = license_url
    if keywords:
        out["keywords"] = list(keywords)
    return out
