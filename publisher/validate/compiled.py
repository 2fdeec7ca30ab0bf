"""SHACL validation compiled to SPARQL and run by Oxigraph (the fast engine for large graphs).

pyshacl evaluates constraints focus node by focus node in Python, re-parsing each SHACL-SPARQL
query for every value: ~7 s for 10k triples with our shapes, hours at 1M. This module compiles each
(shape, constraint) pair into ONE SPARQL query that returns every violation at once, runs it on a
pyoxigraph store, and writes a standard ``sh:ValidationReport``. It supports the subset of SHACL
the project's shapes use (listed in ``_COMPONENTS``) and refuses anything else loudly
(:class:`Unsupported`), so a shape it cannot honour is never silently skipped. pyshacl stays the
reference: tests run both on every fixture and compare the results (docs/decisions/0008).

Pipeline: shapes graph → :func:`compile_shapes` (list of :class:`Check`, each one SPARQL query)
→ :func:`run_checks` on a store → report graph (same vocabulary as pyshacl's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from publisher.core.errors import CmqError
from publisher.validate.checks import Check, restrict
from publisher.validate.shacl_report import Result, collect, report_graph, run_checks

__all__ = ["Check", "Result", "Unsupported", "collect", "compile_shapes", "report_graph",
           "restrict", "run_checks"]


class Unsupported(CmqError):
    """A shape uses a SHACL feature this engine does not compile."""

    status = 500


# Parameters that are not constraints themselves (or are read together with another one).
_SKIP = {SH.path, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
         SH.deactivated, SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf,
         SH.property, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint,
         SH.flags, SH.defaultValue, RDF.type, RDFS.label, RDFS.comment, SH.sparql}
_COMPONENTS = {SH.minCount, SH.maxCount, SH.datatype, SH.pattern, SH["class"], SH.nodeKind,
               SH.languageIn, SH.uniqueLang, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
               SH.maxExclusive, SH.hasValue, SH["in"], SH.node, SH["or"], SH["not"], SH["and"],
               SH.qualifiedValueShape, SH.minLength, SH.maxLength}
_CC = {SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.datatype: "Datatype",
       SH.pattern: "Pattern", SH["class"]: "Class", SH.nodeKind: "NodeKind",
       SH.languageIn: "LanguageIn", SH.uniqueLang: "UniqueLang", SH.minInclusive: "MinInclusive",
       SH.maxInclusive: "MaxInclusive", SH.minExclusive: "MinExclusive",
       SH.maxExclusive: "MaxExclusive", SH.hasValue: "HasValue", SH["in"]: "In", SH.node: "Node",
       SH["or"]: "Or", SH["not"]: "Not", SH["and"]: "And", SH.minLength: "MinLength",
       SH.maxLength: "MaxLength", SH.qualifiedValueShape: "QualifiedMinCount"}
#: Datatypes whose lexical form SPARQL can check by casting (ill-typed literals violate sh:datatype).
_CASTABLE = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth, XSD.integer, XSD.decimal,
             XSD.boolean, XSD.duration, XSD.double, XSD.nonNegativeInteger}
#: Messages for results of shapes that give none (pyshacl writes its own default messages too).
_DEFAULT_MESSAGES = {
    "MinCount": ("Moins de {n} valeur(s)", "Fewer than {n} value(s)"),
    "MaxCount": ("Plus de {n} valeur(s)", "More than {n} value(s)"),
    "Datatype": ("Valeur qui n'est pas du type {n}", "Value is not of datatype {n}"),
    "Pattern": ("Valeur qui ne suit pas le motif {n}", "Value does not match pattern {n}"),
    "Class": ("Valeur qui n'est pas de la classe {n}", "Value is not of class {n}"),
}
_CMP = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


def _n3(term: Node) -> str:
    if isinstance(term, BNode):
        raise Unsupported(f"blank node as a constant in a shape: {term}")
    return term.n3()


def _int(term: Node | None) -> int:
    return int(str(term))


def _str_lit(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.prefixes = self._prefixes()
        self._var = 0

    def fresh(self) -> str:
        self._var += 1
        return f"?_v{self._var}"

    def _prefixes(self) -> str:
        lines = {}
        for decl in self.g.objects(None, SH.declare):
            p, ns = self.g.value(decl, SH.prefix), self.g.value(decl, SH.namespace)
            if p is not None and ns is not None:
                lines[str(p)] = f"PREFIX {p}: <{ns}>"
        return "\n".join(lines[k] for k in sorted(lines))

    def items(self, node: Node) -> list[Node]:
        return list(Collection(self.g, node))

    def path(self, shape: Node) -> URIRef | None:
        p = self.g.value(shape, SH.path)
        if p is not None and not isinstance(p, URIRef):
            raise Unsupported(f"only predicate paths are supported (shape {shape})")
        return p

    def subclasses(self, cls: Node) -> str:
        """VALUES-free class test: rdf:type/rdfs:subClassOf* written with a fixed set."""
        return f"{{ SELECT ?_c WHERE {{ ?_c <{RDFS.subClassOf}>* {_n3(cls)} }} }}"

    # ------------------------------------------------------------------ value conditions
    def conforms(self, shape: Node, v: str, depth: int = 0) -> str:
        """A SPARQL boolean expression: node ``v`` conforms to ``shape`` (nested shapes)."""
        if depth > 8:
            raise Unsupported("shapes nested deeper than 8 levels")
        conds = [self.value_ok(p, o, v, shape, depth) for p, o in self.g.predicate_objects(shape)
                 if p in _COMPONENTS]
        for prop in self.g.objects(shape, SH.property):
            conds.append(self.property_ok(prop, v, depth))
        return "(" + " && ".join(conds) + ")" if conds else "true"

    def property_ok(self, prop: Node, v: str, depth: int) -> str:
        path = self.path(prop)
        if path is None:
            raise Unsupported(f"property shape without sh:path: {prop}")
        y = self.fresh()
        parts = []
        for p, o in self.g.predicate_objects(prop):
            if p == SH.minCount:
                if _int(o) > 1:
                    raise Unsupported("nested sh:minCount > 1")
                if _int(o) == 1:
                    parts.append(f"EXISTS {{ {v} <{path}> {y} }}")
            elif p == SH.maxCount:
                y2 = self.fresh()
                if _int(o) != 1:
                    raise Unsupported("nested sh:maxCount other than 1")
                parts.append(f"NOT EXISTS {{ {v} <{path}> {y} , {y2} FILTER({y} != {y2}) }}")
            elif p == SH.hasValue:
                parts.append(f"EXISTS {{ {v} <{path}> {_n3(o)} }}")
            elif p in _COMPONENTS:
                parts.append(
                    f"NOT EXISTS {{ {v} <{path}> {y} FILTER(!{self.value_ok(p, o, y, prop, depth)}) }}")
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def value_ok(self, p: Node, o: Node, v: str, shape: Node, depth: int) -> str:
        """Condition that value node ``v`` satisfies the value-type constraint ``p o``."""
        if p == SH.datatype:
            if o == XSD.string:
                return f"(isLiteral({v}) && datatype({v}) = {_n3(o)} && lang({v}) = \"\")"
            if o in _CASTABLE:  # an ill-typed lexical form fails the cast: a violation too
                return (f"(isLiteral({v}) && datatype({v}) = {_n3(o)} && "
                        f"COALESCE(isLiteral({_n3(o)}(STR({v}))), false))")
            return f"(isLiteral({v}) && datatype({v}) = {_n3(o)})"
        if p == SH.pattern:
            flags = self.g.value(shape, SH.flags)
            f = f", {_str_lit(str(flags))}" if flags is not None else ""
            return f"(!isBlank({v}) && REGEX(STR({v}), {_str_lit(str(o))}{f}))"
        if p == SH["class"]:
            return f"EXISTS {{ {v} a ?_t . ?_t <{RDFS.subClassOf}>* {_n3(o)} }}"
        if p == SH.nodeKind:
            kinds = {SH.IRI: f"isIRI({v})", SH.Literal: f"isLiteral({v})",
                     SH.BlankNode: f"isBlank({v})",
                     SH.BlankNodeOrIRI: f"(isBlank({v}) || isIRI({v}))",
                     SH.BlankNodeOrLiteral: f"(isBlank({v}) || isLiteral({v}))",
                     SH.IRIOrLiteral: f"(isIRI({v}) || isLiteral({v}))"}
            return kinds[URIRef(str(o))]
        if p == SH.languageIn:
            tags = " || ".join(f"langMatches(lang({v}), {_str_lit(str(t))})" for t in self.items(o))
            return f"(isLiteral({v}) && ({tags or 'false'}))"
        if p in _CMP:
            return f"COALESCE({v} {_CMP[URIRef(str(p))]} {_n3(o)}, false)"
        if p in (SH.minLength, SH.maxLength):
            assert isinstance(o, Literal)
        if p == SH.minLength:
            return f"(!isBlank({v}) && STRLEN(STR({v})) >= {_int(o)})"
        if p == SH.maxLength:
            return f"(!isBlank({v}) && STRLEN(STR({v})) <= {_int(o)})"
        if p == SH.hasValue:
            return f"({v} = {_n3(o)})"
        if p == SH["in"]:
            return f"({v} IN ({', '.join(_n3(i) for i in self.items(o))}))"
        if p == SH.node:
            return self.conforms(o, v, depth + 1)
        if p == SH["not"]:
            return f"!{self.conforms(o, v, depth + 1)}"
        if p == SH["or"]:
            return "(" + " || ".join(self.conforms(s, v, depth + 1) for s in self.items(o)) + ")"
        if p == SH["and"]:
            return "(" + " && ".join(self.conforms(s, v, depth + 1) for s in self.items(o)) + ")"
        raise Unsupported(f"{p} cannot be used on a value here (shape {shape})")

    # ------------------------------------------------------------------ locality
    def reach(self, shape: Node, depth: int = 0) -> int:
        """Farthest subject (hops from the value node) whose triples ``shape`` reads; -1: none."""
        if depth > 8:
            raise Unsupported("shapes nested deeper than 8 levels")
        out = max((self.value_reach(p, o, depth) for p, o in self.g.predicate_objects(shape)
                   if p in _COMPONENTS), default=-1)
        for prop in self.g.objects(shape, SH.property):
            out = max(out, self.property_reach(prop, depth))
        return out

    def property_reach(self, prop: Node, depth: int) -> int:
        out = 0  # the path's values: the node's own triples
        for p, o in self.g.predicate_objects(prop):
            if p in _COMPONENTS and p not in (SH.minCount, SH.maxCount, SH.hasValue):
                out = max(out, 1 + self.value_reach(p, o, depth))
        return out

    def value_reach(self, p: Node, o: Node, depth: int) -> int:
        if p == SH["class"]:
            return 0  # the value's rdf:type triples
        if p in (SH.node, SH.qualifiedValueShape):
            return self.reach(o, depth + 1)
        if p == SH["not"]:
            return self.reach(o, depth + 1)
        if p in (SH["or"], SH["and"]):
            return max((self.reach(x, depth + 1) for x in self.items(o)), default=-1)
        return -1

    # ------------------------------------------------------------------ top-level checks
    def target(self, shape: Node) -> str:
        alts = []
        for c in self.g.objects(shape, SH.targetClass):
            alts.append(f"{{ ?this a ?_tc . ?_tc <{RDFS.subClassOf}>* {_n3(c)} }}")
        for n in self.g.objects(shape, SH.targetNode):
            alts.append(f"{{ BIND({_n3(n)} AS ?this) }}")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            alts.append(f"{{ [] {_n3(p)} ?this }}")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            alts.append(f"{{ ?this {_n3(p)} [] }}")
        if not alts:
            return ""
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(alts) + " } }"

    def checks(self) -> Iterator[Check]:
        for shape in sorted(set(self.g.subjects(RDF.type, SH.NodeShape)), key=str):
            tgt = self.target(shape)
            if not tgt or self.g.value(shape, SH.deactivated) == Literal(True):
                continue
            yield from self.shape_checks(shape, shape, tgt, None)
            for prop in sorted(self.g.objects(shape, SH.property), key=str):
                if self.g.value(prop, SH.deactivated) == Literal(True):
                    continue
                yield from self.shape_checks(prop, prop, tgt, self.path(prop))

    def meta(self, shape: Node) -> tuple[URIRef, tuple[Literal, ...]]:
        sev = self.g.value(shape, SH.severity)
        msgs = tuple(m for m in self.g.objects(shape, SH.message) if isinstance(m, Literal))
        return URIRef(str(sev)) if sev is not None else SH.Violation, msgs

    def shape_checks(self, shape: Node, src: Node, tgt: str, path: URIRef | None) -> Iterator[Check]:
        sev, msgs = self.meta(shape)
        vals = f"?this <{path}> ?value ." if path else "BIND(?this AS ?value)"
        for p, o in sorted(self.g.predicate_objects(shape), key=lambda t: str(t[0])):
            if p in _SKIP:
                continue
            count = _int(o) if isinstance(o, Literal) and p in (SH.minCount, SH.maxCount) else 0
            cc = SH[_CC[URIRef(str(p))] + "ConstraintComponent"] if p in _CC else None
            if p == SH.minCount and path and count <= 1:  # no grouping: twice as fast
                q = (f"SELECT ?this WHERE {{ {tgt} FILTER NOT EXISTS {{ ?this <{path}> ?value }} }}"
                     if count == 1 else "SELECT ?this WHERE { FILTER(false) }")
            elif p == SH.minCount and path:
                q = (f"SELECT ?this WHERE {{ {tgt} OPTIONAL {{ ?this <{path}> ?value }} }} "
                     f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {count})")
            elif p == SH.maxCount and path and count <= 1:
                q = (f"SELECT DISTINCT ?this WHERE {{ {tgt} ?this <{path}> ?value , ?_other "
                     f"FILTER(!sameTerm(?value, ?_other)) }}" if count == 1 else
                     f"SELECT DISTINCT ?this WHERE {{ {tgt} ?this <{path}> ?value }}")
            elif p == SH.maxCount and path:
                q = (f"SELECT ?this WHERE {{ {tgt} ?this <{path}> ?value }} "
                     f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {count})")
            elif p == SH.uniqueLang and path:
                if o != Literal(True):
                    continue
                q = (f"SELECT DISTINCT ?this WHERE {{ {tgt} ?this <{path}> ?value . "
                     f"FILTER(lang(?value) != \"\") }} GROUP BY ?this (lang(?value) AS ?l) "
                     f"HAVING (COUNT(DISTINCT ?value) > 1)")
            elif p == SH.hasValue:
                q = (f"SELECT ?this WHERE {{ {tgt} FILTER NOT EXISTS {{ "
                     f"{vals.replace('?value', _n3(o))} }} }}" if path else
                     f"SELECT ?this WHERE {{ {tgt} FILTER(?this != {_n3(o)}) }}")
            elif p == SH.qualifiedValueShape and path:
                cc = SH.QualifiedMinCountConstraintComponent
                n = self.g.value(shape, SH.qualifiedMinCount)
                assert n is None or isinstance(n, Literal)
                if n is None or self.g.value(shape, SH.qualifiedMaxCount) is not None:
                    raise Unsupported("only sh:qualifiedMinCount is supported")
                ok = self.conforms(o, "?value", 1)
                q = (f"SELECT ?this WHERE {{ {tgt} OPTIONAL {{ ?this <{path}> ?value "
                     f"FILTER({ok}) }} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {_int(n)})")
            elif p in _COMPONENTS:
                q = (f"SELECT ?this ?value WHERE {{ {tgt} {vals} "
                     f"FILTER(!{self.value_ok(p, o, '?value', shape, 0)}) }}")
            elif (comp := self.component_for(p)) is not None:
                yield from self.custom(comp, shape, tgt, path, sev, msgs)
                continue
            else:
                raise Unsupported(f"unsupported constraint {p} in shape {shape}")
            assert cc is not None
            if path and p in (SH.minCount, SH.maxCount, SH.uniqueLang, SH.hasValue):
                radius = 0
            elif path:
                radius = 1 + self.value_reach(p, o, 0)
            else:
                radius = max(0, self.value_reach(p, o, 0))
            yield Check(self.prefixes + "\n" + q, src, cc, path, sev, msgs or _default(cc, o),
                        tgt, radius)
        for sparql in self.g.objects(shape, SH.sparql):
            yield self.sparql_constraint(sparql, shape, tgt, path, sev, msgs)

    def sparql_constraint(self, node: Node, shape: Node, tgt: str, path: URIRef | None,
                          sev: URIRef, msgs: tuple[Literal, ...]) -> Check:
        select = str(self.g.value(node, SH.select))
        own = tuple(m for m in self.g.objects(node, SH.message) if isinstance(m, Literal))
        text = select.replace("$this", "?this")
        if path:
            text = text.replace("$PATH", f"<{path}>")
        q = f"SELECT * WHERE {{ {tgt} {{ {text} }} }}"
        return Check(self.prefixes + "\n" + q, shape, SH.SPARQLConstraintComponent, path, sev,
                     own or msgs, tgt, None, self.prefixes + "\n" + text)

    def component_for(self, param: Node) -> Node | None:
        for comp in self.g.subjects(RDF.type, SH.ConstraintComponent):
            for prm in self.g.objects(comp, SH.parameter):
                if self.g.value(prm, SH.path) == param:
                    return comp
        return None

    def custom(self, comp: Node, shape: Node, tgt: str, path: URIRef | None, sev: URIRef,
               msgs: tuple[Literal, ...]) -> Iterator[Check]:
        validator = (self.g.value(comp, SH.propertyValidator) if path else None) or self.g.value(
            comp, SH.validator) or self.g.value(comp, SH.nodeValidator)
        if validator is None:
            raise Unsupported(f"component {comp} has no validator")
        own = tuple(m for m in self.g.objects(validator, SH.message) if isinstance(m, Literal))
        body = self.g.value(validator, SH.ask)
        text = str(body) if body is not None else str(self.g.value(validator, SH.select))
        for prm in self.g.objects(comp, SH.parameter):
            ppath = self.g.value(prm, SH.path)
            name = str(self.g.value(prm, SH.name) or str(ppath).rsplit("/", 1)[-1])
            value = self.g.value(shape, ppath)
            if value is None:
                return
            text = re.sub(r"\$" + re.escape(name) + r"\b", _n3(value), text)
        text = text.replace("$this", "?this")
        if path:
            text = text.replace("$PATH", f"<{path}>")
        vals = f"?this <{path}> ?value ." if path else "BIND(?this AS ?value)"
        if body is not None:  # ASK validator: true = conforms
            inner = text.strip()
            inner = inner[inner.index("{") + 1: inner.rindex("}")].replace("$value", "?value")
            q = f"SELECT ?this ?value WHERE {{ {tgt} {vals} FILTER NOT EXISTS {{ {inner} }} }}"
            sparql = f"SELECT ?this ?value WHERE {{ {vals} FILTER NOT EXISTS {{ {inner} }} }}"
        else:
            q = f"SELECT * WHERE {{ {tgt} {{ {text} }} }}"
            sparql = text
        yield Check(self.prefixes + "\n" + q, shape, URIRef(str(comp)), path, sev, msgs or own,
                    tgt, None, self.prefixes + "\n" + sparql)


def _default(component: URIRef, param: Node) -> tuple[Literal, ...]:
    name = str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    fr, en = _DEFAULT_MESSAGES.get(name, ("Contrainte {c} non respectée", "{c} not satisfied"))
    arg = param.n3() if not isinstance(param, BNode) else "…"
    return (Literal(fr.format(n=arg, c=name), lang="fr"), Literal(en.format(n=arg, c=name), lang="en"))


def compile_shapes(shapes: Graph) -> list[Check]:
    """Compile every constraint of ``shapes`` (raises :class:`Unsupported` on unknown ones)."""
    return list(_Compiler(shapes).checks())
