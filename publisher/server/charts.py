"""``GET /graphiques`` — charts people would rather look at than read: formations by level and by
route, establishments by kind and by territory, partners by kind (the browse index's facet
counts, :meth:`publisher.server.browse_query.BrowseIndex.counts`), and each key figure over time:
one chart per indicator and route that has values at two dates or more (:func:`series_of`, the
values of ``/chiffres/``). Server-rendered SVG bars (no script, no CDN), each with its data table
beside it for accessibility; each bar links to the filtered list it counts or to its figures.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from publisher.release.browse_index import KINDS_BY_NAME
from publisher.server.browse_cache import IndexPreparing
from publisher.server.browse_query import BrowseIndex, ListQuery, Row
from publisher.server.files import CURRENT_CACHE
from publisher.server.list_urls import url_with
from publisher.server.lists import preparing_other
from publisher.server.pages import render_page
from publisher.server.state import served

router = APIRouter(tags=["graphiques / charts"])

#: (kind, column, French title, English title): counts of records by a facet's values
CHARTS = (
    ("formations", "niveau", "Formations par niveau", "Programmes by level"),
    ("formations", "voie", "Formations par voie", "Programmes by route"),
    ("etablissements", "nature", "Établissements par nature", "Establishments by kind"),
    ("etablissements", "territoire", "Établissements par territoire",
     "Establishments by territory"),
    ("partenaires", "nature", "Partenaires par nature", "Partners by kind"),
)
BAR_H, GAP, LABEL_W, BAR_W = 22, 6, 260, 320


@dataclass(frozen=True)
class Bar:
    href: str  # the list (with its query) this bar counts, relative to the site's root
    label: str
    count: float
    y: int
    width: int

    @property
    def text(self) -> str:
        return f"{self.count:g}".replace(".", ",")


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
    heading: str = ""  # the data table's first column (else the column's name)
    measure: tuple[str, str] = ("nombre", "count")  # its second column, French and English


def chart(kind: str, column: str, fr: str, en: str,
          bars: Iterable[tuple[str, str, float]], heading: str = "",
          measure: tuple[str, str] = ("nombre", "count")) -> Chart:
    """A chart of ``(href, label, value)`` bars, scaled to the largest value."""
    found = list(bars)
    top = max((n for _, _, n in found), default=1) or 1
    shaped = tuple(Bar(href, label, n, i * (BAR_H + GAP), max(1, round(BAR_W * n / top)))
                   for i, (href, label, n) in enumerate(found))
    return Chart(kind, column, fr, en, shaped, len(shaped) * (BAR_H + GAP),
                 heading=heading, measure=measure)


def list_href(kind: str, filters: dict[str, str]) -> str:
    return url_with(f"{kind}/", list(filters.items()))


def number(text: str | None) -> float | None:
    try:
        return float((text or "").replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None


def series_of(rows: Iterable[Row]) -> list[Chart]:
    """One chart per (indicator, route) of the key figures with values at two dates or more,
    the dates in order (a figure without a date or a numeric value is left out)."""
    kind = KINDS_BY_NAME["chiffres"]
    at = {c.name: i for i, c in enumerate(kind.columns)}
    series: dict[tuple[str, str, str, str], dict[str, tuple[str, float]]] = defaultdict(dict)
    for row in rows:
        cell = {name: (row.cells[i][0] if row.cells[i] else None) for name, i in at.items()}
        value = number(row.texts[at["valeur"]])
        date, indicator = cell["date"], cell["indicateur"]
        if date is None or indicator is None or value is None:
            continue
        route = cell["voie"]
        key = (indicator.code, indicator.label, route.code if route else "",
               route.label if route else "")
        series[key][date.code] = (date.label, value)
    charts = []
    for (code, label, route_code, route_label), points in sorted(series.items()):
        if len(points) < 2:
            continue
        title = f"{label} — {route_label}" if route_label else label
        title = title[:1].upper() + title[1:]
        filters = {"indicateur": code} | ({"voie": route_code} if route_code else {})
        charts.append(chart("chiffres", f"{code}-{route_code}" if route_code else code,
                            f"{title} — évolution", "over time", (
            (list_href("chiffres", filters | {"date": d}), text, v)
            for d, (text, v) in sorted(points.items())), heading="date",
                            measure=("valeur", "value")))
    return charts


def charts_of(index: BrowseIndex) -> list[Chart]:
    out = []
    for kind, column, fr, en in CHARTS:
        counts = index.counts(kind, column)
        if counts:
            out.append(chart(kind, column, fr, en, (
                (list_href(kind, {column: code}), label, n) for code, label, n in counts)))
    return out + series_of(index.all_rows(ListQuery(KINDS_BY_NAME["chiffres"])))


@router.get("/graphiques", summary="Graphiques / charts")
async def charts_page(request: Request) -> Response:
    rel = served(request)
    try:
        found = await asyncio.to_thread(
            lambda: rel.browse.remembered(("charts",), lambda: charts_of(rel.browse)))
    except IndexPreparing as exc:
        return preparing_other(request, exc, "Graphiques", "Charts")
    return render_page("charts.html", request, rel, headers={"Cache-Control": CURRENT_CACHE},
                       charts=found, bar_h=BAR_H)
