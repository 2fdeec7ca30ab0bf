"""Compacted JSON-LD of sorted N-Triples lines, streamed one node object per subject.

See docs/decisions/0004-deterministic-dumps.md: ``{"@context": "context.jsonld", "@graph": [...]}``,
one node object per line and per subject: ``@id``, then ``@type`` (compact IRIs), then the
properties in N-Triples order; IRIs as ``{"@id": …}``, plain strings as strings, every other
literal as a value object. Works on the lines themselves (:mod:`publisher.ntriples`), so no RDF
term object is made (docs/decisions/0010-incremental-build.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from publisher.errors import ReleaseError
from publisher.ntriples import RDF_TYPE_NT, XSD_STRING, parse_literal, split

RDF_TYPE = RDF_TYPE_NT[1:-1]
#: Between two node objects of ``@graph`` (the first one is preceded by :data:`FIRST_SEP`).
NODE_SEP = ",\n    "
FIRST_SEP = "\n    "


def header(context_ref: str) -> str:
    return '{\n  "@context": ' + json.dumps(context_ref) + ',\n  "@graph": ['


FOOTER = "\n  ]\n}\n"


class Compactor:
    """IRI → compact IRI with the release's prefixes (longest namespace wins)."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.ns = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.terms = set(prefixes)
        self.cache: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        hit = self.cache.get(iri)
        if hit is not None:
            return hit
        out = None
        for name, ns in self.ns:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
                out = f"{name}:{iri[len(ns):]}"
                break
        if out is None:
            scheme = iri.split(":", 1)[0]
            if scheme in self.terms:
                raise ReleaseError(f"IRI ambiguë en JSON-LD / IRI ambiguous in JSON-LD: {iri}")
            out = iri
        if len(self.cache) < 200_000:
            self.cache[iri] = out
        return out


def _value(o: str, compact: Compactor) -> object:
    if o.startswith("<"):
        return {"@id": compact(o[1:-1])}
    if o.startswith("_:"):
        raise ReleaseError(f"nœud anonyme dans les données / blank node in the data: {o}")
    lex, lang, dt = parse_literal(o)
    if lang:
        return {"@value": lex, "@language": lang.lower()}
    if dt is None or dt == XSD_STRING:
        return lex
    return {"@value": lex, "@type": compact(dt)}


def _node(subject: str, pairs: list[tuple[str, str]], compact: Compactor) -> str:
    if not subject.startswith("<"):
        raise ReleaseError(f"nœud anonyme dans les données / blank node in the data: {subject}")
    node: dict[str, object] = {"@id": compact(subject[1:-1])}
    types: list[object] = []
    rest: dict[str, object] = {}
    pred: str | None = None
    values: list[object] = []

    def close() -> None:
        if pred is None:
            return
        if pred == RDF_TYPE_NT:  # IRIs go to @type, anything else stays under rdf:type
            types.extend(v for v in values if isinstance(v, str))
            others = [v for v in values if not isinstance(v, str)]
            if others:
                rest[RDF_TYPE] = others[0] if len(others) == 1 else others
        elif values:
            rest[compact(pred[1:-1])] = values[0] if len(values) == 1 else values

    for p, o in pairs:
        if p != pred:
            close()
            pred, values = p, []
        if p == RDF_TYPE_NT and o.startswith("<"):
            values.append(compact(o[1:-1]))
        else:
            values.append(_value(o, compact))
    close()
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    node.update(rest)
    return json.dumps(node, ensure_ascii=False)


def node_objects(lines: Iterable[str], compact: Compactor) -> Iterator[str]:
    """The JSON text of each subject's node object, in the order of the (sorted) lines."""
    subject: str | None = None
    pairs: list[tuple[str, str]] = []
    for line in lines:
        s, p, o = split(line)
        if s != subject:
            if subject is not None:
                yield _node(subject, pairs, compact)
            subject, pairs = s, []
        pairs.append((p, o))
    if subject is not None:
        yield _node(subject, pairs, compact)


def jsonld_text(lines: Iterable[str], prefixes: Mapping[str, str], context_ref: str) -> str:
    """The whole JSON-LD document of sorted lines."""
    compact = Compactor(prefixes)
    body = NODE_SEP.join(node_objects(lines, compact))
    return header(context_ref) + (FIRST_SEP + body if body else "") + FOOTER
