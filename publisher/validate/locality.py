"""Which focus nodes a change to the data can affect, for incremental validation.

Every compiled check (:mod:`publisher.validate.compiled`) has a *radius*: its result for a focus node
X reads only the triples of subjects at most that many hops from X along forward links (0 = X's
own triples; ``sh:class`` on a value reads the value's types: 1). The SHACL Core constraints get
their radius when compiled; a SHACL-SPARQL constraint gets it here from its triple patterns
(:func:`sparql_radius`), or none (``None``: run on every focus node) when a pattern starts from a
constant or from a node that is not reached from ``$this``, or uses a property path other than
``rdfs:subClassOf*``.

After a change, the focus nodes whose results may differ are (:func:`affected_nodes`): the
subjects of the added and removed triples, their objects (``sh:targetObjectsOf``), and every node
from which a changed subject is reachable in at most *radius* hops (found by Oxigraph on the
new data). A change to ``rdfs:subClassOf`` triples in the data moves class memberships anywhere:
then no node set is given and everything is validated again. See
docs/decisions/0010-incremental-build.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from rdflib import RDFS, BNode, URIRef, Variable
from rdflib.paths import MulPath, Path

from publisher.core.ntriples import split
from publisher.validate.compiled import Check

_SUBCLASS_NT = f"<{RDFS.subClassOf}>"
_BATCH = 400


def check_key(check: Check) -> str:
    """An identity of a check that is the same in every process (its generated variable names
    and blank-node shapes are not), to find its results in the build cache."""
    text = re.sub(r"\?_v\d+", "?_v", check.query)
    msgs = sorted(f"{m}@{m.language}" for m in check.messages)
    raw = "\x00".join([text, str(check.component), str(check.severity), *msgs])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def check_keys(checks: list[Check]) -> list[str]:
    """:func:`check_key` of each check, numbered when two checks are identical."""
    seen: dict[str, int] = {}
    out = []
    for c in checks:
        k = check_key(c)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out.append(f"{k}-{n}" if n else k)
    return out


def radius(check: Check) -> int | None:
    """The check's radius (see the module docstring); None: not local, validate everything."""
    if check.sparql is None:
        return check.radius
    return sparql_radius(check.sparql)


def _patterns(node: Any, out: list[tuple[Any, Any, Any]]) -> bool:
    """Collect the triple patterns of an rdflib algebra tree; False if it has a part that is not
    understood (named graphs, SERVICE)."""
    if isinstance(node, dict):  # (CompValue.get answers the key itself for a missing key)
        name = getattr(node, "name", "")
        if name in ("Graph", "ServiceGraphPattern", "GraphGraphPattern"):
            return False
        for t in dict.get(node, "triples") or []:  # BGP, or TriplesBlock inside EXISTS (flat lists)
            flat = list(t)
            if len(flat) % 3:
                return False
            out.extend((flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3))
        if name == "Extend" and isinstance(dict.get(node, "expr"), Variable):
            out.append((node["expr"], "=", node["var"]))  # BIND(?x AS ?y): an alias
        return all(_patterns(v, out) for k, v in node.items() if k != "triples")
    if isinstance(node, list | tuple):
        return all(_patterns(v, out) for v in node)
    return True


def sparql_radius(text: str) -> int | None:
    """Radius of a SHACL-SPARQL query text (``$this`` / ``?this`` is the focus node)."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        algebra = translateQuery(parseQuery(text)).algebra
    except Exception:  # noqa: BLE001 — a query rdflib cannot read: treat it as not local
        return None
    triples: list[tuple[Any, Any, Any]] = []
    if not _patterns(algebra, triples):
        return None
    level: dict[Any, int] = {Variable("this"): 0}
    far = 0
    changed = True
    while changed:
        changed = False
        for s, p, o in triples:
            if s not in level:
                continue
            lv = level[s]
            if p == "=":
                nxt = lv
            else:
                far = max(far, lv)
                nxt = lv + 1
            if isinstance(o, Variable | BNode) and level.get(o, nxt + 1) > nxt:
                level[o] = nxt
                changed = True
    for s, p, _o in triples:
        if s not in level:
            return None  # a pattern about a constant or about a node not reached from $this
        if isinstance(p, Path) and not (isinstance(p, MulPath) and p.path == RDFS.subClassOf):
            return None
        if not isinstance(p, URIRef | Variable | Path) and p != "=":
            return None
    return far


def affected_nodes(store: ox.Store, delta: Iterable[str], hops: int,
                   limit: int) -> set[str] | None:
    """IRIs of the focus nodes whose results may change with ``delta`` (N-Triples lines added
    or removed), on ``store`` holding the new data; None when they are more than ``limit`` or
    the change touches the class hierarchy (then everything is validated again)."""
    subjects: set[str] = set()
    objects: set[str] = set()
    for line in delta:
        s, p, o = split(line)
        if p == _SUBCLASS_NT or not s.startswith("<"):
            return None
        subjects.add(s[1:-1])
        if o.startswith("<"):
            objects.add(o[1:-1])
    seen = subjects | objects
    frontier = subjects
    for _ in range(hops):
        found: set[str] = set()
        todo = sorted(frontier)
        for i in range(0, len(todo), _BATCH):
            values = " ".join(f"<{x}>" for x in todo[i:i + _BATCH])
            query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?y {{ {values} }} ?x ?p ?y }}"
            solutions = store.query(query, use_default_graph_as_union=True)
            assert isinstance(solutions, ox.QuerySolutions)
            for sol in solutions:
                x = sol["x"]
                if isinstance(x, ox.NamedNode):
                    found.add(x.value)
                elif x is not None:
                    return None  # a blank node refers to a changed node: cannot name it
        frontier = found - seen
        seen |= frontier
        if len(seen) > limit:
            return None
        if not frontier:
            break
    return seen if len(seen) <= limit else None
