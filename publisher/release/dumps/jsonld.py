"""Compacted JSON-LD of sorted N-Triples lines, streamed one node object per subject.

See docs/decisions/0004-deterministic-dumps.md: ``{"@context": "context.jsonld", "@graph": [...]}``,
one node object per line and per subject: ``@id``, then ``@type`` (compact IRIs), then the
properties in N-Triples order; IRIs as ``{"@id": …}``, plain strings as strings, every other
literal as a value object. Works on the lines themselves (:mod:`publisher.core.ntriples`), so no RDF
term object is made (docs/decisions/0010-incremental-build.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from publisher.core.errors import ReleaseError
from publisher.core.ntriples import RDF_TYPE_NT, XSD_STRING, parse_literal, split

RDF_TYPE = RDF_TYPE_NT[1:-1]
#: Between two node objects of ``@graph`` (the first one is preceded by :data:`FIRST_SEP`).
NODE_SEP = ",\n    "
FIRST_SEP = "\n    "


def header(context_ref: str) -> str:
    return '{\n  "@context": ' + json.dumps(context_ref) + ',\n  "@graph": ['


FOOTER = "\n  ]\n}\n"
#: A JSON string literal, exactly as ``json.dumps(s, ensure_ascii=False)`` writes it.
_enc = json.encoder.encode_basestring


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


class _Text:
    """JSON text of terms, cached (the same IRIs and classes come back on every node)."""

    def __init__(self, compact: Compactor) -> None:
        self.compact = compact
        self.keys: dict[str, str] = {}  # predicate term → JSON key
        self.ids: dict[str, str] = {}  # IRI term → {"@id": …} (or the compact IRI for @type)
        self.types: dict[str, str] = {}

    def key(self, p: str) -> str:
        hit = self.keys.get(p)
        if hit is None:
            hit = self.keys[p] = _enc(self.compact(p[1:-1]))
        return hit

    def type_iri(self, o: str) -> str:
        hit = self.types.get(o)
        if hit is None:
            hit = self.types[o] = _enc(self.compact(o[1:-1]))
        return hit

    def value(self, o: str) -> tuple[str, bool]:
        """(JSON of an object term, whether it is a plain string)."""
        if o[0] == "<":
            hit = self.ids.get(o)
            if hit is None:
                hit = '{"@id": ' + _enc(self.compact(o[1:-1])) + "}"
                if len(self.ids) < 200_000:
                    self.ids[o] = hit
            return hit, False
        if o[0] != '"':
            raise ReleaseError(f"nœud anonyme dans les données / blank node in the data: {o}")
        if o[-1] == '"' and "\\" not in o:  # plain string, nothing to unescape
            return _enc(o[1:-1]), True
        lex, lang, dt = parse_literal(o)
        if lang:
            return '{"@value": ' + _enc(lex) + ', "@language": ' + _enc(lang.lower()) + "}", False
        if dt is None or dt == XSD_STRING:
            return _enc(lex), True
        return '{"@value": ' + _enc(lex) + ', "@type": ' + _enc(self.compact(dt)) + "}", False


def _one(values: list[str]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def _node(subject: str, pairs: list[tuple[str, str]], text: _Text) -> str:
    """One node object, as ``json.dumps(node, ensure_ascii=False)`` writes it."""
    if subject[0] != "<":
        raise ReleaseError(f"nœud anonyme dans les données / blank node in the data: {subject}")
    types: list[str] = []
    rest: list[str] = []
    pred = ""
    values: list[str] = []
    plain: list[bool] = []
    for p, o in pairs + [("", "")]:
        if p != pred:
            if pred == RDF_TYPE_NT:  # IRIs (and plain strings) go to @type, others stay
                types += [v for v, is_str in zip(values, plain, strict=True) if is_str]
                others = [v for v, is_str in zip(values, plain, strict=True) if not is_str]
                if others:
                    rest.append(_enc(RDF_TYPE) + ": " + _one(others))
            elif pred:
                rest.append(text.key(pred) + ": " + _one(values))
            if not p:
                break
            pred, values, plain = p, [], []
        if p == RDF_TYPE_NT and o[0] == "<":
            values.append(text.type_iri(o))
            plain.append(True)
        else:
            v, is_str = text.value(o)
            values.append(v)
            plain.append(is_str)
    head = '{"@id": ' + _enc(text.compact(subject[1:-1]))
    if types:
        head += ', "@type": ' + _one(types)
    return head + "".join(", " + r for r in rest) + "}"


def node_objects(lines: Iterable[str], compact: Compactor) -> Iterator[str]:
    """The JSON text of each subject's node object, in the order of the (sorted) lines."""
    text = _Text(compact)
    subject = ""
    pairs: list[tuple[str, str]] = []
    for line in lines:
        s, p, rest = line.split(" ", 2)
        if s != subject:
            if pairs:
                yield _node(subject, pairs, text)
            subject, pairs = s, []
        pairs.append((p, rest[:-3] if rest.endswith(" .\n") else split(line)[2]))
    if pairs:
        yield _node(subject, pairs, text)


