"""``data/campus.toml`` checked key by key (issue 11, item 15): type and range of every key, all
problems at once, each naming the file, the key, what was found and what is expected; and the
command line that reports them (messages, exit codes, ``--json`` on failure)."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_campus

from publisher.cli.errors import EXIT_RELEASE, EXIT_SOURCE, exit_code, message
from publisher.core.errors import SourceError
from publisher.project.config import load_config

CMQ = str(Path(sys.executable).with_name("cmq"))
SHIPPED = (REPO / "data" / "campus.toml").read_text("utf-8")


def edited(text: str, key: str, value: str) -> str:
    """``text`` with ``key = …`` (its first occurrence) set to the TOML ``value``."""
    new, n = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text, count=1)
    assert n == 1, key
    return new


#: (key as reported, key in the file, TOML value, shown in the message as found, expected)
WRONG = [
    ("campus.secteurs", "secteurs", "42", "42 (nombre entier / integer)", "liste de textes"),
    ("campus.secteurs", "secteurs", '["plasturgie", 3]', "[", "list of strings"),
    ("campus.region", "region", '"99"', "'99'", "INSEE region code"),
    ("campus.region", "region", "32", "32 (nombre entier / integer)", "quoted string"),
    ("campus.date_label", "date_label", '"2013-5"', "'2013-5'", "YYYY-MM-DD"),
    ("campus.pilotes", "pilotes", '["rectorat amiens"]', "'rectorat amiens'", "identifier"),
    ("campus.nom", "nom", '""', "requis / required", "quoted string"),
    ("publication.base_iri", "base_iri", '"ftp://x/"', "'ftp://x/'", "ending in /"),
    ("publication.public_url", "public_url", '"not a url"', "'not a url'", "http(s) address"),
    ("publication.contact_courriel", "contact_courriel", '"accueil"', "'accueil'",
     "email address"),
    ("publication.periode_debut", "periode_debut", '"2013-13-01"', "'2013-13-01'", "YYYY-MM"),
    ("publication.mots_cles", "mots_cles", '"plasturgie"', "(texte / string)", "list of strings"),
    ("publication.releases_conservees", "releases_conservees", '"cinq"', "'cinq'",
     "whole number"),
    ("publication.releases_conservees", "releases_conservees", "0", "0 (nombre entier",
     "≥ 1"),
    ("publication.releases_conservees", "releases_conservees", "-3", "-3 (nombre entier",
     "≥ 1"),
    ("publication.releases_conservees", "releases_conservees", "true", "True (booléen",
     "whole number"),
]


@pytest.mark.parametrize(("where", "key", "value", "shown", "expected"), WRONG,
                         ids=[f"{w[0]}={w[2]}" for w in WRONG])
def test_a_wrong_value_names_file_key_found_and_expected(
    tmp_path: Path, where: str, key: str, value: str, shown: str, expected: str,
) -> None:
    path = tmp_path / "campus.toml"
    path.write_text(edited(SHIPPED, key, value), "utf-8")
    with pytest.raises(SourceError) as caught:
        load_config(path)
    [(loc, text)] = caught.value.problems
    assert (loc.file, loc.column) == ("campus.toml", where)
    assert shown in text and expected in text
    assert f"campus.toml, clé/key {where}: " in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = SHIPPED
    for key, value in (("secteurs", "42"), ("region", '"99"'), ("public_url", '"not a url"'),
                       ("releases_conservees", '"cinq"')):
        text = edited(text, key, value)
    text += '\nsecteur = ["typo"]\n\n[[territoires]]\nnom = 3\n\n[autre]\nx = 1\n'
    path = tmp_path / "campus.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(SourceError) as caught:
        load_config(path)
    assert sorted(str(loc.column) for loc, _ in caught.value.problems) == sorted([
        "campus.secteurs", "campus.region", "publication.public_url",
        "publication.releases_conservees", "publication.secteur", "territoires[5].id",
        "territoires[5].nom", "autre"])
    assert "unknown key 'secteur'" in str(caught.value)


def test_valid_values_load(tmp_path: Path) -> None:
    text = SHIPPED
    for key, value in (("date_label", "2013-05-02"), ("periode_debut", '"2013-01"'),
                       ("contact_courriel", '"contact@campus.invalid"'), ("region", '"02"'),
                       ("releases_conservees", "1")):
        text = edited(text, key, value)
    path = tmp_path / "campus.toml"
    path.write_text(text, "utf-8")
    cfg = load_config(path)
    assert (cfg.label_date, cfg.period_start, cfg.region, cfg.releases_kept) == (
        "2013-05-02", "2013-01", "02", 1)


def test_environment_errors_have_the_source_exit_code() -> None:
    for code, fr in ((errno.EACCES, "permission refusée"),
                     (errno.EROFS, "lecture seule"), (errno.ENOENT, "absent")):
        exc = OSError(code, os.strerror(code), "data/etablissements.csv")
        assert exit_code(exc) == EXIT_SOURCE
        assert message(exc) == f"data/etablissements.csv: {message(exc).split(': ', 1)[1]}"
        assert fr in message(exc) and os.strerror(code) in message(exc)


def _cmq(*args: str) -> tuple[int, dict[str, object], str]:
    done = subprocess.run([CMQ, *args, "--json"], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.mark.parametrize(("key", "value"), [("secteurs", "42"),
                                            ("releases_conservees", '"cinq"')])
def test_build_reports_a_wrong_config_as_json(tmp_path: Path, key: str, value: str) -> None:
    """Today's TypeError/ValueError: now a located problem, in the JSON too. The configuration is
    read before the tables (it names the workbook, if any), so a campus.toml that cannot be read
    as a configuration stops the build as an unreadable source (exit 3), nothing published."""
    project = copy_campus(tmp_path / "c")
    toml = project.data_dir / "campus.toml"
    toml.write_text(edited(toml.read_text("utf-8"), key, value), "utf-8")
    code, payload, err = _cmq("--project", str(project.root), "build")
    assert code == EXIT_SOURCE and payload["ok"] is False
    problems = payload["problems"]
    assert isinstance(problems, list)
    assert [(p["file"], p["column"]) for p in problems] == [
        ("campus.toml", f"{'campus' if key == 'secteurs' else 'publication'}.{key}")]
    assert "clé/key" in err and not (project.root / "releases" / "current").exists()


def test_build_prints_json_on_project_and_release_errors(tmp_path: Path) -> None:
    code, payload, _ = _cmq("--project", str(tmp_path), "build")
    assert code == EXIT_SOURCE
    assert payload["ok"] is False and payload["exit_code"] == EXIT_SOURCE
    assert payload["error"] == "ProjectError" and "campus.toml" in str(payload["message"])
    project = copy_campus(tmp_path / "c")
    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    code, payload, _ = _cmq("--project", str(project.root), "build", "--out",
                            str(blocker / "releases"))
    assert code == EXIT_RELEASE
    assert (payload["ok"], payload["exit_code"], payload["error"]) == (False, EXIT_RELEASE,
                                                                      "ReleaseError")


def test_a_missing_import_file_exits_3_with_json(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    code, payload, _ = _cmq("--project", str(project.root), "import", "annuaire",
                            str(tmp_path / "absent.csv"))
    assert code == EXIT_SOURCE and payload["error"] == "SourceError"
    assert payload["problems"] == [{"file": str(tmp_path / "absent.csv"), "row": None,
                                    "column": None, "message": "fichier absent / file missing"}]


@pytest.mark.external
def test_import_into_a_read_only_project_exits_3(tmp_path: Path) -> None:
    """A read-only ``data/`` (a read-only bind mount in a private mount namespace as root,
    where permission bits do not stop writes; the permission bits otherwise)."""
    project = copy_campus(tmp_path / "c")
    before = (project.data_dir / "etablissements.csv").read_bytes()
    command = [CMQ, "--project", str(project.root), "import", "annuaire",
               str(REPO / "tests" / "fixtures" / "national" / "annuaire-bom.csv"), "--json"]
    if os.geteuid() == 0:
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("unshare(1) is needed to make a read-only mount as root")
        data = str(project.data_dir)
        script = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && '
                  'exec "$@"')
        command = [unshare, "-m", "sh", "-c", script, "sh", data, *command]
        expected = "lecture seule"
    else:
        project.data_dir.chmod(0o555)
        expected = "permission refusée"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, check=False)
    finally:
        project.data_dir.chmod(0o755)
    if "mount" in done.stderr and done.returncode != EXIT_SOURCE:
        pytest.skip(f"no read-only mount here: {done.stderr.strip()}")
    assert done.returncode == EXIT_SOURCE, done.stderr
    assert "Traceback" not in done.stderr and expected in done.stderr
    payload = json.loads(done.stdout)
    assert payload["ok"] is False and payload["error"] in ("OSError", "PermissionError")
    assert (project.data_dir / "etablissements.csv").read_bytes() == before
