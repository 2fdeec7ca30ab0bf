"""Incremental builds give exactly what full builds give (docs/decisions/0010-incremental-build.md).

One copy of the shipped campus is built once in full, then changed step by step — (a) an edited
cell, (b) an added row, (c) a deleted row, (d) a change that introduces a violation, (e) its fix —
and rebuilt incrementally after each step. Each time, a full build of the same sources in a fresh
releases folder (no cache) must give byte-identical dumps and the same validation problems.
Both ways of holding the data between builds are covered: the store loaded in memory (small
data) and the cache's on-disk Oxigraph store (forced with ``STORE_MIN_TRIPLES = 0``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import copy_campus, set_cell
from rdflib import Graph

from publisher.convert.tables import read_table
from publisher.project.folder import Project
from publisher.release import data as release_data
from publisher.release.build import build_release
from publisher.release.cache import CACHE_DIR, BuildCache, inputs_of
from publisher.release.model import CONTEXT, DATA_JSONLD, DATA_NT, DATA_TTL, REPORT_TTL
from publisher.validate.validation import Problem, Report, ValidationFailed, shacl_problems

COMPARED = (DATA_NT, DATA_TTL, DATA_JSONLD, CONTEXT,
            f"{DATA_NT}.gz", f"{DATA_TTL}.gz", f"{DATA_JSONLD}.gz")
NEW_NAME = "Lycée professionnel Exemple modifié (fictif)"


@dataclass
class Outcome:
    """A build: its release folder (None when refused), report, mode, progress messages."""

    folder: Path | None
    report: Report
    mode: str
    steps: list[str] = field(default_factory=list)


def build(project: Project, out: Path | None = None, *, incremental: bool = True) -> Outcome:
    steps: list[str] = []
    try:
        result = build_release(project, out, progress=steps.append, incremental=incremental)
    except ValidationFailed as exc:
        mode = "incremental" if any("incrémentale" in s for s in steps) else "full"
        return Outcome(None, exc.report, mode, steps)
    folder = result.path
    report = Graph().parse(folder / REPORT_TTL, format="turtle")
    return Outcome(folder, Report(shacl_problems(report, None), report), result.mode,
                   steps)


def problem_key(p: Problem) -> tuple[str, ...]:
    # the shape is left out: a blank-node shape has another label in every parse of the shapes
    return (p.severity, str(p.location), p.message_fr, p.message_en, p.focus or "", p.path or "",
            p.value or "", p.component or "")


class Steps:
    """The shared project, changed step by step, and the full builds to compare with."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project = copy_campus(root / "campus")
        self.count = 0
        self.uai = ""

    def full_copy(self) -> Outcome:
        self.count += 1
        other = copy_campus(self.root / f"full-{self.count}")
        for f in self.project.data_dir.glob("*.csv"):
            shutil.copyfile(f, other.data_dir / f.name)
        return build(other, self.root / f"out-{self.count}", incremental=False)

    def check(self) -> tuple[Outcome, Outcome]:
        inc = build(self.project)
        full = self.full_copy()
        assert inc.mode == "incremental", inc.steps
        assert full.mode == "full"
        assert (inc.folder is None) == (full.folder is None)
        if inc.folder is not None and full.folder is not None:
            for name in COMPARED:
                assert (inc.folder / name).read_bytes() == (full.folder / name).read_bytes(), name
        assert sorted(map(problem_key, inc.report.problems)) == sorted(
            map(problem_key, full.report.problems))
        return inc, full


@pytest.fixture(scope="module", params=["memory", "disk"])
def steps(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Steps:
    mp = pytest.MonkeyPatch()
    if request.param == "disk":
        mp.setattr(release_data, "STORE_MIN_TRIPLES", 0)
    s = Steps(tmp_path_factory.mktemp(f"incremental-{request.param}"))
    first = build(s.project)
    assert first.mode == "full" and first.folder is not None
    request.addfinalizer(mp.undo)
    return s


def cache_state(project: Project) -> object:
    state = BuildCache(project.releases_dir / CACHE_DIR).load(inputs_of(project))
    assert state is not None, "a build leaves a valid cache"
    return state


def test_a_edited_cell(steps: Steps) -> None:
    set_cell(steps.project, "etablissements.csv", "lp-exemple-laon", "nom", NEW_NAME)
    inc, _full = steps.check()
    assert inc.folder is not None
    assert NEW_NAME in (inc.folder / DATA_NT).read_text(encoding="utf-8")


def test_b_added_row(steps: Steps) -> None:
    path = steps.project.data_dir / "formations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(lines[1].replace("cap-plasturgie-lp-laon,", "cap-plasturgie-lp-laon-bis,", 1))
    path.write_text("".join(lines), encoding="utf-8")
    inc, _full = steps.check()
    assert inc.folder is not None
    assert "formation/cap-plasturgie-lp-laon-bis>" in (inc.folder / DATA_NT).read_text(
        encoding="utf-8")


def test_c_deleted_row(steps: Steps) -> None:
    path = steps.project.data_dir / "formations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = lines.pop(2).split(",", 1)[0]
    path.write_text("".join(lines), encoding="utf-8")
    inc, _full = steps.check()
    assert inc.folder is not None
    assert f"formation/{gone}>" not in (inc.folder / DATA_NT).read_text(encoding="utf-8")


def test_d_a_violation_is_found_incrementally(steps: Steps) -> None:
    steps.uai = next(r["uai"] for _, r in read_table(steps.project.data_dir / "etablissements.csv")
                     if r["id"] == "lp-exemple-laon")
    line = set_cell(steps.project, "etablissements.csv", "lp-exemple-laon", "uai", "0029901A")
    inc, _full = steps.check()
    assert inc.folder is None, "refused"
    hits = [p for p in inc.report.problems if p.severity == "Violation"]
    assert hits and all(p.location is not None and p.location.row == line for p in hits)


def test_e_fixing_it_after_a_refused_build(steps: Steps) -> None:
    set_cell(steps.project, "etablissements.csv", "lp-exemple-laon", "uai", steps.uai)
    inc, _full = steps.check()
    assert inc.folder is not None
    assert inc.report.problems, "the shipped data has warnings: they are compared too"
    cache_state(steps.project)


def test_f_nothing_changed_is_a_no_op(steps: Steps) -> None:
    again = build(steps.project)
    assert again.mode == "incremental" and again.folder is not None
    assert again.folder == (steps.project.releases_dir / "current").resolve()


def test_g_removing_a_referenced_record_flags_the_records_that_point_to_it(steps: Steps) -> None:
    """The formations of a deleted establishment did not change, yet they are now invalid."""
    path = steps.project.data_dir / "etablissements.csv"
    before = path.read_text(encoding="utf-8")
    kept = [x for x in before.splitlines(keepends=True)
            if not x.startswith("cfa-fictif-industrie,")]
    path.write_text("".join(kept), encoding="utf-8")
    try:
        inc, _full = steps.check()
        assert inc.folder is None, "refused: formations and a membership point to nothing"
        focus = {p.focus or "" for p in inc.report.problems if p.severity == "Violation"}
        assert any(f.endswith("formation/bac-pro-usinage-cfa") for f in focus)
        assert any("adhesion/cfa-fictif-industrie" in f for f in focus)
    finally:
        path.write_text(before, encoding="utf-8")
    again, _full = steps.check()
    assert again.folder is not None
