"""Convert and validate for a release: everything, or only what changed since the build cache.

:func:`prepare` gives the sorted lines of the new data and their validation. Without a usable
cache (:mod:`publisher.release.cache`) it converts every table and runs every compiled check on an
in-memory store. With one (docs/decisions/0010-incremental-build.md):

1. unchanged tables are taken from the cache; in a changed table only rows whose cells changed
   are converted (:func:`publisher.convert.tables.convert_table`);
2. the lines of the rows that went away and of the rows that came are counted (a line can be made
   by several rows) into the triples added and removed; the new sorted lines are the cached ones
   with those removed and inserted;
3. the on-disk store of the cache gets the same change (or, for small data, a store is loaded in
   memory); the focus nodes the change can affect are found (:mod:`publisher.validate.locality`); each
   check is run on those nodes only and its cached results for the other nodes are kept. A
   check that is not local, or a change that reaches too many nodes, runs in full.

The result is the same as a full build's: the tests build both ways and compare the bytes of the
dumps and the validation problems.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from publisher.convert.tables import Conversion, TableState, convert
from publisher.core.graphs import load_graph
from publisher.project.folder import Project
from publisher.release.cache import BuildCache, CacheState, Extra, inputs_of
from publisher.validate.compiled import Check, Result, collect, compile_shapes
from publisher.validate.locality import affected_nodes, check_keys, radius
from publisher.validate.validation import Validation, data_store, report_of, validate_conversion

Say = Callable[[str], None]
#: Above this many changed lines, the new sorted lines are merged rather than edited in place.
_EDIT_IN_PLACE = 256


class Fallback(Exception):
    """The cache cannot be used for this build (then it is a full build)."""


@dataclass
class Prepared:
    """Converted, sorted and validated data, ready for the release writer."""

    conv: Conversion
    lines: list[str]  # sorted, distinct N-Triples lines
    validation: Validation
    inputs: dict[str, str]
    multi: dict[str, int] = field(default_factory=dict)
    radii: dict[str, int | None] = field(default_factory=dict)
    #: (added, removed) lines relative to the cache's data, on an incremental build.
    delta: tuple[list[str], list[str]] | None = None
    state: CacheState | None = None  # the cache state the build started from
    extra: Extra | None = None
    store_dir: str | None = None  # cache store that now holds ``lines`` (incremental)
    focus: int | None = None  # focus nodes validated again (incremental), None = all

    @property
    def incremental(self) -> bool:
        return self.delta is not None


def multiplicities(lines: list[str], distinct: int) -> dict[str, int]:
    """Lines made more than once (only counted when there are some)."""
    if len(lines) == distinct:
        return {}
    return {line: n for line, n in Counter(lines).items() if n > 1}


def prepare(project: Project, cache: BuildCache | None, say: Say) -> Prepared:
    """Convert and validate ``project``; incrementally when ``cache`` has a usable state."""
    inputs = inputs_of(project)
    state = cache.load(inputs) if cache is not None else None
    shapes = load_graph(project.shape_files())
    if cache is not None and state is not None:
        try:
            return _incremental(project, cache, state, shapes, inputs, say)
        except Exception as exc:  # noqa: BLE001 — a damaged cache must never stop a build
            say(f"cache inutilisable, reconstruction complète / unusable cache, full rebuild "
                f"({exc.__class__.__name__}: {exc})")
    say("conversion et validation / converting and validating")
    conv = convert(project)
    lines = conv.sorted_lines()
    validation = validate_conversion(conv, shapes, project.ontology_files(), keep_store=True)
    return Prepared(conv, lines, validation, inputs, multiplicities(conv.lines, len(lines)))


def _table_delta(old: TableState, new: TableState, inc: Counter[str], dec: Counter[str]) -> None:
    if new is old:
        return
    before = Counter(k for _, k in old.used)
    after = Counter(k for _, k in new.used)
    for key, n in (before - after).items():
        for line in old.rows[key].lines:
            dec[line] += n
    for key, n in (after - before).items():
        for line in new.rows[key].lines:
            inc[line] += n


def _present(lines: list[str], line: str) -> bool:
    i = bisect.bisect_left(lines, line)
    return i < len(lines) and lines[i] == line


def apply_delta(old_lines: list[str], multi: dict[str, int], inc: Counter[str],
                dec: Counter[str]) -> tuple[list[str], list[str], list[str]]:
    """(new sorted lines, added, removed); ``multi`` is updated in place."""
    added: list[str] = []
    removed: list[str] = []
    for line in sorted(set(inc) | set(dec)):
        d = inc.get(line, 0) - dec.get(line, 0)
        if d == 0:
            continue
        c0 = multi.get(line) or (1 if _present(old_lines, line) else 0)
        c1 = c0 + d
        if c1 < 0:
            raise Fallback("cache incohérent / inconsistent cache")
        if c0 == 0 and c1 > 0:
            added.append(line)
        elif c0 > 0 and c1 == 0:
            removed.append(line)
        if c1 > 1:
            multi[line] = c1
        else:
            multi.pop(line, None)
    if len(added) + len(removed) <= _EDIT_IN_PLACE:
        lines = old_lines
        for line in removed:
            del lines[bisect.bisect_left(lines, line)]
        for line in added:
            bisect.insort(lines, line)
    else:
        gone = set(removed)
        lines = list(heapq.merge((x for x in old_lines if x not in gone), added))
    return lines, added, removed


def _quads(lines: list[str]) -> list[ox.Quad]:
    data = "".join(lines).encode("utf-8")
    return [ox.Quad(t.subject, t.predicate, t.object)
            for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


def _ontology_lines(files: list[Path]) -> set[str]:
    out = set()
    for f in files:
        for t in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE):
            out.add(f"{t.subject} {t.predicate} {t.object} .\n")
    return out


def _incremental(project: Project, cache: BuildCache, state: CacheState, shapes: Graph,
                 inputs: dict[str, str], say: Say) -> Prepared:
    say("conversion des tableaux modifiés / converting the changed tables")
    tables = cache.table_states(state)
    conv = convert(project, previous=tables)
    inc: Counter[str] = Counter()
    dec: Counter[str] = Counter()
    for name, new in conv.tables.items():
        old = tables.get(name)
        _table_delta(old if old is not None else TableState(new.file, None), new, inc, dec)
    for name, old in tables.items():
        if name not in conv.tables:
            _table_delta(old, TableState(old.file, None), inc, dec)
    extra = cache.read_extra(state)
    multi = dict(extra.multi)
    lines, added, removed = apply_delta(cache.read_lines(state), multi, inc, dec)
    conv.set_sorted(lines)

    say(f"validation incrémentale / incremental validation (+{len(added)} −{len(removed)})")
    files = project.ontology_files()
    store = cache.open_store(state)
    store_dir = None
    if store is not None:
        cache.mark_store_changing(state)
        onto = _ontology_lines(files) if removed else set()
        for quad in _quads([x for x in removed if x not in onto]):
            store.remove(quad)
        store.extend(_quads(added))
        store_dir = state.store_dir
    else:
        store = data_store("".join(lines).encode("utf-8"), files)
    checks = compile_shapes(shapes)
    keys = check_keys(checks)
    radii = {k: (extra.radii[k] if k in extra.radii else radius(c)) for c, k in zip(
        checks, keys, strict=True)}
    hops = max((r for r in radii.values() if r is not None), default=0)
    limit = max(200, len(lines) // 200)
    focus = affected_nodes(store, added + removed, hops, limit) if (added or removed) else set()
    say(f"{len(focus)} nœud(s) à valider / focus node(s) to validate" if focus is not None else
        "validation complète / full validation (change too wide)")
    results = _results(store, checks, keys, radii, extra, focus)
    validation = Validation(report_of(checks, results, conv), checks, results, store)
    return Prepared(conv, lines, validation, inputs, multi, radii, (added, removed), state,
                    extra, store_dir, len(focus) if focus is not None else None)


def _results(store: ox.Store, checks: list[Check], keys: list[str],
             radii: dict[str, int | None], extra: Extra, focus: set[str] | None) -> list[Result]:
    ordered = sorted(focus) if focus else []
    out: list[Result] = []
    for i, key in enumerate(keys):
        if focus is None or radii[key] is None or key not in extra.results:
            out += collect(store, checks, only=[i])
            continue
        out += [(i, row) for row in extra.results[key] if str(row["this"]) not in focus]
        if ordered:
            out += collect(store, checks, focus=ordered, only=[i])
    return out


def results_by_key(prepared: Prepared) -> dict[str, list[dict[str, Node]]]:
    keys = check_keys(prepared.validation.checks)
    out: dict[str, list[dict[str, Node]]] = {k: [] for k in keys}
    for i, row in prepared.validation.results:
        out[keys[i]].append(dict(row))
    return out
