"""Points in WKT (``geo:wktLiteral``), as the campus files write a member's position.

:func:`point` reads ``POINT(lon lat)`` (GeoSPARQL order: longitude first), with an optional
leading CRS IRI (``<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(…)``) and numbers with
a sign or an exponent; anything else (another geometry, a malformed text) gives ``None``. The
one reader of positions for the browse index, the extent of the catalogue and the schema.org
JSON-LD of pages.
"""

from __future__ import annotations

import re

__all__ = ["point"]

_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_POINT = re.compile(rf"^\s*(?:<[^>]*>\s*)?POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)\s*$",
                    re.IGNORECASE)


def point(text: str) -> tuple[float, float] | None:
    """The (longitude, latitude) of a WKT point, or ``None``."""
    m = _POINT.match(text)
    return (float(m.group(1)), float(m.group(2))) if m else None
