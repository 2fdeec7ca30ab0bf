"""The build cache: when it is used, when it is not (full build), and that it stays whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import set_cell

from publisher.project.folder import Project
from publisher.release import cache as build_cache
from publisher.release.build import build_release
from publisher.release.cache import CACHE_DIR, STATE, TAG, BuildCache, inputs_of


def mode(project: Project) -> str:
    return build_release(project).mode


def cache_of(project: Project) -> BuildCache:
    return BuildCache(project.releases_dir / CACHE_DIR)


@pytest.fixture
def built(campus_copy: Callable[[], Project]) -> Project:
    project = campus_copy()
    assert mode(project) == "full", "no cache yet"
    assert cache_of(project).load(inputs_of(project)) is not None
    return project


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize("change", ["mapping", "shapes", "campus", "version"])
def test_a_change_of_inputs_means_a_full_build(built: Project, change: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if change == "mapping":
        append(built.data_dir / "mapping.toml", "\n# une remarque / a remark\n")
    elif change == "shapes":
        append(built.root / "shapes" / "campus.ttl", "\n# une remarque / a remark\n")
    elif change == "campus":
        append(built.data_dir / "campus.toml", "\n# une remarque / a remark\n")
    else:
        monkeypatch.setattr(build_cache, "__version__", "999.0.0")
    assert cache_of(built).load(inputs_of(built)) is None
    assert mode(built) == "full"
    assert mode(built) == "incremental", "the full build wrote a new cache"


def test_inputs_cover_the_ontology(built: Project) -> None:
    inputs = inputs_of(built)
    assert set(inputs) == {"format", "cmq", "mapping", "config", "shapes", "ontology"}
    assert all(inputs[k] for k in inputs)


def test_a_table_change_is_incremental_and_unchanged_tables_are_not_read(
        built: Project) -> None:
    set_cell(built, "partenaires.csv", next(iter(
        (built.data_dir / "partenaires.csv").read_text(encoding="utf-8").splitlines()[1:]))
        .split(",")[0], "nom", "Partenaire renommé (fictif)")
    cache = cache_of(built)
    state = cache.load(inputs_of(built))
    assert state is not None
    from publisher.convert.tables import convert

    tables = cache.table_states(state)
    conv = convert(built, previous=tables)
    for name, t in conv.tables.items():
        if name == "partenaires":
            assert t is not tables[name]
        else:
            assert t is tables[name], f"{name} unchanged: reused as it was"
            assert t._data is None, f"{name}: its rows were not even read"
    assert mode(built) == "incremental"


def test_a_damaged_cache_means_a_full_build(built: Project) -> None:
    (built.releases_dir / CACHE_DIR / STATE).write_bytes(b"not a pickle")
    assert mode(built) == "full"
    state = cache_of(built).load(inputs_of(built))
    assert state is not None
    (built.releases_dir / CACHE_DIR / state.data_file).unlink()
    assert cache_of(built).load(inputs_of(built)) is None


def test_only_named_files_are_kept(built: Project) -> None:
    set_cell(built, "etablissements.csv", "lp-exemple-laon", "nom", "Lycée renommé (fictif)")
    assert mode(built) == "incremental"
    root = built.releases_dir / CACHE_DIR
    state = cache_of(built).load(inputs_of(built))
    assert state is not None
    named = {STATE, TAG, state.data_file, state.extra_file}  # TAG: the cache proves it is its folder
    named |= {t.rows_file for t in state.tables.values() if t.rows_file}
    assert {p.name for p in root.iterdir() if not p.name.startswith("canonical-")} == named
    assert len([p for p in root.iterdir() if p.name.startswith("canonical-")]) == 2


def test_a_store_left_half_changed_is_not_trusted(
        campus_copy: Callable[[], Project], monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.release import data as release_data

    monkeypatch.setattr(release_data, "STORE_MIN_TRIPLES", 0)
    project = campus_copy()
    assert mode(project) == "full"
    cache = cache_of(project)
    state = cache.load(inputs_of(project))
    assert state is not None and state.store_dir is not None
    store = cache.open_store(state)
    assert store is not None and len(store) > 0
    del store
    cache.mark_store_changing(state)  # as if a build had been killed while changing it
    changing = cache.load(inputs_of(project))
    assert changing is not None and cache.open_store(changing) is None
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom", "Lycée renommé (fictif)")
    assert mode(project) == "incremental", "still incremental, on a store loaded in memory"
    state = cache.load(inputs_of(project))
    assert state is not None and state.store_dir is not None, "and a new store is made"
    assert state.store_id == state.data_id
