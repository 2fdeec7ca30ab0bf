"""The built catalogue as data.gouv.fr's harvester reads it (tests/udata_reader.py reproduces its
rules; docs/decisions/0020-harvested-and-installed.md), and the CSV tables' CSVW metadata checked
with the ``csvw`` library."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import csvw
import pytest
from conftest import copy_campus, set_cell
from rdflib import Graph
from udata_reader import Dataset, harvest

from publisher.release.build import BuildResult, build_release
from publisher.release.model import CATALOG_TTL, CSVW_METADATA
from publisher.validate.reference import validate_with_pyshacl

DATA_FORMATS = {"rdf_turtle", "rdf_n_triples", "json_ld", "csv", "json"}


def _harvested(result: BuildResult, lang: str = "fr") -> list[Dataset]:
    g = Graph().parse(result.path / CATALOG_TTL, format="turtle")
    return harvest(g, lang)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, BuildResult]:
    """Two releases of a copy of the shipped campus, one cell apart."""
    project = copy_campus(tmp_path_factory.mktemp("portal") / "campus")
    first = build_release(project)
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "nom",
             "Lycée professionnel Exemple de Laon (fictif)")
    second = build_release(project)
    assert second.info.release_id != first.info.release_id
    return first, second


def test_one_dataset_with_the_french_title_and_the_licence_ouverte(
        builds: tuple[BuildResult, BuildResult]) -> None:
    result = builds[1]
    harvested = _harvested(result)
    # the versions are not typed dcat:Dataset: one portal dataset, not one per release
    assert len(harvested) == 1, [h.remote_id for h in harvested]
    ds = harvested[0]
    cfg = result.info.config
    assert ds.remote_id == result.info.dataset_iri
    assert ds.title == cfg.title and ds.title != cfg.title_en
    assert ds.description is not None and len(ds.description) > 100  # the quality criterion
    assert ds.licence == "lov2"
    # an English portal shows the English title: the choice is the portal's, by language tag
    assert _harvested(result, "en")[0].title == cfg.title_en


def test_spatial_polygon_and_temporal_coverage(builds: tuple[BuildResult, BuildResult]) -> None:
    ds = _harvested(builds[1])[0]
    assert len(ds.polygons) == 1
    ring = ds.polygons[0]
    assert ring[0] == ring[-1] and len(ring) == 5
    lons, lats = {p[0] for p in ring}, {p[1] for p in ring}
    # the shipped campus's positions are in Picardie (lon 2.29–3.63, lat 49.56–49.90)
    assert min(lons) == pytest.approx(2.29) and max(lons) == pytest.approx(3.63)
    assert min(lats) == pytest.approx(49.56) and max(lats) == pytest.approx(49.895)
    assert ds.temporal_start == "2013-01-01"


def test_every_download_has_a_format_and_a_csv_exists(
        builds: tuple[BuildResult, BuildResult]) -> None:
    ds = _harvested(builds[1])[0]
    downloads = [r for r in ds.resources if r.type == "main"]
    assert downloads and all(r.format for r in downloads), [(r.url, r.format) for r in downloads]
    assert {r.format for r in downloads} <= DATA_FORMATS
    csv = [r for r in downloads if r.format == "csv"]
    assert any(r.url.endswith("/dumps/etablissements.csv") for r in csv)
    assert all(r.schema and r.schema.endswith(CSVW_METADATA) for r in csv)
    assert {r.mime for r in csv} == {"text/csv"}  # the https IANA IRI, read as a media type
    # nothing that is not the campus's data: no ontology, shapes, report, context, changeset
    names = {r.url.rsplit("/", 1)[-1] for r in downloads}
    assert not names & {"ontology.ttl", "shapes.ttl", "validation.ttl", "validation.html",
                        "context.jsonld", "changeset-added.nt", "changeset-removed.nt"}
    api = [r for r in ds.resources if r.type == "api"]
    assert [(r.url, r.format) for r in api] == [(builds[1].info.sparql_url, "sparqlq")]


def test_download_urls_survive_a_one_cell_change(builds: tuple[BuildResult, BuildResult]) -> None:
    first, second = (_harvested(b)[0] for b in builds)
    before, after = ({r.url for r in ds.resources} for ds in (first, second))
    assert before == after
    assert all("/releases/" not in url for url in after)


def test_versions_keep_their_immutable_files(builds: tuple[BuildResult, BuildResult]) -> None:
    g = Graph().parse(builds[1].path / CATALOG_TTL, format="turtle")
    rows = g.query("""
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?version ?url WHERE { ?ds dcat:hasVersion ?version .
                                     ?version dcat:distribution/dcat:downloadURL ?url }""")
    urls = {str(r.url) for r in rows}  # type: ignore[union-attr]
    for b in builds:
        assert b.info.download_url("campus.ttl") in urls
    # the first release has no changeset (nothing before it): none is listed
    first = builds[0].info.release_id
    assert not [u for u in urls if f"/{first}/changeset" in u]
    assert [u for u in urls if f"/{builds[1].info.release_id}/changeset-added.nt" in u]


def test_csvw_metadata_is_valid_and_describes_every_column(
        builds: tuple[BuildResult, BuildResult]) -> None:
    folder = builds[1].path
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        group = csvw.CSVW(str(folder / CSVW_METADATA), validate=True)
    assert group.is_valid, group.warnings
    meta = json.loads((folder / CSVW_METADATA).read_text("utf-8"))
    assert meta["dc:conformsTo"] == {"@id": "https://w3id.org/cmq/ontology"}
    by_url = {t["url"]: t for t in meta["tables"]}
    etab = by_url["etablissements.csv"]
    header = (folder / "etablissements.csv").read_text("utf-8").splitlines()[0].split(",")
    assert [c["name"] for c in etab["tableSchema"]["columns"]] == header
    nom = next(c for c in etab["tableSchema"]["columns"] if c["name"] == "nom")
    assert nom["propertyUrl"].startswith("http") and nom["dc:description"]
    assert etab["tableSchema"]["aboutUrl"].startswith(builds[1].info.config.base_iri)


def test_csvw_catches_a_cell_of_the_wrong_datatype(builds: tuple[BuildResult, BuildResult],
                                                    tmp_path: Path) -> None:
    folder = builds[1].path
    meta = json.loads((folder / CSVW_METADATA).read_text("utf-8"))
    integer = [(t, c) for t in meta["tables"] for c in t["tableSchema"]["columns"]
               if c["datatype"] in {"integer", "nonNegativeInteger", "decimal"}]
    assert integer, "some column is numeric"
    table, column = integer[0]
    for t in meta["tables"]:
        (tmp_path / t["url"]).write_bytes((folder / t["url"]).read_bytes())
    lines = (tmp_path / table["url"]).read_text("utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index(column["name"])
    row = next(i for i, line in enumerate(lines[1:], 1) if not line.startswith("#"))
    cells = lines[row].split(",")
    cells[at] = "pas un nombre"
    lines[row] = ",".join(cells)
    (tmp_path / table["url"]).write_text("\n".join(lines) + "\n", "utf-8")
    (tmp_path / CSVW_METADATA).write_text(json.dumps(meta), "utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        group = csvw.CSVW(str(tmp_path / CSVW_METADATA), validate=True)
    assert not group.is_valid


OFFICIAL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dcat-ap-3.0.1"
SPDX_ALGORITHM = "http://spdx.org/rdf/terms#algorithm"


@pytest.mark.reference
def test_the_built_catalogue_has_no_violation_of_the_official_shapes(
        builds: tuple[BuildResult, BuildResult]) -> None:
    """Mandatory, range and controlled-vocabulary shapes, on a real catalogue (CSV tables,
    versions with their files, bbox). The one excused result is the official vocabulary shape's
    defect on ``spdx:algorithm`` (tests/test_catalog.py ``_known_defect``)."""
    if not OFFICIAL.is_dir():
        pytest.skip(f"official DCAT-AP 3 shapes not found at {OFFICIAL} (../shared/reference)")
    shapes = Graph()
    for name in ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl",
                 "shapes_recommended.ttl", "deprecateduris.ttl"):
        shapes.parse(OFFICIAL / name, format="turtle")
    g = Graph().parse(builds[1].path / CATALOG_TTL, format="turtle")
    report = validate_with_pyshacl(g, shapes)
    violations = [p for p in report.problems
                  if p.severity == "Violation" and p.path != SPDX_ALGORITHM]
    assert violations == [], "\n".join(str(p) for p in violations)
    # the spatial coverage is read by the shapes: the geometry is well-formed (no violation on
    # dct:Location), the region and the box are only "not a managed concept" warnings
    spatial = [p for p in report.problems if p.path == "http://purl.org/dc/terms/spatial"]
    assert all(p.severity == "Warning" for p in spatial)
