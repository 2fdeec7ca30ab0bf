"""``GET /graphiques`` — charts people would rather look at than read: formations by level and by
route, establishments by kind and by territory, partners by kind, key figures over time (when the
campus has several dates). Server-rendered SVG bars (no script, no CDN), each with its data table
beside it for accessibility; the counts are the browse index's facet counts
(:meth:`publisher.server.browse_query.BrowseIndex.counts`), each bar links to the filtered list.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from publisher.server.browse_query import BrowseIndex
from publisher.server.files import CURRENT_CACHE
from publisher.server.pages import render_page
from publisher.server.state import served

router = APIRouter(tags=["graphiques / charts"])

#: (kind, column, French title, English title)
CHARTS = (
    ("formations", "niveau", "Formations par niveau", "Programmes by level"),
    ("formations", "voie", "Formations par voie", "Programmes by route"),
    ("etablissements", "nature", "Établissements par nature", "Establishments by kind"),
    ("etablissements", "territoire", "Établissements par territoire",
     "Establishments by territory"),
    ("partenaires", "nature", "Partenaires par nature", "Partners by kind"),
    ("chiffres", "date", "Chiffres clés par date", "Key figures by date"),
)
BAR_H, GAP, LABEL_W, BAR_W = 22, 6, 260, 320


@dataclass(frozen=True)
class Bar:
    code: str
    label: str
    count: int
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    kind: str
    column: str
    fr: str
    en: str
    bars: tuple[Bar, ...]
    height: int
    label_w: int = LABEL_W
    bar_w: int = BAR_W


def chart(kind: str, column: str, fr: str, en: str,
          counts: list[tuple[str, str, int]]) -> Chart:
    top = max((n for _, _, n in counts), default=1) or 1
    bars = tuple(Bar(code, label, n, i * (BAR_H + GAP), max(1, round(BAR_W * n / top)))
                 for i, (code, label, n) in enumerate(counts))
    return Chart(kind, column, fr, en, bars, len(bars) * (BAR_H + GAP))


def charts_of(index: BrowseIndex) -> list[Chart]:
    out = []
    for kind, column, fr, en in CHARTS:
        counts = index.counts(kind, column)
        if kind == "chiffres" and len(counts) < 2:  # over time only with several dates
            continue
        if counts:
            out.append(chart(kind, column, fr, en, counts))
    return out


@router.get("/graphiques", summary="Graphiques / charts")
async def charts_page(request: Request) -> Response:
    rel = served(request)
    found = await asyncio.to_thread(charts_of, BrowseIndex(rel.browse_folder()))
    return render_page("charts.html", request, rel, headers={"Cache-Control": CURRENT_CACHE},
                       charts=found, bar_h=BAR_H)
