"""Questions to the release's browsing index (``browse.sqlite``, :mod:`publisher.release.browse_index`):
a filtered, sorted page of a list with its facet counts, every row of a list (downloads), the
positions for the map, the counts for the charts, and the full-text search.

The file is opened read-only and immutable, one connection per call (cheap, thread-safe: views
call this from worker threads). Filters are ``{column: codes}``: a record is selected when, for
every filtered column, it has one of the codes (OR within a column, AND across columns); a facet
count is the number of selected records having the value — what
``SELECT ?code (COUNT(DISTINCT ?s) AS ?n) … GROUP BY ?code`` answers on the endpoint. Nothing
here builds SQL from a client's text: column names are checked against :data:`KINDS`, values are
bound parameters, search text is reduced to quoted word prefixes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from publisher.core.errors import CmqError
from publisher.release.browse_index import INDEX_FILE, KINDS_BY_NAME, Column, Kind

MAX_FACET_VALUES = 30
SEARCH_WEIGHTS = (10.0, 6.0, 2.0)  # bm25 weights of title, ids, place
WORD = re.compile(r"\w+", re.UNICODE)


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


class BrowseIndex:
    """The index file of one release."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / INDEX_FILE

    def connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise IndexMissing("cette version n'a pas d'index de navigation (reconstruire avec "
                               "cmq build) / this release has no browse index (rebuild it)")
        uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    # ------------------------------------------------------------ selections

    @staticmethod
    def selection(query: ListQuery) -> tuple[str, list[object]]:
        """SQL selecting the ids of the records of the view (one INTERSECT per condition)."""
        parts: list[str] = []
        args: list[object] = []
        for name, codes in query.filters.items():
            marks = ", ".join("?" for _ in codes)
            parts.append("SELECT record FROM facets WHERE value IN (SELECT id FROM facet_values "
                         f"WHERE kind = ? AND col = ? AND code IN ({marks}))")
            args += [query.kind.name, name, *codes]
        expr = match_expression(query.text)
        if expr:
            parts.append("SELECT s.rowid AS record FROM search s JOIN records r ON r.id = s.rowid "
                         "WHERE search MATCH ? AND r.kind = ?")
            args += [expr, query.kind.name]
        if not parts:
            return "SELECT id AS record FROM records WHERE kind = ?", [query.kind.name]
        return " INTERSECT ".join(parts), args

    @staticmethod
    def filtered(query: ListQuery) -> bool:
        return bool(query.filters) or bool(match_expression(query.text))

    def page(self, query: ListQuery) -> ListPage:
        with closing(self.connect()) as db:
            sel, args = self.selection(query)
            if self.filtered(query):  # computed once, read three times
                db.execute(f"CREATE TEMP TABLE chosen AS {sel}", args)
                sel, args = "SELECT record FROM temp.chosen", []
            total = int(db.execute(f"SELECT COUNT(*) FROM ({sel})", args).fetchone()[0])
            rows = tuple(self._rows(db, query, sel, args, paged=True))
            facets = self._facets(db, query, sel, args)
        return ListPage(total, rows, facets)

    def all_rows(self, query: ListQuery) -> Iterator[Row]:
        """Every selected row, sorted (downloads: no cap)."""
        db = self.connect()
        try:
            sel, args = self.selection(query)
            yield from self._rows(db, query, sel, args, paged=False)
        finally:
            db.close()

    def _order(self, query: ListQuery) -> str:
        kind = query.kind
        col = kind.column(query.sort) or kind.columns[0]
        direction = "DESC" if query.desc else "ASC"
        return f't."{col.name}" {direction}, t.id {direction}'

    def _rows(self, db: sqlite3.Connection, query: ListQuery, sel: str, args: list[object],
              paged: bool) -> Iterator[Row]:
        kind = query.kind
        names = ", ".join(f't."{c.name}"' for c in kind.columns)
        source = (f'({sel}) s CROSS JOIN "{kind.name}" t ON t.id = s.record'
                  if self.filtered(query) else f'"{kind.name}" t')
        order = self._order(query)
        params = list(args) if self.filtered(query) else []
        inner = f"SELECT t.id FROM {source} ORDER BY {order}"
        if paged:  # sort and cut on the narrow table, then read the page's cells
            inner += " LIMIT ? OFFSET ?"
            params += [query.size, (max(query.page, 1) - 1) * query.size]
        sql = (f"SELECT t.id, r.path, r.title, r.lat, r.lon, c.json, {names} "
               f'FROM ({inner}) p JOIN "{kind.name}" t ON t.id = p.id '
               f"JOIN records r ON r.id = t.id JOIN cells c ON c.id = t.id ORDER BY {order}")
        for rid, path, title, lat, lon, cells, *texts in db.execute(sql, params):
            parsed = tuple(tuple(Cell(*c) for c in col) for col in json.loads(cells))
            yield Row(rid, path, title, parsed, tuple(texts), lat, lon)

    def _facets(self, db: sqlite3.Connection, query: ListQuery, sel: str,
                args: list[object]) -> tuple[Facet, ...]:
        kind = query.kind
        counted: dict[str, list[tuple[str, str, int]]] = {c.name: [] for c in kind.facets}
        if self.filtered(query):
            sql = ("SELECT v.col, v.code, v.label, c.n FROM (SELECT f.value, COUNT(*) AS n "
                   f"FROM ({sel}) s CROSS JOIN facets f ON f.record = s.record GROUP BY f.value) c "
                   "JOIN facet_values v ON v.id = c.value")
            found = db.execute(sql, args)
        else:
            found = db.execute("SELECT col, code, label, n FROM facet_values WHERE kind = ?",
                               (kind.name,))
        for col, code, label, n in found:
            counted[col].append((code, label, int(n)))
        out = []
        for c in kind.facets:
            chosen = set(query.filters.get(c.name, ()))
            values = sorted(counted[c.name], key=lambda v: (-v[2], v[1].casefold()))
            shown = [v for v in values[:MAX_FACET_VALUES]]
            shown += [v for v in values[MAX_FACET_VALUES:] if v[0] in chosen]
            out.append(Facet(c, tuple(FacetValue(code, label, n, code in chosen)
                                      for code, label, n in shown),
                             max(0, len(values) - len(shown))))
        return tuple(out)

    # ------------------------------------------------------------ map, charts, search

    def points(self, query: ListQuery) -> list[tuple[str, str, str, float, float]]:
        """(kind, path, title, lat, lon) of the selected records that have a position."""
        sel, args = self.selection(query)
        with closing(self.connect()) as db:
            found = db.execute("SELECT kind, path, title, lat, lon FROM records "
                               f"WHERE id IN ({sel}) AND lat IS NOT NULL ORDER BY id", args)
            return [(k, p, t, float(a), float(o)) for k, p, t, a, o in found]

    def members(self) -> list[tuple[str, str, str, float, float]]:
        """Every positioned establishment and partner (the landing page's map)."""
        with closing(self.connect()) as db:
            found = db.execute("SELECT kind, path, title, lat, lon FROM records WHERE kind IN "
                               "('etablissements', 'partenaires') AND lat IS NOT NULL ORDER BY id")
            return [(k, p, t, float(a), float(o)) for k, p, t, a, o in found]

    def position(self, path: str) -> list[tuple[str, str, str, float, float]]:
        """The record at ``path`` as a map point, if it has a position."""
        with closing(self.connect()) as db:
            found = db.execute("SELECT kind, path, title, lat, lon FROM records WHERE path = ? "
                               "AND lat IS NOT NULL", (path,))
            return [(k, p, t, float(a), float(o)) for k, p, t, a, o in found]

    def counts(self, kind: str, col: str) -> list[tuple[str, str, int]]:
        """(code, label, records) of one facet column over the whole kind, by code."""
        with closing(self.connect()) as db:
            found = db.execute("SELECT code, label, n FROM facet_values WHERE kind = ? "
                               "AND col = ? ORDER BY code", (kind, col))
            return [(c, lab, int(n)) for c, lab, n in found]

    def kind_totals(self) -> dict[str, int]:
        with closing(self.connect()) as db:
            found = db.execute("SELECT kind, COUNT(*) FROM records GROUP BY kind")
            return {k: int(n) for k, n in found}

    def search(self, text: str, limit: int = 50, kind: str | None = None) -> list[Hit]:
        """Records whose title, identifiers or commune match every word's prefix, best first
        (bm25)."""
        expr = match_expression(text)
        if not expr:
            return []
        w = SEARCH_WEIGHTS
        sql = ("SELECT r.kind, r.path, r.title FROM search JOIN records r ON r.id = search.rowid "
               "WHERE search MATCH ?" + (" AND r.kind = ?" if kind else "") +
               f" ORDER BY bm25(search, {w[0]}, {w[1]}, {w[2]}), r.id LIMIT ?")
        args: list[object] = [expr, *([kind] if kind else []), limit]
        with closing(self.connect()) as db:
            return [Hit(k, p, t) for k, p, t in db.execute(sql, args)]

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
        with closing(self.connect()) as db:
            return [Hit(k, p, t) for k, p, t in db.execute(sql, (expr, limit))]


def kind_named(name: str) -> Kind | None:
    return KINDS_BY_NAME.get(name)
