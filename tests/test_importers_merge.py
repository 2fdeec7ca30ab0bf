"""Merging national records into a campus table: keys, campus columns, atomic write."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.importers.merge import (
    Candidate,
    Rejected,
    SourceInfo,
    TableMerge,
    merge_sources,
    read_campus_table,
    slugify,
    upsert_source,
)

TABLE = (
    "id,nom,uai,territoire,illustratif,source\n"
    "lycee-a,Lycée A,0750654D,nord,oui,campus-2024\n"
    "lycee-b,Lycée B,,sud,non,campus-2024\n"
)


def _merge(tmp_path: Path, **kw: object) -> TableMerge:
    path = tmp_path / "etablissements.csv"
    if not path.exists():
        path.write_text(TABLE, "utf-8")
    args: dict[str, object] = {"keys": ("uai",), "provides": ("nom", "siret"), "required": ("nom",),
                                   "source_id": "annuaire-2026", "source_prefix": "annuaire-"}
    args.update(kw)
    return TableMerge(path, **args)  # type: ignore[arg-type]


def test_update_keeps_campus_columns_and_new_rows_get_a_stable_id(tmp_path: Path) -> None:
    m = _merge(tmp_path)
    assert m.offer(Candidate(2, {"uai": "0750654D"}, {"nom": "LYCEE A", "siret": ""}, "x")) == (
        "changed")
    assert m.offer(Candidate(3, {"uai": "0029901B"}, {"nom": "Lycée B"}, "Lycée B 0029901B")) == (
        "added")
    m.commit()
    header, rows = read_campus_table(tmp_path / "etablissements.csv")
    assert header == ["id", "nom", "uai", "territoire", "illustratif", "source", "siret"]
    assert rows == [
        ["lycee-a", "LYCEE A", "0750654D", "nord", "non", "campus-2024;annuaire-2026", ""],
        ["lycee-b", "Lycée B", "", "sud", "non", "campus-2024", ""],
        ["lycee-b-0029901b", "Lycée B", "0029901B", "", "non", "annuaire-2026", ""],
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["etablissements.csv"]  # no temporary file


def test_same_values_are_unchanged_and_ids_never_collide(tmp_path: Path) -> None:
    m = _merge(tmp_path, illustrative=True)
    m.offer(Candidate(2, {"uai": "0029901B"}, {"nom": "X"}, "lycee-a"))
    m.commit()
    m = _merge(tmp_path, illustrative=True)
    assert m.offer(Candidate(2, {"uai": "0029901B"}, {"nom": "X"}, "lycee-a")) == "unchanged"
    m.close()
    ids = [r[0] for r in read_campus_table(tmp_path / "etablissements.csv")[1]]
    assert ids == ["lycee-a", "lycee-b", "lycee-a-2"]


def test_rejections(tmp_path: Path) -> None:
    m = _merge(tmp_path, keys=("uai", "nom"))
    with pytest.raises(Rejected, match="conflicting keys"):  # two rows, one by each key
        m.offer(Candidate(2, {"uai": "0750654D", "nom": "Lycée B"}, {}, "s"))
    m.offer(Candidate(3, {"uai": "0029901B"}, {"nom": "n"}, "s"))
    with pytest.raises(Rejected, match="duplicate of line 3"):
        m.offer(Candidate(4, {"uai": "0029901B"}, {"nom": "n"}, "s"))
    with pytest.raises(Rejected, match="required for a new record: nom"):
        m.offer(Candidate(5, {"uai": "0029902C"}, {"nom": ""}, "s"))
    m.offer(Candidate(6, {"uai": "0750654D"}, {"nom": "n"}, "s"))
    with pytest.raises(Rejected, match="already merged"):
        m.offer(Candidate(7, {"uai": "0750654D"}, {"nom": "n"}, "s"))
    m.close()
    assert (tmp_path / "etablissements.csv").read_text("utf-8") == TABLE  # nothing committed


def test_sources_of_the_same_import_are_replaced() -> None:
    assert merge_sources("campus-2024;annuaire-2025", "annuaire-2026", "annuaire-") == (
        "campus-2024;annuaire-2026")
    assert merge_sources("", "annuaire-2026", "annuaire-") == "annuaire-2026"


def test_slugify() -> None:
    assert slugify("Lycée Condorcet — Saint-Quentin (02)") == "lycee-condorcet-saint-quentin-02"
    assert slugify("«»") == "enregistrement"
    assert len(slugify("a" * 100)) == 60


def test_upsert_source_adds_the_licence_column_once(tmp_path: Path) -> None:
    (tmp_path / "sources.csv").write_text("id,titre,editeur,date,url\nold,Titre,Éd,2020,\n",
                                          "utf-8")
    info = SourceInfo("annuaire-2026", "Annuaire", "MEN", "2026-01-15", "https://x.invalid/",
                      "https://www.etalab.gouv.fr/licence-ouverte-open-licence")
    upsert_source(tmp_path, info)
    upsert_source(tmp_path, info)
    header, rows = read_campus_table(tmp_path / "sources.csv")
    assert header == ["id", "titre", "editeur", "date", "url", "licence"]
    assert rows == [["old", "Titre", "Éd", "2020", "", ""],
                    ["annuaire-2026", "Annuaire", "MEN", "2026-01-15", "https://x.invalid/",
                     "https://www.etalab.gouv.fr/licence-ouverte-open-licence"]]


def test_example_rows_are_not_matched(tmp_path: Path) -> None:
    """A row whose first cell starts with ``#`` (example row of a new table) is kept as is and
    never matched by a national record."""
    path = tmp_path / "etablissements.csv"
    path.write_text(TABLE + "#exemple,Lycée exemple,0029901B,,oui,\n", "utf-8")
    m = _merge(tmp_path)
    assert m.existing_values("uai") == {"0750654D"}
    assert m.offer(Candidate(2, {"uai": "0029901B"}, {"nom": "Réel"}, "reel")) == "added"
    m.commit()
    rows = read_campus_table(path)[1]
    assert rows[2][0] == "#exemple" and rows[3][:3] == ["reel", "Réel", "0029901B"]
