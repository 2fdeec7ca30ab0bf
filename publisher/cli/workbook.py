"""``cmq workbook``: thin command-line layer over publisher.convert.workbook (write the campus's
tables as one workbook with drop-down lists; docs/decisions/0018-office-files.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.cli.errors import EXIT_OK, UsageError
from publisher.cli.output import Subparsers, emit
from publisher.project.folder import Project


def cmd_workbook(args: argparse.Namespace) -> int:
    """Écrit le classeur des tableaux / write the tables as one workbook with drop-down lists."""
    from publisher.convert.workbook import write_tables, write_workbook

    project = Project.open(args.project)
    if args.tables:
        paths = write_tables(project)
        emit(args, {"ok": True, "paths": [str(p) for p in paths]},
             "tableaux écrits / tables written: " + " ".join(p.name for p in paths))
        return EXIT_OK
    dest = args.output or project.data_dir / "campus.xlsx"
    if dest.suffix.lower() != ".xlsx":
        raise UsageError(f"{dest}: cmq workbook écrit un classeur .xlsx (Calc l'ouvre et peut "
                         f"l'enregistrer en .ods) / cmq workbook writes an .xlsx workbook")
    written = write_workbook(project, dest)
    text = (f"classeur écrit / workbook written: {written}\n"
            f"  pour le lire à la place des CSV, ajoutez à data/campus.toml / to read it instead "
            f"of the CSV files, add to data/campus.toml:\n"
            f"  [tableaux]\n  classeur = \"{written.name}\"")
    emit(args, {"ok": True, "path": str(written)}, text)
    return EXIT_OK


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    w = sub.add_parser("workbook", parents=[common], help=cmd_workbook.__doc__,
                       description=cmd_workbook.__doc__)
    w.set_defaults(handler=cmd_workbook)
    w.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="classeur à écrire / workbook to write (default: data/campus.xlsx)")
    w.add_argument("--tables", action="store_true",
                   help="réécrire les CSV depuis le classeur / write the CSV tables back from the "
                        "workbook of campus.toml")
