"""The build cache of a releases folder (``releases/.cmq-cache/``), for incremental builds.

It describes the last conversion of the project's sources, whether it was published or refused
(docs/decisions/0010-incremental-build.md):

- ``state.pkl``: the inputs it is valid for (cache format, cmq version, SHA-256 of the mapping,
  of ``campus.toml``, of the shapes and of the ontology files), the data's SHA-256 and size,
  and for each table its file's SHA-256, header and conversion problems, and the names of the
  files below. Written last, by an atomic rename: the cache is always whole;
- ``rows-<table>-….pkl``: per table, each row's output keyed by the row's cells (a table whose
  file did not change is not read again; a changed table reuses its unchanged rows);
- ``data-<id>.nt``: the sorted N-Triples (a hard link to the release's ``campus.nt``);
- ``extra-….pkl``: lines made by more than one row, the validation results of every check, the
  checks' radii, and the index of the dump pieces of the release written last;
- ``store-…/``: an on-disk Oxigraph store holding the data and the ontology (only from
  :data:`STORE_MIN_TRIPLES` triples; smaller data is loaded in memory in a fraction of a second),
  updated in place by the next build;
- ``canonical-<sha>.ttl``: canonical Turtle of the ontology and the shapes, by input hash.

Any other input change (mapping, shapes, ontology, ``campus.toml``, cmq version, cache format)
makes :meth:`BuildCache.load` return None: the build is a full one and rewrites the cache.
Files no longer named by ``state.pkl`` are removed when a new state is saved. The cache only
ever removes what it can prove it wrote: entries with its own names, in a folder holding its
``CACHEDIR.TAG`` (written when the cache creates the folder). A folder of that name without the
tag is not the cache's: it is neither read, written nor cleaned (``--out DIR`` may name a folder
holding other things; docs/decisions/0022-own-what-you-remove.md).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Node

from publisher import __version__
from publisher.convert.tables import RowsAndUse, TableState
from publisher.core.errors import Location
from publisher.project.folder import Project
from publisher.release.dumps.chunks import DumpIndex

CACHE_DIR = ".cmq-cache"
#: 3: a cell's problem carries the cell's text (Location.value), its message no longer names it.
FORMAT = 3
STATE = "state.pkl"
#: The cache's proof of ownership (https://bford.info/cachedir/ format).
TAG = "CACHEDIR.TAG"
TAG_TEXT = b"Signature: 8a477f597d28d172789f06886806bc55\n# cmq build cache (cmq build)\n"
#: The names the cache writes; nothing else in its folder is ever removed.
OWN_NAME = re.compile(r"^(state\.pkl|rows-.+\.pkl|data-[0-9a-f]+\.nt|extra-[0-9a-f]+\.pkl|"
                      r"store-[0-9a-f]+|canonical-.+\.ttl|\.tmp-[0-9a-f]+)$")
#: From this many triples the validation store is kept on disk between builds.
STORE_MIN_TRIPLES = 200_000


def digest_files(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\x00")
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"\x00missing")
        h.update(b"\x00")
    return h.hexdigest()


def inputs_of(project: Project) -> dict[str, str]:
    """What the cache depends on besides the tables (any change → full build)."""
    return {
        "format": str(FORMAT),
        "cmq": __version__,
        "mapping": digest_files([project.mapping_path]),
        "config": digest_files([project.data_dir / "campus.toml"]),
        "shapes": digest_files(project.shape_files()),
        "ontology": digest_files(project.ontology_files()),
    }


@dataclass
class TableEntry:
    file: str
    sha256: str | None
    header: tuple[str, ...]
    problems: list[tuple[Location, str]]
    rows_file: str | None
    remarks: tuple[tuple[str, Location, str], ...] = ()
    fatal: bool = False


@dataclass
class Extra:
    """The cache's smaller parts, read together."""

    multi: dict[str, int] = field(default_factory=dict)  # line → how many rows make it (> 1)
    results: dict[str, list[dict[str, Node]]] = field(default_factory=dict)  # check key → rows
    radii: dict[str, int | None] = field(default_factory=dict)  # check key → radius
    dumps: DumpIndex | None = None  # pieces of the release written last


@dataclass
class CacheState:
    inputs: dict[str, str]
    data_id: str  # SHA-256 (hex) of the sorted N-Triples
    data_file: str
    triples: int
    tables: dict[str, TableEntry]
    extra_file: str
    store_dir: str | None = None
    store_id: str | None = None  # data_id of what the store holds; None while it is changed


class BuildCache:
    """The cache folder of one releases folder (use it under the build lock)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def owned(self) -> bool:
        """The folder carries the cache's tag (so the cache made it)."""
        tag = self.root / TAG
        try:
            return not tag.is_symlink() and tag.read_bytes() == TAG_TEXT
        except OSError:
            return False

    def _ensure(self) -> None:
        """Create the folder with its tag; refuse (``FileExistsError``) one the cache did not
        make, unless it is empty (a creation interrupted before the tag)."""
        try:
            self.root.mkdir(parents=True)
        except FileExistsError:
            if self.owned():
                return
            if self.root.is_symlink() or not self.root.is_dir() or any(self.root.iterdir()):
                raise FileExistsError(f"{self.root}: pas un cache de cmq (pas de {TAG}), laissé "
                                      f"tel quel / not a cmq cache (no {TAG}), left alone")
        (self.root / TAG).write_bytes(TAG_TEXT)

    # ------------------------------------------------------------------ reading
    def load(self, inputs: dict[str, str]) -> CacheState | None:
        """The cached state if it is whole and made from the same inputs, else None."""
        if not self.owned():
            return None
        try:
            with (self.root / STATE).open("rb") as fh:
                state = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                TypeError, ValueError):
            return None
        if not isinstance(state, CacheState) or state.inputs != inputs:
            return None
        files = [state.data_file, state.extra_file]
        files += [t.rows_file for t in state.tables.values() if t.rows_file]
        if not all((self.root / f).is_file() for f in files):
            return None
        return state

    def table_states(self, state: CacheState) -> dict[str, TableState]:
        """The tables' states, their rows read only when needed."""
        out = {}
        for name, t in state.tables.items():
            loader = None
            if t.rows_file is not None:
                loader = self._loader(self.root / t.rows_file)
            out[name] = TableState(t.file, t.sha256, t.header, list(t.problems), loader,
                                   remarks=t.remarks, fatal=t.fatal)
        return out

    @staticmethod
    def _loader(path: Path) -> Callable[[], RowsAndUse]:
        def load() -> RowsAndUse:
            with path.open("rb") as fh:
                data: RowsAndUse = pickle.load(fh)
            return data

        return load

    def read_lines(self, state: CacheState) -> list[str]:
        data = (self.root / state.data_file).read_bytes()
        return data.decode("utf-8").splitlines(keepends=True)

    def read_extra(self, state: CacheState) -> Extra:
        with (self.root / state.extra_file).open("rb") as fh:
            extra: Extra = pickle.load(fh)
        return extra

    def open_store(self, state: CacheState) -> ox.Store | None:
        """The on-disk store, if it holds exactly the cached data."""
        if state.store_dir is None or state.store_id != state.data_id:
            return None
        path = self.root / state.store_dir
        return ox.Store(str(path)) if path.is_dir() else None

    def canonical(self, key: str) -> bytes | None:
        if not self.owned():
            return None
        try:
            return (self.root / f"canonical-{key[:32]}.ttl").read_bytes()
        except OSError:
            return None

    def put_canonical(self, key: str, data: bytes) -> None:
        self._ensure()
        tmp = self.root / f".tmp-{secrets.token_hex(4)}"
        tmp.write_bytes(data)
        os.replace(tmp, self.root / f"canonical-{key[:32]}.ttl")

    # ------------------------------------------------------------------ writing
    def new_store_dir(self) -> Path:
        self._ensure()
        return self.root / f"store-{secrets.token_hex(6)}"

    def mark_store_changing(self, state: CacheState) -> CacheState:
        """Record that the store is being changed (a build killed now leaves it untrusted)."""
        changing = replace(state, store_id=None)
        self._write_state(changing)
        return changing

    def save(self, *, inputs: dict[str, str], data_id: str, triples: int,
             tables: dict[str, TableState], previous: CacheState | None, extra: Extra,
             data_source: Path | None, lines: list[str] | None,
             store_dir: str | None, store_id: str | None) -> CacheState:
        """Write a new state: tables whose state came from ``previous`` keep their files; the
        data file is a hard link to ``data_source`` (or written from ``lines``)."""
        self._ensure()
        entries: dict[str, TableEntry] = {}
        for name, t in tables.items():
            old = previous.tables.get(name) if previous is not None else None
            rows_file = None
            if old is not None and t.loader is not None and t.sha256 == old.sha256:
                rows_file = old.rows_file  # reused as it was (rows never read this time)
            elif t.sha256 is not None:
                rows_file = f"rows-{name}-{t.sha256[:16]}-{secrets.token_hex(3)}.pkl"
                self._pickle(rows_file, (t.rows, t.used))
            entries[name] = TableEntry(t.file, t.sha256, t.header, list(t.problems), rows_file,
                                       t.remarks, t.fatal)
        data_file = f"data-{data_id[:32]}.nt"
        if not (self.root / data_file).is_file():
            self._data(data_file, data_source, lines)
        extra_file = f"extra-{secrets.token_hex(6)}.pkl"
        self._pickle(extra_file, extra)
        state = CacheState(inputs, data_id, data_file, triples, entries, extra_file, store_dir,
                           store_id)
        self._write_state(state)
        self._collect(state)
        return state

    def _data(self, name: str, source: Path | None, lines: list[str] | None) -> None:
        tmp = self.root / f".tmp-{secrets.token_hex(4)}"
        if source is not None and source.is_file():
            try:
                os.link(source, tmp)
            except OSError:
                shutil.copyfile(source, tmp)
        else:
            with tmp.open("wb") as fh:
                for line in lines or []:
                    fh.write(line.encode("utf-8"))
        os.replace(tmp, self.root / name)

    def _pickle(self, name: str, obj: object) -> None:
        tmp = self.root / f".tmp-{secrets.token_hex(4)}"
        with tmp.open("wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.root / name)

    def _write_state(self, state: CacheState) -> None:
        self._pickle(STATE, state)

    def _collect(self, state: CacheState) -> None:
        """Remove the files the state does not name (and leftovers of killed builds)."""
        keep = {STATE, state.data_file, state.extra_file}
        keep |= {t.rows_file for t in state.tables.values() if t.rows_file}
        if state.store_dir:
            keep.add(state.store_dir)
        self._remove(lambda name: name not in keep and not name.startswith("canonical-"))

    def _remove(self, doomed: Callable[[str], bool]) -> None:
        """Delete the entries with the cache's own names that ``doomed`` picks (tagged folder
        only)."""
        if not self.owned():
            return
        for p in self.root.iterdir():
            if not OWN_NAME.match(p.name) or not doomed(p.name):
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)

    def clear(self) -> None:
        """Empty the cache (its own entries; the tag and anything else stay)."""
        self._remove(lambda _name: True)
