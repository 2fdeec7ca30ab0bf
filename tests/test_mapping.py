"""``publisher.convert.mapping``: the declarative mapping loads, matches the tables, and a malformed mapping
is reported in full (every problem, with where it is)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from publisher.convert.mapping import Mapping, load_mapping, template_vars
from publisher.convert.tables import convert, read_table
from publisher.core.errors import Location, SourceError
from publisher.core.namespaces import CMQ_NS
from publisher.project.folder import PACKAGE_ROOT, Project

SHIPPED = PACKAGE_ROOT / "data" / "mapping.toml"


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return load_mapping(SHIPPED)


def test_every_table_reads_an_existing_file_with_the_columns_it_needs(
    mapping: Mapping, shipped_project: Project
) -> None:
    assert {t.file for t in mapping.tables} == {
        p.name for p in shipped_project.data_dir.glob("*.csv")}
    for table in mapping.tables:
        header = set(next(read_table(shipped_project.data_dir / table.file))[1])
        assert table.columns() <= header, (table.file, table.columns() - header)


def test_fragments_are_included(mapping: Mapping) -> None:
    [etab] = [t for t in mapping.tables if t.name == "etablissements"]
    props = {f.property for f in etab.fields}
    assert "http://www.w3.org/ns/locn#postCode" in props  # from the `coordonnees` fragment
    assert "http://www.w3.org/2006/vcard/ns#hasEmail" in props


def test_column_for(mapping: Mapping) -> None:
    [etab] = [t for t in mapping.tables if t.name == "etablissements"]
    assert etab.column_for(CMQ_NS + "uai") == "uai"
    assert etab.column_for("http://www.w3.org/ns/locn#postCode") == "code_postal"
    # a value built from several columns names the columns it needs
    assert etab.column_for("http://www.opengis.net/ont/geosparql#asWKT") == "latitude, longitude"
    assert etab.column_for("http://example.invalid/unmapped") is None


def test_expand(mapping: Mapping) -> None:
    assert mapping.expand("cmq:uai") == CMQ_NS + "uai"
    assert mapping.expand("https://example.invalid/x") == "https://example.invalid/x"
    assert mapping.expand("mailto:contact@example.invalid") == "mailto:contact@example.invalid"
    with pytest.raises(KeyError):
        mapping.expand("nope:thing")
    with pytest.raises(KeyError):
        mapping.expand("noprefix")


def test_template_vars() -> None:
    assert template_vars("adhesion/{organisation}-{role}#periode") == ["organisation", "role"]
    assert template_vars("organisation/campus") == []


def test_every_mapped_property_and_type_is_a_full_iri(mapping: Mapping) -> None:
    for table in mapping.tables:
        for iri in [*table.types, *(f.property for f in table.fields)]:
            assert iri.startswith(("http://", "https://")), (table.name, iri)


def test_a_malformed_mapping_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(
        """
[prefixes]
cmq = "https://w3id.org/cmq/ontology/"

[tables.a]
file = "a.csv"
subject = "a/{id}"
types = ["nope:Thing"]
include = ["missing-fragment"]
fields = [
  { column = "x", property = "cmq:uai", kind = "number" },
  { property = "cmq:uai" },
  { column = "y", property = "cmq:status", kind = "concept" },
  { column = "z", property = "unknown:p" },
]

[tables.b]
subject = "b/{id}"
""",
        "utf-8",
    )
    with pytest.raises(SourceError) as err:
        load_mapping(path)
    problems = err.value.problems
    assert all(loc == Location("mapping.toml") for loc, _m in problems)
    text = "\n".join(m for _l, m in problems)
    for fragment in ("tables.a: préfixe inconnu / unknown prefix in 'nope:Thing'",
                     "unknown fragment 'missing-fragment'",
                     "tables.a.fields[0]: kind 'number'",
                     "tables.a.fields[1]: `column` ou/or `value` requis/required",
                     "tables.a.fields[2]: concept sans/without scheme",
                     "tables.a.fields[3]: préfixe inconnu / unknown prefix in 'unknown:p'",
                     "tables.b: `file` requis/required"):
        assert fragment in text
    assert len(problems) == 7


def test_an_unreadable_mapping_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text("[tables.a\nfile = 1", "utf-8")
    with pytest.raises(SourceError) as err:
        load_mapping(path)
    [(loc, msg)] = err.value.problems
    assert loc == Location("mapping.toml") and msg.startswith("illisible / unreadable")


def test_a_campus_can_bring_its_own_mapping(campus_copy: Callable[[], Project]) -> None:
    project = campus_copy()
    own = project.data_dir / "mapping.toml"
    assert project.mapping_path == own
    text = own.read_text("utf-8").replace(
        '{ column = "nom", property = "skos:prefLabel", lang = "fr" },\n  { column = "nature"',
        '{ column = "nom", property = "rdfs:label", lang = "fr" },\n  '
        '{ column = "nom", property = "skos:prefLabel", lang = "fr" },\n  { column = "nature"', 1)
    own.write_text(text, "utf-8")
    graph: Graph = convert(project).graph
    school = URIRef(project.config.base_iri + "organisation/lp-exemple-laon")
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    assert graph.value(school, label) is not None
