"""``cmq import annuaire``: the Annuaire de l'éducation merged into etablissements.csv by UAI.

Fixtures (tests/fixtures/national/, fictitious rows with the real headers): ``annuaire.csv`` (raw
headers, `;`, a multi-line cell, bad rows), ``annuaire-etiquettes-latin1.csv`` (capitalised
"with labels" headers, Windows-1252, unknown columns), ``annuaire-bom.csv`` (UTF-8 with BOM,
comma-separated, extra columns).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_campus, set_cell
from importer_helpers import (
    BASE,
    NATIONAL,
    assert_same_graph,
    by_column,
    converted,
    record_graph,
    rejects,
    table,
)
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from publisher.core.errors import SourceError
from publisher.core.namespaces import CMQ, concept
from publisher.importers import AnnuaireFilter, ImportOptions, ImportResult, import_annuaire
from publisher.project.folder import Project
from publisher.validate.validation import validate_project

OPTS = ImportOptions(date="2026-01-15")
SOURCE = "annuaire-education-2026-01-15-annuaire"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, ImportResult]:
    """The shipped campus after importing annuaire.csv filtered to départements 02 and 80."""
    project = copy_campus(tmp_path_factory.mktemp("annuaire"))
    result = import_annuaire(project, NATIONAL / "annuaire.csv", OPTS,
                             AnnuaireFilter.of(departements=["02", "80"]))
    return project, result


@pytest.fixture(scope="module")
def graph(imported: tuple[Project, ImportResult]) -> Graph:
    return converted(imported[0])


def test_the_summary_counts_every_row(imported: tuple[Project, ImportResult]) -> None:
    _, r = imported
    assert (r.read, r.imported, r.merged, r.changed, r.rejected, r.skipped) == (9, 3, 1, 1, 4, 1)
    assert r.source_id == SOURCE
    assert r.as_dict()["rejects"] == r.rejects_path


def test_rejected_rows_are_reported_with_file_line_and_reason(
    imported: tuple[Project, ImportResult],
) -> None:
    project, r = imported
    assert r.rejects_path == str(project.root / "imports" / "annuaire-rejets.csv")
    rows = rejects(r.rejects_path)
    # line numbers are those of the file: row 2 of the data holds a two-line quoted cell
    assert [(x["fichier"], x["ligne"]) for x in rows] == [
        ("annuaire.csv", "7"), ("annuaire.csv", "8"), ("annuaire.csv", "9"), ("annuaire.csv", "10")]
    reasons = [x["motif"] for x in rows]
    assert "invalid UAI: '0029908K'" in reasons[0] and "expected letter J" in reasons[0]
    assert "missing key (UAI)" in reasons[1]
    assert "malformed SIRET" in reasons[2] and "99990001100018" in reasons[2]
    assert "invalid coordinates" in reasons[3]
    assert rows[0]["donnees"].startswith("0029908K;Collège fictif à la lettre fausse;")


def test_a_new_establishment_becomes_this_graph(graph: Graph) -> None:
    iri = BASE + "organisation/lycee-polyvalent-fictif-de-guise-0029907h"
    assert_same_graph(record_graph(graph, iri), f"""
    <{iri}> a org:Organization, org:FormalOrganization, schema:EducationalOrganization ;
        skos:prefLabel "Lycée polyvalent fictif de Guise"@fr ;
        org:classification <https://w3id.org/cmq/ontology/type-etablissement/lycee-polyvalent> ;
        cmq:status <https://w3id.org/cmq/ontology/statut/public> ;
        cmq:uai "0029907H" ;
        cmq:siret "99990002200024" ;
        cmq:inseeDepartement "02" ; cmq:academie "20" ; cmq:inseeRegion "32" ;
        cmq:offer <https://w3id.org/cmq/ontology/offre/voie-generale>,
                  <https://w3id.org/cmq/ontology/offre/voie-technologique>,
                  <https://w3id.org/cmq/ontology/offre/voie-professionnelle>,
                  <https://w3id.org/cmq/ontology/offre/post-bac>,
                  <https://w3id.org/cmq/ontology/offre/greta> ;
        cmq:illustrative false ;
        dct:source <{BASE}source/{SOURCE}> ;
        locn:address <{iri}#adresse> ;
        locn:geometry <{iri}#position> .
    <{iri}#adresse> a locn:Address ;
        locn:thoroughfare "7 avenue Imaginaire, BP 7" ;
        locn:postCode "02120" ; locn:postName "Guise" ; cmq:inseeCommune "02361" .
    <{iri}#position> a geo:Geometry ;
        geo:asWKT "POINT(3.6300 49.9000)"^^geo:wktLiteral .
    """)


def test_a_matched_establishment_keeps_the_campus_columns(imported: tuple[Project,
                                                                       ImportResult],
                                                          graph: Graph) -> None:
    project, _ = imported
    row = table(project, "etablissements.csv")["lp-exemple-laon"]
    assert row["territoire"] == "grand-laonnois"  # the campus's own column, not in the Annuaire
    assert row["siret"] == "99990001100019" and row["telephone"] == "0323000001"
    assert row["site_web"] == "http://www.lp-exemple.invalid"  # scheme added
    assert row["source"] == f"cmq-lod-illustratif;{SOURCE}"
    assert row["illustratif"] == "non"
    org = URIRef(BASE + "organisation/lp-exemple-laon")
    assert (org, RDFS.seeAlso, URIRef("https://onisep.invalid/etablissement/ENS.99901")) in graph
    assert (org, CMQ.territory, URIRef(BASE + "territoire/grand-laonnois")) in graph
    assert set(graph.objects(org, CMQ.offer)) == {
        concept("offre", c) for c in ("voie-professionnelle", "apprentissage", "lycee-des-metiers")}


def test_the_source_row_describes_the_file(imported: tuple[Project, ImportResult],
                                           graph: Graph) -> None:
    project, _ = imported
    src = table(project, "sources.csv")[SOURCE]
    assert src["editeur"] == "Ministère de l'Éducation nationale" and src["date"] == "2026-01-15"
    assert "annuaire.csv" in src["titre"]
    assert src["licence"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    node = URIRef(BASE + f"source/{SOURCE}")
    assert (node, URIRef("http://purl.org/dc/terms/license"),
            URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence")) in graph


def test_the_imported_campus_validates(imported: tuple[Project, ImportResult]) -> None:
    _, report = validate_project(imported[0])
    assert report.conforms, report.text()


def test_filters_keep_uais_departements_or_members(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    r = import_annuaire(project, NATIONAL / "annuaire.csv", OPTS,
                        AnnuaireFilter.of(uais=["0809904F"], members=True))
    assert (r.imported, r.merged, r.rejected, r.skipped) == (1, 1, 0, 7)
    assert set(by_column(project, "etablissements.csv", "uai")) >= {"0809904F", "0029901B"}
    assert "0029907H" not in by_column(project, "etablissements.csv", "uai")


def test_latin1_file_with_capitalised_headers_and_unknown_columns(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    r = import_annuaire(project, NATIONAL / "annuaire-etiquettes-latin1.csv", OPTS)
    assert (r.read, r.imported, r.merged, r.rejected) == (3, 1, 1, 1)
    new = by_column(project, "etablissements.csv", "uai")["0029909K"]
    assert new["nom"] == "École privée fictive Sainte-Thérèse"
    assert new["adresse"] == "9 rue Œuvre"  # Œ is 0x8C in Windows-1252, absent from Latin-1
    assert (new["statut"], new["nature"], new["siret"]) == (
        "prive", "lycee-professionnel", "99990003300039")
    chauny = table(project, "etablissements.csv")["lpo-fictif-chauny"]
    assert chauny["offres"] == "voie-professionnelle;apprentissage;post-bac"
    assert chauny["courriel"] == "accueil@lpo-fictif.invalid"  # not in this file: kept
    [bad] = rejects(r.rejects_path)
    assert bad["ligne"] == "4" and "0029910M" in bad["motif"]


def test_utf8_bom_comma_separated_file(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    r = import_annuaire(project, NATIONAL / "annuaire-bom.csv", OPTS)
    assert (r.imported, r.merged, r.rejected) == (1, 1, 0) and r.rejects_path is None
    assert table(project, "etablissements.csv")["lp-fictif-santerre"]["site_web"] == (
        "https://lp-santerre.invalid/")
    peronne = by_column(project, "etablissements.csv", "uai")["0809905G"]
    assert (peronne["siren"], peronne["siret"], peronne["commune"]) == ("999900053", "", "Péronne")
    g = converted(project)
    assert (URIRef(BASE + f"organisation/{peronne['id']}"), CMQ.siren,
            Literal("999900053")) in g


def test_reimport_updates_by_uai_without_duplicates_and_keeps_campus_edits(
    tmp_path: Path,
) -> None:
    project = copy_campus(tmp_path / "c")
    import_annuaire(project, NATIONAL / "annuaire.csv", OPTS)
    rows = table(project, "etablissements.csv")
    guise = by_column(project, "etablissements.csv", "uai")["0029907H"]["id"]
    set_cell(project, "etablissements.csv", guise, "territoire", "grand-laonnois")  # own column
    set_cell(project, "etablissements.csv", guise, "nom", "Nom retouché")  # national column
    again = import_annuaire(project, NATIONAL / "annuaire.csv",
                            ImportOptions(date="2026-02-01"))
    assert (again.imported, again.merged, again.changed) == (0, 5, 5)
    after = table(project, "etablissements.csv")
    assert list(after) == list(rows)  # same rows, same order, no duplicate
    assert after[guise]["territoire"] == "grand-laonnois"
    assert after[guise]["nom"] == "Lycée polyvalent fictif de Guise"
    assert after[guise]["source"] == "annuaire-education-2026-02-01-annuaire"  # newer file


def test_a_file_that_is_not_the_annuaire_is_refused(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    before = (project.data_dir / "etablissements.csv").read_bytes()
    with pytest.raises(SourceError, match="identifiant_de_l_etablissement"):
        import_annuaire(project, NATIONAL / "onisep-formations.csv", OPTS)
    assert (project.data_dir / "etablissements.csv").read_bytes() == before


def test_formulas_of_a_national_file_are_written_as_text(tmp_path: Path) -> None:
    """A national cell a spreadsheet would run (``=cmd|…``) reaches the table and the
    rejected-rows file neutralised (``'`` prefix); phone numbers and coordinates are kept."""
    national = tmp_path / "annuaire.csv"
    national.write_text(
        "identifiant_de_l_etablissement,nom_etablissement,code_departement,telephone,latitude,"
        "longitude,libelle_nature\n"
        "0809905G,\"=cmd|' /C calc'!A0\",80,+33 3 22 00 00 00,49.93,-2.5,LYCEE PROFESSIONNEL\n"
        "@SUM(1),+HYPERLINK(\"http://example.org/\"),80,,,,\n", "utf-8")
    project = copy_campus(tmp_path / "c")
    r = import_annuaire(project, national, OPTS)
    assert (r.imported, r.rejected) == (1, 1)
    row = by_column(project, "etablissements.csv", "uai")["0809905G"]
    assert row["nom"] == "'=cmd|' /C calc'!A0"
    assert (row["telephone"], row["latitude"], row["longitude"]) == ("+33322000000", "49.93",
                                                                     "-2.5")
    [bad] = rejects(r.rejects_path)
    assert bad["donnees"].startswith("'@SUM(1),")  # the raw line, as one neutralised cell
