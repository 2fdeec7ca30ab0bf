"""``cmq import KIND FILE`` and ``cmq export lheo``: thin command-line layer over
:mod:`publisher.importers` and :mod:`publisher.lheo.export` (errors are raised,
publisher.cli.errors)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.cli.errors import EXIT_OK
from publisher.cli.output import Subparsers, emit, quiet
from publisher.core.errors import Location, SourceError
from publisher.project.folder import Project

if TYPE_CHECKING:
    from publisher.importers import ImportOptions


def _list(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values → one list."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _options(args: argparse.Namespace) -> ImportOptions:
    from publisher.importers import ImportOptions
    from publisher.importers.reading import terminal_progress

    show = not quiet(args) and sys.stderr.isatty()
    return ImportOptions(date=args.date, illustrative=args.illustratif, rejects=args.rejets,
                         progress=terminal_progress if show else None, title=args.titre,
                         publisher=args.editeur, url=args.url, licence=args.licence)


def cmd_import(args: argparse.Namespace) -> int:
    """Importe des données nationales dans les tableaux du campus / import national open data
    into the campus's tables (annuaire, onisep-formations, rncp, lheo)."""
    from publisher.importers import (
        AnnuaireFilter,
        CertificationFilter,
        fill_wikidata_column,
        import_annuaire,
        import_lheo,
        import_onisep_formations,
        import_rncp,
        lookup_wikidata,
        wikidata_map_path,
        write_wikidata_map,
    )

    project = Project.open(args.project)
    options = _options(args)
    if not args.file.exists():  # a missing source: exit 3, as any unreadable source
        raise SourceError([(Location(str(args.file)), "fichier absent / file missing")])
    if args.kind == "annuaire":
        keep = AnnuaireFilter.of(_list(args.uai), _list(args.departement), args.membres)
        result = import_annuaire(project, args.file, options, keep)
        if args.wikidata_endpoint:
            from publisher.importers.merge import read_campus_table

            header, rows = read_campus_table(project.data_dir / "etablissements.csv")
            u = header.index("uai")
            found = lookup_wikidata([r[u] for r in rows if r[u]], args.wikidata_endpoint)
            write_wikidata_map(wikidata_map_path(project), found)
            filled = fill_wikidata_column(project, found)
            result.notes.append(f"Wikidata: {len(found)} UAI trouvés / found, {filled} lignes "
                                f"complétées / rows filled ({wikidata_map_path(project)})")
    elif args.kind in ("onisep-formations", "rncp"):
        keep_c = CertificationFilter.of(_list(args.cfd), _list(args.rncp), _list(args.nsf),
                                        args.membres)
        if args.kind == "rncp":
            sides = {k: v for k, v in (("rome", args.rome_file), ("nsf", args.nsf_file),
                                       ("formacode", args.formacode_file),
                                       ("certificateurs", args.certificateurs_file)) if v}
            result = import_rncp(project, args.file, options, keep_c, args.actives, sides)
        else:
            result = import_onisep_formations(project, args.file, options, keep_c)
    else:
        result = import_lheo(project, args.file, options)
    emit(args, result.as_dict(), result.text())
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Exporte les formations du campus / export the campus's formations (lheo: LHEO 2.3 XML)."""
    from publisher.lheo.export import export_lheo

    project = Project.open(args.project)
    data, count = export_lheo(project, args.output)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    emit(args, {"ok": True, "format": args.format, "formations": count,
                 "output": str(args.output), "bytes": len(data)},
          f"{count} formations exportées / exported ({args.format}) → {args.output}")
    return EXIT_OK


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", help=cmd_import.__doc__, description=cmd_import.__doc__)
    imp.set_defaults(handler=cmd_import)
    kinds = imp.add_subparsers(dest="kind", required=True, metavar="KIND")
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("file", type=Path, metavar="FILE", help="fichier national / national file")
    shared.add_argument("--date", help="date du fichier pour sources.csv / date of the file "
                        "(YYYY-MM-DD, default: today)")
    shared.add_argument("--illustratif", "--illustrative", action="store_true",
                        help="marquer les lignes importées comme fictives / mark imported rows "
                             "as illustrative (demonstration files)")
    shared.add_argument("--rejets", "--rejects", type=Path, default=None, metavar="CSV",
                        help="fichier des lignes rejetées / rejected-rows file (default: "
                             "PROJECT/imports/KIND-rejets.csv)")
    shared.add_argument("--titre", "--title", default=None, help="titre de la source / title")
    shared.add_argument("--editeur", "--publisher", default=None, help="éditeur / publisher")
    shared.add_argument("--url", default=None, help="adresse du jeu de données / dataset URL")
    shared.add_argument("--licence", "--license", default=None, help="licence (URL)")
    certs = argparse.ArgumentParser(add_help=False)
    certs.add_argument("--cfd", action="append", help="garder ces CFD / keep these CFD codes")
    certs.add_argument("--rncp", action="append", help="garder ces fiches / keep these RNCP")
    certs.add_argument("--nsf", action="append",
                       help="garder ces codes NSF (préfixes) / keep these NSF codes (prefixes)")
    certs.add_argument("--membres", "--members", action="store_true",
                       help="garder les certifications déjà au campus / keep the campus's own")
    a = kinds.add_parser("annuaire", parents=[common, shared],
                         help="Annuaire de l'éducation → etablissements.csv")
    a.add_argument("--uai", action="append", help="garder ces UAI / keep these UAIs (a,b or "
                   "repeated)")
    a.add_argument("--departement", action="append",
                   help="garder ces départements / keep these départements (02,80)")
    a.add_argument("--membres", "--members", action="store_true",
                   help="garder les établissements déjà au campus / keep the campus's own")
    a.add_argument("--wikidata-endpoint", default=None, metavar="URL",
                   help="chercher les entités Wikidata par UAI (P3202) en ligne / look up "
                        "Wikidata entities by UAI online (off by default)")
    kinds.add_parser("onisep-formations", parents=[common, shared, certs],
                     help="Onisep Idéo-Formations → certifications.csv")
    r = kinds.add_parser("rncp", parents=[common, shared, certs],
                         help="France Compétences RNCP export → certifications.csv")
    r.add_argument("--actives", "--active-only", action="store_true",
                   help="seulement les fiches actives / active records only")
    for side in ("rome", "nsf", "formacode", "certificateurs"):
        r.add_argument(f"--{side}-file", type=Path, default=None, metavar="CSV",
                       help=f"fichier {side} (défaut : trouvé près du Standard) / {side} file")
    kinds.add_parser("lheo", parents=[common, shared], help="offre LHEO 2.3 → formations.csv")
    e = sub.add_parser("export", parents=[common], help=cmd_export.__doc__,
                       description=cmd_export.__doc__)
    e.set_defaults(handler=cmd_export)
    e.add_argument("format", choices=["lheo"], help="format")
    e.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="fichier écrit / output file (default: standard output)")

