"""Every key of ``data/campus.toml`` checked for type and range, all problems at once.

:data:`SECTIONS` declares each known key once: its TOML type (text, list of texts, whole number,
list of tables) and, for some, the range of its values (an identifier, an http(s) URL, a year or a
date, an INSEE region code, a number of releases ≥ 1). :func:`check_raw` returns one problem per
wrong or unknown key, located at ``section.key`` (``territoires[2].id`` inside a list of tables),
saying what was found and what is expected, in French then English — the loader raises them
together as one :class:`publisher.core.errors.SourceError`. Nothing here raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.core.identifiers import INSEE_REGIONS

#: A value's check: None when it is in range, else what is expected (``"fr / en"``).
Range = Callable[[Any], str | None]
Problem = tuple[str, str]  # (where: "section.key", message)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def _identifier(v: str) -> str | None:
    return None if _ID.fullmatch(v) else (
        "un identifiant (lettres, chiffres, . _ -, sans espace) / an identifier (letters, "
        "digits, . _ -, no space)")


def _iri(v: str, end: tuple[str, ...]) -> bool:
    parts = urlsplit(v)
    return (parts.scheme in ("http", "https") and bool(parts.netloc)
            and _URL_CHARS.fullmatch(v) is not None and v.endswith(end))


def _base_iri(v: str) -> str | None:
    return None if _iri(v, ("/", "#")) else (
        "une IRI http(s) finissant par / / an http(s) IRI ending in / "
        "(ex. https://w3id.org/cmq/campus/mon-campus/)")


def _url(v: str) -> str | None:
    ok = _iri(v, ("",)) and not urlsplit(v).query and not urlsplit(v).fragment
    return None if ok else (
        "une adresse http(s) absolue, sans ? ni # / an absolute http(s) address without ? or # "
        "(ex. https://donnees.mon-campus.fr/)")


_WHEN = ((r"[0-9]{4}", "%Y"), (r"[0-9]{4}-[0-9]{2}", "%Y-%m"),
         (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"))


def _is_when(v: str, months: bool) -> bool:
    for pattern, form in _WHEN:
        if (months or form != "%Y-%m") and re.fullmatch(pattern, v):
            try:
                return bool(datetime.strptime(v, form))
            except ValueError:
                return False
    return False


def _when(v: str, *, months: bool) -> str | None:
    if _is_when(v, months):
        return None
    return ("AAAA, AAAA-MM ou AAAA-MM-JJ / YYYY, YYYY-MM or YYYY-MM-DD" if months else
            "une année AAAA ou une date AAAA-MM-JJ / a year YYYY or a date YYYY-MM-DD")


def _region(v: str) -> str | None:
    return None if v in INSEE_REGIONS else (
        "un code région Insee / an INSEE region code: " + ", ".join(sorted(INSEE_REGIONS)))


def _email(v: str) -> str | None:
    return None if _EMAIL.fullmatch(v) else "une adresse électronique / an email address"


def _workbook(v: str) -> str | None:
    if Path(v).name == v and v.lower().endswith((".xlsx", ".ods")):
        return None
    return ("le nom d'un classeur .xlsx ou .ods du dossier data/ / the name of an .xlsx or .ods "
            "workbook in data/")


def _at_least_one(v: int) -> str | None:
    return None if v >= 1 else "un nombre entier ≥ 1 / a whole number ≥ 1"


@dataclass(frozen=True)
class Key:
    """One key: its TOML type (``text``, ``texts``, ``int``, ``tables``), whether it is
    required, and the range of a non-empty value (or of each item of a list)."""

    kind: str
    required: bool = False
    range: Range | None = None


TEXT, TEXTS = Key("text"), Key("texts")
IDS = Key("texts", range=_identifier)
_TERRITORY = {"id": Key("text", True, _identifier), "nom": Key("text", True)}

#: Every known key of campus.toml, by section (``territoires`` is a list of tables).
SECTIONS: dict[str, dict[str, Key]] = {
    "cmq": {"version": TEXT},
    "campus": {
        "id": Key("text", True, _identifier), "nom": Key("text", True), "nom_en": TEXT,
        "description": TEXT, "description_en": TEXT, "secteurs": IDS,
        "region": Key("text", range=_region),
        "date_label": Key("text", range=lambda v: _when(v, months=False)),
        "pilotes": IDS, "sources": IDS, "missions": TEXTS,
    },
    "publication": {
        "base_iri": Key("text", True, _base_iri), "public_url": Key("text", range=_url),
        "titre": TEXT, "titre_en": TEXT, "editeur": TEXT, "contact_nom": TEXT,
        "contact_courriel": Key("text", range=_email), "mots_cles": TEXTS, "themes": TEXTS,
        "periode_debut": Key("text", range=lambda v: _when(v, months=True)),
        "releases_conservees": Key("int", range=_at_least_one),
    },
    "tableaux": {"classeur": Key("text", range=_workbook)},
}
#: A sector the campus declares itself (``[[secteurs_campus]]``; code and label checked further
#: by publisher.project.config).
_OWN_SECTOR = {"code": Key("text", True), "libelle": TEXT, "libelle_en": TEXT}
TABLES = {"territoires": _TERRITORY, "secteurs_campus": _OWN_SECTOR}

_TYPES = {str: ("texte", "string"), bool: ("booléen", "boolean"),
          int: ("nombre entier", "integer"), float: ("nombre décimal", "float"),
          list: ("liste", "array"), dict: ("table", "table"), date: ("date", "date"),
          datetime: ("date et heure", "date-time")}
_EXPECTED = {
    "text": 'un texte entre guillemets, ex. "…" / a quoted string, e.g. "…"',
    "texts": 'une liste de textes, ex. ["a", "b"] / a list of strings, e.g. ["a", "b"]',
    "int": "un nombre entier, ex. 5 / a whole number, e.g. 5",
    "tables": "une liste de tables [[…]] / an array of tables [[…]]",
}


def found(value: object) -> str:
    """``42 (nombre entier / integer)``: a value as the message shows it."""
    fr, en = next((t for cls, t in _TYPES.items() if type(value) is cls), ("valeur", "value"))
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "…"
    return f"{shown} ({fr} / {en})"


def _message(value: object, expected: str) -> str:
    return f"trouvé / found {found(value)}; attendu / expected {expected}"


def _typed(kind: str, value: object) -> bool:
    if kind == "int":
        return type(value) is int
    if kind == "text":
        return isinstance(value, str)
    items = value if isinstance(value, list) else None
    wanted: type = dict if kind == "tables" else str
    return items is not None and all(isinstance(v, wanted) for v in items)


def check_value(where: str, spec: Key, value: object) -> list[Problem]:
    """The problems of one value of a known key."""
    if not _typed(spec.kind, value):
        return [(where, _message(value, _EXPECTED[spec.kind]))]
    if spec.required and value in ("", []):
        return [(where, "requis / required; attendu / expected " + _EXPECTED[spec.kind])]
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        wrong = spec.range(item) if spec.range is not None and item != "" else None
        if wrong:
            out.append((where, _message(item, wrong)))
    return out


def check_table(where: str, keys: dict[str, Key], table: object) -> list[Problem]:
    """The problems of one table: wrong values, missing required keys, unknown keys."""
    if not isinstance(table, dict):
        return [(where, _message(table, "une table [" + where + "] / a table"))]
    out: list[Problem] = []
    for name, spec in keys.items():
        if name in table:
            out += check_value(f"{where}.{name}", spec, table[name])
        elif spec.required:
            out.append((f"{where}.{name}", "requis / required"))
    out += [(f"{where}.{name}", unknown(name, keys)) for name in table if name not in keys]
    return out


def unknown(name: str, known: dict[str, Key] | dict[str, dict[str, Key]]) -> str:
    return (f"clé inconnue / unknown key {name!r}; clés connues / known keys: "
            + ", ".join(known))


def _dated(raw: dict[str, Any]) -> dict[str, Any]:
    """TOML dates written without quotes (``date_label = 2013-05-01``) read as their text."""
    return {s: ({k: v.isoformat() if type(v) is date else v for k, v in t.items()}
                if isinstance(t, dict) else t) for s, t in raw.items()}


def check_raw(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """``raw`` (dates made text) and every problem of it, in file order of the sections."""
    raw = _dated(raw)
    problems: list[Problem] = []
    for section in ("campus", "publication"):
        if section not in raw:
            problems += check_table(section, SECTIONS[section], {})
    for section, table in raw.items():
        if section in SECTIONS:
            problems += check_table(section, SECTIONS[section], table)
        elif section in TABLES:
            if not _typed("tables", table):
                problems.append((section, _message(table, _EXPECTED["tables"])))
                continue
            for i, item in enumerate(table, start=1):
                problems += check_table(f"{section}[{i}]", TABLES[section], item)
        else:
            problems.append((section, unknown(section, {**SECTIONS, **TABLES})))
    return raw, problems
