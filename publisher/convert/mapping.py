"""The declarative mapping from source tables to the ontology (``data/mapping.toml``).

The file format is documented at the top of the shipped ``data/mapping.toml``. This module only
loads and checks it; :mod:`publisher.convert.tables` applies it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from publisher.core.errors import Location, SourceError

Kind = Literal["literal", "ref", "concept", "iri"]
_KINDS = ("literal", "ref", "concept", "iri")
_VAR = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Field:
    property: str  # absolute IRI
    kind: Kind = "literal"
    column: str | None = None
    value: str | None = None  # template over columns
    subject: str | None = None  # template, relative to the base IRI
    template: str | None = None  # ref template with {value}
    lang: str | None = None
    datatype: str | None = None  # absolute IRI, or "date"
    scheme: str | None = None
    local_scheme: str | None = None
    separator: str | None = None
    when: tuple[str, ...] = ()
    capture: str | None = None  # regex the value must fully match; {value} = its first group

    def columns(self) -> set[str]:
        cols = set(self.when)
        if self.column:
            cols.add(self.column)
        for tpl in (self.value, self.subject):
            if tpl:
                cols.update(template_vars(tpl))
        return cols


@dataclass(frozen=True)
class Table:
    name: str
    file: str
    subject: str
    types: tuple[str, ...]
    fields: tuple[Field, ...]

    def column_for(self, prop: str) -> str | None:
        """The column whose values give ``prop`` (for reports), if one does."""
        for f in self.fields:
            if f.property == prop and f.column:
                return f.column
        for f in self.fields:
            if f.property == prop and f.when:
                return ", ".join(f.when)
        return None

    def columns(self) -> set[str]:
        cols = set(template_vars(self.subject))
        for f in self.fields:
            cols |= f.columns()
        return cols


@dataclass(frozen=True)
class Mapping:
    prefixes: dict[str, str]
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def expand(self, curie: str) -> str:
        if "://" in curie or curie.startswith(("urn:", "mailto:", "tel:")):
            return curie
        prefix, sep, local = curie.partition(":")
        if not sep or prefix not in self.prefixes:
            raise KeyError(curie)
        return self.prefixes[prefix] + local


def template_vars(template: str) -> list[str]:
    return _VAR.findall(template)


def load_mapping(path: Path) -> Mapping:
    """Load and check ``mapping.toml``; every problem is reported with its location."""
    loc = Location(path.name)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError([(loc, f"illisible / unreadable: {exc}")]) from exc
    prefixes: dict[str, str] = dict(raw.get("prefixes", {}))
    probe = Mapping(prefixes)
    fragments: dict[str, list[dict[str, Any]]] = raw.get("fragments", {})
    problems: list[tuple[Location, str]] = []
    tables: list[Table] = []

    def curie(value: str, where: str) -> str:
        try:
            return probe.expand(value)
        except KeyError:
            problems.append((loc, f"{where}: préfixe inconnu / unknown prefix in {value!r}"))
            return value

    for name, spec in raw.get("tables", {}).items():
        where = f"tables.{name}"
        raw_fields: list[dict[str, Any]] = []
        for frag in spec.get("include", []):
            if frag not in fragments:
                problems.append((loc, f"{where}: fragment inconnu / unknown fragment {frag!r}"))
            raw_fields.extend(fragments.get(frag, []))
        raw_fields.extend(spec.get("fields", []))
        fields: list[Field] = []
        for i, fs in enumerate(raw_fields):
            fw = f"{where}.fields[{i}]"
            kind = fs.get("kind", "literal")
            if kind not in _KINDS:
                problems.append((loc, f"{fw}: kind {kind!r} ∉ {_KINDS}"))
                continue
            if not fs.get("column") and not fs.get("value"):
                problems.append((loc, f"{fw}: `column` ou/or `value` requis/required"))
                continue
            if kind == "concept" and not (fs.get("scheme") or fs.get("local_scheme")):
                problems.append((loc, f"{fw}: concept sans/without scheme"))
            dt = fs.get("datatype")
            when = fs.get("when")
            capture = fs.get("capture")
            if capture is not None:
                try:
                    if re.compile(capture).groups < 1:
                        problems.append((loc, f"{fw}: capture sans groupe / without a group"))
                except re.error as exc:
                    problems.append((loc, f"{fw}: capture invalide / invalid: {exc}"))
            fields.append(
                Field(
                    property=curie(fs.get("property", ""), fw),
                    kind=kind,
                    column=fs.get("column"),
                    value=fs.get("value"),
                    subject=fs.get("subject"),
                    template=fs.get("template"),
                    lang=fs.get("lang"),
                    datatype=dt if dt in (None, "date") else curie(dt, fw),
                    scheme=fs.get("scheme"),
                    local_scheme=fs.get("local_scheme"),
                    separator=fs.get("separator"),
                    when=tuple(when if when is not None else [fs["column"]] if fs.get("column") else []),
                    capture=capture,
                )
            )
        for key in ("file", "subject"):
            if key not in spec:
                problems.append((loc, f"{where}: `{key}` requis/required"))
        tables.append(
            Table(
                name=name,
                file=spec.get("file", ""),
                subject=spec.get("subject", ""),
                types=tuple(curie(t, where) for t in spec.get("types", [])),
                fields=tuple(fields),
            )
        )
    if problems:
        raise SourceError(problems)
    return Mapping(prefixes, tuple(tables))
