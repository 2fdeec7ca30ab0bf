"""The source tables' columns, explained once (``publisher/convert/columns.toml``) and
completed from the mapping and the ontology, so that the guide ``cmq init`` writes for a campus
officer (``data/LISEZMOI.md``) cannot drift from what the converter actually reads.

:func:`table_docs` joins the three: for each table of the mapping, its columns in the documented
order with their French and English text, what the mapping does with them (property, list of
codes, format, several values) and the codes of the lists they take (labels from the ontology).
:func:`check_docs` lists the differences between the documentation and the mapping.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS, XSD
from rdflib.term import Node

from publisher.convert.mapping import Field, Mapping, Table, template_vars
from publisher.core.namespaces import CMQ_NS, PREFIXES

COLUMNS_FILE = Path(__file__).with_name("columns.toml")
_BOOLEAN = str(XSD.boolean)
#: Literal datatypes → how the cell is written (fr, en).
_FORMATS: dict[str, tuple[str, str]] = {
    "date": ("date AAAA, AAAA-MM ou AAAA-MM-JJ", "date YYYY, YYYY-MM or YYYY-MM-DD"),
    _BOOLEAN: ("oui / non", "oui / non"),
    str(XSD.integer): ("nombre entier", "integer"),
    str(XSD.decimal): ("nombre décimal", "decimal number"),
    str(XSD.duration): ("durée ISO 8601 (P2Y)", "ISO 8601 duration (P2Y)"),
}


@dataclass(frozen=True)
class Code:
    code: str
    label_fr: str
    label_en: str
    iri: str = ""  # the concept's IRI when it is not {list}/{code} of the ontology (own sector)


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    fr: str
    en: str
    format_fr: str  # what the mapping expects, derived from it
    format_en: str
    properties: tuple[str, ...]  # compact names of the properties the column feeds
    scheme: str | None = None  # the ontology list its codes come from
    example: str = ""


@dataclass(frozen=True)
class TableDoc:
    name: str
    file: str
    fr: str
    en: str
    columns: tuple[ColumnDoc, ...]

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def example_row(self) -> list[str]:
        """The example row, commented out: its first cell starts with ``#``."""
        cells = [c.example for c in self.columns]
        if cells:
            cells[0] = "#" + cells[0]
        return cells


def load_column_docs(path: Path | None = None) -> dict[str, Any]:
    file = path or COLUMNS_FILE
    with file.open("rb") as fh:
        return tomllib.load(fh)


def compact(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _tables_minting(mapping: Mapping, template: str) -> list[str]:
    """The files whose records a reference template (``organisation/{value}``) points to."""
    head = template.split("{", 1)[0]
    return [t.file for t in mapping.tables if t.subject.split("{", 1)[0] == head]


def _format(mapping: Mapping, f: Field) -> tuple[str, str, str | None]:
    """How a cell read by ``f`` is written: (fr, en, scheme)."""
    if f.kind == "concept":
        if f.local_scheme:
            return (f"`id` déclaré dans campus.toml ({f.local_scheme})",
                    f"`id` declared in campus.toml ({f.local_scheme})", None)
        return f"code de la liste `{f.scheme}`", f"code of the `{f.scheme}` list", f.scheme
    if f.kind == "ref":
        if not f.template:
            return "", "", None
        files = " / ".join(_tables_minting(mapping, f.template)) or f.template
        return f"`id` d'une ligne de {files}", f"`id` of a row of {files}", None
    if f.kind == "iri":
        return "adresse web (URL)", "web address (URL)", None
    if f.lang:
        return f"texte ({f.lang})", f"text ({f.lang})", None
    if f.datatype in _FORMATS:
        fr, en = _FORMATS[f.datatype or ""]
        return fr, en, None
    return "texte", "text", None


def _column_doc(mapping: Mapping, table: Table, name: str, spec: dict[str, Any],
                common: dict[str, Any], example: str) -> ColumnDoc:
    text = spec.get("doc", {}).get(name) or common.get(name) or {}
    direct = [f for f in table.fields if f.column == name]
    templated = [f for f in table.fields
                 if f.column is None and f.value and name in template_vars(f.value)]
    scheme = None
    if direct:
        fr, en, scheme = _format(mapping, direct[0])
        if direct[0].separator:
            fr += f" ; plusieurs valeurs séparées par `{direct[0].separator}`"
            en += f"; several values separated by `{direct[0].separator}`"
        props = tuple(dict.fromkeys(compact(f.property) for f in direct))
    elif name in template_vars(table.subject):
        fr, en, props = "identifiant", "key", ("(IRI)",)
    elif templated:
        fr, en = (f"sert à former « {templated[0].value} »",
                  f"used to make '{templated[0].value}'")
        props = tuple(dict.fromkeys(compact(f.property) for f in templated))
    else:
        fr, en, props = "", "", ()
    return ColumnDoc(name, str(text.get("fr", "")), str(text.get("en", "")), fr.strip(" ;"),
                     en.strip(" ;"), props, scheme, example)


def table_docs(mapping: Mapping, docs: dict[str, Any] | None = None) -> list[TableDoc]:
    """The documented tables of ``mapping``, in the mapping's order (see the module doc)."""
    raw = docs if docs is not None else load_column_docs()
    common: dict[str, Any] = raw.get("common", {})
    specs: dict[str, Any] = raw.get("tables", {})
    out = []
    for table in mapping.tables:
        spec = specs.get(table.name, {})
        order = list(spec.get("columns", [])) or sorted(table.columns())
        example = {str(k): str(v) for k, v in spec.get("example", {}).items()}
        columns = tuple(_column_doc(mapping, table, c, spec, common, example.get(c, ""))
                        for c in order)
        out.append(TableDoc(table.name, table.file, str(spec.get("fr", "")),
                            str(spec.get("en", "")), columns))
    return out


def check_docs(mapping: Mapping, docs: dict[str, Any] | None = None) -> list[str]:
    """Every difference between the column documentation and the mapping (empty: in step)."""
    raw = docs if docs is not None else load_column_docs()
    specs: dict[str, Any] = raw.get("tables", {})
    problems = []
    for table in mapping.tables:
        spec = specs.get(table.name)
        if spec is None:
            problems.append(f"{table.name}: table non documentée / table not documented")
            continue
        listed = list(spec.get("columns", []))
        read = table.columns()
        for c in sorted(read - set(listed)):
            problems.append(f"{table.name}.{c}: colonne non documentée / column not documented")
        for c in listed:
            if c not in read:
                problems.append(f"{table.name}.{c}: colonne inconnue du mapping / not in mapping")
        if len(set(listed)) != len(listed):
            problems.append(f"{table.name}: colonne en double / duplicate column")
        for c in listed:
            text = spec.get("doc", {}).get(c) or raw.get("common", {}).get(c)
            if not text or not text.get("fr") or not text.get("en"):
                problems.append(f"{table.name}.{c}: texte fr/en manquant / fr/en text missing")
        for c in spec.get("example", {}):
            if c not in listed:
                problems.append(f"{table.name}.{c}: exemple d'une colonne inconnue / example of "
                                "an unknown column")
    for name in sorted(set(specs) - {t.name for t in mapping.tables}):
        problems.append(f"{name}: table documentée absente du mapping / not in mapping")
    return problems


def scheme_codes(ontology: Graph, scheme: str) -> list[Code]:
    """The codes of one of the ontology's lists, with their labels, in code order."""
    iri = URIRef(CMQ_NS + scheme)
    out = []
    for c in ontology.subjects(SKOS.inScheme, iri):
        code = ontology.value(c, SKOS.notation)
        if code is None:
            continue
        out.append(Code(str(code), _label(ontology, c, "fr"), _label(ontology, c, "en")))
    return sorted(out, key=lambda c: (c.code.zfill(8) if c.code.isdigit() else c.code))


def _label(g: Graph, node: Node, lang: str) -> str:
    for pred in (SKOS.prefLabel, RDFS.label):
        for o in g.objects(node, pred):
            if isinstance(o, Literal) and o.language == lang:
                return str(o)
    return ""
