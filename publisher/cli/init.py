"""``cmq init`` and ``cmq ontology-check``: thin command-line layer over publisher.scaffold.init and
publisher.ontology.versioning (docs/decisions/0012-campus-projects.md, 0013-vocabulary-publishing.md).

A project that cannot be created, or an ontology check that cannot run, is a usage error (2,
raised: publisher.cli.errors); removed terms without a major version bump give 1."""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.cli.errors import EXIT_INVALID, EXIT_OK
from publisher.cli.output import Subparsers, emit


def cmd_init(args: argparse.Namespace) -> int:
    """Crée un nouveau projet de campus / create a new campus project (tables, guide, test)."""
    from publisher.scaffold.init import CampusSpec, init_project

    spec = CampusSpec(name=args.name, base_iri=args.base_iri, sectors=tuple(args.sector or ()),
                      public_url=args.public_url, id=args.id or "", name_en=args.name_en or "",
                      region=args.region or "", own_sectors=tuple(args.own_sector or ()))
    written = init_project(args.dir.resolve(), spec)
    folder = args.dir.resolve()
    text = (f"projet créé / project created: {folder} ({len(written)} fichiers/files)\n"
            f"  remplissez / fill in {folder / 'data'} (guide: data/LISEZMOI.md), puis / then:\n"
            f"  cmq --project {args.dir} validate && cmq --project {args.dir} build")
    emit(args, {"ok": True, "path": str(folder),
                  "files": [str(p.relative_to(folder)) for p in written]}, text)
    return EXIT_OK


def cmd_ontology_check(args: argparse.Namespace) -> int:
    """Vérifie les versions de l'ontologie / flag removed or renamed terms without a major bump."""
    from publisher.ontology.versioning import check_ontology, record_terms

    if args.record:
        path = record_terms(args.ontology)
        emit(args, {"ok": True, "recorded": str(path)},
             f"liste des termes écrite / term list written: {path}")
        return EXIT_OK
    check = check_ontology(args.ontology, args.against)
    emit(args, check.as_dict(), check.text())
    return EXIT_OK if check.ok else EXIT_INVALID


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    i = sub.add_parser("init", parents=[common], help=cmd_init.__doc__,
                       description=cmd_init.__doc__)
    i.set_defaults(handler=cmd_init)
    i.add_argument("dir", type=Path, metavar="DIR", help="dossier à créer (absent ou vide) / "
                   "folder to create (absent or empty)")
    i.add_argument("--name", required=True, help="nom du campus / the campus's name (French)")
    i.add_argument("--base-iri", required=True, metavar="IRI",
                   help="IRI de base des enregistrements / base IRI of the records, e.g. "
                   "https://w3id.org/cmq/campus/mon-campus/")
    i.add_argument("--sector", action="append", metavar="CODE",
                   help="secteur (liste cmq:secteur), répétable / sector code, repeatable")
    i.add_argument("--own-sector", action="append", metavar="LIBELLÉ",
                   help="secteur absent de la liste, déclaré par le campus (son libellé), "
                   "répétable / a sector missing from the list, declared by the campus (its "
                   "label), repeatable")
    i.add_argument("--public-url", default="http://127.0.0.1:8000/", metavar="URL",
                   help="adresse publique du serveur / the server's public URL")
    i.add_argument("--id", help="identifiant court / short key (default: from the name)")
    i.add_argument("--name-en", help="nom en anglais / English name")
    i.add_argument("--region", metavar="CODE", help="code région Insee / INSEE region code")
    o = sub.add_parser("ontology-check", parents=[common], help=cmd_ontology_check.__doc__,
                       description=cmd_ontology_check.__doc__)
    o.set_defaults(handler=cmd_ontology_check)
    o.add_argument("--against", metavar="PATH_OR_GIT_REV", default=None,
                   help="version de référence : liste de termes, fichier ou dossier .ttl, "
                   "révision git (défaut : la dernière liste ontology/terms/*.txt) / baseline")
    o.add_argument("--ontology", type=Path, default=None, metavar="DIR",
                   help="dossier de l'ontologie / ontology folder (default: cmq's own)")
    o.add_argument("--record", action="store_true",
                   help="écrire la liste des termes de cette version / write this version's "
                   "term list (ontology/terms/<version>.txt), at release time")

