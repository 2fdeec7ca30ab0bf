"""``publisher.validate.validation`` and ``cmq validate``: the shipped data conforms; a broken source makes the
command fail with a report naming file, row, column/property and the message; the personal-contact
rule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ENGINE_PARAMS, REPO, copy_campus, set_cell
from rdflib import Graph

from publisher.convert.tables import Conversion
from publisher.core.errors import Location, SourceError
from publisher.project.folder import Project
from publisher.validate.reference import ENGINES
from publisher.validate.validation import (
    VIOLATION,
    WARNING,
    Problem,
    Report,
    ValidationFailed,
    conversion_problems,
    validate_project,
)

# ------------------------------------------------------------------ the command line


def cmq_command() -> list[str]:
    """``cmq`` of the running interpreter's environment (``python -m publisher.cli.main`` otherwise)."""
    script = Path(sys.executable).with_name("cmq")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "publisher.cli.main"]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Broken:
    root: Path
    rows: dict[str, int]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Broken:
    """A copy of the campus with a few broken cells in different files."""
    project = copy_campus(tmp_path_factory.mktemp("broken-validate"))
    rows = {
        "postcode": set_cell(project, "etablissements.csv", "lp-exemple-laon", "code_postal",
                             "2000"),
        "email": set_cell(project, "etablissements.csv", "lpo-fictif-chauny", "courriel",
                          "jean.dupont@lpo-fictif.invalid"),
        "places": set_cell(project, "formations.csv", "bts-cprp-lgt-sq", "places", "douze"),
        "end": set_cell(project, "adhesions.csv", "universite-fictive", "fin", "2012-08-31"),
        # an IRI the writers cannot read back (once validated here, then a build failure)
        "iri": set_cell(project, "etablissements.csv", "lp-henry-potez", "site_web",
                        "http://example.org/%zz"),
    }
    return Broken(project.root, rows)


@pytest.fixture(scope="module")
def runs(broken: Broken, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """``cmq`` on the shipped and the broken campus, run side by side (each takes seconds)."""
    no_project = tmp_path_factory.mktemp("not-a-campus")
    bad_toml = copy_campus(tmp_path_factory.mktemp("bad-toml"))
    (bad_toml.data_dir / "campus.toml").write_text("[campus\nid = 1\n", "utf-8")
    commands = {
        "shipped": ["--project", str(REPO), "validate"],
        "shipped-json": ["--project", str(REPO), "validate", "--json"],
        "broken": ["--project", str(broken.root), "validate"],
        "broken-json": ["--project", str(broken.root), "validate", "--json"],
        "no-project": ["--project", str(no_project), "validate"],
        "bad-toml": ["--project", str(bad_toml.root), "validate"],
    }
    procs = {name: subprocess.Popen([*cmq_command(), *args], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, cwd=no_project)
             for name, args in commands.items()}
    out: dict[str, Run] = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        out[name] = Run(proc.returncode, stdout, stderr)
    return out


def test_cmq_validate_passes_on_the_shipped_data(runs: dict[str, Run]) -> None:
    run = runs["shipped"]
    assert run.code == 0, run.out + run.err
    assert run.out.splitlines()[-1].startswith("0 violation(s)")
    payload = json.loads(runs["shipped-json"].out)
    assert runs["shipped-json"].code == 0
    assert payload["ok"] is True and payload["violations"] == 0 and payload["triples"] > 500


def test_cmq_validate_fails_and_names_file_row_column_and_message(
    runs: dict[str, Run], broken: Broken
) -> None:
    run = runs["broken"]
    assert run.code == 1, run.out + run.err
    lines = run.out.splitlines()
    [line] = [x for x in lines if "colonne/column code_postal" in x]
    assert line.startswith(f"Violation: etablissements.csv, ligne/row {broken.rows['postcode']}, ")
    assert "« 2000 »" in line and "http" not in line, "the value, no IRI"
    assert "Le code postal a cinq chiffres." in line and "The postcode has five digits." in line
    # a conversion problem shows the cell's text as a SHACL problem shows its value, once
    [places] = [x for x in lines
                if f"formations.csv, ligne/row {broken.rows['places']}, colonne/column places" in x]
    assert places.endswith("places « douze »: nombre entier attendu / integer expected"), places
    [iri] = [x for x in lines
             if f"etablissements.csv, ligne/row {broken.rows['iri']}, colonne/column site_web" in x]
    assert "site_web « http://example.org/%zz »: adresse (IRI) invalide" in iri, \
        "a web address typed in a cell is shown: it is no record's IRI"
    assert iri.count("example.org") == 1, iri
    assert lines[-1].startswith("5 violation(s)")


def test_cmq_validate_json_lists_every_problem_with_its_location(
    runs: dict[str, Run], broken: Broken
) -> None:
    run = runs["broken-json"]
    assert run.code == 1
    payload = json.loads(run.out)
    assert payload["ok"] is False and payload["violations"] == 5
    problems = payload["problems"]
    assert set(problems[0]) == {"severity", "file", "row", "column", "message_fr", "message_en",
                                "focus", "path", "value", "shape", "component"}

    def one(file: str, row: int, column: str) -> dict[str, object]:
        hits = [p for p in problems if (p["file"], p["row"], p["column"]) == (file, row, column)]
        assert len(hits) == 1, (file, row, column, hits)
        found: dict[str, object] = hits[0]
        return found

    # a violation on a sub-resource (…#adresse) is reported on the establishment's row
    postcode = one("etablissements.csv", broken.rows["postcode"], "code_postal")
    assert str(postcode["focus"]).endswith("organisation/lp-exemple-laon#adresse")
    assert postcode["path"] == "http://www.w3.org/ns/locn#postCode" and postcode["value"] == "2000"
    assert postcode["message_fr"] == "Le code postal a cinq chiffres."
    assert postcode["message_en"] == "The postcode has five digits."
    assert postcode["component"] == "http://www.w3.org/ns/shacl#PatternConstraintComponent"
    email = one("etablissements.csv", broken.rows["email"], "courriel")
    assert "prénom.nom" in str(email["message_fr"])
    end = one("adhesions.csv", broken.rows["end"], "fin")
    assert "2012-08-31" in str(end["message_fr"])
    places = one("formations.csv", broken.rows["places"], "places")  # a conversion problem
    assert places["severity"] == VIOLATION and places["value"] == "douze"
    assert "integer expected" in str(places["message_en"])
    assert "douze" not in str(places["message_en"]), "the value is said once, as the value"


def test_cmq_validate_reports_missing_or_unreadable_project_files(runs: dict[str, Run]) -> None:
    assert runs["no-project"].code == 3
    assert "data/campus.toml" in runs["no-project"].err
    bad = runs["bad-toml"]
    assert bad.code != 0
    assert "campus.toml" in bad.out + bad.err and "Traceback" not in bad.out + bad.err


# ------------------------------------------------------------------ the library


def test_the_shipped_data_conforms(shipped_report: Report) -> None:
    assert shipped_report.conforms, shipped_report.text()
    assert shipped_report.count(VIOLATION) == 0
    for p in shipped_report.problems:  # the warnings are located on their cell
        assert p.severity == WARNING
        assert p.location is not None and p.location.row is not None and p.location.column


def test_validate_project_puts_conversion_problems_first(
    campus_copy: Callable[[], Project],
) -> None:
    project = campus_copy()
    row = set_cell(project, "formations.csv", "bts-cprp-lgt-sq", "duree", "deux ans")
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "code_postal", "2000")
    conv, report = validate_project(project)
    assert conv.problems and not report.conforms
    first = report.problems[0]
    assert first.location == Location("formations.csv", row, "duree") and first.component is None
    assert report.count(VIOLATION) == 2


def test_report_text_and_failure() -> None:
    warn = Problem(WARNING, Location("a.csv", 3, "x"), "attention", "careful")
    bad = Problem(VIOLATION, Location("b.csv", 2, "y"), "faux", "wrong", path="http://p", value="v")
    report = Report([warn, bad])
    lines = report.text().splitlines()
    assert lines == [
        "Violation: b.csv, ligne/row 2, colonne/column y « v »: faux / wrong",
        "Avertissement/Warning: a.csv, ligne/row 3, colonne/column x: attention / careful",
        "1 violation(s), 1 avertissement(s)/warning(s)",
    ]
    assert not report.conforms and Report([warn]).conforms
    failure = ValidationFailed(report)
    assert failure.status == 422 and failure.report is report and failure.message == report.text()


def test_a_cells_value_is_shown_once_and_is_no_part_of_its_place() -> None:
    typed = "http://exemple.invalid/%zz"
    cell = Location("c.csv", 4, "site_web", typed)
    assert cell == Location("c.csv", 4, "site_web") and hash(cell) == hash(
        Location("c.csv", 4, "site_web")), "the same cell, whatever value it carries"
    assert cell != Location("c.csv", 5, "site_web", typed)
    msg = "adresse (IRI) invalide / invalid IRI"
    [problem] = conversion_problems(Conversion(problems=[(cell, msg)]))
    assert problem.value == typed
    assert str(problem) == f"Violation: c.csv, ligne/row 4, colonne/column site_web « {typed} »: {msg}"
    # a SHACL value that is a record's IRI stays out of the text for people
    link = Problem(VIOLATION, Location("d.csv", 5, "organisation"), "absent", "missing",
                   focus="https://exemple.invalid/adhesion/a",
                   value="https://exemple.invalid/organisation/b")
    assert str(link) == "Violation: d.csv, ligne/row 5, colonne/column organisation: absent / missing"
    error = SourceError([(cell, msg), (Location("c.csv", 6), "doublon / duplicate")])
    assert str(error).splitlines() == [f"c.csv, ligne/row 4, colonne/column site_web « {typed} »: {msg}",
                                       "c.csv, ligne/row 6: doublon / duplicate"]


# ------------------------------------------------------------------ the personal-contact rule

CONTACT = """
@prefix schema: <https://schema.org/> . @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://example.invalid/o> schema:contactPoint <https://example.invalid/o#contact> .
<https://example.invalid/o#contact> a vcard:Organization, {extra} ;
    vcard:hasEmail <mailto:{email}> .
"""

CONTACTS = [
    # (email, extra type, rejected?)
    ("jean.dupont@lycee-exemple.invalid", "vcard:Kind", True),
    ("Marie-Claire.Durand@lycee-exemple.invalid", "vcard:Kind", True),
    ("jean.du-pont@lycee-exemple.invalid", "vcard:Kind", True),
    ("contact@lycee-exemple.invalid", "vcard:Individual", True),
    ("contact@lycee-exemple.invalid", "foaf:Person", True),
    ("contact@lycee-exemple.invalid", "vcard:Kind", False),
    ("ce.0029901B@ac-exemple.invalid", "vcard:Kind", False),
    ("accueil@lycee-exemple.invalid", "vcard:Kind", False),
    ("secretariat-proviseur@lycee-exemple.invalid", "vcard:Kind", False),
]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
@pytest.mark.parametrize(("email", "extra", "rejected"), CONTACTS,
                         ids=[f"{e}-{x}" for e, x, _r in CONTACTS])
def test_a_contact_point_is_never_a_person(
    email: str, extra: str, rejected: bool, engine: str, shapes_graph: Graph,
    ontology_graph: Graph,
) -> None:
    data = Graph().parse(data=CONTACT.format(email=email, extra=extra), format="turtle")
    report = ENGINES[engine](data, shapes_graph, ontology_graph)
    violations = [p for p in report.problems if p.severity == VIOLATION]
    assert bool(violations) is rejected, [str(p) for p in violations]
    for p in violations:
        assert p.component == "http://www.w3.org/ns/shacl#NotConstraintComponent"
        assert "person" in p.message_en or "personal" in p.message_en
