"""``cmq import rncp``: France Compétences' RNCP export (Licence Ouverte 2.0) into
``certifications.csv``, keyed by RNCP number.

The export is one CSV file per table, all keyed by ``Numero_Fiche``: *Standard* (title, EQF
level, active flag, dates), *Rome*, *Nsf*, *Formacode* and *Certificateurs*. FILE is the Standard
file (its siblings are found by name: ``…_Standard_…`` → ``…_Rome_…``), the folder holding
them, or the zip archive as published. The side files are read first, keeping only the codes of
the certifications the filter keeps; then the Standard file streams through and each record is
joined with its codes. RS records (``RS…``, répertoire spécifique) are skipped: the model has no
place for them yet.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from publisher.core.errors import Location, SourceError
from publisher.importers import codes
from publisher.importers.base import LICENCE_OUVERTE, Dataset, ImportOptions, ImportRun
from publisher.importers.merge import Candidate, Rejected, slugify
from publisher.importers.onisep import CertificationFilter
from publisher.importers.reading import Input, Record, open_csv, records
from publisher.importers.report import ImportResult
from publisher.project.folder import Project

DATASET = Dataset(
    kind="rncp",
    table="certifications.csv",
    source_prefix="rncp-france-competences-",
    title="France Compétences, export du Répertoire national des certifications "
          "professionnelles (RNCP)",
    publisher="France Compétences",
    url="",
    licence=LICENCE_OUVERTE,
)

PROVIDES = ("intitule", "type", "niveau", "rncp", "rome", "nsf", "formacode", "certificateurs",
            "actif", "date_decision", "fin_enregistrement")
REQUIRED_NEW = ("intitule", "type", "niveau")
KEY = "numero_fiche"

#: Side files: name token, column holding the code, campus column, kind of check.
SIDES: dict[str, tuple[str, str, str]] = {
    "rome": ("codes_rome_code", "rome", "rome"),
    "nsf": ("nsf_code", "nsf", "nsf"),
    "formacode": ("formacode_code", "formacode", "formacode"),
    "certificateurs": ("siret_certificateur", "certificateurs", "siret"),
}


@dataclass(frozen=True)
class RncpFiles:
    standard: Input
    sides: dict[str, Input]


def find_files(path: Path, explicit: dict[str, Path] | None = None) -> RncpFiles:
    """The Standard file and its side files from a file, a folder or a zip archive."""
    if path.is_dir():
        inputs = [Input(p) for p in sorted(path.iterdir()) if p.suffix.lower() == ".csv"]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            inputs = [Input(path, n) for n in zf.namelist() if n.lower().endswith(".csv")]
    else:
        inputs = [Input(p) for p in sorted(path.parent.glob("*")) if p.suffix.lower() == ".csv"]
        inputs = [Input(path)] + [i for i in inputs if i.path != path]
    standards = [i for i in inputs if "standard" in _base(i).lower()]
    if not path.is_dir() and not zipfile.is_zipfile(path):
        standards = [Input(path)]
    if len(standards) != 1:
        raise SourceError([(Location(path.name), (f"{len(standards)} fichiers « Standard » trouvés "
                            "(un attendu) / Standard files found (one expected)"))])
    standard = standards[0]
    base = _base(standard).lower()
    sides: dict[str, Input] = {}
    if "standard" in base:
        for kind in SIDES:
            wanted = base.replace("standard", kind)
            for i in inputs:
                if _base(i).lower() == wanted:
                    sides[kind] = i
    for kind, p in (explicit or {}).items():
        sides[kind] = Input(p)
    return RncpFiles(standard, sides)


def _base(i: Input) -> str:
    return Path(i.member).name if i.member else i.path.name


def fiche(rec: Record) -> str:
    """The record's Numero_Fiche, upper case (``37537`` is read as ``RNCP37537``)."""
    num = re.sub(r"\s+", "", rec.first(KEY, "numero_fiche_rncp")).upper()
    return "RNCP" + num if num.isdigit() else num


def _side_codes(run: ImportRun, kind: str, source: Input, keep: set[str] | None,
                result: dict[str, list[str]]) -> None:
    column, _, check = SIDES[kind]
    csvfile = open_csv(source)
    if not csvfile.has(KEY, column):
        raise SourceError([(Location(source.name, 1), (f"colonnes Numero_Fiche et {column} "
                            "attendues / columns expected"))])
    for rec in records(csvfile, run.options.progress_for(f"rncp {source.name}")):
        num = fiche(rec)
        if num.startswith("RS") or (keep is not None and num not in keep):
            continue
        value = rec.get(column)
        try:
            if not num:
                raise Rejected("Numero_Fiche manquant / missing key (Numero_Fiche)")
            codes.check_rncp(num)
            code = codes.check_siret(value) if check == "siret" else codes.check_codes(
                value, kind.upper() if kind != "formacode" else "Formacode", check)
        except Rejected as exc:
            run.reject(source.name, rec.line, exc.reason, rec.cells, csvfile.delimiter)
            continue
        for c in code.split(";"):
            if c and c not in result.setdefault(num, []):
                result[num].append(c)


def _nsf_selection(files: RncpFiles, prefixes: Iterable[str]) -> set[str]:
    """Fiches whose NSF code starts with one of ``prefixes`` (a pre-pass over the Nsf file)."""
    source = files.sides.get("nsf")
    if source is None:
        raise SourceError([(Location(files.standard.name), ("filtre NSF sans fichier Nsf / NSF "
                            "filter without the Nsf file"))])
    wanted = tuple(prefixes)
    return {fiche(rec) for rec in records(open_csv(source))
            if rec.get("nsf_code").lower().startswith(wanted)}


def candidate(rec: Record, side: dict[str, dict[str, list[str]]]) -> Candidate:
    num = fiche(rec)
    if not num:
        raise Rejected("Numero_Fiche manquant / missing key (Numero_Fiche)")
    rncp = codes.check_rncp(num)
    title = rec.first("intitule", "intitule_certification")
    kind = codes.certification_kind(rec.get("abrege_libelle"), rec.get("abrege_intitule"))
    if not kind and "DEMANDE" in codes.plain(rec.get("type_enregistrement")):
        kind = "titre-pro"  # registered on request: a professional title (cmq:type-certification)
    active = codes.plain(rec.get("actif"))
    values = {
        "intitule": title,
        "type": kind,
        "niveau": codes.check_level(rec.first("nomenclature_europe_niveau", "niveau")),
        "actif": {"ACTIVE": "oui", "ACTIF": "oui", "INACTIVE": "non", "INACTIF": "non"}.get(
            active, ""),
        "date_decision": codes.check_date(rec.get("date_decision")),
        "fin_enregistrement": codes.check_date(rec.get("date_fin_enregistrement")),
    }
    for kind_name, (_, column, _) in SIDES.items():
        values[column] = ";".join(side[kind_name].get(rncp, []))
    return Candidate(rec.line, {"rncp": rncp}, values, slugify(f"{title} {rncp}"), rec.cells)


def import_rncp(project: Project, path: Path, options: ImportOptions | None = None,
                keep: CertificationFilter | None = None, active_only: bool = False,
                side_files: dict[str, Path] | None = None) -> ImportResult:
    """Merge the RNCP export at ``path`` (file, folder or zip) into ``certifications.csv``."""
    options = options or ImportOptions()
    keep = keep or CertificationFilter()
    files = find_files(path, side_files)
    csvfile = open_csv(files.standard)
    if not csvfile.has(KEY):
        raise SourceError([(Location(files.standard.name, 1), ("colonne Numero_Fiche absente : "
                            "est-ce le fichier Standard du RNCP ? / Numero_Fiche column missing: "
                            "is this the RNCP Standard file?"))])
    paths = [files.standard.path] + [i.path for i in files.sides.values()]
    shown = [Path(files.standard.name)] + [Path(i.name) for i in files.sides.values()]
    with ImportRun(project, DATASET, options, shown, keys=("rncp",), provides=PROVIDES,
                   required=REQUIRED_NEW) as run:
        run.result.files = sorted({str(p) for p in paths})
        selection: set[str] | None = None
        if keep.active:
            selection = set(keep.rncps)
            if keep.members:
                selection |= run.merge.existing_values("rncp")
            if keep.nsf:
                selection |= _nsf_selection(files, keep.nsf)
        side: dict[str, dict[str, list[str]]] = {k: {} for k in SIDES}
        for kind, source in sorted(files.sides.items()):
            _side_codes(run, kind, source, selection, side[kind])
        run.result.notes.append("fichiers annexes / side files: " + (", ".join(
            f"{k}={files.sides[k].name}" for k in sorted(files.sides)) or "aucun / none"))
        name = files.standard.name
        for rec in records(csvfile, options.progress_for(f"rncp {name}")):
            run.result.read += 1
            num = fiche(rec)
            if num.startswith("RS") or (selection is not None and num not in selection) or (
                    active_only and codes.plain(rec.get("actif")) not in {"ACTIVE", "ACTIF"}):
                run.result.skipped += 1
                continue
            try:
                cand = candidate(rec, side)
            except Rejected as exc:
                run.reject(name, rec.line, exc.reason, rec.cells, csvfile.delimiter)
                continue
            run.offer(name, cand, csvfile.delimiter)
    return run.result
