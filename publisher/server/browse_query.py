"""Questions to the release's browsing index (``browse.sqlite``, :mod:`publisher.release.browse_index`):
a filtered, sorted page of a list with its facet counts, every row of a list (downloads), the
positions for the map, the counts for the charts, and the full-text search.

The file is opened read-only and immutable, through a small pool of connections (one thread
at a time each: views call this from worker threads). Filters are ``{column: codes}``: a record
is selected when, for every filtered column, it has one of the codes (OR within a column, AND
across columns); a facet count is the number of selected records having the value — what
``SELECT ?code (COUNT(DISTINCT ?s) AS ?n) … GROUP BY ?code`` answers on the endpoint.

Selections, facet counts and sort orders are computed in memory from each kind's facet
postings (:mod:`publisher.server.browse_postings`, read once per :class:`BrowseIndex`; the served
release keeps one, docs/decisions/0025-browse-in-memory.md); SQLite gives only the rows of the
page, the text search (FTS5) and the small lookups of the other pages. Answers of list pages and
searches are kept in a bounded LRU (:class:`Recent`): the file never changes. Nothing here builds
SQL from a client's text: column names are checked against :data:`KINDS`, values are bound
parameters, search text is reduced to quoted word prefixes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from publisher.core.errors import CmqError
from publisher.release.browse_index import INDEX_FILE, KINDS_BY_NAME, Column, Kind, read_only
from publisher.server.browse_postings import KindPostings, ordinals

MAX_FACET_VALUES = 30
CACHED_PAGES = 256  # list pages and searches kept per release (LRU)
FETCH_BATCH = 500  # rows read per statement by downloads
SEARCH_WEIGHTS = (10.0, 6.0, 2.0)  # bm25 weights of title, ids, place
WORD = re.compile(r"\w+", re.UNICODE)
T = TypeVar("T")


class IndexMissing(CmqError):
    """The served release has no browsing index (built by an older cmq, or a remote store)."""

    status = 503


@dataclass(frozen=True)
class Cell:
    label: str
    code: str
    path: str | None


@dataclass(frozen=True)
class Row:
    id: int
    path: str
    title: str
    cells: tuple[tuple[Cell, ...], ...]  # one tuple per column of the kind
    texts: tuple[str | None, ...]
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class FacetValue:
    code: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    column: Column
    values: tuple[FacetValue, ...]
    more: int  # distinct values not shown (beyond MAX_FACET_VALUES)


@dataclass(frozen=True)
class ListQuery:
    """One view of a list: filters, text, sort and page."""

    kind: Kind
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    text: str = ""
    sort: str = ""
    desc: bool = False
    page: int = 1
    size: int = 50


@dataclass(frozen=True)
class ListPage:
    total: int
    rows: tuple[Row, ...]
    facets: tuple[Facet, ...]


@dataclass(frozen=True)
class Hit:
    kind: str
    path: str
    title: str


def match_expression(text: str) -> str:
    """The FTS5 query for a person's text: every word as a prefix, all required."""
    return " ".join(f'"{w}"*' for w in WORD.findall(text))


def filters_of(kind: Kind, params: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The facet filters among query parameters (unknown names are ignored)."""
    out: dict[str, tuple[str, ...]] = {}
    for col in kind.facets:
        codes = tuple(dict.fromkeys(v for v in params.get(col.name, []) if v))
        if codes:
            out[col.name] = codes
    return out


class Recent:
    """A bounded map of the answers asked last (least recently used dropped), thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], value: object) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def page_key(query: ListQuery) -> tuple[object, ...]:
    """The view's identity: the same key, the same answer (filters in any order, the text as
    searched)."""
    filters = tuple(sorted((k, tuple(sorted(v))) for k, v in query.filters.items()))
    column = query.kind.column(query.sort) or query.kind.columns[0]
    return (query.kind.name, filters, match_expression(query.text), column.name, query.desc,
            max(query.page, 1), query.size)


def fetch_rows(db: sqlite3.Connection, kind: Kind, ids: list[int]) -> Iterator[Row]:
    """The rows of the records ``ids``, in that order."""
    if not ids:
        return
    names = ", ".join(f't."{c.name}"' for c in kind.columns)
    marks = ", ".join("?" for _ in ids)
    sql = (f"SELECT t.id, r.path, r.title, r.lat, r.lon, c.json, {names} "
           f'FROM "{kind.name}" t JOIN records r ON r.id = t.id JOIN cells c ON c.id = t.id '
           f"WHERE t.id IN ({marks})")
    found = {row[0]: row for row in db.execute(sql, ids)}
    for rid in ids:
        _, path, title, lat, lon, cells, *texts = found[rid]
        parsed = tuple(tuple(Cell(*c) for c in col) for col in json.loads(cells))
        yield Row(rid, path, title, parsed, tuple(texts), lat, lon)


def facets_of(query: ListQuery, postings: KindPostings,
              counts: Mapping[str, Mapping[int, int]]) -> tuple[Facet, ...]:
    """The facets of the view: per column its values counted non-zero, most frequent first
    (then by label), at most :data:`MAX_FACET_VALUES` plus the chosen ones."""
    out = []
    for c in query.kind.facets:
        column = postings.columns[c.name]
        counted = counts[c.name]
        chosen = set(query.filters.get(c.name, ()))
        shown = column.top(counted, MAX_FACET_VALUES)
        top = set(shown)
        shown += sorted((i for code in chosen if (i := column.by_code.get(code)) is not None
                         and i in counted and i not in top),
                        key=lambda i: (-counted[i], column.order[i]))
        out.append(Facet(c, tuple(FacetValue(column.codes[i], column.labels[i], counted[i],
                                             column.codes[i] in chosen) for i in shown),
                         max(0, len(counted) - len(shown))))
    return tuple(out)


class BrowseIndex:
    """The index file of one release, with its facet postings in memory once read (the served
    release keeps one: :attr:`publisher.server.state.ServedRelease.browse`)."""

    def __init__(self, folder: Path, cached: int = CACHED_PAGES) -> None:
        self.path = folder / INDEX_FILE
        self._kinds: dict[str, KindPostings] = {}
        self._lock = threading.Lock()  # the idle connections
        self._loading = threading.Lock()  # one kind's postings read at a time
        self._cache = Recent(cached)
        self._idle: list[sqlite3.Connection] = []  # at most one per thread that used it
        self._positions: dict[str, dict[int, tuple[str, str, float, float]]] = {}

    def connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise IndexMissing("cette version n'a pas d'index de navigation (reconstruire avec "
                               "cmq build) / this release has no browse index (rebuild it)")
        return read_only(self.path)

    @contextmanager
    def borrow(self) -> Iterator[sqlite3.Connection]:
        """A connection of this index's pool (opening one and reading the schema costs
        10–30 ms at 1M triples; a connection is used by one thread at a time, and kept for
        the next call)."""
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = self.connect()
        try:
            yield db
        finally:
            with self._lock:
                self._idle.append(db)

    # ------------------------------------------------------------ selections

    def postings(self, kind: Kind) -> KindPostings:
        """The kind's facet postings, read from the file on first use."""
        found = self._kinds.get(kind.name)
        if found is None:
            with self._loading:
                found = self._kinds.get(kind.name)
                if found is None:
                    with self.borrow() as db:
                        found = self._kinds[kind.name] = KindPostings.load(db, kind)
        return found

    def warm(self) -> None:
        """Read every kind's postings and default sort order now (when a release is opened)."""
        with self.borrow() as db:
            for kind in KINDS_BY_NAME.values():
                self.postings(kind).sort_order(db, kind.columns[0].name)

    @staticmethod
    def filtered(query: ListQuery) -> bool:
        return bool(query.filters) or bool(match_expression(query.text))

    def _chosen(self, db: sqlite3.Connection, query: ListQuery,
                postings: KindPostings) -> tuple[int, list[int] | None]:
        """The selection's bitset and ordinals (``None``: every record of the kind)."""
        if not self.filtered(query):
            return postings.everything, None
        expr = match_expression(query.text)
        records = ([r for (r,) in db.execute("SELECT rowid FROM search WHERE search MATCH ?",
                                             (expr,))] if expr else None)
        bits = postings.select(query.filters, records)
        return bits, ordinals(bits, postings.size)

    def _sorted_ids(self, db: sqlite3.Connection, query: ListQuery, postings: KindPostings,
                    chosen: list[int] | None, paged: bool) -> list[int]:
        column = query.kind.column(query.sort) or query.kind.columns[0]
        order = postings.sort_order(db, column.name)
        if not paged:
            return postings.ordered(order, chosen, query.desc)
        offset = (max(query.page, 1) - 1) * query.size
        return postings.ordered(order, chosen, query.desc, offset, query.size)

    def remembered(self, key: tuple[object, ...], make: Callable[[], T]) -> T:
        """``make()``, kept in this index's cache under ``key`` (the file never changes, so
        neither does an answer made from it alone)."""
        hit = self._cache.get(key)
        if hit is None:
            hit = make()
            self._cache.put(key, hit)
        return cast(T, hit)

    def page(self, query: ListQuery) -> ListPage:
        """One page of the view with its total and facet counts (cached: the file never
        changes, so a view's answer neither)."""
        key = page_key(query)
        hit = self._cache.get(key)
        if hit is not None:
            assert isinstance(hit, ListPage)
            return hit
        postings = self.postings(query.kind)
        with self.borrow() as db:
            bits, chosen = self._chosen(db, query, postings)
            ids = self._sorted_ids(db, query, postings, chosen, paged=True)
            rows = tuple(fetch_rows(db, query.kind, ids))
        total = postings.size if chosen is None else len(chosen)
        found = ListPage(total, rows, facets_of(query, postings, postings.counts(bits, chosen)))
        self._cache.put(key, found)
        return found

    def all_rows(self, query: ListQuery) -> Iterator[Row]:
        """Every selected row, sorted (downloads: no cap), read in batches."""
        postings = self.postings(query.kind)
        with self.borrow() as db:
            _, chosen = self._chosen(db, query, postings)
            ids = self._sorted_ids(db, query, postings, chosen, paged=False)
            for start in range(0, len(ids), FETCH_BATCH):
                yield from fetch_rows(db, query.kind, ids[start:start + FETCH_BATCH])

    # ------------------------------------------------------------ map, charts, search

    def points(self, query: ListQuery) -> list[tuple[str, str, str, float, float]]:
        """(kind, path, title, lat, lon) of the selected records that have a position."""
        kind = query.kind
        postings = self.postings(kind)
        with self.borrow() as db:
            where = self._positions.get(kind.name)
            if where is None:
                found = db.execute("SELECT id, path, title, lat, lon FROM records WHERE kind = ? "
                                   "AND lat IS NOT NULL", (kind.name,))
                where = {o: (p, t, float(a), float(b)) for r, p, t, a, b in found
                         if (o := postings.ordinal(r)) is not None}
                self._positions[kind.name] = where
            _, chosen = self._chosen(db, query, postings)
        every = range(postings.size) if chosen is None else chosen
        return [(kind.name, *where[o]) for o in every if o in where]

    def members(self) -> list[tuple[str, str, str, float, float]]:
        """Every positioned establishment and partner (the landing page's map)."""
        with self.borrow() as db:
            found = db.execute("SELECT kind, path, title, lat, lon FROM records WHERE kind IN "
                               "('etablissements', 'partenaires') AND lat IS NOT NULL ORDER BY id")
            return [(k, p, t, float(a), float(o)) for k, p, t, a, o in found]

    def position(self, path: str) -> list[tuple[str, str, str, float, float]]:
        """The record at ``path`` as a map point, if it has a position."""
        with self.borrow() as db:
            found = db.execute("SELECT kind, path, title, lat, lon FROM records WHERE path = ? "
                               "AND lat IS NOT NULL", (path,))
            return [(k, p, t, float(a), float(o)) for k, p, t, a, o in found]

    def counts(self, kind: str, col: str) -> list[tuple[str, str, int]]:
        """(code, label, records) of one facet column over the whole kind, by code."""
        with self.borrow() as db:
            found = db.execute("SELECT code, label, n FROM facet_values WHERE kind = ? "
                               "AND col = ? ORDER BY code", (kind, col))
            return [(c, lab, int(n)) for c, lab, n in found]

    def facet_count(self, kind: str, col: str, code: str) -> int | None:
        """The records of ``kind`` having the value ``code`` in the facet ``col`` (``None``:
        no record has it)."""
        with self.borrow() as db:
            found = db.execute("SELECT n FROM facet_values WHERE kind = ? AND col = ? "
                               "AND code = ?", (kind, col, code)).fetchone()
        return int(found[0]) if found else None

    def kind_totals(self) -> dict[str, int]:
        with self.borrow() as db:
            found = db.execute("SELECT kind, COUNT(*) FROM records GROUP BY kind")
            return {k: int(n) for k, n in found}

    def search(self, text: str, limit: int = 50, kind: str | None = None) -> list[Hit]:
        """Records whose title, identifiers or commune match every word's prefix, best first
        (bm25, then id); ranked in the FTS table, only the ``limit`` best joined to their
        records (cached per release, like the list pages)."""
        expr = match_expression(text)
        if not expr:
            return []
        key = ("search", expr, limit, kind)
        hit = self._cache.get(key)
        if hit is not None:
            assert isinstance(hit, list)
            return hit
        w = SEARCH_WEIGHTS
        where = "search MATCH ?"
        args: list[object] = [expr]
        if kind is not None:
            ids = self.postings(KINDS_BY_NAME[kind]).ids if kind in KINDS_BY_NAME else []
            if not ids:
                return []
            where += " AND rowid BETWEEN ? AND ?"
            args += [ids[0], ids[-1]]
        sql = ("SELECT r.kind, r.path, r.title FROM (SELECT rowid AS id, "
               f"bm25(search, {w[0]}, {w[1]}, {w[2]}) AS score FROM search WHERE {where} "
               "ORDER BY score, rowid LIMIT ?) h JOIN records r ON r.id = h.id "
               "ORDER BY h.score, h.id")
        with self.borrow() as db:
            found = [Hit(k, p, t) for k, p, t in db.execute(sql, [*args, limit])]
            if kind is not None:
                found = [h for h in found if h.kind == kind]
        self._cache.put(key, found)
        return found

    def nearest(self, path: str, limit: int = 10) -> list[Hit]:
        """Records to suggest for an unknown local path: a search on its words, any word."""
        words = WORD.findall(path.replace("-", " ").replace("_", " "))
        words = [w for w in words if len(w) > 2][:8]
        if not words:
            return []
        expr = " OR ".join(f'"{w}"*' for w in words)
        w = SEARCH_WEIGHTS
        sql = ("SELECT r.kind, r.path, r.title FROM search JOIN records r ON r.id = search.rowid "
               f"WHERE search MATCH ? ORDER BY bm25(search, {w[0]}, {w[1]}, {w[2]}) LIMIT ?")
        with self.borrow() as db:
            return [Hit(k, p, t) for k, p, t in db.execute(sql, (expr, limit))]

