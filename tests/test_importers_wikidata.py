"""The online Wikidata lookup (``cmq import annuaire --wikidata-endpoint URL``), run for real: the
SPARQL 1.1 protocol over httpx against an Oxigraph server on loopback holding P3202 statements."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from store_fixtures import StoreProcess, start_store

from publisher.core.errors import SourceError
from publisher.importers.wikidata import lookup_wikidata

P3202 = "http://www.wikidata.org/prop/direct/P3202"
ENTITY = "http://www.wikidata.org/entity/"
STATEMENTS = {  # item → UAI; 0029901B has two items (ambiguous: left out)
    "Q100": "0029907H", "Q200": "0029901B", "Q201": "0029901B",
}


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    with start_store("oxigraph", tmp_path_factory.mktemp("wikidata")) as store:
        data = "".join(f'<{ENTITY}{q}> <{P3202}> "{uai}" .\n' for q, uai in STATEMENTS.items())
        httpx.post(f"{store.url}/store?default", content=data,
                   headers={"Content-Type": "application/n-triples"}).raise_for_status()
        yield store


@pytest.mark.external
def test_lookup_finds_unambiguous_items_in_batches(wikidata: StoreProcess) -> None:
    found = lookup_wikidata(["0029907H", "0029901B", "0599901S", "not-a-uai"],
                            f"{wikidata.url}/query", batch=1)
    assert found == {"0029907H": "Q100"}


@pytest.mark.external
def test_lookup_reports_an_endpoint_error_as_a_source_error(wikidata: StoreProcess,
                                                            tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="Wikidata"):
        lookup_wikidata(["0029907H"], f"{wikidata.url}/no-such-endpoint")
