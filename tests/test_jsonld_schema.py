"""schema.org JSON-LD for search engines (publisher.server.jsonld_schema)."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI, SCHEMA
from publisher.html.render import LABELS
from publisher.project.folder import Project
from publisher.server.jsonld_schema import (
    dataset,
    schema_org,
    schema_type,
    script_json,
    web_page,
)

SUMMARY = (RDF.type, SCHEMA.educationalLevel, SCHEMA.credentialCategory, SKOS.inScheme,
           SKOS.notation)


def page_graph(full: Graph, iri: str) -> Graph:
    """The resource's document (with hash parts) plus labels and summaries of what it links to,
    as :mod:`publisher.server.describe` fetches them."""
    node = URIRef(iri)
    g = Graph()
    for p, o in full.predicate_objects(node):
        g.add((node, p, o))
        if isinstance(o, URIRef) and str(o).startswith(iri + "#"):
            for p2, o2 in full.predicate_objects(o):
                g.add((o, p2, o2))
    for r in {o for o in g.objects() if isinstance(o, URIRef)}:
        for p in (*LABELS, *SUMMARY):
            for v in full.objects(r, p):
                g.add((r, p, v))
                for lp in (*LABELS, SKOS.notation):
                    for vl in full.objects(v, lp):
                        g.add((v, lp, vl))
    return g


@pytest.fixture(scope="module")
def full(shipped_graph: Graph, ontology_graph: Graph) -> Graph:
    return shipped_graph + ontology_graph


@pytest.fixture(scope="module")
def base(shipped_project: Project) -> str:
    return shipped_project.config.base_iri


def roundtrip(data: dict[str, object]) -> dict[str, object]:
    parsed = json.loads(script_json(data))
    assert parsed == data
    return parsed  # type: ignore[no-any-return]


def test_establishment_with_address_geo_and_identifiers(full: Graph, base: str) -> None:
    iri = base + "organisation/lp-exemple-laon"
    data = roundtrip(schema_org(page_graph(full, iri), iri, "http://127.0.0.1:8000/x"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "EducationalOrganization"
    assert data["@id"] == iri
    assert data["name"] == "Lycée professionnel Exemple (fictif)"
    assert data["mainEntityOfPage"] == "http://127.0.0.1:8000/x"
    assert data["address"] == {"@type": "PostalAddress", "addressCountry": "FR",
                               "streetAddress": "1 rue de l'Exemple", "postalCode": "02000",
                               "addressLocality": "Laon"}
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 49.5641, "longitude": 3.6199}
    assert data["email"] == "contact@lp-exemple.invalid"
    assert {"@type": "PropertyValue", "propertyID": "UAI", "value": "0029901B"} in data[
        "identifier"]  # type: ignore[operator]


def test_program_with_provider_and_credential_level(full: Graph, base: str) -> None:
    iri = base + "formation/cap-plasturgie-lp-laon"
    data = roundtrip(schema_org(page_graph(full, iri), iri))
    assert data["@type"] == "EducationalOccupationalProgram"
    assert data["provider"] == {"@type": "EducationalOrganization",
                                "@id": base + "organisation/lp-exemple-laon",
                                "name": "Lycée professionnel Exemple (fictif)"}
    credential = data["educationalCredentialAwarded"]
    assert isinstance(credential, dict)
    assert credential["@type"] == "EducationalOccupationalCredential"
    assert credential["name"] == "CAP Plasturgie"
    level = credential["educationalLevel"]
    assert level["@type"] == "DefinedTerm" and level["@id"] == CMQ_NS + "niveau/3"
    assert level["name"].startswith("niveau 3") and level["termCode"] == "3"
    assert data["educationalProgramMode"] == "voie scolaire"
    assert data["timeToComplete"] == "P2Y"
    assert data["maximumEnrollment"] == 24


def test_concept_is_a_defined_term(full: Graph) -> None:
    iri = CMQ_NS + "route/apprentissage"
    data = roundtrip(schema_org(page_graph(full, iri), iri))
    assert data["@type"] == "DefinedTerm"
    assert data["termCode"] == "apprentissage"
    assert data["inDefinedTermSet"] == {"@type": "DefinedTermSet", "@id": CMQ_NS + "route",
                                        "name": "voie de formation"}


def test_types(full: Graph, base: str) -> None:
    assert schema_type(full, URIRef(base + "organisation/campus")) == "EducationalOrganization"
    assert schema_type(full, URIRef(base + "organisation/rectorat-amiens")) == "Organization"
    assert schema_type(full, URIRef(base + "certification/cap-plasturgie")) == (
        "EducationalOccupationalCredential")
    assert schema_type(full, URIRef(base + "source/seminaire-2014")) == "CreativeWork"
    assert schema_type(full, URIRef(base + "partenariat/innovaltech-condorcet")) == "Thing"


@pytest.mark.parametrize("evil", [
    "</script><script>alert(1)</script>",
    "</SCRIPT >",
    "<!-- <script>",
    "a & b > c",
    "line\u2028separator\u2029",
])
def test_script_json_cannot_close_the_element(evil: str) -> None:
    iri = "https://example.org/x"
    g = Graph()
    g.add((URIRef(iri), SKOS.prefLabel, Literal(evil, lang="fr")))
    data = schema_org(g, iri)
    text = script_json(data)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text)["name"] == evil


def test_landing_dataset() -> None:
    data = roundtrip(dataset("Titre", "Description", "http://127.0.0.1:8000/",
                             "https://example.org/dataset",
                             [("http://127.0.0.1:8000/releases/1/campus.ttl", "text/turtle")],
                             "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
                             ("plasturgie",)))
    assert data["@type"] == "Dataset"
    assert data["distribution"] == [{"@type": "DataDownload",
                                     "contentUrl": "http://127.0.0.1:8000/releases/1/campus.ttl",
                                     "encodingFormat": "text/turtle"}]
    assert data["keywords"] == ["plasturgie"]


def test_ontology_and_query_page(ontology_graph: Graph) -> None:
    data = roundtrip(schema_org(ontology_graph, ONTOLOGY_IRI))
    assert data["@type"] == "DefinedTermSet"
    assert data["name"] == "Ontologie des Campus des métiers et des qualifications"
    page = roundtrip(web_page("Requêtes", "http://127.0.0.1:8000/sparql",
                              "https://example.org/dataset"))
    assert page["about"] == {"@type": "Dataset", "@id": "https://example.org/dataset"}
