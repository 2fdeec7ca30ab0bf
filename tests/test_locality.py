"""Locality of the compiled checks and the focus nodes a change affects (incremental builds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest
from rdflib import Graph

from publisher.validate.compiled import compile_shapes
from publisher.validate.locality import affected_nodes, check_keys, radius, sparql_radius

EX = "http://example.org/"


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT $this WHERE { $this <http://x/p> ?v }", 0),
    ("SELECT $this WHERE { $this <http://x/p> ?v . ?v <http://x/q> ?w }", 1),
    ("SELECT $this WHERE { $this <http://x/p> ?v . ?v <http://x/q> ?w . ?w <http://x/r> ?z }", 2),
    (("SELECT $this WHERE { $this a ?t . ?t <http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
     "<http://x/C> }"), 1),
    (("SELECT $this ?value WHERE { $this <http://x/p> ?v . BIND(?v AS ?value) "
     "FILTER NOT EXISTS { ?value <http://x/q> ?w } }"), 1),
    ("SELECT $this WHERE { $this <http://x/p> ?v . FILTER(STRLEN(STR(?v)) > 3) }", 0),
    # a node reached backwards (shares a value with $this): any change anywhere may matter
    ("SELECT $this WHERE { $this <http://x/p> ?v . ?other <http://x/p> ?v }", None),
    ("SELECT $this WHERE { <http://x/const> <http://x/p> ?v . $this <http://x/q> ?v }", None),
    ("SELECT $this WHERE { $this <http://x/p>/<http://x/q> ?v }", None),
    ("SELECT $this WHERE { GRAPH ?g { $this <http://x/p> ?v } }", None),
    (("SELECT $this WHERE { $this <http://x/p> ?v FILTER EXISTS { ?v <http://x/q> ?a, ?b ; "
     "<http://x/r> [ <http://x/s> ?c ] } }"), 2),
    ("SELECT $this WHERE { $this <http://x/p> ?v FILTER NOT EXISTS { ?o <http://x/q> ?v } }",
     None),
    ("not SPARQL at all", None),
])
def test_sparql_radius(text: str, expected: int | None) -> None:
    assert sparql_radius(text) == expected


def test_every_shipped_check_is_local(shapes_graph: Graph) -> None:
    """If a shape stops being local, incremental validation quietly gets slower: say so."""
    checks = compile_shapes(shapes_graph)
    radii = [radius(c) for c in checks]
    assert None not in radii
    assert max(r for r in radii if r is not None) == 1
    assert any(c.sparql is not None for c in checks), "SHACL-SPARQL checks are analysed too"


def test_check_keys_are_the_same_in_every_process(shapes_graph: Graph) -> None:
    keys = check_keys(compile_shapes(shapes_graph))
    assert len(set(keys)) == len(keys)
    code = ("import json; from publisher.project.folder import Project; "
            "from publisher.validate.validation import load_graph; "
            "from publisher.validate.compiled import compile_shapes; "
            "from publisher.validate.locality import check_keys; "
            "p = Project.open('.'); "
            "print(json.dumps(check_keys(compile_shapes(load_graph(p.shape_files())))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert sorted(json.loads(out.stdout)) == sorted(keys)


@pytest.fixture
def store() -> ox.Store:
    s = ox.Store()
    data = (f"<{EX}a> <{EX}link> <{EX}b> .\n<{EX}b> <{EX}link> <{EX}c> .\n"
            f"<{EX}c> <{EX}name> \"c\" .\n<{EX}z> <{EX}name> \"z\" .\n")
    s.load(data.encode(), format=ox.RdfFormat.N_TRIPLES)
    return s


def test_affected_nodes_walk_back_radius_hops(store: ox.Store) -> None:
    delta = [f"<{EX}c> <{EX}name> \"c2\" .\n"]
    assert affected_nodes(store, delta, 0, 100) == {f"{EX}c"}
    assert affected_nodes(store, delta, 1, 100) == {f"{EX}c", f"{EX}b"}
    assert affected_nodes(store, delta, 2, 100) == {f"{EX}c", f"{EX}b", f"{EX}a"}
    assert affected_nodes(store, delta, 2, 2) is None, "too many: validate everything"


def test_objects_of_changed_triples_are_affected(store: ox.Store) -> None:
    """``sh:targetObjectsOf``: a node becomes (or stops being) a target with a new link."""
    got = affected_nodes(store, [f"<{EX}z> <{EX}link> <{EX}y> .\n"], 0, 100)
    assert got == {f"{EX}z", f"{EX}y"}


def test_a_change_to_the_class_hierarchy_validates_everything(store: ox.Store) -> None:
    delta = [f"<{EX}C> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{EX}D> .\n"]
    assert affected_nodes(store, delta, 1, 100) is None
