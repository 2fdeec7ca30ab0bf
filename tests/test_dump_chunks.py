"""Chunked data dumps: same bytes as the whole-file writers, pieces reused from a release."""

from __future__ import annotations

import gzip
import itertools
import zlib
from pathlib import Path

import pytest
from dumps_reference import write_data_dumps
from rdflib import Graph

from publisher.core.ntriples import sorted_rows, subject_of
from publisher.release.dumps.chunks import (
    GZIP_HEADER,
    DataChunks,
    DumpIndex,
    Written,
    chunk_bounds,
    write_chunked_dumps,
)
from publisher.release.dumps.formats import prefixes_for

BASE = "https://w3id.org/cmq/campus/plasturgie-metallurgie-picardie/"
NAMES = ("campus.nt", "campus.ttl", "campus.jsonld", "context.jsonld")
EVERY = 8  # small chunks, so that the shipped campus has many


def write(lines: list[str], folder: Path, previous: DumpIndex | None = None,
          prefixes: dict[str, str] | None = None) -> Written:
    folder.mkdir(parents=True, exist_ok=True)
    return write_chunked_dumps(lines, folder, prefixes or prefixes_for(lines, BASE), NAMES,
                               data=DataChunks.of(lines, EVERY),
                               previous=previous)


@pytest.fixture(scope="module")
def lines(shipped_graph: Graph) -> list[str]:
    return [r[0] for r in sorted_rows(shipped_graph)]


def test_chunks_are_whole_subjects_and_cover_every_line(lines: list[str]) -> None:
    bounds = chunk_bounds(lines, EVERY)
    assert len(bounds) > 5
    assert bounds[0][0] == 0 and bounds[-1][1] == len(lines)
    for (_a, b), (c, _d) in itertools.pairwise(bounds):
        assert b == c
        assert subject_of(lines[b - 1]) != subject_of(lines[b]), "a subject is never split"


def test_a_change_moves_only_the_chunks_around_it(lines: list[str]) -> None:
    before = set(DataChunks.of(lines, EVERY).keys)
    victim = subject_of(lines[len(lines) // 2])
    after = set(DataChunks.of([x for x in lines if subject_of(x) != victim], EVERY).keys)
    assert len(before - after) <= 2 and len(after - before) <= 1
    assert len(before & after) >= len(before) - 2


def test_same_bytes_as_the_whole_file_writers(lines: list[str], shipped_graph: Graph,
                                             tmp_path: Path) -> None:
    (tmp_path / "whole").mkdir()
    write_data_dumps(sorted_rows(shipped_graph), tmp_path / "whole", BASE)
    written = write(lines, tmp_path / "chunked")
    for name in NAMES:
        assert (tmp_path / "chunked" / name).read_bytes() == (tmp_path / "whole" / name
                                                              ).read_bytes(), name
    for name in NAMES[:3]:
        raw = (tmp_path / "chunked" / f"{name}.gz").read_bytes()
        assert raw.startswith(GZIP_HEADER), "no file name, no time"
        assert gzip.decompress(raw) == (tmp_path / "whole" / name).read_bytes()
        one = zlib.decompressobj(zlib.MAX_WBITS | 16)  # one gzip member, as HTTP clients read
        assert one.decompress(raw) == (tmp_path / "whole" / name).read_bytes() and one.eof
        assert not one.unused_data
    assert written.computed > 0 and written.reused == 0
    for name, (size, _digest) in written.sizes.items():
        assert (tmp_path / "chunked" / name).stat().st_size == size


def test_pieces_are_copied_from_the_previous_release(lines: list[str], tmp_path: Path) -> None:
    first = write(lines, tmp_path / "a")
    again = write(lines, tmp_path / "b", first.index)
    assert again.computed == 0 and again.reused > 0
    victim = subject_of(lines[len(lines) // 3])
    changed = [x for x in lines if subject_of(x) != victim]
    fresh = write(changed, tmp_path / "fresh")
    inc = write(changed, tmp_path / "inc", first.index)
    assert 0 < inc.computed <= 3 * 3
    assert inc.reused > 0
    for p in (tmp_path / "fresh").iterdir():
        assert p.read_bytes() == (tmp_path / "inc" / p.name).read_bytes(), p.name
    assert inc.sizes == fresh.sizes


def test_other_prefixes_are_never_mixed_with_the_old_pieces(lines: list[str],
                                                            tmp_path: Path) -> None:
    first = write(lines, tmp_path / "a")
    other = {**prefixes_for(lines, BASE), "zz": "https://example.org/zz/"}
    fresh = write(lines, tmp_path / "fresh", prefixes=dict(sorted(other.items())))
    inc = write(lines, tmp_path / "inc", first.index,
                prefixes=dict(sorted(other.items())))
    assert inc.sizes == fresh.sizes
    for p in (tmp_path / "fresh").iterdir():
        assert p.read_bytes() == (tmp_path / "inc" / p.name).read_bytes(), p.name


def test_a_missing_previous_release_is_not_a_problem(lines: list[str], tmp_path: Path) -> None:
    first = write(lines, tmp_path / "a")
    for p in (tmp_path / "a").iterdir():
        p.unlink()
    again = write(lines, tmp_path / "b", first.index)
    assert again.reused == 0
    assert (tmp_path / "b" / "campus.nt").read_bytes() == "".join(lines).encode()


def test_empty_graph(tmp_path: Path) -> None:
    write([], tmp_path / "e")
    assert (tmp_path / "e" / "campus.nt").read_bytes() == b""
    assert gzip.decompress((tmp_path / "e" / "campus.jsonld.gz").read_bytes()) == (
        tmp_path / "e" / "campus.jsonld").read_bytes()
