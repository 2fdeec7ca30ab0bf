"""The small parts of publisher/server/browse_query.py that need no server: the bounded cache of
answers (least recently used dropped) and the identity of a view (the same key, the same
answer)."""

from __future__ import annotations

from publisher.release.browse_index import KINDS_BY_NAME
from publisher.server.browse_query import ListQuery, Recent, page_key

FORMATIONS = KINDS_BY_NAME["formations"]


def test_recent_drops_the_least_recently_used() -> None:
    cache = Recent(2)
    cache.put(("a",), 1)
    cache.put(("b",), 2)
    assert cache.get(("a",)) == 1  # a is now the most recent
    cache.put(("c",), 3)
    assert cache.get(("b",)) is None and cache.get(("a",)) == 1 and cache.get(("c",)) == 3
    assert len(cache) == 2
    off = Recent(0)
    off.put(("a",), 1)
    assert off.get(("a",)) is None


def test_page_key_ignores_the_order_of_filters_and_codes() -> None:
    one = ListQuery(FORMATIONS, {"niveau": ("5", "3"), "voie": ("apprentissage",)})
    two = ListQuery(FORMATIONS, {"voie": ("apprentissage",), "niveau": ("3", "5")})
    assert page_key(one) == page_key(two)
    assert page_key(ListQuery(FORMATIONS, text="Lycée  prof")) == page_key(
        ListQuery(FORMATIONS, text="Lycée prof"))
    assert page_key(ListQuery(FORMATIONS, sort="")) == page_key(
        ListQuery(FORMATIONS, sort="intitule"))  # the default sort is the first column
    different = [ListQuery(FORMATIONS, {"niveau": ("5",)}), ListQuery(FORMATIONS, page=2),
                 ListQuery(FORMATIONS, desc=True), ListQuery(FORMATIONS, size=10)]
    assert len({page_key(q) for q in different} | {page_key(ListQuery(FORMATIONS))}) == 5
