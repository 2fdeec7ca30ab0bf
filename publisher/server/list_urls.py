"""The URLs of the views of a list (``/formations/?niveau=5&voie=apprentissage``): one encoder
for the list pages' own links (facets, sort, pager, downloads: :mod:`publisher.server.lists`)
and for the pages that point into a list (:mod:`publisher.server.related_lists`).

A view's parameters are its text (``q``), sort (``tri``), page size (``par_page``, left out at
:data:`DEFAULT_PAGE_SIZE`), facet filters (one parameter per chosen code, named like the column)
and page (left out at 1), encoded with :func:`urllib.parse.urlencode`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from publisher.release.browse_index import Kind
from publisher.server.browse_query import ListQuery

DEFAULT_PAGE_SIZE = 50


def view_params(query: ListQuery, **changes: Any) -> list[tuple[str, str]]:
    """The query parameters of the view, with ``changes`` (``None`` removes one)."""
    values: dict[str, Any] = {"q": query.text or None,
                              "tri": (("-" if query.desc else "") + query.sort) or None,
                              "par_page": query.size if query.size != DEFAULT_PAGE_SIZE else None}
    values.update(changes)
    out = [(k, str(v)) for k, v in values.items() if v is not None and k != "page"]
    filters = dict(query.filters)
    for name, codes in filters.items():
        out += [(name, c) for c in codes]
    page = values.get("page")
    if page is not None and page != 1:
        out.append(("page", str(page)))
    return out


def url_with(base: str, params: list[tuple[str, str]]) -> str:
    return base + ("?" + urlencode(params) if params else "")


def list_base(root: str, kind: Kind) -> str:
    """The list page of ``kind`` under the site's ``root`` (``/formations/``)."""
    return f"{root}{kind.name}/"


def filtered_list(root: str, kind: Kind, column: str, code: str) -> str:
    """The list of ``kind`` filtered on one facet value (``/formations/?etablissement=x``)."""
    query = ListQuery(kind, {column: (code,)}, size=DEFAULT_PAGE_SIZE)
    return url_with(list_base(root, kind), view_params(query))
