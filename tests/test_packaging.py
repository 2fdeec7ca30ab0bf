"""Packaging (pyproject.toml [tool.setuptools*], publisher.project.shipped): a non-editable wheel ships
the ontology, shapes, queries and default mapping inside the package; installed in a fresh venv,
``cmq init`` + ``cmq build`` work from another folder with the package's files; the version rules.

The wheel test builds with pip from a temporary copy of the sources (pip fetches setuptools for the
isolated build, from its cache when it can) and installs it with ``--no-deps --no-index`` into a
new venv that sees this venv's dependencies through a ``.pth`` file: nothing else is downloaded.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import REPO
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from publisher import __version__
from publisher.project.shipped import shipped_files, shipped_root
from publisher.project.versions import breaking_key, compatible, next_breaking, requirement

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
SHIPPED = ("ontology", "shapes", "queries")


def test_in_a_checkout_the_shipped_files_are_the_repository_folders() -> None:
    assert shipped_root() == REPO
    assert [p.name for p in shipped_files("ontology")] == sorted(
        p.name for p in (REPO / "ontology").glob("*.ttl"))


DATA_PACKAGES = {"publisher.html.static", "publisher.html.templates",
                 "publisher.scaffold.templates"}


def test_every_package_is_listed() -> None:
    found = {".".join(p.relative_to(REPO).parent.parts)
             for p in (REPO / "publisher").rglob("*.py") if "__pycache__" not in p.parts}
    listed = set(SETUPTOOLS["packages"])
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    shipped = {f"publisher._shipped.{'.'.join(d.relative_to(REPO).parts)}"
               for folder in (*SHIPPED, "data") for d in [REPO / folder, *(REPO / folder).rglob("*")]
               if d.is_dir() and any(f.is_file() and _shipped_file(f) for f in d.iterdir())}
    assert listed - found == DATA_PACKAGES | shipped
    assert SETUPTOOLS["package-dir"] == {"publisher._shipped": "."}


def _shipped_file(path: Path) -> bool:
    rel = path.relative_to(REPO).as_posix()
    return rel == "data/mapping.toml" or not rel.startswith("data/")


def test_every_shipped_file_matches_a_package_data_pattern() -> None:
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]
    files = [p for folder in SHIPPED for p in (REPO / folder).rglob("*") if p.is_file()]
    files += [REPO / "data" / "mapping.toml"]
    missing = []
    for f in files:
        rel = f.relative_to(REPO)
        package = "publisher._shipped." + ".".join(rel.parent.parts)
        if not any(fnmatch.fnmatch(f.name, pat) for pat in package_data.get(package, [])):
            missing.append(rel.as_posix())
    assert missing == []


@pytest.mark.parametrize(("recorded", "installed", "ok", "note"), [
    ("0.1.0", "0.1.0", True, False),
    ("0.1.0", "0.1.7", True, False),
    ("0.1.7", "0.1.0", True, True),  # older cmq: a warning
    ("0.2.0", "0.1.0", False, True),  # before 1.0 the minor version breaks
    ("1.2.0", "1.9.3", True, False),
    ("2.0.0", "1.9.3", False, True),
    ("not-a-version", "1.0.0", False, True),
    ("0.2.0", "0.2.0rc1", True, True),  # a pre-release is older than its release (PEP 440)
    ("0.2.0rc1", "0.2.0", True, False),
])
def test_compatible(recorded: str, installed: str, ok: bool, note: bool) -> None:
    result, message = compatible(recorded, installed)
    assert result is ok and (message is not None) is note


def test_version_keys_and_requirement() -> None:
    assert breaking_key("0.1.3") == (0, 1) and breaking_key("1.4.2") == (1, 0)
    assert next_breaking("0.1.3") == "0.2.0" and next_breaking("1.4.0") == "2.0.0"
    assert requirement("0.1.0") == "cmq-lod>=0.1.0,<0.2.0"


# ---------------------------------------------------------------- the wheel, installed


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("publisher", *SHIPPED):
        shutil.copytree(REPO / folder, dest / folder, ignore=ignore)
    (dest / "data").mkdir()
    shutil.copy(REPO / "data" / "mapping.toml", dest / "data" / "mapping.toml")
    return dest


def _run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel of these sources installed (not editable); its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = _copy_sources(tmp / "src")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w",
                  str(tmp / "dist"), str(src)], tmp, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    # the build prints no warning (package layout, licence metadata…)
    assert "Warning" not in built.stdout + built.stderr, built.stdout + built.stderr
    wheel = next((tmp / "dist").glob("cmq_lod-*.whl"))
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   tmp).stdout.strip()
    # this venv's dependencies (rdflib, pyshacl, pyoxigraph…), appended after the new venv's own
    (Path(purelib) / "_cmq_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    inst = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                 "--no-index", "-q", str(wheel)], tmp)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    return venv / "bin"


@pytest.mark.timeout(900)
def test_the_wheel_carries_the_shipped_files(installed: Path) -> None:
    py = installed / "python"
    code = "import publisher.project.shipped as r, publisher; print(r.shipped_root(), publisher.__file__)"
    out = _run([str(py), "-c", code], installed.parent)
    root, module = out.stdout.split()
    venv = installed.parent.resolve()
    assert Path(module).resolve().is_relative_to(venv), "the installed package, not the checkout"
    assert Path(root).resolve().is_relative_to(venv) and Path(root).name == "_shipped"
    for rel in ("ontology/cmq.ttl", "ontology/alignments.ttl", "ontology/CHANGELOG.md",
                "shapes/identifiers.ttl", "shapes/catalogue/dcat-ap.ttl", "queries/README.md",
                "data/mapping.toml"):
        assert (Path(root) / rel).is_file(), rel


@pytest.mark.timeout(900)
def test_init_and_build_from_the_installed_package(installed: Path, tmp_path: Path) -> None:
    cmq = str(installed / "cmq")
    assert _run([cmq, "--version"], tmp_path).stdout.strip() == f"cmq {__version__}"
    made = _run([cmq, "init", "mon-campus", "--name", "Campus Exemple", "--base-iri",
                 "https://example.org/campus/", "--sector", "numerique"], tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "mon-campus"
    assert not (project / "ontology").exists() and not (project / "data" / "mapping.toml").exists()
    built = _run([cmq, "--project", "mon-campus", "build", "--json"], tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    release = Path(json.loads(built.stdout)["path"])
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert manifest["cmq_version"] == __version__
    assert "ontology.html" in {f["name"] for f in manifest["files"]}
    published = Graph().parse(release / "ontology.ttl", format="turtle")
    shipped = Graph()
    for f in sorted((REPO / "ontology").glob("*.ttl")):
        shipped.parse(f, format="turtle")
    if not isomorphic(published, shipped):
        _both, only_pub, only_shipped = graph_diff(to_isomorphic(published),
                                                   to_isomorphic(shipped))
        pytest.fail(f"release ≠ package ontology:\n+{only_pub.serialize(format='nt')}\n"
                    f"-{only_shipped.serialize(format='nt')}")


@pytest.mark.timeout(900)
def test_the_pin_is_enforced_by_the_installed_cmq(installed: Path, tmp_path: Path) -> None:
    cmq = str(installed / "cmq")
    assert _run([cmq, "init", "p", "--name", "Campus", "--base-iri",
                 "https://example.org/c/", "--sector", "energie"], tmp_path).returncode == 0
    config = tmp_path / "p" / "data" / "campus.toml"
    text = config.read_text("utf-8")
    assert f'version = "{__version__}"' in text
    config.write_text(text.replace(f'version = "{__version__}"', 'version = "99.0.0"'), "utf-8")
    refused = _run([cmq, "--project", "p", "validate"], tmp_path)
    assert refused.returncode == 3 and "99.0.0" in refused.stderr
