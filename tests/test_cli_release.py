"""``cmq build`` and ``cmq diff``: JSON output, exit codes, and a build killed while writing."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_campus, set_cell

from publisher.cli.main import EXIT_INVALID, EXIT_OK, EXIT_RELEASE, main
from publisher.project.folder import Project
from publisher.release.cache import CACHE_DIR, BuildCache, inputs_of
from publisher.release.failure import failure_path
from publisher.release.folder import TMP_PREFIX, current_release
from publisher.release.model import CURRENT_LINK, DATA_NT, MANIFEST

CMQ = str(Path(sys.executable).with_name("cmq"))


@dataclass
class Built:
    project: Project
    payload: dict[str, Any]
    stderr: str


def id_folders(releases: Path) -> set[str]:
    return {p.name for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")
            and p.name != CURRENT_LINK}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    project = copy_campus(tmp_path_factory.mktemp("cli") / "campus")
    done = subprocess.run([CMQ, "--project", str(project.root), "build", "--json"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          check=False)
    assert done.returncode == EXIT_OK, done.stderr
    return Built(project, json.loads(done.stdout), done.stderr)


def test_build_json_summary(built: Built) -> None:
    p = built.payload
    assert p["ok"] is True and p["reused"] is False
    assert len(p["release_id"]) == 16
    assert Path(p["path"]) == built.project.releases_dir / p["release_id"]
    assert p["triples"] > 1000
    assert (p["violations"], p["warnings"]) == (0, 3)
    names = {f["name"] for f in p["files"]}
    assert {"campus.nt", "campus.ttl.gz", "catalog.ttl", "provenance.ttl"} <= names
    assert all(len(f["sha256"]) == 64 for f in p["files"])
    assert built.stderr == "", "no progress when stderr is not a terminal"


def test_invalid_source_exits_1_with_file_row_column(
    campus_copy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    project: Project = campus_copy()
    line = set_cell(project, "etablissements.csv", "lp-exemple-laon", "uai", "0029901A")
    code = main(["--project", str(project.root), "build", "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_INVALID
    assert f"etablissements.csv, ligne/row {line}, colonne/column uai" in err
    uai_line = next(t for t in err.splitlines() if "colonne/column uai" in t)
    assert uai_line.count("« 0029901A »") == 1, uai_line  # the shape's message quotes it
    payload = json.loads(out)
    assert payload["ok"] is False and payload["violations"] >= 1
    assert {"file": "etablissements.csv", "row": line, "column": "uai"}.items() <= next(
        p for p in payload["problems"] if p["column"] == "uai" and p["severity"] == "Violation"
    ).items()
    assert [p.name for p in project.releases_dir.iterdir()] == ["echec"], "no release written"
    report = project.releases_dir / "echec" / "validation.html"
    assert payload["published"] is False and payload["report"] == str(report)
    assert "rien n'a été publié" in err and "nothing was published" in err and str(report) in err
    assert "no release exists yet" in err and "unchanged" not in err  # a first build: none served
    html = report.read_text("utf-8")
    assert "aucune version n'est encore publiée" in html and "reste la précédente" not in html
    assert "Rien n'a été publié" in html and f"<td class=\"num\">{line}</td>" in html
    assert main(["--project", str(project.root), "validate"]) == EXIT_INVALID


def test_a_failed_build_leaves_the_served_release_and_its_report_until_fixed(
        campus_copy: Any, capsys: pytest.CaptureFixture[str]) -> None:
    project: Project = campus_copy()
    root = str(project.root)
    assert main(["--project", root, "build", "-q"]) == EXIT_OK
    served = current_release(project.releases_dir)
    set_cell(project, "chiffres.csv", "apprenants-2014", "date", "31/02/2014")
    assert main(["--project", root, "build", "-q"]) == EXIT_INVALID
    assert current_release(project.releases_dir) == served, "the served release is unchanged"
    report = project.releases_dir / "echec" / "validation.html"
    assert "31/02/2014" in report.read_text("utf-8")
    assert "reste la précédente" in report.read_text("utf-8")
    err = capsys.readouterr().err
    assert str(report) in err and "the served release is unchanged" in err
    set_cell(project, "chiffres.csv", "apprenants-2014", "date", "15/10/2014")
    assert main(["--project", root, "build", "-q"]) == EXIT_OK
    assert not report.exists(), "a successful build removes the failure report"


class ReportRows(HTMLParser):
    """The problem rows of a validation report: (file, severity, row, column, value, message)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, ...]] = []
        self.file = ""
        self.cells: list[str] | None = None
        self.where: list[str] = []  # open elements we read the text of (h3 code, td)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h3":
            self.file = ""
            self.where.append("h3")
        elif tag == "code" and self.where == ["h3"] and not self.file:
            self.where.append("code")
        elif tag == "tr" and dict(attrs).get("class"):
            self.cells = []
        elif tag == "td" and self.cells is not None:
            self.cells.append("")
            self.where.append("td")
        elif tag == "span":  # the English of a severity
            self.where.append("span")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self.cells is not None:
            self.rows.append((self.file, *(c.strip() for c in self.cells[:5])))
            self.cells = None
        elif self.where and tag == self.where[-1]:
            self.where.pop()

    def handle_data(self, data: str) -> None:
        if self.where[-1:] == ["code"]:
            self.file += data
        elif self.where[-1:] == ["td"] and self.cells:
            self.cells[-1] += data


def report_rows(html: str) -> list[tuple[str, ...]]:
    parser = ReportRows()
    parser.feed(html)
    parser.close()
    return parser.rows


def test_a_failed_build_report_shows_the_cell_of_each_conversion_problem(
        campus_copy: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Each problem about one cell shows the cell's text in the Value column, and its message
    does not say it again; a problem about a whole row or file shows none. A second build of the
    same tables reads the problems from the build cache: they keep their values."""
    project: Project = campus_copy()
    root = str(project.root)
    assert main(["--project", root, "build", "-q"]) == EXIT_OK  # then a refused build is cached
    date_row = set_cell(project, "chiffres.csv", "apprenants-2014", "date", "31/02/2014")
    code_row = set_cell(project, "etablissements.csv", "lp-henry-potez", "nature", "lycee-pro")
    chiffres = project.data_dir / "chiffres.csv"
    lines = chiffres.read_text("utf-8").splitlines()
    chiffres.write_text("\n".join([*lines, lines[2]]) + "\n", "utf-8")  # row 3 again
    (project.data_dir / "chiffres-2015.csv").write_text("id,libelle\n", "utf-8")
    assert main(["--project", root, "build", "-q"]) == EXIT_INVALID
    err = capsys.readouterr().err
    report = failure_path(project.releases_dir)
    rows = report_rows(report.read_text("utf-8"))
    [date] = [r for r in rows if r[0] == "chiffres.csv" and r[3] == "date"]
    assert date[1:5] == ("Violation", str(date_row), "date", "31/02/2014"), date
    assert "date impossible" in date[5] and "31/02" not in date[5], "said once, as the value"
    [code] = [r for r in rows if r[0] == "etablissements.csv" and r[3] == "nature"
              and r[1] == "Violation"]
    assert code[2:5] == (str(code_row), "nature", "lycee-pro"), code
    assert "code inconnu" in code[5] and "'lycee-pro'" not in code[5]
    [twice] = [r for r in rows if r[0] == "chiffres.csv" and "doublon" in r[5]]
    assert twice[2:5] == (str(len(lines) + 1), "", ""), "a whole row: no value"
    [unknown] = [r for r in rows if r[0] == "chiffres-2015.csv"]
    assert unknown[2:5] == ("", "", ""), "a whole file: no value"
    [text] = [ln for ln in err.splitlines() if f"ligne/row {date_row}, colonne/column date" in ln]
    assert text.startswith(f"Violation: chiffres.csv, ligne/row {date_row}, colonne/column date "
                           "« 31/02/2014 »: date impossible : ce jour n'existe pas"), text
    assert text.count("31/02/2014") == 1, text

    cache = BuildCache(project.releases_dir / CACHE_DIR)
    state = cache.load(inputs_of(project))
    assert state is not None, "a refused build keeps its cache"
    cached = cache.table_states(state)["chiffres"].problems
    assert [loc.value for loc, _m in cached if loc.column == "date"] == ["31/02/2014"]
    assert main(["--project", root, "build", "-q"]) == EXIT_INVALID
    assert report_rows(report.read_text("utf-8")) == rows, "the same report from the cache"


def _small_disk() -> None:
    """In the child: files may not grow past 64 KiB (write fails with EFBIG, like a full disk)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_write_error_exits_4_and_cleans_up(campus_copy: Any) -> None:
    project: Project = campus_copy()
    out = project.root / "out"
    done = subprocess.run([CMQ, "--project", str(project.root), "build", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          preexec_fn=_small_disk, check=False)
    assert done.returncode == EXIT_RELEASE, done.stderr
    assert "cannot write" in done.stderr and "File too large" in done.stderr
    assert "/.tmp-" in done.stderr, "the message names the file"
    assert id_folders(out) == set()
    assert not list(out.glob(f"{TMP_PREFIX}*")), "the temporary folder is removed"
    assert current_release(out) is None


def test_killed_build_then_next_build_and_diff(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    project, first_id = built.project, built.payload["release_id"]
    releases = project.releases_dir
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom", "Lycée modifié (fictif)")

    proc = subprocess.Popen([CMQ, "--project", str(project.root), "build", "-q"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen: list[Path] = []
    deadline = time.monotonic() + 120
    while not seen and proc.poll() is None and time.monotonic() < deadline:
        seen = [p for p in releases.glob(f"{TMP_PREFIX}*") if p.is_dir()]
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert seen, "the build was killed while writing its temporary folder"
    assert proc.returncode == -signal.SIGKILL
    assert id_folders(releases) == {first_id}, "no half release under an id name"
    assert current_release(releases) == releases / first_id
    assert (releases / CURRENT_LINK / MANIFEST).is_file()
    assert list(releases.glob(f"{TMP_PREFIX}*")), "the killed build left its temporary folder"

    assert main(["--project", str(project.root), "build", "--json"]) == EXIT_OK
    payload = json.loads(capsys.readouterr().out)
    second_id = payload["release_id"]
    assert second_id != first_id and payload["previous_id"] == first_id
    assert current_release(releases) == releases / second_id
    assert not list(releases.glob(f"{TMP_PREFIX}*")), "stale temporary folders are cleaned"
    assert id_folders(releases) == {first_id, second_id}

    code = main(["--project", str(project.root), "diff", first_id, "current", "--json",
                 "--exit-code"])
    diff = json.loads(capsys.readouterr().out)
    assert code == EXIT_INVALID
    assert diff == {"a": first_id, "b": second_id, "same": False, "added": 2, "removed": 2,
                    "unchanged": payload["triples"] - 2}

    code = main(["--project", str(project.root), "diff", str(releases / first_id), second_id,
                 "--triples"])
    text = capsys.readouterr().out
    assert code == EXIT_OK, "differences only change the exit code with --exit-code"
    assert f"{first_id} → {second_id}: +2 −2" in text
    assert '+ <' in text and "Lycée modifié (fictif)" in text
    assert '- <' in text and "Lycée professionnel Exemple (fictif)" in text

    assert main(["--project", str(project.root), "diff", "current", second_id,
                 "--exit-code"]) == EXIT_OK
    assert "+0 −0" in capsys.readouterr().out
    assert main(["--project", str(project.root), "diff", "current", "ffffffffffffffff"]) == (
        EXIT_RELEASE)
    assert "not found" in capsys.readouterr().err
    assert (releases / second_id / DATA_NT).is_file()

    # back to the first data: that release is made current again, not rewritten
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom",
             "Lycée professionnel Exemple (fictif)")
    mtime = (releases / first_id / DATA_NT).stat().st_mtime_ns
    assert main(["--project", str(project.root), "build"]) == EXIT_OK
    assert "already built, made current" in capsys.readouterr().out
    assert current_release(releases) == releases / first_id
    assert (releases / first_id / DATA_NT).stat().st_mtime_ns == mtime
