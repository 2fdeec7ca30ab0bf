"""``cmq init`` (publisher.scaffold.init, publisher.convert.columns, publisher.cli.init): a new campus project
reaches a first valid release without RDF or Python; its tables, example rows and guide follow
the mapping; bad arguments are refused; the project is pinned to the cmq version."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from publisher import __version__
from publisher.cli.main import main
from publisher.convert.columns import check_docs, scheme_codes, table_docs
from publisher.convert.tables import convert
from publisher.core.errors import ProjectError, SourceError
from publisher.core.namespaces import CMQ
from publisher.project.folder import CmqVersionWarning, Project
from publisher.project.versions import requirement
from publisher.release.build import build_release
from publisher.scaffold.init import (
    OWN_SOURCE,
    TEST_REQUIREMENT,
    CampusSpec,
    InitError,
    default_mapping,
    init_project,
)
from publisher.validate.validation import validate_project

BASE = "https://example.org/cmq/campus-exemple/"
SPEC = CampusSpec(name="Campus des métiers et des qualifications Exemple", base_iri=BASE,
                  sectors=("numerique", "energie"), region="32", created=date(2026, 1, 15))


@pytest.fixture(scope="module")
def new_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "campus"
    init_project(folder, SPEC)
    return folder


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def copy_of(project: Path, dest: Path) -> Path:
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("releases"))
    return dest


def test_the_project_files(new_project: Path) -> None:
    for rel in ("data/campus.toml", "data/LISEZMOI.md", "data/sources.csv", "README.md",
                "shapes/README.md", "tests/test_campus.py", "requirements.txt", ".gitignore"):
        assert (new_project / rel).is_file(), rel
    assert not (new_project / "data" / "mapping.toml").exists(), "the mapping comes from cmq"
    assert not (new_project / "ontology").exists() and not list(new_project.rglob("*.ttl"))
    assert "releases/" in (new_project / ".gitignore").read_text("utf-8")
    assert (new_project / "requirements.txt").read_text("utf-8").splitlines() == [
        requirement(), TEST_REQUIREMENT]
    cfg = Project.open(new_project).config
    assert cfg.name == SPEC.name and cfg.base_iri == BASE and cfg.sectors == SPEC.sectors
    assert cfg.raw["cmq"]["version"] == __version__
    assert cfg.sources == (OWN_SOURCE,)


def test_every_table_of_the_mapping_has_its_header_and_a_commented_example(
        new_project: Path) -> None:
    mapping = default_mapping()
    for table in mapping.tables:
        content = rows(new_project / "data" / table.file)
        assert set(content[0]) == table.columns(), table.file
        assert content[1][0].startswith("#"), f"{table.file}: example row is commented"
        assert any(cell for cell in content[1][1:]), f"{table.file}: example has values"
    assert {p.name for p in (new_project / "data").glob("*.csv")} == {
        t.file for t in mapping.tables}


def test_the_column_documentation_is_in_step_with_the_mapping() -> None:
    assert check_docs(default_mapping()) == []


def test_the_column_check_finds_drift() -> None:
    docs = {"tables": {"sources": {"columns": ["id", "titre", "nouvelle"],
                                   "doc": {"titre": {"fr": "t", "en": "t"}}}}}
    problems = check_docs(default_mapping(), docs)
    assert any("sources.nouvelle" in p for p in problems)  # documented, not in the mapping
    assert any("sources.url" in p for p in problems)  # in the mapping, not documented
    assert any("sources.id" in p and "fr/en" in p for p in problems)  # no text
    assert any(p.startswith("etablissements:") for p in problems)  # table not documented


def test_the_guide_explains_every_column_and_list(new_project: Path, ontology_graph: Graph) -> None:
    guide = (new_project / "data" / "LISEZMOI.md").read_text("utf-8")
    for table in table_docs(default_mapping()):
        assert f"`{table.file}`" in guide
        for column in table.columns:
            assert f"| `{column.name}` | {column.fr}" in guide, (table.file, column.name)
            assert column.fr and column.en and column.properties, (table.file, column.name)
            if column.scheme:
                for code in scheme_codes(ontology_graph, column.scheme):
                    assert f"| `{code.code}` | {code.label_fr} |" in guide
    assert "`#`" in guide, "the comment-row convention is explained"


def test_the_empty_project_reaches_a_first_valid_release(new_project: Path,
                                                          tmp_path: Path) -> None:
    info = build_release(Project.open(new_project), tmp_path / "releases").info
    assert info.violations == 0
    folder = tmp_path / "releases" / info.release_id
    data = Graph().parse(folder / "campus.nt", format="nt")
    subjects = {s for s in data.subjects() if isinstance(s, URIRef)}
    assert subjects == {URIRef(BASE + "organisation/campus"), URIRef(BASE + "source/" + OWN_SOURCE)}
    assert (URIRef(BASE + "organisation/campus"), RDF.type, CMQ.Campus) in data
    assert (folder / "ontology.html").is_file()


def test_the_example_rows_validate_once_uncommented(new_project: Path, tmp_path: Path) -> None:
    project = copy_of(new_project, tmp_path / "p")
    added = 0
    for path in (project / "data").glob("*.csv"):
        content = rows(path)
        content[1][0] = content[1][0].removeprefix("#")
        added += 1
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(content)
    conv, report = validate_project(Project.open(project))
    assert conv.problems == [] and report.conforms, report.text()
    assert added == len(default_mapping().tables)
    assert (URIRef(BASE + "organisation/lycee-exemple"), SKOS.prefLabel, None) in conv.graph


def test_one_establishment_row_validates(new_project: Path, tmp_path: Path) -> None:
    project = copy_of(new_project, tmp_path / "p")
    path = project / "data" / "etablissements.csv"
    content = rows(path)
    row = dict.fromkeys(content[0], "")
    row.update(id="lycee-test", nom="Lycée Test (fictif)", nature="lycee-professionnel",
               commune="Testville", illustratif="oui", source=OWN_SOURCE)
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([row[c] for c in content[0]])
    conv, report = validate_project(Project.open(project))
    assert report.conforms, report.text()
    assert report.count("Violation") == 0
    assert (URIRef(BASE + "organisation/lycee-test"), RDF.type, None) in conv.graph


def test_a_commented_row_is_not_converted(campus_copy) -> None:  # type: ignore[no-untyped-def]
    project = campus_copy()
    before = convert(project).graph
    path = project.data_dir / "sources.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("#zz-commentaire,Titre,Éditeur,2024,https://example.org/,\n")
    after = convert(project)
    assert after.problems == []
    assert len(after.graph) == len(before)
    assert not any("zz-commentaire" in str(s) for s in after.graph.subjects())


def test_the_generated_test_passes(new_project: Path, tmp_path: Path) -> None:
    project = copy_of(new_project, tmp_path / "p")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(project / "tests")], cwd=project, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


@pytest.mark.parametrize("iri", [
    "ftp://example.org/campus/", "https://example.org/campus", "https://example.org/a b/",
    "https://example.org/campus/?x=1", "example.org/campus/", "https:///campus/",
    "https://w3id.org/cmq/ontology/mon-campus/",
])
def test_a_bad_base_iri_is_refused(tmp_path: Path, iri: str) -> None:
    with pytest.raises(InitError, match="--base-iri"):
        init_project(tmp_path / "p", CampusSpec("Campus", iri, ("numerique",)))
    assert not (tmp_path / "p").exists(), "nothing written"


def test_bad_sectors_and_a_non_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InitError, match="plasturgie"):  # the error lists the known codes
        init_project(tmp_path / "a", CampusSpec("Campus", BASE, ("cuisine",)))
    with pytest.raises(InitError, match="--sector"):
        init_project(tmp_path / "b", CampusSpec("Campus", BASE, ()))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("x")
    with pytest.raises(InitError, match="pas vide|not empty"):
        init_project(tmp_path / "c", CampusSpec("Campus", BASE, ("numerique",)))
    init_project(tmp_path / "d", CampusSpec("Campus", BASE, ("numerique",)))  # absent: created
    (tmp_path / "e").mkdir()
    init_project(tmp_path / "e", CampusSpec("Campus", BASE, ("numerique",)))  # empty: fine


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["init", str(tmp_path / "p"), "--name", "Campus CLI", "--base-iri", BASE,
            "--sector", "numerique"]
    assert main(args) == 0
    assert "cmq --project" in capsys.readouterr().out
    assert main(args) == 2  # not empty any more
    assert "pas vide" in capsys.readouterr().err
    bad = ["init", str(tmp_path / "q"), "--name", "X", "--base-iri", "not-an-iri",
           "--sector", "numerique"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "--base-iri" in err and "http" in err
    assert main(["--project", str(tmp_path / "p"), "validate", "-q"]) == 0


def _pin(project: Path, version: str) -> None:
    path = project / "data" / "campus.toml"
    text = path.read_text("utf-8").replace(f'version = "{__version__}"', f'version = "{version}"')
    path.write_text(text, "utf-8")


def test_an_incompatible_cmq_version_is_refused(new_project: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_of(new_project, tmp_path / "p")
    _pin(project, "9.0.0")
    with pytest.raises(ProjectError, match="9.0.0"):
        Project.open(project)
    assert main(["--project", str(project), "validate"]) == 3
    assert "pip install" in capsys.readouterr().err

    major, minor, _ = (int(x) for x in __version__.split(".")[:3])
    other = f"0.{minor + 1}.0" if major == 0 else f"{major + 1}.0.0"  # before 1.0: minor breaks
    path = project / "data" / "campus.toml"
    path.write_text(path.read_text("utf-8").replace('"9.0.0"', f'"{other}"'), "utf-8")
    with pytest.raises(ProjectError, match="incompatible"):
        Project.open(project)


def test_an_older_cmq_warns(new_project: Path, tmp_path: Path) -> None:
    major, minor, patch = (int(x) for x in __version__.split(".")[:3])
    project = copy_of(new_project, tmp_path / "p")
    _pin(project, f"{major}.{minor}.{patch + 1}")
    with pytest.warns(CmqVersionWarning, match="pip install -U"):
        Project.open(project)
    path = project / "data" / "campus.toml"
    path.write_text(path.read_text("utf-8").replace(
        f'"{major}.{minor}.{patch + 1}"', f'"{__version__}"'), "utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Project.open(project)  # the same version: silent


def test_the_shipped_campus_has_no_pin() -> None:
    Project.open(REPO)  # no [cmq] table: no check


def test_the_shipped_guide_is_the_one_cmq_init_writes(shipped_project: Project,
                                                     ontology_graph: Graph) -> None:
    from publisher.scaffold.init import lisezmoi

    guide = lisezmoi(default_mapping(), ontology_graph, shipped_project.config.name)
    assert (REPO / "data" / "LISEZMOI.md").read_text("utf-8") == guide, (
        "data/LISEZMOI.md is out of step: regenerate it with publisher.scaffold.init.lisezmoi")
    for words in ("CSV (séparateur: point-virgule)", "LibreOffice Calc", "cmq workbook",
                  "liste déroulante", "JJ/MM/AAAA", "releases/echec/validation.html",
                  "| `5` | niveau 5 (BTS, DEUST) | level 5 (BTS, DEUST) |"):
        assert words in guide, words


def test_a_campus_declares_its_own_sector(tmp_path: Path) -> None:
    """``--own-sector``: a ``[[secteurs_campus]]`` block, a concept of the campus in the
    ``secteur`` scheme, validated by the same shape as the shipped sectors."""
    spec = CampusSpec("Campus Santé Exemple", BASE, ("tourisme-gastronomie",),
                      own_sectors=("santé, social",))
    init_project(tmp_path / "p", spec)
    project = Project.open(tmp_path / "p")
    cfg = project.config
    assert cfg.sectors == ("tourisme-gastronomie", "sante-social")
    assert [(o.code, o.label) for o in cfg.own_sectors] == [("sante-social", "santé, social")]
    assert validate_project(project)[1].conforms
    info = build_release(project, tmp_path / "releases").info
    data = Graph().parse(tmp_path / "releases" / info.release_id / "campus.nt", format="nt")
    own = URIRef(BASE + "secteur/sante-social")
    assert (URIRef(BASE + "organisation/campus"), CMQ.sector, own) in data
    assert (own, SKOS.inScheme, URIRef("https://w3id.org/cmq/ontology/secteur")) in data
    assert str(data.value(own, SKOS.prefLabel)) == "santé, social"
    # a sector code neither shipped nor declared: one violation, as before
    toml = project.data_dir / "campus.toml"
    toml.write_text(toml.read_text("utf-8").replace('"sante-social"]', '"sante-sociale"]'),
                    "utf-8")
    report = validate_project(Project.open(tmp_path / "p"))[1]
    assert report.count("Violation") == 1, report.text()
    # a declared sector without a label, or with a bad code, is a configuration error
    toml.write_text(toml.read_text("utf-8").replace('libelle = "santé, social"', 'libelle = ""')
                    .replace('code = "sante-social"', 'code = "Santé"'), "utf-8")
    with pytest.raises(SourceError) as err:
        _ = Project.open(tmp_path / "p").config
    assert "secteurs_campus[1]" in str(err.value) and "libelle" in str(err.value)


def test_a_certification_may_take_the_campus_own_sector(tmp_path: Path) -> None:
    """``certifications.csv`` column ``secteur``: a shipped sector or one of the campus's own, each
    as its concept; a code of neither is reported on its cell (the code list) and by the shape."""
    spec = CampusSpec("Campus Santé Exemple", BASE, ("tourisme-gastronomie",),
                      own_sectors=("santé, social",))
    init_project(tmp_path / "p", spec)
    project = Project.open(tmp_path / "p")
    table = project.data_dir / "certifications.csv"
    with table.open("a", encoding="utf-8", newline="") as fh:
        fh.write("cap-aepe,CAP Accompagnant éducatif petite enfance (fictif),cap,3,"
                 "sante-social;tourisme-gastronomie" + "," * 12 + "oui,declaration-campus\n")
    data = convert(project).graph
    cert = URIRef(BASE + "certification/cap-aepe")
    assert set(data.objects(cert, CMQ.sector)) == {
        URIRef(BASE + "secteur/sante-social"),
        URIRef("https://w3id.org/cmq/ontology/secteur/tourisme-gastronomie")}
    assert validate_project(project)[1].count("Violation") == 0
    table.write_text(table.read_text("utf-8").replace("sante-social;", "sante-sociale;"), "utf-8")
    report = validate_project(Project.open(tmp_path / "p"))[1]
    located = [(d["file"], d["column"]) for d in (p.as_dict() for p in report.problems)
               if d["severity"] == "Violation"]
    assert ("certifications.csv", "secteur") in located, report.text()


def test_own_sectors_already_in_the_list_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InitError, match="--own-sector"):
        init_project(tmp_path / "a", CampusSpec("Campus", BASE, (), own_sectors=("Énergie",)))
    assert main(["init", str(tmp_path / "b"), "--name", "Campus", "--base-iri", BASE,
                 "--own-sector", "santé, bien-être"]) == 0
    assert Project.open(tmp_path / "b").config.sectors == ("sante-bien-etre",)
