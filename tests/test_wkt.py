"""core.wkt: the one reader of WKT points (lon lat) used by the index, the extent and JSON-LD."""

from __future__ import annotations

import pytest

from publisher.core.wkt import point


@pytest.mark.parametrize(("text", "expected"), [
    ("POINT(3.6199 49.5641)", (3.6199, 49.5641)),
    ("  point ( -1.5 +47.2 ) ", (-1.5, 47.2)),
    ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(2 49)", (2.0, 49.0)),
    ("POINT(2.5e0 4.9E1)", (2.5, 49.0)),
    ("POINT(.5 49.)", (0.5, 49.0)),
])
def test_points_are_read_longitude_first(text: str, expected: tuple[float, float]) -> None:
    assert point(text) == expected


@pytest.mark.parametrize("text", [
    "", "POINT(2)", "POINT(2 49 10)", "POINT(a b)", "LINESTRING(0 0, 1 1)", "POINT(2 49) x",
    "POINT(. .)", "POINT(1.2.3 4)",
])
def test_anything_else_is_none(text: str) -> None:
    assert point(text) is None
