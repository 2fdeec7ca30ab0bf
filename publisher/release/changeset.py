"""Differences between two releases, by a streaming merge of their sorted N-Triples dumps.

``campus.nt`` is sorted by code point (= UTF-8 byte order), so two dumps are compared line by line
without parsing RDF or holding either file in memory: linear time, constant memory, fine at 1M
triples. The campus graph has no blank nodes, so equal lines are equal triples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from publisher.core.errors import ReleaseError
from publisher.core.files import durable
from publisher.release.model import DATA_NT

ADDED, REMOVED, SAME = "+", "-", "="


@dataclass(frozen=True)
class Diff:
    """How release ``b`` differs from release ``a`` (``added`` = in b only)."""

    a: str
    b: str
    added: int
    removed: int
    unchanged: int
    added_lines: list[str] = field(default_factory=list)
    removed_lines: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.added == 0 and self.removed == 0

    def as_dict(self, *, lines: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "a": self.a,
            "b": self.b,
            "same": self.same,
            "added": self.added,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }
        if lines:
            out["added_triples"] = [x.rstrip("\n") for x in self.added_lines]
            out["removed_triples"] = [x.rstrip("\n") for x in self.removed_lines]
        return out

    def text(self, *, lines: bool = False) -> str:
        head = (f"{self.a} → {self.b}: +{self.added} −{self.removed} triplet(s)/triple(s), "
                f"{self.unchanged} inchangé(s)/unchanged")
        if not lines:
            return head
        body = [f"- {x.rstrip()}" for x in self.removed_lines]
        body += [f"+ {x.rstrip()}" for x in self.added_lines]
        return "\n".join([head, *body])


def sorted_lines(path: Path) -> Iterator[bytes]:
    """The triples of a sorted N-Triples file, checking the order as it goes."""
    prev = b""
    try:
        with path.open("rb") as fh:
            for line in fh:
                if not line.endswith(b"\n"):
                    line += b"\n"
                if not line.strip() or line.startswith(b"#"):
                    continue
                if line < prev:
                    raise ReleaseError(f"{path}: pas trié / not sorted (near {line[:80]!r})")
                if line != prev:
                    prev = line
                    yield line
    except OSError as exc:
        raise ReleaseError(f"{path}: illisible / unreadable: {exc}") from exc


def merge(old: Iterator[bytes], new: Iterator[bytes]) -> Iterator[tuple[str, bytes]]:
    """Merge two sorted streams: ``("-", line)`` only in old, ``("+", line)`` only in new,
    ``("=", line)`` in both."""
    a = next(old, None)
    b = next(new, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a < b):
            assert a is not None
            yield REMOVED, a
            a = next(old, None)
        elif a is None or b < a:
            yield ADDED, b
            b = next(new, None)
        else:
            yield SAME, a
            a, b = next(old, None), next(new, None)


def write_changeset(old_nt: Path | None, new_nt: Path, added: Path,
                    removed: Path) -> tuple[int, int]:
    """Write the added and removed triples (sorted N-Triples; both empty when ``old_nt`` is None).

    Returns (added, removed) counts.
    """
    n_add = n_rem = 0
    with durable(added) as fa, durable(removed) as fr:
        if old_nt is None:  # first release: nothing to compare with
            return 0, 0
        for op, line in merge(sorted_lines(old_nt), sorted_lines(new_nt)):
            if op == ADDED:
                fa.write(line)
                n_add += 1
            elif op == REMOVED:
                fr.write(line)
                n_rem += 1
    return n_add, n_rem


def diff_releases(a: Path, b: Path, *, keep_lines: bool = False) -> Diff:
    """Compare the campus dumps of two release folders."""
    counts = {ADDED: 0, REMOVED: 0, SAME: 0}
    added: list[str] = []
    removed: list[str] = []
    for op, line in merge(sorted_lines(a / DATA_NT), sorted_lines(b / DATA_NT)):
        counts[op] += 1
        if keep_lines and op == ADDED:
            added.append(line.decode("utf-8"))
        elif keep_lines and op == REMOVED:
            removed.append(line.decode("utf-8"))
    return Diff(a.name, b.name, counts[ADDED], counts[REMOVED], counts[SAME], added, removed)
