"""The campus's own configuration file, ``data/campus.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from publisher.core.errors import Location, SourceError


@dataclass(frozen=True)
class Territory:
    id: str
    name: str


@dataclass(frozen=True)
class OwnSector:
    """A sector concept the campus declares itself (``[[secteurs_campus]]``), for a field the
    shipped ``secteur`` list lacks: ``{base_iri}secteur/{code}``, in that list's scheme."""

    code: str
    label: str
    label_en: str = ""


_SECTOR_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _own_sectors(raw: dict[str, Any], file: str,
                 problems: list[tuple[Location, str]]) -> tuple[OwnSector, ...]:
    out = []
    for i, entry in enumerate(raw.get("secteurs_campus", []), 1):
        where = Location(file, column=f"secteurs_campus[{i}]")
        code, label = _str(entry, "code"), _str(entry, "libelle")
        if not _SECTOR_CODE.match(code):
            problems.append((where, f"code {code!r} : minuscules, chiffres, tirets / "
                             + "lowercase letters, digits, hyphens"))
        if not label.strip():
            problems.append((where, "libelle requis / label required"))
        out.append(OwnSector(code, label.strip(), _str(entry, "libelle_en").strip()))
    return tuple(out)


@dataclass(frozen=True)
class CampusConfig:
    id: str
    name: str
    base_iri: str
    public_url: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    sectors: tuple[str, ...] = ()
    own_sectors: tuple[OwnSector, ...] = ()
    region: str = ""
    label_date: str = ""
    pilots: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    missions: tuple[str, ...] = ()
    territories: tuple[Territory, ...] = ()
    title: str = ""
    title_en: str = ""
    publisher_name: str = ""
    contact_name: str = ""
    contact_email: str = ""
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    period_start: str = ""
    releases_kept: int = 5
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def campus_iri(self) -> str:
        return self.base_iri + "organisation/campus"


def _year_or_date(s: str) -> bool:
    """``date_label``: a year or a real date (anything else would make an ill-typed literal)."""
    if re.fullmatch(r"[0-9]{4}", s):
        return True
    try:
        return re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s) is not None and bool(
            date.fromisoformat(s))
    except ValueError:
        return False


def _str(d: dict[str, Any], key: str) -> str:
    v = d.get(key, "")
    return str(v) if v is not None else ""


def load_config(path: Path) -> CampusConfig:
    loc = Location(path.name)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourceError([(loc, "fichier absent / file missing")]) from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError([(loc, f"illisible / unreadable: {exc}")]) from exc
    campus: dict[str, Any] = raw.get("campus", {})
    pub: dict[str, Any] = raw.get("publication", {})
    problems: list[tuple[Location, str]] = []
    for section, key in (("campus", "id"), ("campus", "nom"), ("publication", "base_iri")):
        if not (raw.get(section) or {}).get(key):
            problems.append((Location(path.name, column=f"{section}.{key}"), "requis / required"))
    base = _str(pub, "base_iri")
    if base and not (base.startswith(("http://", "https://")) and base.endswith(("/", "#"))):
        problems.append(
            (
                Location(path.name, column="publication.base_iri"),
                "doit être une IRI http(s) finissant par / — must be an http(s) IRI ending in /",
            )
        )
    label_date = _str(campus, "date_label")
    if label_date and not _year_or_date(label_date):
        problems.append(
            (
                Location(path.name, column="campus.date_label"),
                "année AAAA ou date AAAA-MM-JJ attendue / year YYYY or date YYYY-MM-DD "
                + f"expected: {label_date!r}",
            )
        )
    own_sectors = _own_sectors(raw, path.name, problems)
    public_url = _str(pub, "public_url") or "http://127.0.0.1:8000/"
    if not public_url.endswith("/"):
        public_url += "/"
    if problems:
        raise SourceError(problems)
    return CampusConfig(
        id=_str(campus, "id"),
        name=_str(campus, "nom"),
        name_en=_str(campus, "nom_en"),
        description=_str(campus, "description"),
        description_en=_str(campus, "description_en"),
        sectors=tuple(campus.get("secteurs", [])),
        own_sectors=own_sectors,
        region=_str(campus, "region"),
        label_date=label_date,
        pilots=tuple(campus.get("pilotes", [])),
        sources=tuple(campus.get("sources", [])),
        missions=tuple(campus.get("missions", [])),
        territories=tuple(
            Territory(_str(t, "id"), _str(t, "nom")) for t in raw.get("territoires", [])
        ),
        base_iri=base,
        public_url=public_url,
        title=_str(pub, "titre") or _str(campus, "nom"),
        title_en=_str(pub, "titre_en"),
        publisher_name=_str(pub, "editeur") or _str(campus, "nom"),
        contact_name=_str(pub, "contact_nom"),
        contact_email=_str(pub, "contact_courriel"),
        keywords=tuple(pub.get("mots_cles", [])),
        themes=tuple(pub.get("themes", [])),
        period_start=_str(pub, "periode_debut"),
        releases_kept=int(pub.get("releases_conservees", 5)),
        raw=raw,
    )
