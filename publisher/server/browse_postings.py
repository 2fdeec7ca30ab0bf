"""The facet postings of one kind of record, in memory (docs/decisions/0025-browse-in-memory.md).

:class:`KindPostings` holds, for one kind of a release's browse index, its records as ordinals
``0 … n-1`` (in id order), and for each facet value the ordinals of the records having it: a
sorted ``array`` always, and a bitset (a Python ``int``, bit ``o`` set for ordinal ``o``) when
the value is frequent (at least ``n / 64`` records) or its column has at most
:data:`DENSE_VALUES` values. A selection is a bitset:

- :meth:`KindPostings.select` — for every filtered column the OR of its chosen values' bitsets,
  AND across columns (and with the records a text search found): the same rule as the list's
  query parameters (OR within a column, AND across columns);
- :meth:`KindPostings.counts` — per facet column, each value's number of selected records:
  ``popcount(selection & value)`` for a column whose values all have bitsets, otherwise one pass
  over the selected records counting their values (``collections.Counter``). A record counts once
  per distinct value, as ``COUNT(DISTINCT ?s)`` grouped by value in SPARQL; values counted 0 are
  left out (as a ``GROUP BY`` leaves them out);
- :meth:`KindPostings.ordered` — the selected ordinals in the order of a column (its text, then
  id, as SQL's ``ORDER BY col, id``; descending is the exact reverse), a page or all of them,
  from a precomputed rank per record (:class:`SortOrder`).

Everything is built once (:meth:`KindPostings.load` reads ``browse.sqlite``; sort orders are read
on first use) and only read after: safe to share between threads.
"""

from __future__ import annotations

import heapq
import sqlite3
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress
from operator import neg

from publisher.release.browse_index import Kind

#: a column with at most this many values keeps a bitset per value
DENSE_VALUES = 1024
#: a column with more values also keeps each record's values (counts by one pass)
FEW_VALUES = 64
#: popcount over every value beats one pass over ``k`` selected records when
#: ``values * n < k * POPCOUNT_RATIO`` (measured: ~3.6 µs per AND + popcount of 50,000 bits,
#: ~0.2 µs per record counted)
POPCOUNT_RATIO = 2500
_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def bitset(ordinals: Iterable[int], n: int) -> int:
    """The bitset of ``ordinals`` (each in ``0 … n-1``)."""
    buf = bytearray((n + 7) // 8)
    for o in ordinals:
        buf[o >> 3] |= 1 << (o & 7)
    return int.from_bytes(buf, "little")


def ordinals(bits: int, n: int) -> list[int]:
    """The ordinals set in ``bits``, ascending."""
    flags = format(bits, "b").encode()[::-1].translate(_FLAGS)  # flags[o]: bit o
    return list(compress(range(min(n, len(flags))), flags))


def ordinal_in(ids: array[int], record: int) -> int | None:
    """The ordinal of record id ``record`` in the ascending ``ids`` (``None``: not there)."""
    n = len(ids)
    if n and ids[-1] - ids[0] == n - 1:  # contiguous ids, as the index writes them
        o = record - ids[0]
        return o if 0 <= o < n else None
    at = bisect_left(ids, record)
    return at if at < n and ids[at] == record else None


@dataclass(frozen=True)
class FacetColumn:
    """The values of one facet column: code, label, total over the kind and postings."""

    name: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    order: tuple[int, ...]  # per value: its rank by label (casefolded), then index
    members: tuple[array[int], ...]  # per value: sorted ordinals
    bits: tuple[int | None, ...]  # per value: its bitset, when kept
    per_record: tuple[tuple[int, ...], ...]  # per ordinal: its value indexes
    by_code: Mapping[str, int]

    @property
    def dense(self) -> bool:
        return all(b is not None for b in self.bits)

    def value_bits(self, index: int, n: int) -> int:
        kept = self.bits[index]
        return kept if kept is not None else bitset(self.members[index], n)

    def chosen(self, codes: Iterable[str], n: int) -> int:
        """Records having one of ``codes`` (unknown codes select nothing)."""
        out = 0
        for code in codes:
            index = self.by_code.get(code)
            if index is not None:
                out |= self.value_bits(index, n)
        return out

    def count(self, selection: int, chosen: Sequence[int] | None) -> dict[int, int]:
        """Value index -> number of selected records having it, for the values counted at
        least once (``chosen``: the selected ordinals, ``None`` when it is everything)."""
        if chosen is None:
            return {i: len(m) for i, m in enumerate(self.members) if m}
        n = len(self.per_record)
        if self.dense and (not n or len(self.bits) * n < len(chosen) * POPCOUNT_RATIO):
            return {i: c for i, b in enumerate(self.bits) if b is not None
                    and (c := (selection & b).bit_count())}
        return Counter(chain.from_iterable(map(self.per_record.__getitem__, chosen)))

    def top(self, counted: Mapping[int, int], limit: int) -> list[int]:
        """The ``limit`` value indexes counted most, then by label (casefolded)."""
        keys = list(counted)
        ranked = heapq.nsmallest(limit, zip(map(neg, map(counted.__getitem__, keys)),
                                            map(self.order.__getitem__, keys), keys))
        return [i for _, _, i in ranked]


def facet_column(name: str, values: Sequence[tuple[str, str]],
                 postings: Sequence[Sequence[int]], n: int) -> FacetColumn:
    """A :class:`FacetColumn` from its values ``(code, label)`` and their sorted ordinals."""
    members = tuple(array("i", p) for p in postings)
    ranked = sorted(range(len(values)), key=lambda i: (values[i][1].casefold(), i))
    order = [0] * len(values)
    for r, i in enumerate(ranked):
        order[i] = r
    dense = len(values) <= DENSE_VALUES
    bits = tuple(bitset(m, n) if dense or len(m) * FEW_VALUES >= n else None for m in members)
    per_record: tuple[tuple[int, ...], ...] = ()  # few values: always counted by popcount
    if len(values) > FEW_VALUES:
        per: list[list[int]] = [[] for _ in range(n)]
        for index, m in enumerate(members):
            for o in m:
                per[o].append(index)
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}
        per_record = tuple(shared.setdefault(t, t) for t in map(tuple, per))
    return FacetColumn(name, tuple(c for c, _ in values), tuple(lab for _, lab in values),
                       tuple(order), members, bits, per_record,
                       {c: i for i, (c, _) in enumerate(values)})


@dataclass(frozen=True)
class SortOrder:
    """The records of a kind in the order of one column: ``order[r]`` is the ordinal at rank
    ``r``, ``rank[o]`` the rank of ordinal ``o``."""

    order: array[int]
    rank: array[int]

    @classmethod
    def of(cls, order: Sequence[int]) -> SortOrder:
        rank = array("i", bytes(4 * len(order)))
        for r, o in enumerate(order):
            rank[o] = r
        return cls(array("i", order), rank)

    def page(self, chosen: Sequence[int] | None, desc: bool, offset: int,
             size: int | None) -> list[int]:
        """The ordinals of ``chosen`` (all records when ``None``) from ``offset``, at most
        ``size`` of them (all when ``None``), in this order or its reverse."""
        n = len(self.order)
        if chosen is None:
            stop = n if size is None else min(n, offset + size)
            if desc:
                return [self.order[n - 1 - r] for r in range(offset, stop)]
            return list(self.order[offset:stop])
        ranks = map(self.rank.__getitem__, chosen)
        want = len(chosen) if size is None else offset + size
        if want >= len(chosen) // 2:
            top = sorted(ranks, reverse=desc)[:want]
        else:
            top = heapq.nlargest(want, ranks) if desc else heapq.nsmallest(want, ranks)
        return [self.order[r] for r in top[offset:]]


@dataclass
class KindPostings:
    """One kind's records and facet postings (see the module)."""

    kind: Kind
    ids: array[int]  # ordinal -> record id, ascending
    columns: dict[str, FacetColumn]
    orders: dict[tuple[str, ...], SortOrder] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def everything(self) -> int:
        return (1 << self.size) - 1

    def ordinal(self, record: int) -> int | None:
        return ordinal_in(self.ids, record)

    def select(self, filters: Mapping[str, Sequence[str]],
               records: Iterable[int] | None = None) -> int:
        """The bitset of the records passing every filter (and among ``records``, ids, when
        given); unknown columns are ignored."""
        n = self.size
        out = self.everything
        for name, codes in filters.items():
            column = self.columns.get(name)
            if column is not None:
                out &= column.chosen(codes, n)
        if records is not None:
            found = (self.ordinal(r) for r in records)
            out &= bitset((o for o in found if o is not None), n)
        return out

    def counts(self, selection: int, chosen: Sequence[int] | None) -> dict[str, dict[int, int]]:
        """Per facet column, per value, the number of selected records (``chosen``: the
        ordinals of ``selection``, or ``None`` when it is everything)."""
        return {name: c.count(selection, chosen) for name, c in self.columns.items()}

    def ordered(self, order: SortOrder, chosen: Sequence[int] | None, desc: bool,
                offset: int = 0, size: int | None = None) -> list[int]:
        """Record ids of a page (or all) of the selection, sorted by ``order``."""
        return [self.ids[o] for o in order.page(chosen, desc, offset, size)]

    @classmethod
    def load(cls, db: sqlite3.Connection, kind: Kind) -> KindPostings:
        """Read one kind's records and facet postings from an open ``browse.sqlite``."""
        ids = array("q", (r for (r,) in db.execute(
            "SELECT id FROM records WHERE kind = ? ORDER BY id", (kind.name,))))
        n = len(ids)
        values: dict[int, tuple[str, str, str]] = {
            vid: (col, code, label) for vid, col, code, label in db.execute(
                "SELECT id, col, code, label FROM facet_values WHERE kind = ? ORDER BY id",
                (kind.name,))}
        postings: dict[int, list[int]] = {vid: [] for vid in values}
        found = db.execute("SELECT f.value, f.record FROM facets f JOIN facet_values v "
                           "ON v.id = f.value WHERE v.kind = ? ORDER BY f.value, f.record",
                           (kind.name,))
        for vid, record in found:
            o = ordinal_in(ids, record)
            if o is not None:
                postings[vid].append(o)
        columns = {}
        for c in kind.facets:
            mine = [vid for vid, v in values.items() if v[0] == c.name]
            columns[c.name] = facet_column(c.name, [values[v][1:] for v in mine],
                                           [postings[v] for v in mine], n)
        return cls(kind, ids, columns)

    def sort_order(self, db: sqlite3.Connection, column: str) -> SortOrder:
        """The order of ``column`` (read once: ``ORDER BY column, id`` on the kind's table)."""
        if self.kind.column(column) is None:
            raise KeyError(column)
        key = (column,)
        found = self.orders.get(key)
        if found is None:  # two threads may both read it: the same order, one kept
            rows = db.execute(f'SELECT id FROM "{self.kind.name}" ORDER BY "{column}", id')
            order = [ordinal_in(self.ids, r) for (r,) in rows]
            found = self.orders[key] = SortOrder.of([o for o in order if o is not None])
        return found
