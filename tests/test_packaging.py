"""Packaging (pyproject.toml [tool.setuptools*], setup.py, publisher.project.shipped): a non-editable
wheel ships the ontology, shapes, queries and default mapping inside the package, and YASGUI's files
copied from node_modules at build time; installed in a fresh venv, ``cmq init`` + ``cmq build`` work
from another folder with the package's files, and ``cmq serve`` serves the pages, the ontology
docs and a query page that runs a named query in headless Chromium; ``pip install git+file://``
of a clone does the same build (npm ci included); the version rules.

The wheel test builds with pip from a temporary copy of the sources (pip fetches setuptools for the
isolated build, from its cache when it can) and installs it with ``--no-deps --no-index`` into a
new venv that sees this venv's dependencies through a ``.pth`` file: nothing else is downloaded.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from chromium_cdp import Browser, chromium_path
from conftest import REPO
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from server_fixtures import free_port

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


#: The front-end files the wheel carries (setup.py ASSETS), from the checkout's node_modules,
#: and the folder of the installed package they go to
FRONT_END = {
    "node_modules/@zazuko/yasgui/build/yasgui.min.js": "yasgui",
    "node_modules/@zazuko/yasgui/build/yasgui.min.css": "yasgui",
    "node_modules/leaflet/dist/leaflet.js": "leaflet",
    "node_modules/leaflet/dist/leaflet.css": "leaflet",
    "node_modules/leaflet/dist/images/marker-icon.png": "leaflet",
    "node_modules/leaflet/dist/images/marker-shadow.png": "leaflet",
    "node_modules/leaflet/dist/images/marker-icon-2x.png": "leaflet",
    "node_modules/leaflet/dist/images/layers.png": "leaflet",
    "node_modules/leaflet/dist/images/layers-2x.png": "leaflet",
    "node_modules/leaflet.markercluster/dist/leaflet.markercluster.js": "leaflet.markercluster",
    "node_modules/leaflet.markercluster/dist/MarkerCluster.css": "leaflet.markercluster",
    "node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css": "leaflet.markercluster",
}


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "setup.py", "package.json", "package-lock.json",
                 *FRONT_END):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
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
    for rel, target in FRONT_END.items():
        inside = rel.split("/build/" if "/build/" in rel else "/dist/", 1)[1]
        packaged = Path(module).parent / "_assets" / target / inside
        assert packaged.read_bytes() == (REPO / rel).read_bytes(), rel


def test_the_wheel_build_fails_clearly_without_the_npm_files(tmp_path: Path) -> None:
    """No node_modules and no npm on the PATH: the build stops and says to run ``npm ci``."""
    src = _copy_sources(tmp_path / "src")
    shutil.rmtree(src / "node_modules")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no npm on the PATH
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w",
                            str(tmp_path / "dist"), str(src)],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env,
                           check=False)
    assert built.returncode != 0
    assert "npm ci" in built.stdout + built.stderr
    assert not list(tmp_path.glob("dist/*.whl"))


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


# ------------------------------------------------- a new campus installs, builds and serves


def _serve(cmq: Path, project: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The installed ``cmq serve`` on a loopback port, from outside the repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMQ_")}
    with log.open("wb") as out:
        proc = subprocess.Popen([str(cmq), "--project", str(project), "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=project.parent,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text("utf-8", errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.terminate()
    pytest.fail("cmq serve not ready:\n" + log.read_text("utf-8", errors="replace"))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.browser
@pytest.mark.timeout(900)
@pytest.mark.skipif(chromium_path() is None, reason="chromium absent (Debian package `chromium`)")
def test_a_new_campus_in_a_new_sector_installs_builds_and_serves(
        installed: Path, tmp_path: Path) -> None:
    cmq = installed / "cmq"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    made = _run([str(cmq), "init", "campus-tourisme", "--name", "Campus Tourisme Exemple",
                 "--base-iri", "https://example.org/campus-tourisme/", "--sector",
                 "tourisme-gastronomie", "--own-sector", "santé, bien-être", "--public-url", url],
                tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    project = tmp_path / "campus-tourisme"
    assert not (project / "node_modules").exists() and not (project / "package.json").exists()
    built = _run([str(cmq), "--project", str(project), "build", "--json"], tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    log = tmp_path / "serve.log"
    proc = _serve(cmq, project, port, log)
    try:
        for path, needle in (("", "Campus Tourisme Exemple"), ("ontology", "secteur"),
                             ("assets/yasgui/yasgui.min.js", "Yasgui"),
                             ("assets/leaflet/leaflet.js", "Leaflet")):
            answer = httpx.get(url + path, headers={"Accept": "text/html"}, timeout=30)
            assert answer.status_code == 200 and needle in answer.text, (path, answer.status_code)
        with Browser.start(tmp_path / "chromium") as browser:
            page = browser.new_page()
            page.navigate(url + "sparql")
            page.wait_for("document.querySelector('#yasgui[data-ready]') && "
                          "document.querySelectorAll('.yasgui .tabsList .tab').length",
                          "YASGUI tabs")
            page.evaluate("window.cmqYasgui.getTab().query().then(() => true)")
            page.wait_for("document.querySelectorAll('.yasr table.dataTable tbody tr').length",
                          "result rows")
            table = page.evaluate("document.querySelector('.yasr table.dataTable tbody')"
                                  ".innerText")
            page.screenshot(tmp_path / "query.png")
        assert "Campus Tourisme Exemple" in table
        assert "tourisme et gastronomie" in table and "santé, bien-être" in table
        # public_url is the served address: no warning
        assert "public_url" not in log.read_text("utf-8", errors="replace")
    finally:
        _stop(proc)


@pytest.mark.timeout(900)
def test_cmq_serve_warns_when_public_url_is_another_address(installed: Path,
                                                             tmp_path: Path) -> None:
    cmq = installed / "cmq"
    assert _run([str(cmq), "init", "p", "--name", "Campus", "--base-iri",
                 "https://example.org/c/", "--sector", "energie"], tmp_path).returncode == 0
    assert _run([str(cmq), "--project", "p", "build"], tmp_path).returncode == 0
    port = free_port()
    assert port != 8000
    log = tmp_path / "serve.log"
    _stop(_serve(cmq, tmp_path / "p", port, log))
    text = log.read_text("utf-8", errors="replace")
    assert "http://127.0.0.1:8000/" in text and f"http://127.0.0.1:{port}/" in text
    assert "cmq build --public-url" in text
    # the same data built again for another address: the release exists, cmq build says so
    again = _run([str(cmq), "--project", "p", "build", "--public-url",
                  f"http://127.0.0.1:{port}/"], tmp_path)
    assert again.returncode == 0 and "http://127.0.0.1:8000/" in again.stderr, again.stderr
    # a project built for the served address from the start: links follow, no warning
    assert _run([str(cmq), "init", "q", "--name", "Campus", "--base-iri",
                 "https://example.org/c/", "--sector", "energie"], tmp_path).returncode == 0
    rebuilt = _run([str(cmq), "--project", "q", "build", "--public-url",
                    f"http://127.0.0.1:{port}/"], tmp_path)
    assert rebuilt.returncode == 0 and not rebuilt.stderr.strip(), rebuilt.stderr
    proc = _serve(cmq, tmp_path / "q", port, log)
    try:
        catalog = httpx.get(f"http://127.0.0.1:{port}/catalog", timeout=30).text
        assert f"http://127.0.0.1:{port}/dumps/campus.ttl" in catalog
        assert httpx.get(f"http://127.0.0.1:{port}/dumps/campus.ttl",
                         timeout=30).status_code == 200
    finally:
        _stop(proc)
    assert "cmq build --public-url" not in log.read_text("utf-8", errors="replace")


@pytest.mark.timeout(1200)
def test_pip_install_from_a_git_url(tmp_path: Path) -> None:
    """``pip install git+file://`` of a clone (no node_modules: the build runs ``npm ci``)
    gives a cmq that carries YASGUI's files. Only committed files are in a clone."""
    if shutil.which("git") is None or shutil.which("npm") is None:
        pytest.skip("git or npm absent")
    clone = tmp_path / "clone"
    # a full clone: pip clones it again with --filter=blob:none, which a shallow source makes
    # fetch lazily without end
    cloned = _run(["git", "clone", "-q", f"file://{REPO}", str(clone)], tmp_path)
    if cloned.returncode != 0:
        pytest.skip(f"not a git checkout: {cloned.stderr.strip()}")
    assert not (clone / "node_modules").exists()
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path).returncode == 0
    py = venv / "bin" / "python"
    # in its own session, so that a time-out ends pip's git and npm children too
    log = tmp_path / "pip.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pip", "--python", str(py), "install",
                                 "--no-deps", "-q", f"git+file://{clone}"], cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        code = proc.wait(timeout=1000)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("pip install git+file:// did not finish:\n" + log.read_text("utf-8"))
    assert code == 0, log.read_text("utf-8", errors="replace")
    assets = next(venv.glob("lib/python*/site-packages/publisher/_assets"))
    packaged = {p.relative_to(assets).as_posix() for p in assets.rglob("*") if p.is_file()}
    assert packaged == {f"{target}/{Path(rel).name}" if "/images/" not in rel
                        else f"{target}/images/{Path(rel).name}"
                        for rel, target in FRONT_END.items()}
    assert all((assets / rel).stat().st_size > 10_000 for rel in packaged if "yasgui" in rel)
    assert list(venv.glob("lib/python*/site-packages/publisher/_shipped/ontology/cmq.ttl"))
