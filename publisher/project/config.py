"""The campus's own configuration file, ``data/campus.toml``: read, checked (every key, type and
range, :mod:`publisher.project.config_checks`), then turned into a :class:`CampusConfig`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.core.errors import Location, SourceError
from publisher.project.config_checks import check_raw


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
    #: ``[tableaux] classeur``: the workbook (in data/) the tables are read from; "" = CSV files.
    workbook: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def campus_iri(self) -> str:
        return self.base_iri + "organisation/campus"


def _str(d: dict[str, Any], key: str) -> str:
    v = d.get(key, "")
    return str(v) if v is not None else ""


def _strs(d: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(d.get(key, []))


def read_raw(path: Path) -> dict[str, Any]:
    """The TOML of ``path`` (SourceError when it is missing, unreadable or not TOML)."""
    loc = Location(path.name)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourceError([(loc, "fichier absent / file missing")]) from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError([(loc, f"illisible / unreadable: {exc}")]) from exc


def load_config(path: Path) -> CampusConfig:
    """The configuration in ``path``; every key is checked for type and range first
    (:mod:`publisher.project.config_checks`) and all problems are raised at once as one
    :class:`SourceError`, each at its ``section.key``."""
    raw, problems = check_raw(read_raw(path))
    if problems:
        raise SourceError([(Location(path.name, column=where), msg) for where, msg in problems])
    campus: dict[str, Any] = raw.get("campus", {})
    pub: dict[str, Any] = raw.get("publication", {})
    workbook = _str(raw.get("tableaux") or {}, "classeur")
    own_problems: list[tuple[Location, str]] = []
    own_sectors = _own_sectors(raw, path.name, own_problems)
    if own_problems:
        raise SourceError(own_problems)
    public_url = _str(pub, "public_url") or "http://127.0.0.1:8000/"
    if not public_url.endswith("/"):
        public_url += "/"
    return CampusConfig(
        id=_str(campus, "id"),
        name=_str(campus, "nom"),
        name_en=_str(campus, "nom_en"),
        description=_str(campus, "description"),
        description_en=_str(campus, "description_en"),
        sectors=_strs(campus, "secteurs"),
        own_sectors=own_sectors,
        region=_str(campus, "region"),
        label_date=_str(campus, "date_label"),
        pilots=_strs(campus, "pilotes"),
        sources=_strs(campus, "sources"),
        missions=_strs(campus, "missions"),
        territories=tuple(
            Territory(_str(t, "id"), _str(t, "nom")) for t in raw.get("territoires", [])
        ),
        base_iri=_str(pub, "base_iri"),
        public_url=public_url,
        title=_str(pub, "titre") or _str(campus, "nom"),
        title_en=_str(pub, "titre_en"),
        publisher_name=_str(pub, "editeur") or _str(campus, "nom"),
        contact_name=_str(pub, "contact_nom"),
        contact_email=_str(pub, "contact_courriel"),
        keywords=_strs(pub, "mots_cles"),
        themes=_strs(pub, "themes"),
        period_start=_str(pub, "periode_debut"),
        releases_kept=int(pub.get("releases_conservees", 5)),
        workbook=workbook,
        raw=raw,
    )
