"""Every constraint of ``shapes/*.ttl`` has a negative fixture that violates it, and is reported.

A *constraint* is a pair (shape, constraint component) declared in the shipped shapes: for every
node shape and property shape, each constraint parameter (``sh:minCount``, ``sh:node``,
``sh:sparql``, ``cmqsh:uaiCheck``…). It is written as a readable key, ``Shape [path] Component``
(see ``tests/fixtures/negative/README.md``). The fixtures are two tables:

- ``cells.toml``: one-cell edits of the CSV tables (or of ``campus.toml``), applied together to a
  temporary copy of the campus that is converted and validated once; each result is checked on
  the edited file, row and column;
- ``patches.toml``: SPARQL Update patches of the converted shipped graph, for what the tables cannot
  express, applied together and validated once; each result is checked on the patch's focus.

The union of what both batches report must cover every declared constraint, and both batches must
report nothing but the expected results (besides the shipped data's own warnings).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ENGINE_PARAMS, REPO, copy_campus, set_cell
from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from publisher.convert.tables import Conversion, convert
from publisher.core.errors import Location
from publisher.core.namespaces import PREFIXES, SHAPES_NS
from publisher.project.folder import Project
from publisher.validate.reference import ENGINES
from publisher.validate.validation import (
    VIOLATION,
    Problem,
    Report,
    shacl_problems,
)

FIXTURES = REPO / "tests" / "fixtures" / "negative"

#: SHACL Core parameters and the component each one stands for.
CORE: dict[URIRef, str] = {
    SH[p]: c
    for p, c in {
        "class": "Class", "datatype": "Datatype", "nodeKind": "NodeKind", "minCount": "MinCount",
        "maxCount": "MaxCount", "minExclusive": "MinExclusive", "minInclusive": "MinInclusive",
        "maxExclusive": "MaxExclusive", "maxInclusive": "MaxInclusive", "minLength": "MinLength",
        "maxLength": "MaxLength", "pattern": "Pattern", "languageIn": "LanguageIn",
        "uniqueLang": "UniqueLang", "equals": "Equals", "disjoint": "Disjoint",
        "lessThan": "LessThan", "lessThanOrEquals": "LessThanOrEquals", "not": "Not",
        "and": "And", "or": "Or", "xone": "Xone", "node": "Node",
        "qualifiedMinCount": "QualifiedMinCount", "qualifiedMaxCount": "QualifiedMaxCount",
        "closed": "Closed", "hasValue": "HasValue", "in": "In", "sparql": "SPARQL",
    }.items()
}
#: Predicates of a shape that are not constraints (targets, annotations, parameter companions).
NOT_CONSTRAINTS = {
    RDF.type, RDFS.label, RDFS.comment, SH.path, SH.message, SH.severity, SH.deactivated,
    SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.targetClass, SH.targetNode,
    SH.targetObjectsOf, SH.targetSubjectsOf, SH.target, SH.property, SH.qualifiedValueShape,
    SH.qualifiedValueShapesDisjoint, SH.flags, SH.ignoredProperties,
}
#: Components whose failure is followed into the shapes they reference.
NESTING = {SH.NodeConstraintComponent, SH.OrConstraintComponent, SH.AndConstraintComponent,
           SH.XoneConstraintComponent}


# ------------------------------------------------------------------ naming constraints


def compact(iri: Node | None) -> str:
    text = str(iri)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns) and prefix != "cmqsh":
            return f"{prefix}:{text[len(ns):]}"
    return f"cmqsh:{text[len(SHAPES_NS):]}" if text.startswith(SHAPES_NS) else text


def component_name(component: Node) -> str:
    text = str(component)
    if text.startswith(str(SH)):
        text = text[len(str(SH)):]
    else:
        text = compact(component)
    return text.removesuffix("ConstraintComponent")


def shape_name(shapes: Graph, shape: Node) -> str:
    """``FormationShape`` for a named shape, ``FormationShape schema:provider`` for its property."""
    if isinstance(shape, URIRef):
        text = str(shape)
        return text[len(SHAPES_NS):] if text.startswith(SHAPES_NS) else compact(shape)
    parents = list(shapes.subjects(SH.property, shape))
    assert len(parents) == 1, f"anonymous shape {shape} must belong to exactly one shape"
    return f"{shape_name(shapes, parents[0])} {compact(shapes.value(shape, SH.path))}"


def constraint_key(shapes: Graph, shape: Node, component: Node) -> str:
    return f"{shape_name(shapes, shape)} {component_name(component)}"


def custom_components(shapes: Graph) -> dict[Node, URIRef]:
    """Parameter → component, for the SHACL-SPARQL components declared in the shapes."""
    out: dict[Node, URIRef] = {}
    for comp in shapes.subjects(RDF.type, SH.ConstraintComponent):
        assert isinstance(comp, URIRef)
        for param in shapes.objects(comp, SH.parameter):
            path = shapes.value(param, SH.path)
            assert path is not None, f"{comp}: parameter without sh:path"
            out[path] = comp
    return out


def declared_shapes(shapes: Graph) -> set[Node]:
    """Node and property shapes; operands of sh:or/sh:not/… are parameter values, not shapes."""
    found: set[Node] = set(shapes.subjects(RDF.type, SH.NodeShape))
    found |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    for target in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf):
        found |= set(shapes.subjects(target, None))
    found |= set(shapes.objects(None, SH.property))
    found |= {n for n in shapes.objects(None, SH.node)}
    return found


def declared_constraints(shapes: Graph) -> dict[str, tuple[Node, URIRef]]:
    """Every (shape, component) pair of the shapes, by key; fails on an unknown parameter."""
    custom = custom_components(shapes)
    out: dict[str, tuple[Node, URIRef]] = {}
    for shape in declared_shapes(shapes):
        for pred in set(shapes.predicates(shape, None)):
            if isinstance(pred, URIRef) and pred in CORE:
                comp = URIRef(f"{SH}{CORE[pred]}ConstraintComponent")
            elif pred in custom:
                comp = custom[pred]
            else:
                unknown = str(pred).startswith((str(SH), SHAPES_NS)) and pred not in NOT_CONSTRAINTS
                assert not unknown, f"{shape_name(shapes, shape)}: unknown parameter {pred}"
                continue
            key = constraint_key(shapes, shape, comp)
            assert key not in out, f"two constraints share the key {key!r}"
            out[key] = (shape, comp)
    return out


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Hit:
    """One reported result, with the result it was found under (for a nested shape)."""

    key: str
    problem: Problem
    parent: Problem | None = None

    @property
    def location(self) -> Location | None:
        return self.problem.location or (self.parent.location if self.parent else None)

    @property
    def focus(self) -> str | None:
        return self.parent.focus if self.parent else self.problem.focus

    def ident(self) -> tuple[str, str | None, str | None, str | None]:
        return self.key, self.focus, self.problem.focus, self.problem.value


def nested_shapes(shapes: Graph, shape: Node) -> list[URIRef]:
    """Named shapes that ``shape`` requires its values to conform to (sh:node, in sh:or…)."""
    found = [n for n in shapes.objects(shape, SH.node) if isinstance(n, URIRef)]
    for op in (SH["or"], SH["and"], SH.xone):
        for head in shapes.objects(shape, op):
            for member in Collection(shapes, head):
                found += [n for n in shapes.objects(member, SH.node) if isinstance(n, URIRef)]
    return found


def hits_of(report: Report, shapes: Graph, data: Graph, ontology: Graph) -> list[Hit]:
    """Key every result; follow sh:node failures into the nested shape (validated on the value)."""
    by_id = {str(s): s for s in declared_shapes(shapes)}
    assert report.shacl_graph is not None
    iri_values = {str(v) for v in report.shacl_graph.objects(None, SH.value) if isinstance(v, URIRef)}
    hits: list[Hit] = []
    pending: dict[URIRef, list[Problem]] = {}
    for p in report.problems:
        if p.component is None or p.shape is None:
            continue  # a conversion problem (tested in test_convert)
        shape = by_id[p.shape]
        hits.append(Hit(constraint_key(shapes, shape, URIRef(p.component)), p))
        if URIRef(p.component) in NESTING and p.value in iri_values:
            for nested in nested_shapes(shapes, shape):
                pending.setdefault(nested, []).append(p)
    if pending:
        union = Graph()
        union += data
        union += ontology
    for nested, parents in pending.items():
        values: list[str | URIRef] = sorted({URIRef(str(p.value)) for p in parents})
        _c, graph, _t = shacl_validate(union, shacl_graph=shapes, inference="none", advanced=True,
                                       allow_warnings=True, focus_nodes=values, use_shapes=[nested])
        assert isinstance(graph, Graph)
        for child in shacl_problems(graph, None):
            key = constraint_key(shapes, by_id[str(child.shape)], URIRef(str(child.component)))
            for parent in parents:
                if parent.value == child.focus:
                    hits.append(Hit(key, child, parent))
    return hits


# ------------------------------------------------------------------ fixtures


@dataclass(frozen=True)
class Edit:
    name: str
    file: str
    column: str
    value: str
    expect: tuple[str, ...]
    key: str | None = None


@dataclass(frozen=True)
class Patch:
    name: str
    focus: str
    update: str
    expect: tuple[str, ...]


def _load(name: str, table: str) -> list[dict[str, Any]]:
    raw: list[dict[str, Any]] = tomllib.loads((FIXTURES / name).read_text("utf-8"))[table]
    return raw


EDITS = [Edit(**{**e, "expect": tuple(e["expect"])}) for e in _load("cells.toml", "edit")]
PATCHES = [Patch(**{**p, "expect": tuple(p["expect"])}) for p in _load("patches.toml", "patch")]


def edit_toml(path: Path, column: str, value: str) -> None:
    """Replace the one-line ``key = …`` of ``section.key`` in a TOML file."""
    section, key = column.split(".")
    text = path.read_text("utf-8")
    line = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
    assert len(line.findall(text)) == 1, f"{path.name}: {key} must be on exactly one line"
    new = line.sub(lambda _m: f"{key} = {value}", text)
    parsed = tomllib.loads(new)[section][key]
    assert parsed == tomllib.loads(f"v = {value}")["v"]
    path.write_text(new, "utf-8")


@dataclass
class Batch:
    hits: list[Hit]
    rows: dict[str, int | None]
    conversion: Conversion


Ident = tuple[str, str | None, str | None, str | None]


@pytest.fixture(scope="module", params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> str:
    """Both validation engines must report every fixture (docs/decisions/0008)."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def baseline(engine: str, shipped_conversion: Conversion, shapes_graph: Graph,
             ontology_graph: Graph) -> set[Ident]:
    """The results of the shipped data itself (its warnings), which the batches also report."""
    graph = shipped_conversion.graph
    report = ENGINES[engine](graph, shapes_graph, ontology_graph, shipped_conversion)
    return {h.ident() for h in hits_of(report, shapes_graph, graph, ontology_graph)}


@pytest.fixture(scope="module")
def cell_batch(tmp_path_factory: pytest.TempPathFactory, shapes_graph: Graph,
               ontology_graph: Graph, engine: str) -> Batch:
    project = copy_campus(tmp_path_factory.mktemp("negative-cells"))
    rows: dict[str, int | None] = {}
    for e in EDITS:
        if e.file == "campus.toml":
            edit_toml(project.data_dir / e.file, e.column, e.value)
            rows[e.name] = None
        else:
            assert e.key is not None, e.name
            rows[e.name] = set_cell(project, e.file, e.key, e.column, e.value)
    conv = convert(project)
    # unknown codes are also said by the converter (with the valid ones); their triples are
    # still made, so the shapes see them
    assert [m for _loc, m in conv.problems if "code inconnu" not in m] == [], \
        "the edits must convert cleanly"
    report = ENGINES[engine](conv.graph, shapes_graph, ontology_graph, conv)
    return Batch(hits_of(report, shapes_graph, conv.graph, ontology_graph), rows, conv)


@pytest.fixture(scope="module")
def patch_batch(shipped_conversion: Conversion, shapes_graph: Graph,
                ontology_graph: Graph, shipped_project: Project, engine: str) -> Batch:
    graph = Graph()
    graph += shipped_conversion.graph
    base = f"BASE <{shipped_project.config.base_iri}>\n"
    for patch in PATCHES:
        before = set(graph)
        # prefixes through initNs: rdflib forgets PREFIX lines after the first operation
        graph.update(base + patch.update, initNs=PREFIXES)
        assert set(graph) != before, f"{patch.name}: the patch changed nothing"
    report = ENGINES[engine](graph, shapes_graph, ontology_graph, shipped_conversion)
    return Batch(hits_of(report, shapes_graph, graph, ontology_graph), {}, shipped_conversion)


def _at(hit: Hit, edit: Edit, row: int | None) -> bool:
    loc = hit.location
    return loc is not None and loc.file == edit.file and loc.row == row


def _focus(patch: Patch, base: str) -> str:
    return base + patch.focus


def cell_claims(batch: Batch, edit: Edit) -> list[Hit]:
    return [h for h in batch.hits if _at(h, edit, batch.rows[edit.name]) and h.key in edit.expect]


def patch_claims(batch: Batch, patch: Patch, base: str) -> list[Hit]:
    return [h for h in batch.hits if h.focus == _focus(patch, base) and h.key in patch.expect]


# ------------------------------------------------------------------ the tests


def test_fixture_tables_are_well_formed(shapes_graph: Graph) -> None:
    declared = declared_constraints(shapes_graph)
    names = [e.name for e in EDITS] + [p.name for p in PATCHES]
    assert len(names) == len(set(names)), "fixture names must be unique"
    cells = [(e.file, e.key, e.column) for e in EDITS]
    assert len(cells) == len(set(cells)), "each edit changes its own cell"
    for name, expect in [(e.name, e.expect) for e in EDITS] + [(p.name, p.expect) for p in PATCHES]:
        unknown = set(expect) - set(declared)
        assert not unknown, f"{name}: no such constraint {unknown}"
    # two fixtures on the same row / focus never expect the same result (results stay attributable)
    seen: dict[tuple[str, str | None, str], str] = {}
    for e in EDITS:
        for key in e.expect:
            where = (e.file, e.key, key)
            assert where not in seen, f"{e.name} and {seen[where]} both expect {key}"
            seen[where] = e.name
    for p in PATCHES:
        for key in p.expect:
            where = ("patch", p.focus, key)
            assert where not in seen, f"{p.name} and {seen[where]} both expect {key}"
            seen[where] = p.name


def test_constraints_are_enumerated(shapes_graph: Graph) -> None:
    declared = declared_constraints(shapes_graph)
    # a few known ones, so that the enumeration itself cannot silently shrink
    for key in ("EstablishmentShape cmq:uai cmqsh:UaiCheck", "ContactPointShape Not",
                "ContactPointShape vcard:hasEmail Not", "PeriodShape SPARQL",
                "RouteConcept Class", "RouteConcept skos:inScheme HasValue",
                "CampusShape skos:prefLabel QualifiedMinCount", "OrganisationShape org:classification Or"):
        assert key in declared
    assert len(declared) > 100


@pytest.mark.parametrize("edit", EDITS, ids=[e.name for e in EDITS])
def test_cell_edit_is_reported_on_its_cell(cell_batch: Batch, edit: Edit) -> None:
    row = cell_batch.rows[edit.name]
    here = [h for h in cell_batch.hits if _at(h, edit, row)]
    if not edit.expect:
        cell = [h for h in here if h.location and edit.column in (h.location.column or "").split(", ")]
        assert cell == [], f"{edit.name} must pass, got {[h.key for h in cell]}"
        return
    found = {h.key for h in here}
    missing = set(edit.expect) - found
    assert not missing, f"{edit.name}: not reported {missing}; reported on the row: {found}"
    for hit in cell_claims(cell_batch, edit):
        loc = hit.location
        assert loc is not None and loc.column is not None, f"{edit.name}: {hit.key} has no column"
        assert edit.column in loc.column.split(", "), (edit.name, hit.key, loc)
        assert hit.problem.message_fr and hit.problem.message_en


@pytest.mark.parametrize("patch", PATCHES, ids=[p.name for p in PATCHES])
def test_patch_is_reported_on_its_focus(patch_batch: Batch, patch: Patch,
                                        shipped_project: Project) -> None:
    base = shipped_project.config.base_iri
    focus = _focus(patch, base)
    found = {h.key for h in patch_batch.hits if h.focus == focus}
    missing = set(patch.expect) - found
    assert not missing, f"{patch.name}: not reported {missing}; reported on {focus}: {found}"
    for hit in patch_claims(patch_batch, patch, base):
        # a result on a record or a sub-resource (…#adresse) is reported against its source row
        assert hit.location is not None, f"{patch.name}: {hit.key} has no location"
        assert hit.problem.message_fr and hit.problem.message_en


def test_cell_edits_report_nothing_else(cell_batch: Batch, baseline: set[Ident]) -> None:
    claimed = {id(h) for e in EDITS for h in cell_claims(cell_batch, e)}
    stray = [h for h in cell_batch.hits if id(h) not in claimed and h.ident() not in baseline]
    assert stray == [], "\n".join(f"{h.key} at {h.location}: {h.problem}" for h in stray)


def test_patches_report_nothing_else(patch_batch: Batch, shipped_project: Project,
                                     baseline: set[Ident]) -> None:
    base = shipped_project.config.base_iri
    claimed = {id(h) for p in PATCHES for h in patch_claims(patch_batch, p, base)}
    stray = [h for h in patch_batch.hits if id(h) not in claimed and h.ident() not in baseline]
    assert stray == [], "\n".join(f"{h.key} on {h.focus}: {h.problem}" for h in stray)


def test_every_constraint_has_a_negative_fixture(cell_batch: Batch, patch_batch: Batch,
                                                 shapes_graph: Graph, shipped_project: Project) -> None:
    base = shipped_project.config.base_iri
    covered = {h.key for e in EDITS for h in cell_claims(cell_batch, e)}
    covered |= {h.key for p in PATCHES for h in patch_claims(patch_batch, p, base)}
    uncovered = sorted(set(declared_constraints(shapes_graph)) - covered)
    assert uncovered == [], "constraints without a negative fixture (tests/fixtures/negative/):\n" + (
        "\n".join(uncovered))


def test_violations_and_warnings_keep_their_severity(cell_batch: Batch) -> None:
    severities = {h.key: h.problem.severity for h in cell_batch.hits}
    assert severities["EstablishmentShape cmq:uai MinCount"] == "Warning"
    assert severities["CertificationShape cmq:rome MinCount"] == "Warning"
    assert severities["EstablishmentShape cmq:uai cmqsh:UaiCheck"] == VIOLATION


def test_identifier_check_message_names_the_value(cell_batch: Batch) -> None:
    [hit] = [h for h in cell_batch.hits if h.key == "EstablishmentShape cmq:uai cmqsh:UaiCheck"]
    # the component's own message (with the value), not another constraint's message
    assert "0750654E" in hit.problem.message_fr and "0750654E" in hit.problem.message_en
    assert "UAI" in hit.problem.message_en and hit.location is not None
    assert hit.location.column == "uai"

