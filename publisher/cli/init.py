"""``cmq init`` and ``cmq ontology-check``: thin command-line layer over publisher.scaffold.init and
publisher.ontology.versioning (docs/decisions/0012-campus-projects.md, 0013-vocabulary-publishing.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from publisher.cli.main import _EXTENSIONS, EXIT_INVALID, EXIT_OK, EXIT_USAGE, _emit, command


@command("init")
def cmd_init(args: argparse.Namespace) -> int:
    """Crée un nouveau projet de campus / create a new campus project (tables, guide, test)."""
    from publisher.scaffold.init import CampusSpec, InitError, init_project

    spec = CampusSpec(name=args.name, base_iri=args.base_iri, sectors=tuple(args.sector or ()),
                      public_url=args.public_url, id=args.id or "", name_en=args.name_en or "",
                      region=args.region or "")
    try:
        written = init_project(args.dir.resolve(), spec)
    except InitError as exc:
        print(f"cmq init: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    folder = args.dir.resolve()
    text = (f"projet créé / project created: {folder} ({len(written)} fichiers/files)\n"
            f"  remplissez / fill in {folder / 'data'} (guide: data/LISEZMOI.md), puis / then:\n"
            f"  cmq --project {args.dir} validate && cmq --project {args.dir} build")
    _emit(args, {"ok": True, "path": str(folder),
                  "files": [str(p.relative_to(folder)) for p in written]}, text)
    return EXIT_OK


@command("ontology-check")
def cmd_ontology_check(args: argparse.Namespace) -> int:
    """Vérifie les versions de l'ontologie / flag removed or renamed terms without a major bump."""
    from publisher.ontology.versioning import OntologyCheckError, check_ontology, record_terms

    try:
        if args.record:
            path = record_terms(args.ontology)
            _emit(args, {"ok": True, "recorded": str(path)},
                  f"liste des termes écrite / term list written: {path}")
            return EXIT_OK
        check = check_ontology(args.ontology, args.against)
    except OntologyCheckError as exc:
        print(f"cmq ontology-check: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    _emit(args, check.as_dict(), check.text())
    return EXIT_OK if check.ok else EXIT_INVALID


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    i = sub.add_parser("init", parents=[common], help=cmd_init.__doc__,
                       description=cmd_init.__doc__)
    i.add_argument("dir", type=Path, metavar="DIR", help="dossier à créer (absent ou vide) / "
                   "folder to create (absent or empty)")
    i.add_argument("--name", required=True, help="nom du campus / the campus's name (French)")
    i.add_argument("--base-iri", required=True, metavar="IRI",
                   help="IRI de base des enregistrements / base IRI of the records, e.g. "
                   "https://w3id.org/cmq/campus/mon-campus/")
    i.add_argument("--sector", action="append", metavar="CODE",
                   help="secteur (liste cmq:secteur), répétable / sector code, repeatable")
    i.add_argument("--public-url", default="http://127.0.0.1:8000/", metavar="URL",
                   help="adresse publique du serveur / the server's public URL")
    i.add_argument("--id", help="identifiant court / short key (default: from the name)")
    i.add_argument("--name-en", help="nom en anglais / English name")
    i.add_argument("--region", metavar="CODE", help="code région Insee / INSEE region code")
    o = sub.add_parser("ontology-check", parents=[common], help=cmd_ontology_check.__doc__,
                       description=cmd_ontology_check.__doc__)
    o.add_argument("--against", metavar="PATH_OR_GIT_REV", default=None,
                   help="version de référence : liste de termes, fichier ou dossier .ttl, "
                   "révision git (défaut : la dernière liste ontology/terms/*.txt) / baseline")
    o.add_argument("--ontology", type=Path, default=None, metavar="DIR",
                   help="dossier de l'ontologie / ontology folder (default: cmq's own)")
    o.add_argument("--record", action="store_true",
                   help="écrire la liste des termes de cette version / write this version's "
                   "term list (ontology/terms/<version>.txt), at release time")


if register not in _EXTENSIONS:
    _EXTENSIONS.append(register)
