"""Row by row conversion and its reuse by the build cache (publisher.convert.rows)."""

from __future__ import annotations

from collections.abc import Callable

from conftest import set_cell

from publisher.convert.mapping import load_mapping
from publisher.convert.tables import convert, convert_table
from publisher.project.folder import Project


def test_unchanged_rows_are_reused_and_the_result_is_a_fresh_conversion(
        campus_copy: Callable[[], Project]) -> None:
    project = campus_copy()
    table = next(t for t in load_mapping(project.mapping_path).tables if t.name == "formations")
    path = project.data_dir / table.file
    base = project.config.base_iri
    before = convert_table(table, path, base)
    assert convert_table(table, path, base, before) is before, "same file: same state"

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # a row inserted at the top (every line number moves), one edited, one with a bad key
    lines.insert(1, lines[1].replace(",", "-bis,", 1))
    lines.append("Pas Une Clé,Titre,cap-plasturgie,lp-exemple-laon,voie-scolaire,P2Y,1,,oui,x\n")
    path.write_text("".join(lines), encoding="utf-8")
    set_cell(project, table.file, "bac-pro-usinage-cfa", "intitule", "Titre édité (fictif)")

    reused = convert_table(table, path, base, before)
    fresh = convert_table(table, path, base)
    assert reused.rows == fresh.rows and reused.used == fresh.used
    assert reused.problems == fresh.problems and reused.problems, "the bad key is reported"
    assert reused.problems[0][0].row == len(lines), "on its new line"
    same = [k for k in reused.rows if k in before.rows]
    assert len(same) == len(before.rows) - 1, "all rows but the edited one"
    assert all(reused.rows[k] is before.rows[k] for k in same), "not converted again"
    assert [line for line, _ in reused.used][:2] == [2, 3]


def test_conversion_with_the_cache_equals_without(campus_copy: Callable[[], Project]) -> None:
    project = campus_copy()
    first = convert(project)
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom", "Autre nom (fictif)")
    again = convert(project, previous=first.tables)
    fresh = convert(project)
    assert again.sorted_lines() == fresh.sorted_lines()
    assert again.problems == fresh.problems
    assert again.origins == fresh.origins
