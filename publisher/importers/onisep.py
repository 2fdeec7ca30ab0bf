"""``cmq import onisep-formations``: ONISEP's Idéo-Formations initiales en France (ODbL) into
``certifications.csv``, keyed by CFD (``code_scolarite``) and RNCP (``code_rncp``).

One row of the ONISEP file describes a diploma (CAP Plasturgie, BTS Europlastics…): its CFD,
RNCP record, level, NSF speciality and ONISEP page. The kind of certification comes from
``sigle_type_formation`` / ``libelle_type_formation``; a diploma whose kind is not in the campus's
list can update an existing certification but not create one (it goes to the rejected rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from publisher.core.errors import Location, SourceError
from publisher.importers import codes
from publisher.importers.base import ODBL, Dataset, ImportOptions, ImportRun
from publisher.importers.merge import Candidate, Rejected, slugify
from publisher.importers.reading import Input, Record, open_csv, records
from publisher.importers.report import ImportResult
from publisher.project.folder import Project

DATASET = Dataset(
    kind="onisep-formations",
    table="certifications.csv",
    source_prefix="onisep-formations-",
    title="Onisep, Idéo-Formations initiales en France",
    publisher="Onisep",
    url="",
    licence=ODBL,
)

PROVIDES = ("intitule", "type", "niveau", "rncp", "cfd", "nsf", "onisep", "fiche_onisep")
REQUIRED_NEW = ("intitule", "type", "niveau")
_ONISEP_ID = re.compile(r"\b(FOR\.[0-9]+)\b")


@dataclass(frozen=True)
class CertificationFilter:
    """Rows kept: listed CFDs or RNCP numbers, NSF codes (prefix match: ``22`` keeps 220-229),
    or (``members``) certifications already in certifications.csv. Nothing given = every row."""

    cfds: frozenset[str] = frozenset()
    rncps: frozenset[str] = frozenset()
    nsf: tuple[str, ...] = ()
    members: bool = False

    @classmethod
    def of(cls, cfds: Iterable[str] = (), rncps: Iterable[str] = (), nsf: Iterable[str] = (),
           members: bool = False) -> CertificationFilter:
        return cls(frozenset(c.strip().upper() for c in cfds if c.strip()),
                   frozenset(codes.check_rncp(r) for r in rncps if r.strip()),
                   tuple(n.strip().lower() for n in nsf if n.strip()), members)

    @property
    def active(self) -> bool:
        return bool(self.cfds or self.rncps or self.nsf or self.members)

    def keeps(self, cfd: str, rncp: str, nsf_codes: Iterable[str],
              known: tuple[set[str], set[str]]) -> bool:
        if not self.active:
            return True
        if cfd and (cfd in self.cfds or (self.members and cfd in known[0])):
            return True
        if rncp and (rncp in self.rncps or (self.members and rncp in known[1])):
            return True
        return any(code.startswith(prefix) for code in nsf_codes for prefix in self.nsf)


def raw_keys(rec: Record) -> tuple[str, str, list[str]]:
    """CFD, RNCP and NSF codes as written (for the filter, before any check)."""
    rncp = re.sub(r"\s+", "", rec.get("code_rncp")).upper()
    nsf = [p.strip().lower() for p in re.split(r"[;,|]", rec.get("code_nsf")) if p.strip()]
    return rec.get("code_scolarite").upper(), "RNCP" + rncp if rncp.isdigit() else rncp, nsf


def candidate(rec: Record) -> Candidate:
    cfd = codes.check_cfd(rec.get("code_scolarite"))
    rncp = codes.check_rncp(rec.get("code_rncp"))
    if not cfd and not rncp:
        raise Rejected("ni CFD (code_scolarite) ni RNCP (code_rncp) / missing key: no CFD, "
                       "no RNCP number")
    title = rec.first("libelle_formation_principal", "libelle_formation", "for_libelle")
    url = rec.first("url_et_id_onisep", "url", "for_url_et_id_onisep")
    onisep_id = _ONISEP_ID.search(url)
    values = {
        "intitule": title,
        "type": codes.certification_kind(rec.get("sigle_type_formation"),
                                         rec.get("libelle_type_formation"),
                                         rec.get("sigle_formation")),
        "niveau": codes.check_level(rec.first("niveau_de_certification",
                                              "libelle_niveau_de_certification")),
        "nsf": codes.check_codes(rec.get("code_nsf"), "NSF", "nsf"),
        "fiche_onisep": codes.check_url(url, "Onisep") if url.startswith("http") else "",
        "onisep": onisep_id.group(1) if onisep_id else "",
    }
    keys = {"cfd": cfd, "rncp": rncp}
    return Candidate(rec.line, keys, values, slugify(f"{title} {cfd or rncp}"), rec.cells)


def import_onisep_formations(project: Project, path: Path, options: ImportOptions | None = None,
                             keep: CertificationFilter | None = None) -> ImportResult:
    """Merge ONISEP's formations file ``path`` into the project's ``certifications.csv``."""
    options = options or ImportOptions()
    keep = keep or CertificationFilter()
    source = Input(path)
    csvfile = open_csv(source)
    if not csvfile.has("code_scolarite") and not csvfile.has("code_rncp"):
        raise SourceError([(Location(source.name, 1), ("colonnes code_scolarite / code_rncp "
                            "absentes : est-ce Idéo-Formations de l'Onisep ? / key columns "
                            "missing: is this ONISEP's Idéo-Formations file?"))])
    with ImportRun(project, DATASET, options, [path], keys=("cfd", "rncp"), provides=PROVIDES,
                   required=REQUIRED_NEW) as run:
        known = (run.merge.existing_values("cfd"), run.merge.existing_values("rncp"))
        for rec in records(csvfile, options.progress_for(f"onisep {path.name}")):
            run.result.read += 1
            if keep.active and not keep.keeps(*raw_keys(rec), known):
                run.result.skipped += 1
                continue
            try:
                cand = candidate(rec)
            except Rejected as exc:
                run.reject(source.name, rec.line, exc.reason, rec.cells, csvfile.delimiter)
                continue
            run.offer(source.name, cand, csvfile.delimiter)
    return run.result
