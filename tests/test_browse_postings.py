"""The in-memory facet postings (publisher/server/browse_postings.py): bitsets and their
ordinals, selections (OR within a column, AND across), counts by popcount and by one counting
pass equal to a brute-force count, sort orders and pages equal to sorting the selection, and the
postings read from a real ``browse.sqlite`` equal its ``facets`` table."""

from __future__ import annotations

import random
import sqlite3
from array import array
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from server_fixtures import ServedProject

from publisher.release.browse_index import INDEX_FILE, KINDS, KINDS_BY_NAME
from publisher.release.folder import current_release
from publisher.server.browse_postings import (
    DENSE_VALUES,
    FEW_VALUES,
    KindPostings,
    SortOrder,
    bitset,
    facet_column,
    ordinal_in,
    ordinals,
)

FORMATIONS = KINDS_BY_NAME["formations"]


@given(st.integers(1, 3000).flatmap(
    lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1)))))
def test_bitset_and_ordinals_round_trip(case: tuple[int, set[int]]) -> None:
    n, chosen = case
    bits = bitset(chosen, n)
    assert bits.bit_count() == len(chosen)
    assert ordinals(bits, n) == sorted(chosen)


def test_ordinal_of_contiguous_and_gapped_ids() -> None:
    assert [ordinal_in(array("q", [5, 6, 7]), r) for r in (4, 5, 7, 8)] == [None, 0, 2, None]
    assert [ordinal_in(array("q", [2, 9, 11]), r) for r in (2, 9, 10, 11)] == [0, 1, None, 2]


def random_postings(rnd: random.Random, n: int, values: dict[str, int]) -> tuple[
        KindPostings, dict[str, list[set[int]]]]:
    """Formations with random values per facet column (0–2 values a record) and the same
    values as plain sets, for brute force."""
    truth: dict[str, list[set[int]]] = {}
    columns = {}
    for name, count in values.items():
        per = [set(rnd.sample(range(count), rnd.choice((0, 1, 1, 1, 2)))) for _ in range(n)]
        truth[name] = per
        postings = [[o for o in range(n) if v in per[o]] for v in range(count)]
        codes = [(f"c{v}", f"Valeur {count - v:05d}") for v in range(count)]
        columns[name] = facet_column(name, codes, postings, n)
    ids = array("q", range(100, 100 + n))
    return KindPostings(FORMATIONS, ids, columns), truth


#: niveau: few values (popcount only); etablissement: many (one counting pass, or popcount
#: for big selections); commune: more than DENSE_VALUES (one counting pass, frequent values
#: with bitsets)
SHAPE = {"niveau": 5, "etablissement": FEW_VALUES * 3, "commune": DENSE_VALUES + 40}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 700))
def test_selection_and_counts_equal_brute_force(seed: int, n: int) -> None:
    rnd = random.Random(seed)
    postings, truth = random_postings(rnd, n, SHAPE)
    filters: dict[str, tuple[str, ...]] = {}
    for name in rnd.sample(sorted(SHAPE), rnd.randrange(0, 3)):
        filters[name] = tuple(f"c{rnd.randrange(SHAPE[name])}" for _ in range(rnd.randint(1, 3)))
    records = set(rnd.sample(range(100, 100 + n), n // 2)) if rnd.random() < 0.3 else None
    expected = {o for o in range(n) if all(
        any(int(c[1:]) in truth[name][o] for c in codes) for name, codes in filters.items())
        and (records is None or o + 100 in records)}
    bits = postings.select(filters, records)
    chosen = ordinals(bits, n)
    assert chosen == sorted(expected)
    counts = postings.counts(bits, chosen)
    for name in SHAPE:
        brute: dict[int, int] = {}
        for o in expected:
            for v in truth[name][o]:
                brute[v] = brute.get(v, 0) + 1
        assert dict(counts[name]) == brute, name
    everything = postings.counts(postings.everything, None)
    assert {k: dict(v) for k, v in everything.items()} == {
        name: {v: sum(v in s for s in truth[name]) for v in range(SHAPE[name])
               if any(v in s for s in truth[name])} for name in SHAPE}


def test_unknown_codes_and_columns() -> None:
    postings, _ = random_postings(random.Random(1), 50, SHAPE)
    assert postings.select({"niveau": ("nope",)}) == 0
    assert postings.select({"nope": ("c1",)}) == postings.everything


def test_top_values_most_counted_then_by_label() -> None:
    column = facet_column("x", [("a", "Zèbre"), ("b", "abeille"), ("c", "Baleine")],
                          [[0, 1], [2, 3], [4, 5]], 6)
    assert column.top({0: 2, 1: 2, 2: 2}, 2) == [1, 2]  # labels casefolded
    assert column.top({0: 3, 1: 1, 2: 2}, 3) == [0, 2, 1]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 400), st.integers(1, 30), st.booleans())
def test_pages_of_a_sort_order_equal_sorting_the_selection(seed: int, n: int, size: int,
                                                           desc: bool) -> None:
    rnd = random.Random(seed)
    keys = [rnd.choice([None, "a", "b", "B", "é", "z"]) for _ in range(n)]
    order = sorted(range(n), key=lambda o: (keys[o] is not None, keys[o] or "", o))
    sort = SortOrder.of(order)
    chosen = sorted(rnd.sample(range(n), rnd.randint(0, n)))
    expected = sorted(chosen, key=lambda o: (keys[o] is not None, keys[o] or "", o),
                      reverse=desc)
    for everything, full in ((False, expected), (True, order[::-1] if desc else order)):
        source = None if everything else chosen
        pages = [sort.page(source, desc, offset, size) for offset in range(0, n + size, size)]
        assert [o for p in pages for o in p] == full
        assert sort.page(source, desc, 0, None) == full


def index_folder(served: ServedProject) -> Path:
    folder = current_release(served.project.releases_dir)
    assert folder is not None
    return folder / INDEX_FILE


@pytest.mark.parametrize("name", [k.name for k in KINDS])
def test_postings_read_from_the_index_equal_its_tables(served_project: ServedProject,
                                                       name: str) -> None:
    k = KINDS_BY_NAME[name]
    with closing(sqlite3.connect(index_folder(served_project))) as db:
        postings = KindPostings.load(db, k)
        ids = [r for (r,) in db.execute("SELECT id FROM records WHERE kind = ? ORDER BY id",
                                        (k.name,))]
        assert list(postings.ids) == ids
        for (col, code, n, members) in db.execute(
                "SELECT v.col, v.code, v.n, group_concat(f.record) FROM facet_values v "
                "JOIN facets f ON f.value = v.id WHERE v.kind = ? GROUP BY v.id", (k.name,)):
            column = postings.columns[col]
            index = column.by_code[code]
            got = sorted(postings.ids[o] for o in column.members[index])
            assert got == sorted(int(m) for m in members.split(",")) and len(got) == n
            assert ordinals(column.chosen([code], postings.size), postings.size) == list(
                column.members[index])
        first = k.columns[0].name
        sql_order = [r for (r,) in db.execute(f'SELECT id FROM "{k.name}" ORDER BY "{first}", id')]
        assert postings.ordered(postings.sort_order(db, first), None, False) == sql_order
        assert postings.ordered(postings.sort_order(db, first), None, True) == sql_order[::-1]
        with pytest.raises(KeyError):
            postings.sort_order(db, "not_a_column")
