"""``cmq import rncp`` and ``cmq import onisep-formations``: certifications.csv by RNCP / CFD.

Fixtures: the five files of a France Compétences export (``export_fiches_CSV_*_2026_01_15.csv``,
fictitious records, real headers) and an ONISEP Idéo-Formations file (``onisep-formations.csv``).
"""

from __future__ import annotations

import shutil
import zipfile
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
from rdflib import Graph

from publisher.core.errors import SourceError
from publisher.importers import (
    CertificationFilter,
    ImportOptions,
    ImportResult,
    import_onisep_formations,
    import_rncp,
)
from publisher.project.folder import Project
from publisher.validate.validation import validate_project

STANDARD = NATIONAL / "export_fiches_CSV_Standard_2026_01_15.csv"
RNCP_SOURCE = "rncp-france-competences-2026-01-15-export-fiches-csv-standard-2026-01-15"
ONISEP_SOURCE = "onisep-formations-2026-01-16-onisep-formations"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Project, ImportResult, ImportResult]:
    """The shipped campus (its CAP Plasturgie given the RNCP number RNCP99901) after the RNCP
    export, then the ONISEP file."""
    project = copy_campus(tmp_path_factory.mktemp("certifications"))
    set_cell(project, "certifications.csv", "cap-plasturgie", "rncp", "RNCP99901")
    rncp = import_rncp(project, STANDARD, ImportOptions(date="2026-01-15"))
    onisep = import_onisep_formations(project, NATIONAL / "onisep-formations.csv",
                                      ImportOptions(date="2026-01-16"))
    return project, rncp, onisep


@pytest.fixture(scope="module")
def graph(imported: tuple[Project, ImportResult, ImportResult]) -> Graph:
    return converted(imported[0])


def test_rncp_summary(imported: tuple[Project, ImportResult, ImportResult]) -> None:
    _, r, _ = imported
    # 8 Standard rows: 3 new, 1 merged into cap-plasturgie, 1 RS record skipped, 3 rejected;
    # plus 3 bad rows of the side files (Rome, Formacode, Certificateurs)
    assert (r.read, r.imported, r.merged, r.skipped, r.rejected) == (8, 3, 1, 1, 6)
    assert len(r.files) == 5


def test_rncp_rejected_rows(imported: tuple[Project, ImportResult, ImportResult]) -> None:
    _, r, _ = imported
    got = {(x["fichier"], x["ligne"]): x["motif"] for x in rejects(r.rejects_path)}
    assert set(got) == {
        ("export_fiches_CSV_Rome_2026_01_15.csv", "5"),
        ("export_fiches_CSV_Formacode_2026_01_15.csv", "4"),
        ("export_fiches_CSV_Certificateurs_2026_01_15.csv", "4"),
        ("export_fiches_CSV_Standard_2026_01_15.csv", "5"),
        ("export_fiches_CSV_Standard_2026_01_15.csv", "8"),
        ("export_fiches_CSV_Standard_2026_01_15.csv", "9"),
    }
    assert "invalid ROME code: 'Z9999'" in got[("export_fiches_CSV_Rome_2026_01_15.csv", "5")]
    assert "malformed SIRET" in got[("export_fiches_CSV_Certificateurs_2026_01_15.csv", "4")]
    assert "unknown level" in got[("export_fiches_CSV_Standard_2026_01_15.csv", "5")]
    assert "missing key" in got[("export_fiches_CSV_Standard_2026_01_15.csv", "8")]
    assert "required for a new record: type" in got[
        ("export_fiches_CSV_Standard_2026_01_15.csv", "9")]


def test_a_new_rncp_certification_becomes_this_graph(graph: Graph) -> None:
    iri = BASE + "certification/europlastics-et-composites-fictif-rncp99902"
    assert_same_graph(record_graph(graph, iri), f"""
    <{iri}> a schema:EducationalOccupationalCredential ;
        rdfs:label "BTS Europlastics et composites (fictif)"@fr ;
        schema:credentialCategory <https://w3id.org/cmq/ontology/type-certification/bts> ;
        schema:educationalLevel <https://w3id.org/cmq/ontology/niveau/5> ;
        cmq:rncp "RNCP99902" ; cmq:cfd "99932502" ;
        cmq:nsf "225" ; cmq:rome "H3202", "H1404" ; cmq:formacode "99902" ;
        cmq:certifierSiret "99990004400044" ;
        cmq:active true ;
        dct:dateAccepted "2022-05-10"^^xsd:date ;
        schema:expires "2027-08-31"^^xsd:date ;
        cmq:onisep "FOR.99902" ;
        rdfs:seeAlso <https://onisep.invalid/formation/FOR.99902>,
            <https://www.francecompetences.fr/recherche/rncp/99902/>,
            <https://candidat.francetravail.fr/metierscope/fiche-metier/H3202>,
            <https://candidat.francetravail.fr/metierscope/fiche-metier/H1404> ;
        cmq:illustrative false ;
        dct:source <{BASE}source/{RNCP_SOURCE}>, <{BASE}source/{ONISEP_SOURCE}> .
    """)


def test_the_campus_certification_is_merged_not_duplicated(
    imported: tuple[Project, ImportResult, ImportResult],
) -> None:
    project, _, _ = imported
    rows = table(project, "certifications.csv")
    cap = rows["cap-plasturgie"]
    assert (cap["rncp"], cap["cfd"], cap["type"], cap["rome"]) == (
        "RNCP99901", "99922501", "cap", "H3201")
    assert cap["intitule"] == "CAP Plasturgie (fictif)"  # ONISEP's title, imported last
    assert cap["source"] == f"cmq-lod-illustratif;{RNCP_SOURCE};{ONISEP_SOURCE}"
    assert [r["rncp"] for r in rows.values()].count("RNCP99901") == 1


def test_titles_registered_on_request_are_professional_titles(
    imported: tuple[Project, ImportResult, ImportResult],
) -> None:
    project, _, _ = imported
    row = by_column(project, "certifications.csv", "rncp")["RNCP99903"]
    assert (row["type"], row["niveau"], row["certificateurs"]) == ("titre-pro", "4", "")
    inactive = by_column(project, "certifications.csv", "rncp")["RNCP99906"]
    assert (inactive["actif"], inactive["fin_enregistrement"]) == ("non", "2024-08-31")


def test_onisep_summary_and_rejected_rows(
    imported: tuple[Project, ImportResult, ImportResult],
) -> None:
    _, _, r = imported
    assert (r.read, r.imported, r.merged, r.rejected) == (7, 1, 2, 4)
    got = [(x["ligne"], x["motif"]) for x in rejects(r.rejects_path)]
    assert [line for line, _ in got] == ["5", "6", "7", "8"]
    assert "invalid CFD code: 'ABC'" in got[0][1]
    assert "unknown level" in got[1][1] and "niveau 9" in got[1][1]
    assert "required for a new record: type" in got[2][1]  # DN MADE: not in the campus's list
    assert "missing key" in got[3][1]


def test_the_imported_certifications_validate(
    imported: tuple[Project, ImportResult, ImportResult],
) -> None:
    _, report = validate_project(imported[0])
    assert report.conforms, report.text()


def test_rncp_filters_and_zip_archive(tmp_path: Path) -> None:
    archive = tmp_path / "export-fiches-csv-2026-01-15.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(NATIONAL.glob("export_fiches_CSV_*")):
            zf.write(p, p.name)
    project = copy_campus(tmp_path / "c")
    set_cell(project, "certifications.csv", "cap-plasturgie", "rncp", "RNCP99901")
    r = import_rncp(project, archive, ImportOptions(date="2026-01-15"),
                    CertificationFilter.of(rncps=["99906"], members=True), active_only=True)
    # kept: RNCP99901 (member) and RNCP99906 (listed, but inactive: skipped by --actives)
    assert (r.imported, r.merged, r.skipped) == (0, 1, 7)
    nsf = import_rncp(copy_campus(tmp_path / "d"), tmp_path / "export-fiches-csv-2026-01-15.zip",
                      ImportOptions(date="2026-01-15"), CertificationFilter.of(nsf=["200"]))
    assert (nsf.imported, nsf.merged, nsf.skipped) == (1, 0, 7)  # RNCP99903 only


def test_the_standard_file_alone_finds_its_siblings(tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(STANDARD, alone / STANDARD.name)
    project = copy_campus(tmp_path / "c")
    r = import_rncp(project, alone / STANDARD.name, ImportOptions(date="2026-01-15"))
    assert r.notes == ["fichiers annexes / side files: aucun / none"]
    assert by_column(project, "certifications.csv", "rncp")["RNCP99902"]["rome"] == ""


def test_a_folder_with_two_exports_is_refused(tmp_path: Path) -> None:
    shutil.copy(STANDARD, tmp_path / STANDARD.name)
    shutil.copy(STANDARD, tmp_path / "export_fiches_CSV_Standard_2025_12_01.csv")
    with pytest.raises(SourceError, match="Standard"):
        import_rncp(copy_campus(tmp_path / "c"), tmp_path, ImportOptions(date="2026-01-15"))
