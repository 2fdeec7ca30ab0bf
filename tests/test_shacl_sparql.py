"""The SPARQL-compiled SHACL engine agrees with pyshacl, the reference implementation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import SH, SKOS

from publisher.convert.tables import convert
from publisher.core.graphs import load_graph, store_from_graphs
from publisher.project.folder import Project
from publisher.validate.compiled import Unsupported, compile_shapes, run_checks

ROOT = Path(__file__).resolve().parents[1]
C = "https://w3id.org/cmq/ontology/"
Key = tuple[str, str, str, str, str]


def results(report: Graph) -> set[Key]:
    """Comparable results: focus, path, value, component, severity.

    pyshacl leaves sh:value out of the results of SPARQL ASK validators (our engine gives the
    value, as the SHACL spec asks), so the value is ignored for those components.
    """
    out: set[Key] = set()
    for r in report.objects(None, SH.result):
        comp = str(report.value(r, SH.sourceConstraintComponent))
        value = "" if comp.startswith("https://w3id.org/cmq/shapes/") else str(
            report.value(r, SH.value))
        out.add((str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)),
                 value, comp, str(report.value(r, SH.resultSeverity))))
    return out


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.open(ROOT)


@pytest.fixture(scope="module")
def shapes(project: Project) -> Graph:
    return load_graph(project.shape_files())


@pytest.fixture(scope="module")
def ontology(project: Project) -> Graph:
    return load_graph(project.ontology_files())


def both(data: Graph, shapes: Graph, ontology: Graph) -> tuple[set[Key], set[Key]]:
    fast = run_checks(store_from_graphs(data, ontology), compile_shapes(shapes))
    union = Graph()
    union += data
    union += ontology
    _, ref, _ = pyshacl_validate(union, shacl_graph=shapes, advanced=True, allow_warnings=True)
    assert isinstance(ref, Graph)
    return results(fast), results(ref)


def broken(graph: Graph, base: str) -> Graph:
    """The shipped graph with one violation of many different constraints."""
    g = Graph()
    g += graph
    org = URIRef(base + "organisation/lp-exemple-laon")
    g.set((org, URIRef(C + "uai"), Literal("0029901C")))  # wrong check letter
    g.add((org, SKOS.prefLabel, Literal("Autre nom", lang="fr")))  # uniqueLang
    g.add((org, URIRef(C + "siret"), Literal("12345678901234")))  # Luhn
    g.add((org, URIRef(C + "status"), URIRef(C + "statut/bizarre")))  # sh:node
    chauny = URIRef(base + "organisation/lpo-fictif-chauny")
    g.remove((chauny, SKOS.prefLabel, None))
    g.add((chauny, SKOS.prefLabel, Literal("Name", lang="en")))  # qualified French label
    f = URIRef(base + "formation/cap-plasturgie-cfa")
    g.add((f, URIRef("https://schema.org/maximumEnrollment"), Literal("-3", datatype=XSD.integer)))
    g.add((f, URIRef("https://schema.org/educationalProgramMode"), URIRef(C + "niveau/3")))
    g.set((f, URIRef("https://schema.org/provider"), URIRef(base + "organisation/innovaltech")))
    g.remove((URIRef(base + "formation/cap-plasturgie-lp-laon"), RDF.type, None))
    adr = URIRef(base + "organisation/lp-exemple-laon#adresse")
    g.add((adr, URIRef("http://www.w3.org/ns/locn#postCode"), Literal("2000")))
    contact = URIRef(base + "organisation/lp-exemple-laon#contact")
    g.add((contact, RDF.type, URIRef("http://www.w3.org/2006/vcard/ns#Individual")))
    g.set((contact, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"),
           URIRef("mailto:jean.dupont@example.org")))
    period = URIRef(base + "adhesion/universite-fictive-etablissement-membre#periode")
    g.add((period, URIRef("http://www.w3.org/ns/dcat#startDate"),
           Literal("2019-01-01", datatype=XSD.date)))
    cert = URIRef(base + "certification/bts-cprp")
    g.remove((cert, URIRef(C + "rome"), None))
    g.add((cert, URIRef(C + "rome"), Literal("Z1234")))
    g.add((cert, URIRef(C + "rncp"), Literal("RNCP12")))
    g.add((URIRef(base + "partenariat/soutien-labellisation"),
           URIRef("http://www.w3.org/ns/org#purpose"), Literal("x", lang="de")))
    g.remove((URIRef(base + "chiffre/apprenants-2014"), URIRef("https://schema.org/value"), None))
    return g


@pytest.mark.reference
def test_shipped_data_same_results(project: Project, shapes: Graph, ontology: Graph) -> None:
    fast, ref = both(convert(project).graph, shapes, ontology)
    assert fast == ref
    assert all(r[4] == str(SH.Warning) for r in fast)


@pytest.mark.reference
def test_broken_data_same_results(project: Project, shapes: Graph, ontology: Graph) -> None:
    fast, ref = both(broken(convert(project).graph, project.config.base_iri), shapes, ontology)
    assert fast == ref, f"fast only: {fast - ref}\npyshacl only: {ref - fast}"
    components = {r[3].rsplit("#", 1)[-1].rsplit("/", 1)[-1] for r in fast}
    # the fixture exercises many kinds of constraint, so the comparison means something
    assert {"MinCountConstraintComponent", "UniqueLangConstraintComponent",
            "QualifiedMinCountConstraintComponent", "NodeConstraintComponent",
            "ClassConstraintComponent", "MinInclusiveConstraintComponent",
            "PatternConstraintComponent", "NotConstraintComponent",
            "SPARQLConstraintComponent", "UaiCheckConstraintComponent",
            "SiretCheckConstraintComponent", "LanguageInConstraintComponent"} <= components


def test_messages_are_bilingual_and_substituted(project: Project, shapes: Graph,
                                                ontology: Graph) -> None:
    data = broken(convert(project).graph, project.config.base_iri)
    report = run_checks(store_from_graphs(data, ontology), compile_shapes(shapes))
    uai = [r for r in report.objects(None, SH.result)
           if str(report.value(r, SH.sourceConstraintComponent)).endswith("UaiCheckConstraintComponent")]
    assert len(uai) == 1
    msgs = {m.language: str(m) for m in report.objects(uai[0], SH.resultMessage)
            if isinstance(m, Literal)}
    assert set(msgs) == {"fr", "en"}
    assert "0029901C" in msgs["fr"] and "0029901C" in msgs["en"]
    assert list(report.objects(None, SH.conforms)) == [Literal(False)]


def test_unsupported_feature_is_refused() -> None:
    shapes = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property [ sh:path ex:p ; sh:equals ex:q ] .""", format="turtle")
    with pytest.raises(Unsupported):
        compile_shapes(shapes)
