"""``cmq import`` / ``cmq export`` on the command line, and the Wikidata links by UAI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import copy_campus
from importer_helpers import BASE, NATIONAL, by_column, converted, table
from rdflib import OWL, URIRef

from publisher.cli.main import EXIT_OK, EXIT_SOURCE, main
from publisher.core.errors import SourceError
from publisher.importers import (
    ImportOptions,
    fill_wikidata_column,
    import_annuaire,
    read_wikidata_map,
    wikidata_map_path,
    write_wikidata_map,
)
from publisher.importers.wikidata import qid, sparql_query
from publisher.lheo.schema import check_structure
from publisher.project.folder import Project


def test_import_annuaire_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_campus(tmp_path / "c")
    code = main(["import", "annuaire", str(NATIONAL / "annuaire.csv"), "--project",
                 str(project.root), "--json", "--date", "2026-01-15", "--departement", "02,80",
                 "--uai", "0599901S"])
    assert code == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert {k: summary[k] for k in ("kind", "read", "imported", "merged", "rejected", "skipped")} == {
        "kind": "annuaire", "read": 9, "imported": 4, "merged": 1, "rejected": 4, "skipped": 0}
    assert summary["source"] == "annuaire-education-2026-01-15-annuaire"
    assert Path(summary["rejects"]).is_file()


def test_import_rncp_with_members_and_text_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_campus(tmp_path / "c")
    rejects = tmp_path / "out" / "r.csv"
    code = main(["import", "rncp", str(NATIONAL / "export_fiches_CSV_Standard_2026_01_15.csv"),
                 "--project", str(project.root), "--rncp", "RNCP99902", "--illustratif",
                 "--rejets", str(rejects), "--editeur", "France Compétences (fictif)"])
    assert code == EXIT_OK
    out = capsys.readouterr().out
    assert "1 ajoutées / imported" in out and str(rejects) in out
    row = by_column(project, "certifications.csv", "rncp")["RNCP99902"]
    assert row["illustratif"] == "oui"
    assert table(project, "sources.csv")[row["source"]]["editeur"] == "France Compétences (fictif)"
    assert rejects.is_file()  # the side files' bad rows of RNCP99902 (Rome, Formacode)


def test_export_lheo_to_a_file_and_to_stdout(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_campus(tmp_path / "c")
    out = tmp_path / "offre.xml"
    assert main(["export", "lheo", "--project", str(project.root), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["formations"] == len(table(project, "formations.csv"))
    assert check_structure(ET.parse(out).getroot()) == []
    assert main(["export", "lheo", "--project", str(project.root)]) == 0
    assert capsys.readouterr().out.encode() == out.read_bytes()


def test_usage_and_source_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_campus(tmp_path / "c")
    assert main(["import", "annuaire", str(tmp_path / "absent.csv"), "--project",
                 str(project.root)]) == EXIT_SOURCE  # a missing source (README: exit 3)
    assert main(["import", "annuaire", str(NATIONAL / "onisep-formations.csv"), "--project",
                 str(project.root)]) == EXIT_SOURCE
    assert "identifiant_de_l_etablissement" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["import", "inconnu", "x.csv"])


def test_wikidata_mapping_file_gives_owl_same_as(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    path = wikidata_map_path(project)
    assert path.parent.name == "national" and path.parent.parent == project.data_dir
    write_wikidata_map(path, {"0029907H": "Q999990001"})
    write_wikidata_map(path, {"0029901B": "Q999990002"})
    assert read_wikidata_map(path) == {"0029901B": "Q999990002", "0029907H": "Q999990001"}
    import_annuaire(project, NATIONAL / "annuaire.csv", ImportOptions(date="2026-01-15"))
    guise = by_column(project, "etablissements.csv", "uai")["0029907H"]
    assert guise["wikidata"] == "Q999990001"
    g = converted(project)  # the mapping file in data/national/ is not a table of the build
    assert (URIRef(BASE + f"organisation/{guise['id']}"), OWL.sameAs,
            URIRef("http://www.wikidata.org/entity/Q999990001")) in g
    assert fill_wikidata_column(project, {"0029902C": "Q999990003"}) == 1
    assert table(project, "etablissements.csv")["lpo-fictif-chauny"]["wikidata"] == "Q999990003"


def test_a_bad_mapping_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "wikidata-uai.csv"
    path.write_text("uai,wikidata\n0029907H,Q1\n0029907X,Q2\n0029901B,douze\n", "utf-8")
    with pytest.raises(SourceError) as info:
        read_wikidata_map(path)
    assert [loc.row for loc, _ in info.value.problems] == [3, 4]


def test_wikidata_query_and_qids() -> None:
    query = sparql_query(["0029907H", "pas-un-uai", "0029901B", "0029907H"])
    assert 'VALUES ?uai { "0029901B" "0029907H" }' in query
    assert "<http://www.wikidata.org/prop/direct/P3202>" in query
    assert qid("Q42") == qid("http://www.wikidata.org/entity/Q42") == "Q42"
    assert qid("https://www.wikidata.org/wiki/Q42") == "Q42"
    assert qid("42") is None and qid("Q0") is None


#: Runs ``cmq import annuaire`` and SIGKILLs it right after its first file lands in ``data/``.
KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
data = (Path(sys.argv[1]) / "data").resolve()
real = os.replace
def replace(src, dst, *args, **kwargs):
    real(src, dst, *args, **kwargs)
    if Path(dst).parent.resolve() == data and str(dst).endswith(".csv"):
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from publisher.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def test_an_import_killed_between_its_two_files_commits_both(tmp_path: Path) -> None:
    """Table and ``sources.csv`` are replaced together: a kill between the two renames is
    finished when the project is next opened, and no temporary file stays in ``data/``."""
    def args(root: Path) -> list[str]:
        return ["import", "annuaire", str(NATIONAL / "annuaire.csv"), "--project", str(root),
                "--date", "2026-01-15", "--departement", "02,80", "--uai", "0599901S"]

    reference = copy_campus(tmp_path / "reference")
    assert main(args(reference.root)) == EXIT_OK
    killed = copy_campus(tmp_path / "killed")
    done = subprocess.run([sys.executable, "-c", KILLED_IMPORT, str(killed.root),
                           *args(killed.root)], capture_output=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    Project.open(killed.root)
    names = sorted(p.name for p in killed.data_dir.iterdir())
    assert names == sorted(p.name for p in reference.data_dir.iterdir()), "no leftover"
    for name in names:
        assert (killed.data_dir / name).read_bytes() == (reference.data_dir / name).read_bytes(), \
            name
