"""The area the campus's data covers: the bounding box of the positions in the data.

:func:`extent_of` reads the ``geo:asWKT "POINT(lon lat)"`` values of the sorted N-Triples lines
(the members' and partners' positions, data/mapping.toml) and returns their :class:`Extent`, or
``None`` when no position is given. The catalogue writes it as ``dcat:bbox`` (a WKT polygon,
longitude then latitude, no CRS prefix: what data.gouv.fr's harvester reads) and ``dcat:centroid``
(docs/decisions/0020-harvested-and-installed.md). A single point gets a box of
:data:`MIN_SPAN` degrees around it, so the polygon is never degenerate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from publisher.core import wkt

_AS_WKT = "<http://www.opengis.net/ont/geosparql#asWKT>"
#: smallest width or height of the box, in degrees (about 1 km)
MIN_SPAN = 0.01


@dataclass(frozen=True)
class Extent:
    """A bounding box in WGS 84 degrees."""

    west: float
    south: float
    east: float
    north: float

    def polygon(self) -> str:
        """The box as a closed WKT polygon (lon lat), counter-clockwise from the south-west."""
        w, s, e, n = (f"{v:.4f}" for v in (self.west, self.south, self.east, self.north))
        return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"

    def centroid(self) -> str:
        """The centre of the box as a WKT point (lon lat)."""
        return (f"POINT({(self.west + self.east) / 2:.4f} "
                f"{(self.south + self.north) / 2:.4f})")


def _widen(low: float, high: float) -> tuple[float, float]:
    if high - low >= MIN_SPAN:
        return low, high
    middle = (low + high) / 2
    return middle - MIN_SPAN / 2, middle + MIN_SPAN / 2


def extent_of(lines: Iterable[str]) -> Extent | None:
    """The bounding box of every valid ``geo:asWKT`` point of ``lines`` (module doc)."""
    lons: list[float] = []
    lats: list[float] = []
    for line in lines:
        if _AS_WKT not in line:
            continue
        quoted = line.split('"')  # the object's lexical form is the line's one quoted text
        lon_lat = wkt.point(quoted[1]) if len(quoted) >= 3 else None
        if lon_lat is None:
            continue
        lon, lat = lon_lat
        if -180 <= lon <= 180 and -90 <= lat <= 90:
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return None
    west, east = _widen(min(lons), max(lons))
    south, north = _widen(min(lats), max(lats))
    return Extent(west, south, east, north)
