"""Changesets and release diffs by streaming merge of sorted N-Triples files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.core.errors import ReleaseError, ReleaseNotFound
from publisher.release.changeset import (
    ADDED,
    REMOVED,
    SAME,
    diff_releases,
    merge,
    sorted_lines,
    write_changeset,
)
from publisher.release.folder import resolve_release
from publisher.release.model import CURRENT_LINK, DATA_NT


def line(n: int) -> str:
    return f"<http://example.org/s{n:04d}> <http://example.org/p> \"{n}\" .\n"


def nt_file(path: Path, numbers: set[int] | list[int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(sorted(line(n) for n in numbers)), encoding="utf-8")
    return path


def release(root: Path, rid: str, numbers: set[int]) -> Path:
    nt_file(root / rid / DATA_NT, numbers)
    return root / rid


def test_merge_classifies_every_line() -> None:
    old = iter([b"a\n", b"b\n", b"d\n"])
    new = iter([b"b\n", b"c\n", b"d\n", b"e\n"])
    assert list(merge(old, new)) == [
        (REMOVED, b"a\n"), (SAME, b"b\n"), (ADDED, b"c\n"), (SAME, b"d\n"), (ADDED, b"e\n"),
    ]


@given(st.sets(st.integers(0, 60)), st.sets(st.integers(0, 60)))
def test_merge_is_set_difference(a: set[int], b: set[int]) -> None:
    old = iter(sorted(line(n).encode() for n in a))
    new = iter(sorted(line(n).encode() for n in b))
    ops: dict[str, set[bytes]] = {ADDED: set(), REMOVED: set(), SAME: set()}
    for op, x in merge(old, new):
        ops[op].add(x)
    assert ops[ADDED] == {line(n).encode() for n in b - a}
    assert ops[REMOVED] == {line(n).encode() for n in a - b}
    assert ops[SAME] == {line(n).encode() for n in a & b}


def test_unsorted_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nt"
    bad.write_text(line(2) + line(1), encoding="utf-8")
    with pytest.raises(ReleaseError, match="not sorted"):
        list(sorted_lines(bad))


def test_write_changeset(tmp_path: Path) -> None:
    old = nt_file(tmp_path / "old.nt", {1, 2, 3, 4})
    new = nt_file(tmp_path / "new.nt", {2, 3, 5, 6, 7})
    added, removed = tmp_path / "added.nt", tmp_path / "removed.nt"
    assert write_changeset(old, new, added, removed) == (3, 2)
    assert added.read_text(encoding="utf-8") == line(5) + line(6) + line(7)
    assert removed.read_text(encoding="utf-8") == line(1) + line(4)


def test_first_release_has_empty_changesets(tmp_path: Path) -> None:
    new = nt_file(tmp_path / "new.nt", {1, 2})
    added, removed = tmp_path / "added.nt", tmp_path / "removed.nt"
    assert write_changeset(None, new, added, removed) == (0, 0)
    assert added.read_bytes() == b"" and removed.read_bytes() == b""


def test_diff_releases_by_id_path_and_current(tmp_path: Path) -> None:
    a = release(tmp_path, "aaaaaaaaaaaaaaaa", {1, 2, 3})
    b = release(tmp_path, "bbbbbbbbbbbbbbbb", {2, 3, 4, 5})
    (tmp_path / CURRENT_LINK).symlink_to(b.name)
    assert resolve_release("aaaaaaaaaaaaaaaa", tmp_path) == a
    assert resolve_release(str(b), tmp_path / "elsewhere") == b
    assert resolve_release("current", tmp_path) == b
    diff = diff_releases(a, resolve_release("current", tmp_path), keep_lines=True)
    assert (diff.a, diff.b) == ("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb")
    assert (diff.added, diff.removed, diff.unchanged, diff.same) == (2, 1, 2, False)
    assert diff.added_lines == [line(4), line(5)]
    assert diff.removed_lines == [line(1)]
    assert diff.as_dict(lines=True)["removed_triples"] == [line(1).rstrip("\n")]
    assert diff_releases(a, a).same


def test_unknown_release_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ReleaseNotFound):
        resolve_release("0123456789abcdef", tmp_path)
    with pytest.raises(ReleaseNotFound):
        resolve_release("current", tmp_path)
