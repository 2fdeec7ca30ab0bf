"""Generate a fictitious national-scale campus project for benchmarks.

    python benchmarks/generate.py OUT_DIR --establishments 10000

writes OUT_DIR/data/ (campus.toml + the CSV tables) in the shipped layout, with ~100 triples per
establishment once converted (10,000 establishments ≈ 1M triples: ~50,000 formations, ~5,000
partners, memberships, certifications, partnerships). Everything is fictitious and marked
illustrative; identifiers are valid in form only (UAI check letters and SIRET Luhn digits are
computed, so validation does real work). Deterministic: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
ROOT = Path(__file__).resolve().parents[1]
ROUTES = ["voie-scolaire", "apprentissage", "formation-continue"]
ETAB_KINDS = ["lycee-professionnel", "lycee-polyvalent", "lycee-general-technologique", "cfa",
              "greta", "iut", "universite", "ecole-ingenieurs", "organisme-formation"]
PARTNER_KINDS = ["entreprise", "plateforme-technologique", "laboratoire", "autorite", "federation"]
CERT_KINDS = [("cap", 3), ("bac-pro", 4), ("bp", 4), ("mc", 4), ("bts", 5), ("but", 6),
              ("licence-pro", 6), ("master", 7), ("ingenieur", 7), ("titre-pro", 5), ("cqp", 3)]
PARTNERSHIP_KINDS = ["hebergement-plateforme", "equipement-partage", "collaboration-recherche",
                     "convention-formation", "financement", "soutien"]
ROME = ["H3201", "H3202", "H3203", "H2903", "H2902", "H2913", "H1404", "H1206", "I1304", "H2912"]
NSF = ["200", "223", "225", "250", "251", "254", "255", "200r"]


def uai(n: int) -> str:
    digits = f"{n:07d}"
    return digits + UAI_LETTERS[int(digits) % 23]


def luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        s = prefix + d
        total = 0
        for i, c in enumerate(reversed(s)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return s
    raise AssertionError(prefix)


def siret(n: int) -> str:
    siren = luhn_complete(f"99{n:06d}")
    return luhn_complete(siren + "0001")


def write(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def generate(out: Path, establishments: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    shutil.copy(ROOT / "data" / "mapping.toml", data / "mapping.toml")
    n_terr = max(4, establishments // 100)
    territories = "\n".join(
        f'[[territoires]]\nid = "territoire-{i}"\nnom = "Territoire fictif {i}"\n'
        for i in range(n_terr))
    (data / "campus.toml").write_text(f"""[campus]
id = "national-fictif"
nom = "Réseau national fictif de campus (benchmark)"
secteurs = ["plasturgie", "metallurgie", "aeronautique", "numerique", "energie"]
region = "32"
date_label = "2013"
sources = ["bench"]
missions = ["Mesurer les performances de cmq."]

{territories}
[publication]
base_iri = "https://example.org/cmq-bench/"
public_url = "http://127.0.0.1:8000/"
releases_conservees = 2
""", encoding="utf-8")
    write(data / "sources.csv", ["id", "titre", "editeur", "date", "url"],
          [["bench", "Données fictives générées pour les mesures de performance", "cmq-lod",
            "2026-11-25", ""]])
    common = ["adresse", "code_postal", "commune", "code_commune", "latitude", "longitude",
              "territoire", "site_web", "telephone", "courriel", "illustratif", "source"]

    def place(i: int) -> list[object]:
        dep = rnd.choice(["02", "60", "80", "59", "62"])
        return [f"{i} rue Fictive", f"{dep}{rnd.randrange(0, 1000):03d}", f"Commune {i % 997}",
                f"{dep}{rnd.randrange(1, 999):03d}", f"{rnd.uniform(42, 51):.4f}",
                f"{rnd.uniform(-4, 8):.4f}", f"territoire-{i % n_terr}", "", "",
                f"contact@etab-{i}.invalid", "oui", "bench"]

    etabs = [[f"etab-{i}", f"Établissement fictif {i}", rnd.choice(ETAB_KINDS),
              rnd.choice(["public", "prive"]), uai(1000000 + i), siret(i) if i % 3 == 0 else "",
              siret(i)[:9] if i % 3 == 1 else "", *place(i)] for i in range(establishments)]
    write(data / "etablissements.csv",
          ["id", "nom", "nature", "statut", "uai", "siret", "siren", *common], etabs)
    n_partners = establishments // 2
    partners = [[f"partenaire-{i}", f"Partenaire fictif {i}", rnd.choice(PARTNER_KINDS),
                 siret(500000 + i), *place(i)] for i in range(n_partners)]
    write(data / "partenaires.csv", ["id", "nom", "nature", "siret", *common], partners)
    members = [[f"etab-{i}", "etablissement-membre", "2014-09-01", "", "oui", "bench"]
               for i in range(establishments)]
    members += [[f"partenaire-{i}", rnd.choice(["partenaire-industriel", "partenaire-recherche"]),
                 "2015", "", "oui", "bench"] for i in range(n_partners)]
    write(data / "adhesions.csv",
          ["organisation", "role", "debut", "fin", "illustratif", "source"], members)
    n_certs = max(20, establishments // 5)
    certs = []
    for i in range(n_certs):
        kind, level = CERT_KINDS[i % len(CERT_KINDS)]
        certs.append([f"cert-{i}", f"Certification fictive {i}", kind, level,
                      f"RNCP{90000 + i % 9999}", f"ZZZ{i % 1000:03d}01",
                      rnd.choice(NSF), ";".join(rnd.sample(ROME, 2)), "oui", "bench"])
    write(data / "certifications.csv", ["id", "intitule", "type", "niveau", "rncp", "cfd", "nsf",
                                        "rome", "illustratif", "source"], certs)
    forms = []
    for i in range(establishments * 5):
        routes = ";".join(sorted(rnd.sample(ROUTES, rnd.randint(1, 2))))
        forms.append([f"formation-{i}", f"Formation fictive {i}", f"cert-{rnd.randrange(n_certs)}",
                      f"etab-{i % establishments}", routes, f"P{rnd.randint(1, 3)}Y",
                      rnd.randint(8, 40), "", "oui", "bench"])
    write(data / "formations.csv", ["id", "intitule", "certification", "etablissement", "voies",
                                    "duree", "places", "site_web", "illustratif", "source"], forms)
    ships = [[f"partenariat-{i}", f"Partenariat fictif {i}", rnd.choice(PARTNERSHIP_KINDS),
              f"partenaire-{i % n_partners};etab-{(i * 7) % establishments}", "2015-01-01",
              "2018-12-31", "Projet fictif.", "oui", "bench"]
             for i in range(max(5, establishments // 2))]
    write(data / "partenariats.csv", ["id", "intitule", "type", "parties", "debut", "fin", "objet",
                                      "illustratif", "source"], ships)
    write(data / "chiffres.csv", ["id", "libelle", "indicateur", "voie", "valeur", "date",
                                  "illustratif", "source"],
          [["apprenants", "Apprenants (fictif)", "apprenants", "", establishments * 250,
            "2026-09-01", "oui", "bench"]])
    pad_to_mapping(data)


def pad_to_mapping(data: Path) -> None:
    """Add, empty, every column the mapping reads that a table above does not have yet (the
    mapping grows with the importers; an empty cell emits nothing)."""
    from publisher.convert.mapping import load_mapping

    for table in load_mapping(data / "mapping.toml").tables:
        path = data / table.file
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        missing = sorted(table.columns() - set(rows[0]))
        if missing:
            write(path, rows[0] + missing, [r + [""] * len(missing) for r in rows[1:]])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--establishments", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    generate(a.out, a.establishments, a.seed)


if __name__ == "__main__":
    main()
