"""The shipped named queries (``queries/*.rq``) and their loader (:mod:`publisher.project.queries`).

Every query runs against the shipped data loaded as the server loads a release: the campus graph in
the default graph, the ontology in a named graph, the union queried by default. Expected rows are
written out by hand from ``data/*.csv`` and ``data/campus.toml``; a query without an expectation
here fails :func:`test_every_query_has_an_expectation`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import build_graph
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result, ResultRow
from rdflib.term import Node

from publisher.core.errors import ProjectError
from publisher.core.namespaces import CMQ_NS, PREFIXES
from publisher.project.folder import Project
from publisher.project.queries import (
    QUERIES_DIR,
    NamedQuery,
    QueryFileError,
    load_queries,
    parse_query,
    query_form,
)

# rdflib's own SPARQL engine still calls its deprecated Dataset.default_context internally
pytestmark = pytest.mark.filterwarnings(
    "ignore:Dataset.default_context is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
XSD_DECIMAL = URIRef(XSD_NS + "decimal")
Row = tuple[object, ...]

# ----------------------------------------------------------------------------- fixtures


class Shipped:
    """The shipped data in an Oxigraph store and an rdflib dataset, and the shipped queries."""

    def __init__(self) -> None:
        project = Project.open(ROOT)
        self.base = project.config.base_iri
        self.graph = build_graph(project)
        ontology = Graph()
        for path in project.ontology_files():
            ontology.parse(path)
        ontology_graph = ox.NamedNode(self.base + "graph/ontology")
        self.store = ox.Store()
        self.store.load(self.graph.serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES)
        self.store.load(ontology.serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES,
                        to_graph=ontology_graph)
        self.dataset = Dataset(default_union=True)
        self.dataset.default_graph.__iadd__(self.graph)
        self.dataset.graph(URIRef(self.base + "graph/ontology")).__iadd__(ontology)
        self.queries = {q.name: q for q in load_queries()}

    # -- running

    def run(self, text: str) -> ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean:
        return self.store.query(text, use_default_graph_as_union=True)

    def select(self, name: str, *columns: str, text: str | None = None) -> list[Row]:
        """Rows of a SELECT query, as plain Python values, for the columns asked for."""
        result = self.run(text if text is not None else self.queries[name].text)
        assert isinstance(result, ox.QuerySolutions), name
        names = [v.value for v in result.variables]
        for c in columns:
            assert c in names, f"{name}: no column {c!r} (columns: {names})"
        return [tuple(self.py(s[c]) for c in columns) for s in result]

    def triples(self, name: str) -> Graph:
        result = self.run(self.queries[name].text)
        assert isinstance(result, ox.QueryTriples), name
        g = Graph()
        for t in result:
            g.add((_rdflib(t.subject), _rdflib(t.predicate), _rdflib(t.object)))
        return g

    # -- converting

    def short(self, iri: str) -> str:
        if iri.startswith(self.base):
            return iri[len(self.base):]
        if iri.startswith(CMQ_NS):
            return "cmq:" + iri[len(CMQ_NS):]
        return iri

    def py(self, term: object) -> object:
        """An Oxigraph term as a plain value: IRIs shortened, numbers and booleans as Python."""
        if term is None:
            return None
        if isinstance(term, ox.NamedNode):
            return self.short(term.value)
        if isinstance(term, ox.Literal):
            return _literal_value(term.value, term.datatype.value)
        return "_:"

    def py_rdflib(self, term: Node | None) -> object:
        """The same for an rdflib term (for comparing the two engines)."""
        if term is None:
            return None
        if isinstance(term, URIRef):
            return self.short(str(term))
        if isinstance(term, Literal):
            return _literal_value(str(term), str(term.datatype or XSD_NS + "string"))
        return "_:"


def _literal_value(lexical: str, datatype: str) -> object:
    if datatype == XSD_NS + "integer":
        return int(lexical)
    if datatype == XSD_NS + "decimal":
        return Decimal(lexical)
    if datatype == XSD_NS + "boolean":
        return lexical in ("true", "1")
    return lexical


def _rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_NS + "string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


@pytest.fixture(scope="module")
def shipped() -> Shipped:
    return Shipped()


def parts(joined: object) -> frozenset[str]:
    """The items of a GROUP_CONCAT(…; separator=" ; ") column (their order is not defined)."""
    assert isinstance(joined, str)
    return frozenset(joined.split(" ; ")) if joined else frozenset()


def pairs(rows: list[Row]) -> dict[object, object]:
    """Two-column rows as a mapping."""
    return {row[0]: row[1] for row in rows}


def variant(query: NamedQuery, old: str, new: str) -> str:
    """The query adapted as its description says (the text replaced must be there)."""
    assert old in query.text, f"{query.name}: {old!r} not found"
    return query.text.replace(old, new)


# ----------------------------------------------------------------------------- expectations

EXPECTED: dict[str, Callable[[Shipped], None]] = {}


def expects(name: str) -> Callable[[Callable[[Shipped], None]], Callable[[Shipped], None]]:
    """Register a test as the expectation of the query ``queries/<name>.rq``."""

    def register(test: Callable[[Shipped], None]) -> Callable[[Shipped], None]:
        EXPECTED[name] = test
        return test

    return register


CAMPUS = "Campus des métiers et des qualifications de la plasturgie et de la métallurgie"
CONDORCET = "Lycée Condorcet (espace scolaire Condorcet)"
LP_LAON = "Lycée professionnel Exemple (fictif)"
LPO_CHAUNY = "Lycée polyvalent Fictif de Chauny"
LGT_SQ = "Lycée général et technologique Fictif de Saint-Quentin"
CFA = "CFA fictif de l'industrie picarde"
GRETA = "GRETA fictif de l'Aisne"
LP_SANTERRE = "Lycée professionnel Fictif du Santerre"
IUT = "IUT fictif de l'Aisne"
ECOLE = "École d'ingénieurs fictive des matériaux"
UNIVERSITE = "Université fictive de Picardie"
REGION = "Conseil régional de Picardie"
RECTORAT = "Rectorat de l'académie d'Amiens"
SEMINAIRE = ("Le Campus des métiers et des qualifications de la plasturgie et de la métallurgie : "
             "un réseau des formations industrielles en Picardie")
LICENCE_PRO = "Licence professionnelle Métiers de l'industrie : plasturgie et matériaux composites"
VS, AP, FC = "voie scolaire", "apprentissage", "formation continue"


@expects("01-campus-en-bref")
def test_campus_at_a_glance(shipped: Shipped) -> None:
    rows = shipped.select("01-campus-en-bref", "campus", "nom", "nom_en", "date_label", "region",
                          "secteurs", "territoires", "pilotes", "missions", "membres",
                          "description")
    assert len(rows) == 1
    campus, nom, nom_en, date, region, secteurs, territoires, pilotes, missions, membres, desc = (
        rows[0])
    assert (campus, nom, date, region, membres) == ("organisation/campus", CAMPUS, "2013", "32", 16)
    assert nom_en == ("Campus of trades and qualifications for plastics processing and "
                      "metalworking")
    assert parts(secteurs) == {"plasturgie", "métallurgie"}
    assert parts(territoires) == {"Saint-Quentinois", "Grand Laonnois", "Pays Chaunois",
                                  "Santerre"}
    assert parts(pilotes) == {REGION, RECTORAT}
    assert parts(missions) == {
        ("Mutualiser les moyens, compétences et connaissances de chacun afin de développer le "
         "tissu industriel régional."),
        ("Offrir une meilleure cohésion de la formation face au monde économique, en anticipant "
         "et en formant les personnels de demain."),
        ("Dynamiser l'innovation au sein des entreprises, et permettre aux laboratoires de "
         "développer leurs moyens techniques."),
    }
    assert isinstance(desc, str) and desc.startswith("Réseau d'établissements d'enseignement")


@expects("02-formations-par-niveau-et-voie")
def test_formations_by_level_and_route(shipped: Shipped) -> None:
    rows = shipped.select("02-formations-par-niveau-et-voie",
                          "niveau_code", "voie_code", "voie", "formations")
    assert rows == [
        ("3", "apprentissage", AP, 2), ("3", "formation-continue", FC, 1),
        ("3", "voie-scolaire", VS, 2),
        ("4", "apprentissage", AP, 5), ("4", "formation-continue", FC, 3),
        ("4", "voie-scolaire", VS, 6),
        ("5", "apprentissage", AP, 3), ("5", "formation-continue", FC, 2),
        ("5", "voie-scolaire", VS, 4),
        ("6", "apprentissage", AP, 2), ("6", "formation-continue", FC, 2),
        ("6", "voie-scolaire", VS, 2),
        ("7", "apprentissage", AP, 1), ("7", "formation-continue", FC, 2),
        ("7", "voie-scolaire", VS, 2),
    ]
    levels = {code: label for code, label in
              shipped.select("02-formations-par-niveau-et-voie", "niveau_code", "niveau")}
    assert levels == {"3": "niveau 3 (CAP, BEP)", "4": "niveau 4 (baccalauréat, BP, bac pro)",
                      "5": "niveau 5 (BTS, DEUST)", "6": "niveau 6 (licence, licence pro, BUT)",
                      "7": "niveau 7 (master, ingénieur)"}


NO_TERRITORY = "(territoire non renseigné)"


@expects("03-membres-par-territoire")
def test_members_by_territory(shipped: Shipped) -> None:
    name = "03-membres-par-territoire"
    columns = ("territoire", "role_code", "membres", "etablissements", "noms")
    rows = [(*r[:4], parts(r[4])) for r in shipped.select(name, *columns)]
    assert rows == [
        (NO_TERRITORY, "etablissement-membre", 2, 2, {ECOLE, UNIVERSITE}),
        (NO_TERRITORY, "partenaire-recherche", 2, 0,
         {"IndustriLAB", "Laboratoire fictif des matériaux polymères"}),
        ("Grand Laonnois", "etablissement-membre", 2, 2, {LP_LAON, GRETA}),
        ("Pays Chaunois", "etablissement-membre", 1, 1, {LPO_CHAUNY}),
        ("Pays Chaunois", "partenaire-industriel", 1, 0, {"Plastiques Fictifs de Picardie SAS"}),
        ("Saint-Quentinois", "etablissement-membre", 3, 3, {CFA, LGT_SQ, IUT}),
        ("Saint-Quentinois", "etablissement-support", 1, 1, {CONDORCET}),
        ("Saint-Quentinois", "partenaire-industriel", 1, 0, {"Composites Fictifs Industrie"}),
        ("Saint-Quentinois", "partenaire-recherche", 1, 0, {"Innovaltech"}),
        ("Santerre", "etablissement-membre", 1, 1, {LP_SANTERRE}),
        ("Santerre", "partenaire-industriel", 1, 0, {"Usinage Fictif du Santerre"}),
    ]
    roles = pairs(shipped.select(name, "role_code", "role"))
    assert roles["etablissement-support"] == "établissement support"
    # the documented adaptation: current members only (the université's membership ended in 2017)
    current = variant(shipped.queries[name], "  # FILTER NOT EXISTS", "  FILTER NOT EXISTS")
    rows = [(*r[:4], parts(r[4])) for r in shipped.select(name, *columns, text=current)]
    assert (NO_TERRITORY, "etablissement-membre", 1, 1, {ECOLE}) in rows
    assert len(rows) == 11


@expects("04-etablissements-identifiants")
def test_establishments_and_identifiers(shipped: Shipped) -> None:
    rows = shipped.select("04-etablissements-identifiants", "etablissement", "type", "statut",
                          "uai", "siret", "commune", "code_commune", "longitude", "latitude",
                          "illustratif")
    d = Decimal
    assert rows == [
        ("organisation/cfa-fictif-industrie", "centre de formation d'apprentis", "privé",
         "0029904E", "99990011100017", "Saint-Quentin", "02691", d("3.3"), d("49.85"), True),
        ("organisation/greta-fictif-aisne", "GRETA", "public", "0029905F", None, "Laon", "02408",
         d("3.63"), d("49.56"), True),
        ("organisation/iut-fictif-aisne", "institut universitaire de technologie", "public",
         "0029906G", None, "Saint-Quentin", "02691", d("3.28"), d("49.848"), True),
        ("organisation/lycee-condorcet", None, None, None, None, "Saint-Quentin", None, None,
         None, False),
        ("organisation/lgt-fictif-saint-quentin", "lycée général et technologique", "public",
         "0029903D", None, "Saint-Quentin", "02691", d("3.2876"), d("49.8465"), True),
        ("organisation/lpo-fictif-chauny", "lycée polyvalent", "public", "0029902C", None,
         "Chauny", "02173", d("3.219"), d("49.6156"), True),
        ("organisation/lp-exemple-laon", "lycée professionnel", "public", "0029901B", None,
         "Laon", "02408", d("3.6199"), d("49.5641"), True),
        ("organisation/lp-fictif-santerre", "lycée professionnel", "public", "0809901C", None,
         "Roye", "80685", d("2.79"), d("49.698"), True),
        ("organisation/lp-henry-potez", "lycée professionnel", None, None, None, "Méaulte", None,
         None, None, False),
        ("organisation/universite-fictive", "université", "public", "0809903E", None, "Amiens",
         "80021", d("2.3"), d("49.89"), True),
        ("organisation/ecole-ingenieurs-fictive", "école d'ingénieurs", "privé", "0809902D",
         "99990022800019", "Amiens", "80021", d("2.295"), d("49.894"), True),
    ]
    wkt = pairs(shipped.select("04-etablissements-identifiants", "etablissement", "wkt"))
    assert wkt["organisation/lp-exemple-laon"] == "POINT(3.6199 49.5641)"


@expects("05-partenaires-par-type")
def test_partners_by_kind(shipped: Shipped) -> None:
    rows = shipped.select("05-partenaires-par-type", "type_code", "partenaire", "siret",
                          "commune", "membre", "pilote", "illustratif")
    assert rows == [
        ("autorite", "organisation/region-picardie", None, "Amiens", False, True, False),
        ("autorite", "organisation/rectorat-amiens", None, "Amiens", False, True, False),
        ("entreprise", "organisation/composites-fictifs", "99990055800019", "Saint-Quentin",
         True, False, True),
        ("entreprise", "organisation/plastiques-fictifs", "99990033500012", "Chauny", True, False,
         True),
        ("entreprise", "organisation/usinage-fictif-santerre", "99990044200016", "Roye", True,
         False, True),
        ("federation", "organisation/federation-plasturgie", None, None, False, False, False),
        ("laboratoire", "organisation/labo-fictif-materiaux", "99990066500012", "Amiens", True,
         False, True),
        ("plateforme-technologique", "organisation/industrilab", None, "Méaulte", True, False,
         False),
        ("plateforme-technologique", "organisation/innovaltech", None, "Saint-Quentin", True,
         False, False),
    ]
    kinds = pairs(shipped.select("05-partenaires-par-type", "type_code", "type"))
    assert kinds == {"autorite": "autorité publique", "entreprise": "entreprise",
                     "federation": "fédération ou branche professionnelle",
                     "laboratoire": "laboratoire de recherche",
                     "plateforme-technologique": "plateforme technologique"}


@expects("06-partenariats")
def test_partnerships(shipped: Shipped) -> None:
    name = "06-partenariats"
    rows = [(*r[:5], parts(r[5]), r[6]) for r in shipped.select(
        name, "partenariat", "type_code", "debut", "fin", "nb_parties", "parties", "illustratif")]
    assert rows == [
        ("partenariat/apprentis-usinage", "convention-formation", "2014-09-01", None, 3,
         {LP_SANTERRE, "Usinage Fictif du Santerre", CFA}, True),
        ("partenariat/industrilab-financement", "financement", None, None, 2,
         {"IndustriLAB", REGION}, False),
        ("partenariat/industrilab-henry-potez", "hebergement-plateforme", "2015-05-21", None, 2,
         {"IndustriLAB", "Lycée professionnel Henry Potez"}, False),
        ("partenariat/innovaltech-condorcet", "hebergement-plateforme", None, None, 2,
         {"Innovaltech", CONDORCET}, False),
        ("partenariat/plateforme-usinage-condorcet", "financement", "2014-01-17", None, 2,
         {CONDORCET, REGION}, False),
        ("partenariat/presse-partagee-chauny", "equipement-partage", "2014-09-01", "2019-08-31", 3,
         {LPO_CHAUNY, "Plastiques Fictifs de Picardie SAS", CFA}, True),
        ("partenariat/recherche-composites", "collaboration-recherche", "2015-01-01",
         "2018-12-31", 3,
         {"Laboratoire fictif des matériaux polymères", "Composites Fictifs Industrie", ECOLE},
         True),
        ("partenariat/soutien-labellisation", "soutien", "2013", None, 2,
         {"Fédération de la plasturgie", CAMPUS}, False),
    ]
    sources = pairs(shipped.select(name, "partenariat", "source"))
    assert sources["partenariat/innovaltech-condorcet"] == (
        "Innovaltech, plateforme technologique du lycée Condorcet à Saint-Quentin")
    kinds = pairs(shipped.select(name, "type_code", "type"))
    assert kinds["hebergement-plateforme"] == "hébergement de plateforme"


@expects("07-formations-vers-un-metier-rome")
def test_formations_for_a_rome_job(shipped: Shipped) -> None:
    name = "07-formations-vers-un-metier-rome"
    columns = ("rome", "formation", "niveau", "etablissement", "commune", "uai", "voies")
    rows = [(*r[:6], parts(r[6])) for r in shipped.select(name, *columns)]
    assert rows == [
        ("H3202", "formation/bac-pro-plastiques-lp-laon", "4", LP_LAON, "Laon", "0029901B", {VS}),
        ("H3202", "formation/bac-pro-plastiques-lpo-chauny", "4", LPO_CHAUNY, "Chauny",
         "0029902C", {VS, AP}),
        ("H3202", "formation/bts-europlastics-cfa", "5", CFA, "Saint-Quentin", "0029904E", {AP}),
        ("H3202", "formation/bts-europlastics-greta", "5", GRETA, "Laon", "0029905F", {FC}),
        ("H3202", "formation/bts-europlastics-lgt-sq", "5", LGT_SQ, "Saint-Quentin", "0029903D",
         {VS}),
        ("H3202", "formation/licence-pro-plasturgie-iut", "6", IUT, "Saint-Quentin", "0029906G",
         {AP}),
        ("H3202", "formation/licence-pro-plasturgie-universite", "6", UNIVERSITE, "Amiens",
         "0809903E", {VS, FC}),
    ]
    certifications = {c for (c,) in shipped.select(name, "certification_intitule")}
    assert certifications == {"Baccalauréat professionnel Plastiques et composites",
                              "BTS Europlastics et composites",
                              LICENCE_PRO}
    # the documented adaptation: several codes at once
    two = variant(shipped.queries[name], 'VALUES ?rome { "H3202" }',
                  'VALUES ?rome { "H3202" "H2903" }')
    h2903 = {f for rome, f in shipped.select(name, "rome", "formation", text=two)
             if rome == "H2903"}
    assert h2903 == {"formation/bac-pro-usinage-lp-santerre", "formation/bac-pro-usinage-cfa",
                     "formation/bac-pro-usinage-greta", "formation/bts-cprp-lgt-sq",
                     "formation/bts-cprp-lpo-chauny"}


@expects("08-formations-d-un-etablissement-par-uai")
def test_formations_of_an_establishment_by_uai(shipped: Shipped) -> None:
    name = "08-formations-d-un-etablissement-par-uai"
    columns = ("uai", "etablissement", "formation", "type_certification", "niveau", "duree",
               "places", "voies")
    rows = [(*r[:7], parts(r[7])) for r in shipped.select(name, *columns)]
    assert rows == [
        ("0029901B", LP_LAON, "formation/cap-plasturgie-lp-laon", "CAP", "3", "P2Y", 24, {VS}),
        ("0029901B", LP_LAON, "formation/bac-pro-maintenance-lp-laon",
         "baccalauréat professionnel", "4", "P3Y", 24, {VS, AP}),
        ("0029901B", LP_LAON, "formation/bac-pro-plastiques-lp-laon",
         "baccalauréat professionnel", "4", "P3Y", 24, {VS}),
    ]
    two = variant(shipped.queries[name], 'VALUES ?uai { "0029901B" }',
                  'VALUES ?uai { "0029901B" "0029904E" }')
    cfa = {f for uai, f in shipped.select(name, "uai", "formation", text=two) if uai == "0029904E"}
    assert cfa == {"formation/cap-plasturgie-cfa", "formation/bac-pro-usinage-cfa",
                   "formation/bac-pro-chaudronnerie-cfa", "formation/mc-soudage-cfa",
                   "formation/bts-europlastics-cfa"}


@expects("09-certifications-par-nsf-et-niveau")
def test_certifications_by_nsf_and_level(shipped: Shipped) -> None:
    columns = ("nsf", "specialite", "niveau_code", "certifications", "formations", "intitules")
    rows = [(*r[:5], parts(r[5]))
            for r in shipped.select("09-certifications-par-nsf-et-niveau", *columns)]
    plastics = "Plasturgie, matériaux composites"
    mechanics = "Mécanique générale et de précision, usinage"
    metal = "Structures métalliques"
    assert rows == [
        ("200", "Technologies industrielles fondamentales", "7", 2, 4,
         {"Master Science et génie des matériaux", "Diplôme d'ingénieur spécialité matériaux"}),
        ("225", plastics, "3", 2, 4,
         {"CAP Plasturgie", "CAP Conducteur d'installations de production"}),
        ("225", plastics, "4", 1, 2, {"Baccalauréat professionnel Plastiques et composites"}),
        ("225", plastics, "5", 1, 3, {"BTS Europlastics et composites"}),
        ("225", plastics, "6", 1, 2, {LICENCE_PRO}),
        ("250", "Spécialités pluritechnologiques mécanique-électricité", "4", 1, 2,
         {"Baccalauréat professionnel Maintenance des systèmes de production connectés"}),
        ("251", mechanics, "4", 1, 3,
         {"Baccalauréat professionnel Technicien en réalisation de produits mécaniques"}),
        ("251", mechanics, "5", 1, 2, {"BTS Conception des processus de réalisation de produits"}),
        ("251", mechanics, "6", 1, 2, {"BUT Génie mécanique et productique"}),
        ("254", metal, "4", 2, 4,
         {"Baccalauréat professionnel Technicien en chaudronnerie industrielle",
          "Mention complémentaire Technicien en soudage"}),
        ("254", metal, "5", 1, 2,
         {"BTS Conception et réalisation en chaudronnerie industrielle"}),
    ]


@expects("10-chiffres-cles")
def test_key_figures_with_provenance(shipped: Shipped) -> None:
    rows = shipped.select("10-chiffres-cles", "chiffre", "indicateur_code", "voie", "valeur",
                          "date", "source", "source_editeur", "source_date", "source_page",
                          "illustratif")
    provenance = (SEMINAIRE, REGION, "2014-10-15", None, False)
    assert rows == [
        ("chiffre/apprenants-2014", "apprenants", None, 2500, "2014-10-15", *provenance),
        ("chiffre/formations-apprentissage-2014", "formations", AP, 24, "2014-10-15",
         *provenance),
        ("chiffre/formations-formation-continue-2014", "formations", FC, 27, "2014-10-15",
         *provenance),
        ("chiffre/formations-voie-scolaire-2014", "formations", VS, 38, "2014-10-15",
         *provenance),
    ]


@expects("11-enregistrements-par-source")
def test_records_by_source(shipped: Shipped) -> None:
    rows = shipped.select("11-enregistrements-par-source", "source", "editeur", "date", "page",
                          "illustratif", "enregistrements")
    assert rows == [
        ("source/seminaire-2014", REGION, "2014-10-15", None, False, 9),
        ("source/vousnousils-2014", "VousNousIls", "2014-04-29", "https://www.vousnousils.fr/",
         False, 3),
        ("source/industrilab-2015", "IndustriLAB", "2015-05-21", None, False, 3),
        ("source/plasturgie-label-2013", "Fédération de la plasturgie", "2013",
         "https://www.laplasturgie.fr/", False, 3),
        ("source/gazette-innovaltech", "La Gazette de l'Oise", None, None, False, 2),
        ("source/industrie-expo-2014", "Industrie Expo", "2014-01-17", None, False, 1),
        ("source/ue-feder-industrilab", "Commission européenne (politique régionale)", None, None,
         False, 1),
        ("source/cmq-lod-illustratif", "cmq-lod", "2026-11-25", None, True, 73),
    ]


@expects("12-part-illustrative-par-genre")
def test_illustrative_share_by_kind(shipped: Shipped) -> None:
    rows = shipped.select("12-part-illustrative-par-genre", "genre", "total", "illustratifs",
                          "sources_publiques")
    assert rows == [
        ("campus", 1, 0, 1),
        ("établissement", 11, 9, 2),
        ("partenaire", 9, 4, 5),
        ("adhésion", 16, 13, 3),
        ("certification", 14, 14, 0),
        ("formation", 30, 30, 0),
        ("partenariat", 8, 3, 5),
        ("chiffre clé", 4, 0, 4),
    ]


@expects("13-carte-apprentissage")
def test_apprenticeship_map(shipped: Shipped) -> None:
    name = "13-carte-apprentissage"
    rows = shipped.select(name, "etablissement", "uai", "commune", "wkt",
                          "formations_apprentissage")
    assert rows == [
        ("organisation/cfa-fictif-industrie", "0029904E", "Saint-Quentin",
         "POINT(3.3000 49.8500)", 5),
        ("organisation/iut-fictif-aisne", "0029906G", "Saint-Quentin", "POINT(3.2800 49.8480)", 2),
        ("organisation/lpo-fictif-chauny", "0029902C", "Chauny", "POINT(3.2190 49.6156)", 2),
        ("organisation/lgt-fictif-saint-quentin", "0029903D", "Saint-Quentin",
         "POINT(3.2876 49.8465)", 1),
        ("organisation/lp-exemple-laon", "0029901B", "Laon", "POINT(3.6199 49.5641)", 1),
        ("organisation/lp-fictif-santerre", "0809901C", "Roye", "POINT(2.7900 49.6980)", 1),
        ("organisation/ecole-ingenieurs-fictive", "0809902D", "Amiens", "POINT(2.2950 49.8940)",
         1),
    ]
    result = shipped.run(shipped.queries[name].text)
    assert isinstance(result, ox.QuerySolutions)
    datatypes = {s["wkt"].datatype.value for s in result}
    assert datatypes == {"http://www.opengis.net/ont/geosparql#wktLiteral"}  # for map views


EXPECTED_VIEW = """
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <{base}> .

<formation/bts-europlastics-cfa> a schema:EducationalOccupationalProgram ;
    schema:name "BTS Europlastics et composites (apprentissage) — CFA fictif de l'industrie picarde"@fr ;
    schema:provider <organisation/cfa-fictif-industrie> ;
    schema:educationalCredentialAwarded <certification/bts-europlastics> ;
    schema:educationalProgramMode "apprentissage"@fr ;
    schema:timeToComplete "P2Y"^^xsd:duration ;
    schema:maximumEnrollment 12 ;
    schema:occupationalCategory "H3202", "H1404" .

<organisation/cfa-fictif-industrie> a schema:EducationalOrganization ;
    schema:name "CFA fictif de l'industrie picarde"@fr ;
    schema:identifier "0029904E" ;
    schema:address <organisation/cfa-fictif-industrie#adresse> ;
    schema:geo <organisation/cfa-fictif-industrie#position> .

<organisation/cfa-fictif-industrie#adresse> a schema:PostalAddress ;
    schema:streetAddress "4 rue des Apprentis" ;
    schema:postalCode "02100" ;
    schema:addressLocality "Saint-Quentin" .

<organisation/cfa-fictif-industrie#position> a schema:GeoCoordinates ;
    schema:longitude 3.3 ;
    schema:latitude 49.85 .

<certification/bts-europlastics> a schema:EducationalOccupationalCredential ;
    schema:name "BTS Europlastics et composites"@fr ;
    schema:credentialCategory "brevet de technicien supérieur"@fr ;
    schema:educationalLevel "niveau 5 (BTS, DEUST)"@fr .
"""


def assert_isomorphic(got: Graph, expected: Graph) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail("graphs differ\nonly in result:\n" + only_got.serialize(format="nt")
                    + "\nonly expected:\n" + only_expected.serialize(format="nt"))


@expects("14-vue-schema-org-des-formations")
def test_schema_org_view(shipped: Shipped) -> None:
    view = shipped.triples("14-vue-schema-org-des-formations")
    b = shipped.base
    subjects = {URIRef(b + s) for s in (
        "formation/bts-europlastics-cfa", "organisation/cfa-fictif-industrie",
        "organisation/cfa-fictif-industrie#adresse", "organisation/cfa-fictif-industrie#position",
        "certification/bts-europlastics")}
    part = Graph()
    for t in view:
        if t[0] in subjects:
            part.add(t)
    assert_isomorphic(part, Graph().parse(data=EXPECTED_VIEW.replace("{base}", b),
                                          format="turtle"))
    # schema.org terms only, and every formation, provider and credential
    assert all(str(p) == RDF_TYPE or str(p).startswith(SCHEMA) for p in set(view.predicates()))
    kinds = Counter(str(o) for o in view.objects(None, URIRef(RDF_TYPE)))
    assert kinds == {SCHEMA + "EducationalOccupationalProgram": 30,
                     SCHEMA + "EducationalOrganization": 9,
                     SCHEMA + "PostalAddress": 9, SCHEMA + "GeoCoordinates": 9,
                     SCHEMA + "EducationalOccupationalCredential": 14}
    assert len(view) == 426
    # the documented adaptation: what one establishment provides
    one = variant(shipped.queries["14-vue-schema-org-des-formations"],
                  "# VALUES ?e { <IRI of one establishment> }",
                  f"VALUES ?e {{ <{b}organisation/cfa-fictif-industrie> }}")
    result = shipped.run(one)
    assert isinstance(result, ox.QueryTriples)
    kinds = Counter(t.object.value for t in result if t.predicate.value == RDF_TYPE)
    assert kinds == {SCHEMA + "EducationalOccupationalProgram": 5,
                     SCHEMA + "EducationalOrganization": 1,
                     SCHEMA + "PostalAddress": 1, SCHEMA + "GeoCoordinates": 1,
                     SCHEMA + "EducationalOccupationalCredential": 5}


@expects("15-decrire-le-campus")
def test_describe_the_campus(shipped: Shipped) -> None:
    described = shipped.triples("15-decrire-le-campus")
    campus = URIRef(shipped.base + "organisation/campus")
    own = Graph()
    for t in shipped.graph.triples((campus, None, None)):
        own.add(t)
    assert_isomorphic(described, own)
    assert len(described) == 24
    label_date = Literal("2013", datatype=URIRef(XSD_NS + "gYear"))
    assert (campus, URIRef(CMQ_NS + "labelDate"), label_date) in described


# ----------------------------------------------------------------------------- every query


def test_shipped_queries_are_loaded(shipped: Shipped) -> None:
    assert len(shipped.queries) >= 10
    assert [q.name for q in load_queries(QUERIES_DIR)] == sorted(shipped.queries)


def test_every_query_has_an_expectation(shipped: Shipped) -> None:
    assert sorted(shipped.queries) == sorted(EXPECTED), (
        "each queries/*.rq needs an @expects test in tests/test_queries.py")


_PREFIX = re.compile(r"^PREFIX\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
_STANDARD = {**PREFIXES, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}


@pytest.mark.parametrize("query", load_queries(), ids=lambda q: q.name)
def test_every_query_is_documented(query: NamedQuery, shipped: Shipped) -> None:
    lines = query.text.splitlines()
    assert lines[0] == f"# title: {query.title_fr}"
    assert query.title_en and query.title_en != query.title_fr
    assert len(query.description) > 150  # a question, the identifiers used, how to adapt it
    assert len(query.description_fr) > 150 and query.description_fr != query.description
    assert query.form in {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
    assert all(len(line) <= 100 for line in lines), "lines of at most 100 characters"
    declared = _PREFIX.findall(query.text)
    assert declared, "PREFIX declarations"
    for prefix, iri in declared:
        assert _STANDARD.get(prefix) == iri, f"non-standard prefix {prefix}: <{iri}>"
        used = re.search(rf"(?<![\w<]){re.escape(prefix)}:\w", query.text.split(iri, 1)[1])
        assert used, f"prefix {prefix}: declared but not used"
    # portable across campuses: no record IRI of the shipped campus written into the query
    assert shipped.base not in query.text and "w3id.org/cmq/campus/" not in query.text


def _normalise(value: object) -> object:
    if isinstance(value, str) and " ; " in value:
        return frozenset(value.split(" ; "))
    return value


def _canonical(g: Graph) -> Graph:
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype == XSD_DECIMAL:
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD_DECIMAL)
        out.add((s, p, o))
    return out


@pytest.mark.parametrize("query", load_queries(), ids=lambda q: q.name)
def test_same_results_with_another_sparql_engine(query: NamedQuery, shipped: Shipped) -> None:
    """Standard SPARQL 1.1, not one engine's dialect: rdflib gives the same answers."""
    prepareQuery(query.text)  # rdflib's parser accepts it
    theirs: Result = shipped.dataset.query(query.text)
    ours = shipped.run(query.text)
    if isinstance(ours, ox.QuerySolutions):
        variables = [v.value for v in ours.variables]
        assert [str(v) for v in theirs.vars or []] == variables
        mine = Counter(tuple(_normalise(shipped.py(s[v])) for v in variables) for s in ours)
        other = Counter(tuple(_normalise(shipped.py_rdflib(r.get(v))) for v in variables)
                        for r in _rows(theirs))
        assert mine == other
    else:
        assert isinstance(ours, ox.QueryTriples) and theirs.graph is not None
        got = Graph()
        for t in ours:
            got.add((_rdflib(t.subject), _rdflib(t.predicate), _rdflib(t.object)))
        assert_isomorphic(_canonical(got), _canonical(theirs.graph))


def _rows(result: Result) -> Iterable[Mapping[str, Node]]:
    for row in result:
        assert isinstance(row, ResultRow)
        yield row.asdict()


# ----------------------------------------------------------------------------- the loader


HEADER = """# title: Formations par voie
# title_en: Formations by route
# description_fr: Compte les formations par voie.
# description: Counts formations per route;
#   continued on an indented line.
#
# A free comment line after the header entries.
PREFIX schema: <https://schema.org/>
SELECT ?v (COUNT(*) AS ?n) WHERE { ?f schema:educationalProgramMode ?v } GROUP BY ?v
"""


def test_parse_query_reads_the_header() -> None:
    q = parse_query("par-voie", HEADER)
    assert q == NamedQuery("par-voie", "Formations par voie", "Formations by route",
                           "Counts formations per route; continued on an indented line.", HEADER,
                           "Compte les formations par voie.")
    # description_fr is optional (project queries written before it)
    older = parse_query("par-voie", HEADER.replace("# description_fr: Compte les formations par "
                                                   "voie.\n", ""))
    assert older.description_fr == "" and older.description == q.description
    assert q.form == "SELECT"


@pytest.mark.parametrize(("text", "message"), [
    (HEADER.replace("# title_en: Formations by route\n", ""), "title_en"),
    (HEADER.replace("# description: Counts formations per route;\n", "# description:\n")
     .replace("#   continued on an indented line.\n", ""), "description"),
    ("PREFIX x: <http://example.org/>\n" + HEADER, "title"),
    (HEADER.replace("# title_en:", "# titre_en:"), "titre_en"),
    (HEADER.replace("# title_en", "# title: bis\n# title_en"), "repeated key 'title'"),
])
def test_parse_query_rejects_incomplete_headers(text: str, message: str) -> None:
    with pytest.raises(QueryFileError) as info:
        parse_query("q", text)
    assert message in info.value.message and "queries/q.rq" in info.value.message
    assert isinstance(info.value, ProjectError) and info.value.status == 500


def test_parse_query_needs_a_query() -> None:
    header_only = "".join(line + "\n" for line in HEADER.splitlines() if line.startswith("#"))
    with pytest.raises(QueryFileError, match="no query"):
        parse_query("q", header_only)


def test_query_form_skips_comments_iris_and_strings() -> None:
    text = ('# title: select everything\nPREFIX ex: <http://example.org/select#>\n'
            'ASK { ?s ex:p "CONSTRUCT" }')
    assert query_form(text) == "ASK"
    assert query_form("prefix s: <http://x/>\nconstruct { ?s ?p ?o } where { ?s ?p ?o }") == (
        "CONSTRUCT")
    assert query_form("# SELECT\n") == ""


def test_load_queries_orders_by_file_name(tmp_path: Path) -> None:
    (tmp_path / "b-second.rq").write_text(HEADER.replace("par voie", "B"), encoding="utf-8")
    (tmp_path / "a-first.rq").write_text("\ufeff" + HEADER, encoding="utf-8")  # BOM tolerated
    (tmp_path / "notes.txt").write_text("not a query", encoding="utf-8")
    queries = load_queries(tmp_path)
    assert [(q.name, q.title_fr) for q in queries] == [("a-first", "Formations par voie"),
                                                        ("b-second", "Formations B")]


def test_load_queries_reports_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "latin1.rq").write_bytes(HEADER.replace("par voie", "génie").encode("latin-1"))
    with pytest.raises(QueryFileError, match="latin1.rq"):
        load_queries(tmp_path)
    with pytest.raises(QueryFileError, match="missing"):
        load_queries(tmp_path / "absent")
