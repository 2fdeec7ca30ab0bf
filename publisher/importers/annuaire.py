"""``cmq import annuaire``: the Annuaire de l'éducation (data.education.gouv.fr,
``fr-en-annuaire-education``, Licence Ouverte 2.0) into ``etablissements.csv``, keyed by UAI.

Both exports are read: raw field names (``identifiant_de_l_etablissement``) and the "with labels"
export's capitalised headers (``Identifiant_de_l_etablissement``), in any column order, with
unknown columns ignored. A filter (UAIs, départements, the campus's own establishments) keeps
the ~65,000-row national file down to a campus in one streaming pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from publisher.core.errors import Location, SourceError
from publisher.importers import codes
from publisher.importers.base import LICENCE_OUVERTE, Dataset, ImportOptions, ImportRun
from publisher.importers.merge import Candidate, Rejected, slugify
from publisher.importers.reading import Input, Record, open_csv, records
from publisher.importers.report import ImportResult
from publisher.importers.wikidata import read_wikidata_map, wikidata_map_path
from publisher.project.folder import Project

DATASET = Dataset(
    kind="annuaire",
    table="etablissements.csv",
    source_prefix="annuaire-education-",
    title="Annuaire de l'éducation (data.education.gouv.fr, fr-en-annuaire-education)",
    publisher="Ministère de l'Éducation nationale",
    url="https://data.education.gouv.fr/explore/dataset/fr-en-annuaire-education/",
    licence=LICENCE_OUVERTE,
)

KEY = "identifiant_de_l_etablissement"
#: Columns of etablissements.csv this importer fills.
PROVIDES = ("nom", "nature", "statut", "uai", "siret", "siren", "adresse", "code_postal", "commune",
            "code_commune", "latitude", "longitude", "site_web", "telephone", "courriel",
            "departement", "academie", "region", "offres", "fiche_onisep", "wikidata")
REQUIRED_NEW = ("nom",)

#: Kinds of establishment (cmq:type-etablissement) from ``libelle_nature`` then
#: ``type_etablissement`` (upper case, no accents); kinds outside the list are left empty.
NATURES: tuple[tuple[str, str], ...] = (
    (r"LYCEE PROFESSIONNEL|SECTION D.ENSEIGNEMENT PROFESSIONNEL", "lycee-professionnel"),
    (r"POLYVALENT", "lycee-polyvalent"),
    (r"LYCEE.*(GENERAL|TECHNOLOGIQUE)", "lycee-general-technologique"),
    (r"APPRENTI|^CFA\b|\bCFA\b", "cfa"),
    (r"\bGRETA\b", "greta"),
    (r"INSTITUT UNIVERSITAIRE DE TECHNOLOGIE|\bIUT\b", "iut"),
    (r"UNIVERSITE", "universite"),
    (r"INGENIEUR", "ecole-ingenieurs"),
)


@dataclass(frozen=True)
class AnnuaireFilter:
    """Rows kept: those whose UAI is listed, whose département is listed, or (``members``)
    whose UAI is already in etablissements.csv. No criterion given = every row."""

    uais: frozenset[str] = frozenset()
    departements: frozenset[str] = frozenset()
    members: bool = False

    @classmethod
    def of(cls, uais: Iterable[str] = (), departements: Iterable[str] = (),
           members: bool = False) -> AnnuaireFilter:
        deps = frozenset(codes.check_departement(d) for d in departements if d.strip())
        return cls(frozenset(u.strip().upper() for u in uais if u.strip()), deps, members)

    @property
    def active(self) -> bool:
        return bool(self.uais or self.departements or self.members)


def nature(rec: Record) -> str:
    for label in (rec.get("libelle_nature"), rec.get("type_etablissement")):
        text = codes.plain(label)
        for pattern, code in NATURES:
            if text and re.search(pattern, text):
                return code
    return ""


def status(value: str) -> str:
    text = codes.plain(value)
    if text.startswith("PUBLIC"):
        return "public"
    if text.startswith("PRIVE"):
        return "prive"
    return ""


def candidate(rec: Record, wikidata: dict[str, str]) -> Candidate:
    """The record of one row of the Annuaire; :class:`Rejected` for a bad value."""
    raw_uai = rec.first(KEY, "uai", "code_uai", "numero_uai")
    if not raw_uai:
        raise Rejected("identifiant de l'établissement (UAI) manquant / missing key (UAI)")
    uai = codes.check_uai(raw_uai)
    name = rec.first("nom_etablissement", "appellation_officielle", "nom")
    siret, siren = codes.check_siren_siret(rec.first("siren_siret", "siret", "siren"))
    lat, lon = codes.check_coordinates(rec.get("latitude"), rec.get("longitude"))
    street = ", ".join(p for p in (rec.get("adresse_1"), rec.get("adresse_2")) if p)
    offers = [code for column, code in codes.OFFER_FLAGS
              if rec.get(column).lower() in {"1", "oui", "true"}]
    values = {
        "nom": name,
        "nature": nature(rec),
        "statut": status(rec.get("statut_public_prive")),
        "siret": siret,
        "siren": siren,
        "adresse": street,
        "code_postal": codes.check_postcode(rec.get("code_postal")),
        "commune": rec.get("nom_commune"),
        "code_commune": codes.check_commune(rec.get("code_commune")),
        "latitude": lat,
        "longitude": lon,
        "site_web": codes.check_url(rec.get("web")),
        "telephone": codes.check_phone(rec.get("telephone")),
        "courriel": codes.check_email(rec.get("mail")),
        "departement": codes.check_departement(rec.get("code_departement")),
        "academie": rec.get("code_academie"),
        "region": rec.get("code_region"),
        "offres": ";".join(offers),
        "fiche_onisep": codes.check_url(rec.get("fiche_onisep"), "Onisep"),
        "wikidata": wikidata.get(uai, ""),
    }
    if values["academie"] and not re.fullmatch(r"[0-9A-Z]{1,3}", values["academie"]):
        raise Rejected(f"code académie invalide / invalid académie code: {values['academie']!r}")
    if values["region"] and not re.fullmatch(r"[0-9]{2}", values["region"]):
        raise Rejected(f"code région invalide / invalid region code: {values['region']!r}")
    return Candidate(rec.line, {"uai": uai}, values, slugify(f"{name} {uai}" if name else uai),
                     rec.cells)


def import_annuaire(project: Project, path: Path, options: ImportOptions | None = None,
                    keep: AnnuaireFilter | None = None) -> ImportResult:
    """Merge the Annuaire file ``path`` into the project's ``etablissements.csv``."""
    options = options or ImportOptions()
    keep = keep or AnnuaireFilter()
    source = Input(path)
    csvfile = open_csv(source)
    if not csvfile.has(KEY) and not any(csvfile.has(k) for k in ("uai", "code_uai")):
        raise SourceError([(Location(source.name, 1), ("colonne identifiant_de_l_etablissement "
                            "absente : est-ce l'Annuaire de l'éducation ? / key column missing: "
                            "is this the Annuaire de l'éducation?"))])
    wikidata = read_wikidata_map(wikidata_map_path(project))
    with ImportRun(project, DATASET, options, [path], keys=("uai",), provides=PROVIDES,
                   required=REQUIRED_NEW) as run:
        members = run.merge.existing_values("uai") if keep.members else set()
        for rec in records(csvfile, options.progress_for(f"annuaire {path.name}")):
            run.result.read += 1
            if keep.active:
                uai = rec.first(KEY, "uai", "code_uai").upper()
                dep = rec.get("code_departement").upper()
                dep = dep[1:] if len(dep) == 3 and dep.startswith("0") else dep
                if not (uai in keep.uais or uai in members or dep in keep.departements):
                    run.result.skipped += 1
                    continue
            try:
                cand = candidate(rec, wikidata)
            except Rejected as exc:
                run.reject(source.name, rec.line, exc.reason, rec.cells, csvfile.delimiter)
                continue
            run.offer(source.name, cand, csvfile.delimiter)
    return run.result
