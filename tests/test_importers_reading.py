"""Streaming reader of the national CSV files and the value checks of the importers."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from importer_helpers import NATIONAL

from publisher.core.errors import SourceError
from publisher.importers import codes
from publisher.importers.merge import Rejected
from publisher.importers.reading import (
    Input,
    detect_delimiter,
    detect_encoding,
    normalise_header,
    open_csv,
    records,
)


def test_encodings_of_the_fixtures() -> None:
    assert detect_encoding(Input(NATIONAL / "annuaire.csv")) == "utf-8-sig"
    assert detect_encoding(Input(NATIONAL / "annuaire-bom.csv")) == "utf-8-sig"
    assert detect_encoding(Input(NATIONAL / "annuaire-etiquettes-latin1.csv")) == "cp1252"


def test_a_late_latin1_byte_decides_for_the_whole_file(tmp_path: Path) -> None:
    """The first megabytes are plain ASCII: a first-block sniff would say UTF-8."""
    path = tmp_path / "late.csv"
    body = b"a;b\n" + b"x;y\n" * 600_000 + "é;è\n".encode("latin-1")
    path.write_bytes(body)
    assert len(body) > 2 << 20
    assert detect_encoding(Input(path)) == "cp1252"
    rows = list(records(open_csv(Input(path))))
    assert rows[-1].cells == ["é", "è"] and rows[-1].line == 600_002


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "l1.csv"
    path.write_bytes(b"a;b\n\x81;\xe9\n")
    assert detect_encoding(Input(path)) == "latin-1"


@pytest.mark.parametrize(("line", "delimiter"), [
    ("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ("a;b,c", ";"), ("a", ";")])
def test_delimiter(line: str, delimiter: str) -> None:
    assert detect_delimiter(line) == delimiter


def test_headers_are_matched_without_case_accents_or_bom() -> None:
    assert normalise_header("\ufeffIdentifiant_de_l_etablissement ") == (
        "identifiant_de_l_etablissement")
    assert normalise_header("SIREN_SIRET") == "siren_siret"
    assert normalise_header("Libellé nature") == "libelle_nature"
    assert normalise_header("domainesous-domaine") == "domainesous_domaine"


def test_records_give_lines_of_the_file_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('Code;Texte\n1;"deux\nlignes"\n\n3;trois\n', "utf-8")
    csvfile = open_csv(Input(path))
    got = [(r.line, r.get("code"), r.get("texte"), r.get("absente")) for r in records(csvfile)]
    assert got == [(2, "1", "deux\nlignes", ""), (5, "3", "trois", "")]


def test_long_cells_are_read_and_the_csv_limit_is_put_back(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a;b\nx;" + "y" * 200_000 + "\n", encoding="utf-8")
    before = csv.field_size_limit()
    rows = list(records(open_csv(Input(path))))
    assert len(rows[0].cells[1]) == 200_000 > before
    assert csv.field_size_limit() == before


def test_importing_the_reader_leaves_the_csv_limit_alone() -> None:
    code = ("import csv; n = csv.field_size_limit(); import publisher.importers.reading; "
            "print(n == csv.field_size_limit())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_progress_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a\n" + "x\n" * 25, "utf-8")
    seen: list[tuple[int, float | None]] = []
    assert len(list(records(open_csv(Input(path)), lambda n, f: seen.append((n, f)),
                            every=10))) == 25
    assert [n for n, _ in seen] == [10, 20, 25] and seen[-1][1] == 1.0


def test_an_empty_file_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", "utf-8")
    with pytest.raises(SourceError):
        open_csv(Input(path))


def test_checks_normalise_or_reject() -> None:
    assert codes.check_uai(" 0750654d ") == "0750654D"
    with pytest.raises(Rejected, match="expected letter D"):
        codes.check_uai("0750654E")
    assert codes.check_siren_siret("999 900 053") == ("", "999900053")
    assert codes.check_rncp("37537") == codes.check_rncp("rncp 37537") == "RNCP37537"
    assert codes.check_level("NIV5") == codes.check_level("niveau 5 (bac + 2)") == "5"
    for bad in ("NIV9", "niveau 2", "III"):
        with pytest.raises(Rejected, match="unknown level"):
            codes.check_level(bad)
    assert codes.check_codes("225 : Plasturgie; 223", "NSF", "nsf") == "225;223"
    assert codes.check_date("31/08/2027") == "2027-08-31"
    assert codes.check_date("2027-08-31T00:00:00") == "2027-08-31"
    assert codes.check_departement("002") == "02" and codes.check_departement("2A") == "2A"
    assert codes.check_departement("971") == "971"
    assert codes.check_url("www.x.invalid") == "http://www.x.invalid"
    with pytest.raises(Rejected, match="personal email"):
        codes.check_email("jeanne.martin@lycee.invalid")
    assert codes.check_email("ce.0750654d@ac-paris.invalid") == "ce.0750654d@ac-paris.invalid"


@pytest.mark.parametrize(("labels", "kind"), [
    (("CAP",), "cap"), (("BAC PRO",), "bac-pro"), (("BTS",), "bts"), (("MC4",), "mc"),
    (("", "licence professionnelle"), "licence-pro"), (("BUT",), "but"),
    (("", "diplôme d'ingénieur"), "ingenieur"), (("TP",), "titre-pro"),
    (("DN MADE", "diplôme national des métiers d'art"), ""),
])
def test_certification_kinds(labels: tuple[str, ...], kind: str) -> None:
    assert codes.certification_kind(*labels) == kind
