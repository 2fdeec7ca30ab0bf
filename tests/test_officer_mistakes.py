"""Typical mistakes of a campus officer (issue 12), and misleading CSV errors (issue 11, item 16):
each gives exactly one message, naming the file, the spreadsheet row and the column header, and
saying how to fix it; a file that cannot be read is reported once, first, without the knock-on
problems of the records it holds; the text for people carries no IRI.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import copy_campus, set_cell

from publisher.core.identifiers import UAI_LETTERS, uai_check_letter
from publisher.project.folder import Project
from publisher.validate.validation import INFO, Problem, Report, validate_project


@dataclass(frozen=True)
class Mistake:
    file: str
    row: int | None
    column: str | None
    says: tuple[str, ...]  # fragments the one message must hold (what is wrong, how to fix)
    value: str | None = None  # the value the problem shows: its cell's text (None: no one cell)


def _rewrite(project: Project, file: str, change: object) -> None:
    path = project.data_dir / file
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))
    change(rows)  # type: ignore[operator]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), "utf-8")


def _rename(old: str, new: str) -> object:
    def change(rows: list[list[str]]) -> None:
        rows[0][rows[0].index(old)] = new
    return change


def _merge_header(name: str) -> object:
    """Merged header cells as a spreadsheet saves them: the second cell comes out empty."""
    def change(rows: list[list[str]]) -> None:
        rows[0][rows[0].index(name)] = ""
    return change


def _extra_empty_column(rows: list[list[str]]) -> None:
    for r in rows:
        r.append("")


def _wrong_letter() -> str:
    good = uai_check_letter("0029901")
    return "0029901" + next(c for c in UAI_LETTERS if c != good)


def make_mistakes(project: Project) -> list[Mistake]:
    """Every mistake of the corpus at once, in different places; what each must say."""
    data = project.data_dir
    uai = _wrong_letter()
    out = [
        Mistake("etablissements.csv",
                set_cell(project, "etablissements.csv", "lp-exemple-laon", "uai", uai), "uai",
                (f"Lettre clé attendue : « {uai_check_letter('0029901')} »",
                 f"0029901{uai_check_letter('0029901')}"), uai),
        Mistake("etablissements.csv",
                set_cell(project, "etablissements.csv", "lp-henry-potez", "nature", "lycee-pro"),
                "nature", ("code inconnu", "lycee-professionnel (lycée professionnel)"),
                "lycee-pro"),
        Mistake("certifications.csv",
                set_cell(project, "certifications.csv", "cap-plasturgie", "niveau", "bac+2"),
                "niveau", ("codes valides", "5 (niveau 5 (BTS, DEUST))"), "bac+2"),
        Mistake("chiffres.csv",
                set_cell(project, "chiffres.csv", "apprenants-2014", "date", "31/02/2024"),
                "date", ("date impossible", "JJ/MM/AAAA"), "31/02/2024"),
        Mistake("etablissements.csv",
                set_cell(project, "etablissements.csv", "lpo-fictif-chauny", "nom", ""),
                "nom", ()),
    ]
    _rewrite(project, "partenaires.csv", _rename("nom", "Nom du partenaire"))
    out.append(Mistake("partenaires.csv", 1, "nom", ("« Nom du partenaire »",
                                                      "renommez son en-tête « nom »")))
    line = len((data / "sources.csv").read_text("utf-8").splitlines()) + 1
    with (data / "sources.csv").open("ab") as fh:  # a row pasted from a Windows-1252 file
        fh.write("source-collee,Annuaire des établissements,Éditeur,2015,,\n".encode("cp1252"))
    out.append(Mistake("sources.csv", line, None, ("encodages mélangés", f"ligne {line}",
                                                    "CSV UTF-8")))
    _rewrite(project, "formations.csv", _extra_empty_column)
    out.append(Mistake("formations.csv", 1, "K", ("colonne K vide et sans en-tête",
                                                   "supprimer")))
    _rewrite(project, "adhesions.csv", _merge_header("fin"))
    out.append(Mistake("adhesions.csv", 1, "fin", ("en-tête vide en colonne D", "fusionnées",
                                                    "écrivez « fin »")))
    return out


def _messages(report: Report, baseline: Report | None = None) -> list[Problem]:
    """Warnings and violations, without those the shipped campus has already."""
    known = {str(p) for p in baseline.problems} if baseline is not None else set()
    return [p for p in report.problems if p.severity != INFO and str(p) not in known]


@pytest.fixture(scope="module")
def baseline(shipped_project: Project) -> Report:
    return validate_project(shipped_project)[1]


def _matches(p: Problem, m: Mistake) -> bool:
    loc = p.location
    return (loc is not None and (loc.file, loc.row, loc.column) == (m.file, m.row, m.column)
            and p.value == m.value and all(s in p.message_fr for s in m.says))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Mistake], Report]:
    project = copy_campus(tmp_path_factory.mktemp("mistakes"))
    mistakes = make_mistakes(project)
    return mistakes, validate_project(project)[1]


def test_each_mistake_gives_one_message_naming_the_cell_and_the_fix(
        corpus: tuple[list[Mistake], Report], baseline: Report) -> None:
    mistakes, report = corpus
    messages = _messages(report, baseline)
    text = "\n".join(map(str, messages))
    for m in mistakes:
        assert sum(1 for p in messages if _matches(p, m)) == 1, (m, text)
    assert len(messages) == len(mistakes), text
    for p in messages:  # a conversion problem's value is shown beside it, not said again
        if p.component is None and p.value is not None:
            assert repr(p.value) not in p.message_fr and f"« {p.value} »" not in p.message_fr, p


def test_unreadable_files_come_first_and_the_text_has_no_iri(
        corpus: tuple[list[Mistake], Report]) -> None:
    _mistakes, report = corpus
    lines = report.text().splitlines()
    assert set(report.unreadable) == {"sources.csv", "partenaires.csv", "adhesions.csv"}
    assert {ln.split(",")[0].split(": ")[1] for ln in lines[:3]} == set(report.unreadable)
    assert not any("http" in ln for ln in lines), lines


def _one_problem(project: Project, file: str, baseline: Report) -> Problem:
    problems = _messages(validate_project(project)[1], baseline)
    assert len(problems) == 1, "\n".join(map(str, problems))
    assert problems[0].location is not None and problems[0].location.file == file
    return problems[0]


def _open_quote(project: Project, close_on: int | None) -> int:
    """Open a quote in the ``role`` cell of row 3 of adhesions.csv (a file without quotes);
    close it on line ``close_on`` or never. Returns the file's number of lines."""
    path = project.data_dir / "adhesions.csv"
    lines = path.read_text("utf-8").splitlines()
    lines[2] = lines[2].replace(",", ',"', 1)
    if close_on is not None:
        lines[close_on - 1] = lines[close_on - 1].replace(",", '",', 1)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return len(lines)


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path: Path, baseline: Report) -> None:
    project = copy_campus(tmp_path / "campus")
    n = _open_quote(project, None)
    p = _one_problem(project, "adhesions.csv", baseline)
    assert p.location is not None and (p.location.row, p.location.column) == (3, "role")
    assert "guillemet" in p.message_fr and "jamais refermé" in p.message_fr
    assert f"lignes 3 à {n}" in p.message_fr


def test_a_quote_closed_rows_later_is_reported_where_it_opens(tmp_path: Path,
                                                               baseline: Report) -> None:
    project = copy_campus(tmp_path / "campus")
    _open_quote(project, 12)
    p = _one_problem(project, "adhesions.csv", baseline)
    assert p.location is not None and p.location.row == 3
    assert "refermé seulement ligne 12" in p.message_fr and "lignes 3 à 12" in p.message_fr


def test_a_duplicated_header_column_is_named(tmp_path: Path, baseline: Report) -> None:
    project = copy_campus(tmp_path / "campus")
    _rewrite(project, "etablissements.csv", _rename("statut", "nature"))
    problems = _messages(validate_project(project)[1], baseline)
    text = "\n".join(map(str, problems))
    [dup] = [p for p in problems if "en double" in p.message_fr]
    assert dup.location is not None and dup.location.column == "nature"
    assert "colonnes C et D" in dup.message_fr
    # and the column it replaced is missing: two causes in the header, two messages
    assert len(problems) == 2, text


def test_a_huge_cell_is_reported_at_its_row(tmp_path: Path, baseline: Report) -> None:
    project = copy_campus(tmp_path / "campus")
    set_cell(project, "partenariats.csv", "innovaltech-condorcet", "objet", "x" * 1_000_000)
    p = _one_problem(project, "partenariats.csv", baseline)
    assert p.location is not None and p.location.row == 3
    assert "ligne 3" in p.message_fr and "caractères" in p.message_fr
