"""build_release end to end on copies of the shipped campus: layout, determinism, reuse,
changeset, retention, provenance, and a failed validation that leaves the current release alone.

The builds are shared: ``first`` (release A), ``second`` (one cell edited → release B, with an old
release planted beforehand to be pruned). Each build costs one validation (a few seconds).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from conftest import copy_campus, set_cell
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic
from test_dumps import parse_dump

from publisher import __version__
from publisher.core.errors import ReleaseError
from publisher.core.namespaces import DCAT, PROV, SPDX
from publisher.project.folder import Project
from publisher.release.browse_index import INDEX_FILE
from publisher.release.build import BuildResult, build_release, sources_digest
from publisher.release.cache import CACHE_DIR, inputs_of
from publisher.release.folder import TMP_PREFIX, build_lock, clean_stale, current_release
from publisher.release.manifest import read_release, release_id
from publisher.release.model import (
    ADDED_NT,
    CONTEXT,
    CSVW_METADATA,
    CURRENT_LINK,
    DATA_JSONLD,
    DATA_NT,
    DATA_TTL,
    MANIFEST,
    OWN_MARK,
    PROVENANCE_TTL,
    REMOVED_NT,
    REPORT_HTML,
    REPORT_TTL,
    VOID_TTL,
    ReleaseInfo,
)
from publisher.validate.validation import ValidationFailed

DUMPS = (DATA_NT, DATA_TTL, DATA_JSONLD)
ALL_FILES = {
    *DUMPS, *(f"{d}.gz" for d in DUMPS), CONTEXT, "ontology.ttl", "ontology.html", "shapes.ttl",
    "catalog.ttl",
    VOID_TTL, REPORT_TTL, REPORT_HTML, PROVENANCE_TTL, ADDED_NT, REMOVED_NT, MANIFEST,
    # the campus's tables, copied as they are, and their CSVW metadata (publisher.release.tables)
    *(p.name for p in (Path(__file__).resolve().parents[1] / "data").glob("*.csv")),
    CSVW_METADATA,
}
PLANTED = "0123456789abcdef"
OLD_NAME = "Lycée professionnel Exemple (fictif)"
NEW_NAME = "Lycée professionnel Exemple modifié (fictif)"


@dataclass
class Built:
    project: Project
    result: BuildResult

    @property
    def info(self) -> ReleaseInfo:
        return self.result.info

    @property
    def folder(self) -> Path:
        return self.project.releases_dir / self.info.release_id


def keep_releases(root: Path, n: int) -> Project:
    toml = root / "data" / "campus.toml"
    text = toml.read_text(encoding="utf-8")
    assert "releases_conservees = 5" in text
    toml.write_text(text.replace("releases_conservees = 5", f"releases_conservees = {n}"),
                    encoding="utf-8")
    return Project.open(root)


def id_folders(releases: Path) -> set[str]:
    return {p.name for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")
            and p.name != CURRENT_LINK}


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("release") / "campus"
    copy_campus(root)
    project = keep_releases(root, 2)
    steps: list[str] = []
    result = build_release(project, progress=steps.append)
    assert steps, "progress is reported"
    return Built(project, result)


@pytest.fixture(scope="module")
def second(first: Built) -> Built:
    """Plant an older release, edit one cell, build again (releases kept: 2)."""
    releases = first.project.releases_dir
    planted = releases / PLANTED
    shutil.copytree(first.folder, planted)
    manifest = json.loads((planted / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(release_id=PLANTED, created="2000-01-01T00:00:00+00:00")
    (planted / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    set_cell(first.project, "etablissements.csv", "lp-exemple-laon", "nom", NEW_NAME)
    return Built(first.project, build_release(first.project))


def test_first_release_layout(first: Built) -> None:
    releases, info = first.project.releases_dir, first.info
    # browse.sqlite: the site's browse index, outside the manifest (decision 0019)
    assert {p.name for p in first.folder.iterdir()} == ALL_FILES | {INDEX_FILE}
    assert (releases / CURRENT_LINK).is_symlink()
    assert current_release(releases) == first.folder
    assert not list(releases.glob(f"{TMP_PREFIX}*"))
    nt = (first.folder / DATA_NT).read_bytes()
    inputs = {**inputs_of(first.project), "sources": sources_digest(info.sources)}
    assert info.release_id == release_id(hashlib.sha256(nt).hexdigest(), inputs)
    assert (first.result.reused, first.result.status) == (False, "published")
    assert first.result.path == first.folder.resolve()
    assert first.result.mode == "full" and first.result.seconds > 0
    assert info.previous_id is None
    assert (first.folder / ADDED_NT).read_bytes() == b""
    assert (first.folder / REMOVED_NT).read_bytes() == b""
    assert (info.violations, info.warnings) == (0, 3)


@pytest.mark.parametrize("name", [*DUMPS, *(f"{d}.gz" for d in DUMPS)])
def test_dumps_parse_back_to_the_converted_graph(
    first: Built, shipped_graph: Graph, name: str
) -> None:
    got = parse_dump(first.folder, name)
    if not isomorphic(shipped_graph, got):
        _both, missing, extra = graph_diff(shipped_graph, got)
        pytest.fail(f"{name}: missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}")
    assert len(got) == first.info.triples


def test_manifest_lists_every_file_with_its_checksum(first: Built) -> None:
    raw = json.loads((first.folder / MANIFEST).read_text(encoding="utf-8"))
    assert list(raw)[:4] == ["manifest_version", "release_id", "created", "cmq_version"]
    info = read_release(first.folder)
    assert info.release_id == first.info.release_id
    assert info.cmq_version == __version__
    assert info.created.tzinfo is not None
    assert {f.name for f in info.files} == ALL_FILES - {MANIFEST}
    media = {f.name: f.media_type for f in info.files}
    assert media[DATA_NT] == "application/n-triples"
    assert media[DATA_TTL] == "text/turtle"
    assert media[DATA_JSONLD] == "application/ld+json"
    assert media[f"{DATA_NT}.gz"] == "application/gzip"
    assert media["etablissements.csv"] == "text/csv"
    assert media[CSVW_METADATA] == "application/csvm+json"
    for f in info.files:
        data = (first.folder / f.name).read_bytes()
        assert (f.byte_size, f.sha256) == (len(data), hashlib.sha256(data).hexdigest()), f.name
    sources = {s.name: s for s in info.sources}
    assert "etablissements.csv" in sources and "campus.toml" in sources
    src = first.project.data_dir / "campus.toml"
    assert sources["campus.toml"].sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_provenance(first: Built) -> None:
    g = Graph().parse(first.folder / PROVENANCE_TTL, format="turtle")
    release = URIRef(first.info.version_iri)
    assert (release, RDF.type, PROV.Entity) in g
    build = g.value(release, PROV.wasGeneratedBy)
    assert build is not None and (build, RDF.type, PROV.Activity) in g
    start, end = g.value(build, PROV.startedAtTime), g.value(build, PROV.endedAtTime)
    assert isinstance(start, Literal) and isinstance(end, Literal)
    assert start.toPython() <= end.toPython()
    agent = g.value(build, PROV.wasAssociatedWith)
    assert (agent, RDF.type, PROV.SoftwareAgent) in g
    assert g.value(agent, RDFS.label) == Literal(f"cmq {__version__}")
    used = set(g.objects(build, PROV.used))
    assert len(used) == len(first.info.sources) > 0
    checksums = {}
    for s in used:
        c = g.value(s, SPDX.checksum)
        assert g.value(c, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        name = str(g.value(s, RDFS.label))
        checksums[name] = str(g.value(c, SPDX.checksumValue))
        assert int(str(g.value(s, DCAT.byteSize))) == (first.project.data_dir / name).stat().st_size
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in first.project.source_files()}
    assert checksums == expected


def test_other_release_files_parse(first: Built) -> None:
    for name in ("catalog.ttl", VOID_TTL, REPORT_TTL, "ontology.ttl", "shapes.ttl"):
        assert len(Graph().parse(first.folder / name, format="turtle")) > 0, name
    assert "<html" in (first.folder / REPORT_HTML).read_text(encoding="utf-8").lower()


def test_same_sources_give_the_same_bytes_and_a_rebuild_is_a_no_op(
    first: Built, tmp_path: Path
) -> None:
    other = keep_releases(copy_campus(tmp_path / "other").root, 2)  # another path, same sources
    out = tmp_path / "out"
    built = build_release(other, out)
    info = built.info
    assert info.release_id == first.info.release_id
    assert not built.reused
    folder = out / info.release_id
    for name in [*DUMPS, *(f"{d}.gz" for d in DUMPS), CONTEXT, "ontology.ttl", "shapes.ttl"]:
        assert (folder / name).read_bytes() == (first.folder / name).read_bytes(), name

    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = build_release(other, out)
    assert again.info.release_id == info.release_id
    assert (again.reused, again.status) == (True, "unchanged")
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert id_folders(out) == {info.release_id}


def test_changeset_after_editing_one_row(first: Built, second: Built) -> None:
    info = second.info
    assert info.release_id != first.info.release_id
    assert info.previous_id == first.info.release_id
    # the name is the establishment's label and its contact point's name (data/mapping.toml)
    s = f"{first.project.config.base_iri}organisation/lp-exemple-laon"
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    fn = "<http://www.w3.org/2006/vcard/ns#fn>"

    def lines(name: str) -> str:
        return f'<{s}#contact> {fn} "{name}"@fr .\n<{s}> {label} "{name}"@fr .\n'  # sorted

    assert (second.folder / ADDED_NT).read_text(encoding="utf-8") == lines(NEW_NAME)
    assert (second.folder / REMOVED_NT).read_text(encoding="utf-8") == lines(OLD_NAME)
    assert (info.added, info.removed) == (2, 2)
    assert (read_release(second.folder).added, read_release(second.folder).removed) == (2, 2)


def test_retention_keeps_n_releases_and_the_current_one(first: Built, second: Built) -> None:
    releases = second.project.releases_dir
    assert id_folders(releases) == {first.info.release_id, second.info.release_id}
    assert second.result.pruned == (PLANTED,)
    assert current_release(releases) == second.folder
    assert not list(releases.glob(f"{TMP_PREFIX}*"))
    catalog = Graph().parse(second.folder / "catalog.ttl", format="turtle")
    versions = set(catalog.objects(URIRef(second.info.dataset_iri), DCAT.hasVersion))
    assert URIRef(first.info.version_iri) in versions, "kept releases are listed as versions"
    assert URIRef(f"{second.info.dataset_iri}/{PLANTED}") not in versions


def test_invalid_source_fails_and_leaves_current_alone(second: Built) -> None:
    releases = second.project.releases_dir
    before = sorted(p.name for p in releases.iterdir())
    line = set_cell(second.project, "etablissements.csv", "lp-exemple-laon", "uai", "0029901A")
    with pytest.raises(ValidationFailed) as caught:
        build_release(second.project)
    message = caught.value.message
    assert "etablissements.csv" in message
    assert f"ligne/row {line}" in message and "colonne/column uai" in message
    assert sorted(p.name for p in releases.iterdir()) == before
    assert current_release(releases) == second.folder
    still = Graph().parse(releases / CURRENT_LINK / DATA_NT, format="nt")
    assert len(still) == second.info.triples
    assert read_release(releases / CURRENT_LINK).release_id == second.info.release_id
    assert isinstance(datetime.fromisoformat(
        json.loads((releases / CURRENT_LINK / MANIFEST).read_text(encoding="utf-8"))["created"]),
        datetime)


def test_current_link_states(tmp_path: Path) -> None:
    assert current_release(tmp_path) is None
    (tmp_path / CURRENT_LINK).symlink_to("0000000000000000")  # dangling: as if none
    assert current_release(tmp_path) is None
    (tmp_path / CURRENT_LINK).unlink()
    (tmp_path / CURRENT_LINK).mkdir()  # a real folder is never replaced
    with pytest.raises(ReleaseError, match="not a symlink"):
        current_release(tmp_path)


def test_one_build_at_a_time_and_stale_temporary_folders(tmp_path: Path) -> None:
    (tmp_path / f"{TMP_PREFIX}abc").mkdir()  # a killed build's folder: marked first
    (tmp_path / f"{TMP_PREFIX}abc" / OWN_MARK).write_text("cmq", encoding="utf-8")
    (tmp_path / f"{TMP_PREFIX}abc" / DATA_NT).write_text("half", encoding="utf-8")
    (tmp_path / f"{TMP_PREFIX}empty").mkdir()  # killed before its mark: empty
    (tmp_path / f"{TMP_PREFIX}current-1").symlink_to(PLANTED)
    foreign = [f"{TMP_PREFIX}unmarked", f"{TMP_PREFIX}link", f"{TMP_PREFIX}file"]
    (tmp_path / foreign[0]).mkdir()
    (tmp_path / foreign[0] / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / foreign[1]).symlink_to(tmp_path / foreign[0])
    (tmp_path / foreign[2]).write_text("mine", encoding="utf-8")
    with build_lock(tmp_path):
        with pytest.raises(ReleaseError, match="another build"), build_lock(tmp_path):
            pass
        assert clean_stale(tmp_path) == [f"{TMP_PREFIX}abc", f"{TMP_PREFIX}current-1",
                                         f"{TMP_PREFIX}empty"]
    assert sorted(p.name for p in tmp_path.glob(f"{TMP_PREFIX}*")) == sorted(foreign)
    assert (tmp_path / foreign[0] / "notes.txt").read_text(encoding="utf-8") == "mine"
    with build_lock(tmp_path):  # released when the block ends
        pass


def test_build_into_a_shared_folder_removes_only_what_it_wrote(tmp_path: Path) -> None:
    """``cmq build --out ~``: the user's ``.cache/``, ``.tmp-*`` and a ``.cmq-cache`` the build
    did not make survive two builds (one pruning); the build's own leftovers are removed."""
    project = keep_releases(copy_campus(tmp_path / "campus").root, 1)
    home = tmp_path / "home"
    theirs = {".cache/app/settings.json": "{}", ".tmp-download/part.bin": "x",
              f"{TMP_PREFIX}mine/notes.txt": "n", "notes.txt": "n"}
    for name, text in theirs.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text, encoding="utf-8")
    first = build_release(project, home)
    assert (home / CACHE_DIR / "CACHEDIR.TAG").is_file(), "the build's cache carries its tag"
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom", NEW_NAME)
    second = build_release(project, home)
    assert second.pruned == (first.info.release_id,)
    for name, text in theirs.items():
        assert (home / name).read_text(encoding="utf-8") == text, name
    assert not (home / first.info.release_id).exists()
    assert not [p for p in home.glob(f"{TMP_PREFIX}*") if p.name != f"{TMP_PREFIX}mine"]


def test_a_cache_folder_the_build_did_not_make_is_left_alone(tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "campus")
    out = tmp_path / "out"
    (out / CACHE_DIR).mkdir(parents=True)
    (out / CACHE_DIR / "state.pkl").write_text("theirs", encoding="utf-8")
    built = build_release(project, out)
    assert built.status == "published"
    assert [p.name for p in (out / CACHE_DIR).iterdir()] == ["state.pkl"]
    assert (out / CACHE_DIR / "state.pkl").read_text(encoding="utf-8") == "theirs"


@pytest.mark.parametrize("incremental", [True, False], ids=["incremental", "full"])
def test_a_configuration_only_change_is_a_new_release(tmp_path: Path, incremental: bool) -> None:
    """``public_url`` and the title change no triple, yet reach the catalogue and manifest."""
    project = copy_campus(tmp_path / "campus")
    before = build_release(project)
    toml = project.data_dir / "campus.toml"
    text = toml.read_text(encoding="utf-8")
    new_url = "https://donnees.example.org/cmq/"
    toml.write_text(text.replace('public_url = "http://127.0.0.1:8000/"', f'public_url = "{new_url}"')
                    .replace('titre = "Campus des métiers', 'titre = "Le campus des métiers')
                    .replace('contact_nom = "Campus', 'contact_nom = "Le campus'),
                    encoding="utf-8")
    project = Project.open(project.root)
    after = build_release(project, incremental=incremental)
    assert after.status == "published", "a configuration change is published"
    assert after.info.release_id != before.info.release_id
    folder = project.releases_dir / after.info.release_id
    assert json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["campus"]["public_url"] \
        == new_url
    catalog = (folder / "catalog.ttl").read_text(encoding="utf-8")
    assert new_url in catalog and "Le campus des métiers" in catalog
    assert (folder / DATA_NT).read_bytes() == (before.path / DATA_NT).read_bytes()
    again = build_release(project, incremental=incremental)
    assert (again.status, again.info.release_id) == ("unchanged", after.info.release_id)
