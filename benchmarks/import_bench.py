"""Benchmark of the national importers: a 65,000-row Annuaire and a 20,000-certification RNCP export.

    .venv/bin/python benchmarks/import_bench.py [--establishments 65000] [--certifications 20000]

Generates fictitious national files with the real headers in a temporary folder (UAI check
letters and SIRET Luhn digits computed; about 1% of rows carry an error, as real files do), copies
the shipped campus next to them, then runs each import in a fresh subprocess and reports its wall
time and the subprocess's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).
Runs: the whole Annuaire (65,000 establishments written to etablissements.csv), the Annuaire
filtered to two départements (a campus's usual case), and the whole RNCP export with its Rome,
Nsf, Formacode and Certificateurs files. Goal on the 2-core reference machine: < 30 s and
< 500 MB each. Results go to standard output (one line per run, then JSON).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

ANNUAIRE_HEADER = ["identifiant_de_l_etablissement", "nom_etablissement", "type_etablissement", "statut_public_prive", "adresse_1", "adresse_2", "adresse_3", "code_postal", "code_commune", "nom_commune", "code_departement", "code_academie", "code_region", "ecole_maternelle", "ecole_elementaire", "voie_generale", "voie_technologique", "voie_professionnelle", "telephone", "fax", "web", "mail", "restauration", "hebergement", "ulis", "apprentissage", "segpa", "section_arts", "section_cinema", "section_theatre", "section_sport", "section_internationale", "section_europeenne", "lycee_agricole", "lycee_militaire", "lycee_des_metiers", "post_bac", "appartenance_education_prioritaire", "greta", "siren_siret", "nombre_d_eleves", "fiche_onisep", "position", "type_contrat_prive", "libelle_departement", "libelle_academie", "libelle_region", "coordx_origine", "coordy_origine", "epsg_origine", "nom_circonscription", "latitude", "longitude", "precision_localisation", "date_ouverture", "date_maj_ligne", "etat", "ministere_tutelle", "multi_uai", "rpi_concentre", "rpi_disperse", "code_nature", "libelle_nature", "code_type_contrat_prive", "pial", "etablissement_mere", "type_rattachement_etablissement_mere", "code_circonscription", "code_zone_animation_pedagogique", "libelle_zone_animation_pedagogique", "code_bassin_formation", "libelle_bassin_formation"]
NATURES = [("Lycée", "320", "LYCEE PROFESSIONNEL"), ("Lycée", "306", "LYCEE POLYVALENT"),
           ("Collège", "340", "COLLEGE"), ("Ecole", "151", "ECOLE DE NIVEAU ELEMENTAIRE"),
           ("Lycée", "300", "LYCEE D ENSEIGNEMENT GENERAL ET TECHNOLOGIQUE")]
DEPARTEMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20]
ABREGES = [("CAP", "NIV3"), ("BAC PRO", "NIV4"), ("BTS", "NIV5"), ("TP", "NIV4"),
           ("LP", "NIV6"), ("MASTER", "NIV7"), ("CQP", "NIV3"), ("BP", "NIV4")]
ROME = ["H3201", "H3202", "H3203", "H2903", "H2902", "H2913", "H1404", "H1206", "I1304"]


def uai(n: int) -> str:
    digits = f"{n:07d}"
    return digits + UAI_LETTERS[int(digits) % 23]


def luhn_complete(prefix: str) -> str:
    """``prefix`` + the digit that makes it Luhn-valid."""
    for d in "0123456789":
        total = 0
        for i, c in enumerate(reversed(prefix + d)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return prefix + d
    raise AssertionError(prefix)


def siret(n: int) -> str:
    return luhn_complete(luhn_complete(f"9{n:07d}") + "0001")


def generate_annuaire(path: Path, n: int, rnd: random.Random) -> None:
    col = {h: i for i, h in enumerate(ANNUAIRE_HEADER)}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(ANNUAIRE_HEADER)
        for i in range(n):
            dep = DEPARTEMENTS[i % len(DEPARTEMENTS)]
            kind, code, label = NATURES[i % len(NATURES)]
            row = [""] * len(ANNUAIRE_HEADER)
            ident = uai(int(dep) * 100_000 + i)
            if i % 100 == 99:  # ~1% bad rows: wrong check letter
                ident = ident[:7] + ("A" if ident[7] != "A" else "B")
            values = {
                "identifiant_de_l_etablissement": ident,
                "nom_etablissement": f"{kind} fictif n° {i}",
                "type_etablissement": kind, "statut_public_prive": rnd.choice(["Public", "Privé"]),
                "adresse_1": f"{i % 200 + 1} rue de l'Exemple", "code_postal": f"{dep}{i % 900 + 100}",
                "code_commune": f"{dep}{i % 900 + 100}", "nom_commune": f"Commune fictive {i % 900}",
                "code_departement": f"0{dep}", "code_academie": f"{int(dep) % 30 + 1:02d}",
                "code_region": f"{int(dep) % 18 + 11}", "voie_generale": str(i % 2),
                "voie_professionnelle": str((i // 2) % 2), "apprentissage": str((i // 3) % 2),
                "post_bac": str((i // 5) % 2), "telephone": f"03 23 {i % 100:02d} 00 00",
                "web": f"www.etab-{i}.invalid", "mail": f"ce.{ident.lower()}@ac-fictive.invalid",
                "siren_siret": siret(i) if i % 3 == 0 else "",
                "fiche_onisep": f"https://onisep.invalid/etablissement/ENS.{i}",
                "latitude": f"{42 + rnd.random() * 8:.6f}", "longitude": f"{-4 + rnd.random() * 12:.6f}",
                "etat": "OUVERT", "code_nature": code, "libelle_nature": label,
                "libelle_departement": f"Département {dep}", "date_maj_ligne": "2026-01-10",
            }
            for k, v in values.items():
                row[col[k]] = v
            w.writerow(row)


def generate_rncp(folder: Path, n: int, rnd: random.Random) -> Path:
    stamp = "2026_01_15"
    std = folder / f"export_fiches_CSV_Standard_{stamp}.csv"
    files = {k: (folder / f"export_fiches_CSV_{k}_{stamp}.csv").open("w", encoding="utf-8",
                                                                      newline="")
             for k in ("Rome", "Nsf", "Formacode", "Certificateurs")}
    writers = {k: csv.writer(fh, delimiter=";", lineterminator="\n") for k, fh in files.items()}
    writers["Rome"].writerow(["Numero_Fiche", "Codes_Rome_Code", "Codes_Rome_Libelle"])
    writers["Nsf"].writerow(["Numero_Fiche", "Nsf_Code", "Nsf_Intitule"])
    writers["Formacode"].writerow(["Numero_Fiche", "Formacode_Code", "Formacode_Libelle"])
    writers["Certificateurs"].writerow(["Numero_Fiche", "Siret_Certificateur", "Nom_Certificateur"])
    with std.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(["Id_Fiche", "Numero_Fiche", "Intitule", "Abrege_Libelle", "Abrege_Intitule",
                    "Nomenclature_Europe_Niveau", "Nomenclature_Europe_Intitule",
                    "Accessible_Nouvelle_Caledonie", "Accessible_Polynesie_Francaise",
                    "Date_dernier_jo", "Date_Decision", "Date_Fin_Enregistrement", "Date_Effet",
                    "Type_Enregistrement", "Validation_Partielle", "Actif"])
        for i in range(n):
            num = f"RNCP{10000 + i}"
            abrege, level = ABREGES[i % len(ABREGES)]
            if i % 100 == 99:
                level = "NIV9"  # ~1% bad rows
            w.writerow([i, num, f"Certification fictive n° {i}", abrege, "", level, "", "Non",
                        "Non", "", "2023-05-10", "2028-08-31", "2023-09-01",
                        rnd.choice(["Enregistrement de droit", "Enregistrement sur demande"]),
                        "Oui", "ACTIVE" if i % 7 else "INACTIVE"])
            for code in rnd.sample(ROME, 2):
                writers["Rome"].writerow([num, code, "Métier fictif"])
            writers["Nsf"].writerow([num, rnd.choice(["200", "223", "225", "251", "254"]), ""])
            writers["Formacode"].writerow([num, f"{31000 + i % 900}", ""])
            writers["Certificateurs"].writerow([num, siret(i), "Certificateur fictif"])
    for fh in files.values():
        fh.close()
    return std


CHILD = """
import json, resource, sys, time
from pathlib import Path
from publisher.importers import AnnuaireFilter, ImportOptions, import_annuaire, import_rncp
from publisher.project.folder import Project
kind, project, path, deps = sys.argv[1], Project.open(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
t0 = time.perf_counter()
if kind == "annuaire":
    keep = AnnuaireFilter.of(departements=deps.split(",")) if deps else None
    r = import_annuaire(project, path, ImportOptions(date="2026-01-15", illustrative=True), keep)
else:
    r = import_rncp(project, path, ImportOptions(date="2026-01-15", illustrative=True))
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(peak, 1), "read": r.read,
                  "imported": r.imported, "merged": r.merged, "rejected": r.rejected,
                  "skipped": r.skipped}))
"""


def run(kind: str, campus: Path, path: Path, deps: str = "") -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(campus), str(path), deps],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def fresh_campus(where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    for folder in ("data", "ontology", "shapes"):
        shutil.copytree(ROOT / folder, where / folder)
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--establishments", type=int, default=65_000)
    parser.add_argument("--certifications", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args()
    rnd = random.Random(20260115)
    with tempfile.TemporaryDirectory(prefix="cmq-import-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        annuaire = work / "fr-en-annuaire-education.csv"
        generate_annuaire(annuaire, args.establishments, rnd)
        rncp = work / "rncp"
        rncp.mkdir(exist_ok=True)
        standard = generate_rncp(rncp, args.certifications, rnd)
        results: dict[str, dict[str, object]] = {}
        results["annuaire (all rows)"] = run("annuaire", fresh_campus(work / "c1"), annuaire)
        results["annuaire (départements 02, 80)"] = run("annuaire", fresh_campus(work / "c2"),
                                                        annuaire, "02,80")
        results["rncp (all records, 5 files)"] = run("rncp", fresh_campus(work / "c3"), standard)
        size = annuaire.stat().st_size / 1e6
        print(f"annuaire file: {args.establishments} rows, {size:.1f} MB; rncp: "
              f"{args.certifications} certifications")
        for name, r in results.items():
            print(f"{name:32s} {r['seconds']:7.2f} s  peak {r['peak_mb']:7.1f} MB  "
                  f"read {r['read']}  imported {r['imported']}  merged {r['merged']}  "
                  f"rejected {r['rejected']}  skipped {r['skipped']}")
        print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
