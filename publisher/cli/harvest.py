"""``cmq harvest CATALOG_URL… --out DIR``: thin command-line layer over publisher.harvest.run.

Exit codes: 0 a national release is current (rejected datasets are reported; with ``--strict``
any rejection gives 1), 1 nothing could be harvested (nothing published), 2 usage, 3 the
national configuration is wrong, 4 the release cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from publisher.cli.main import _EXTENSIONS, EXIT_INVALID, EXIT_OK, _emit, command
from publisher.harvest.fetch import Limits

_MIB = 1024 * 1024


@command("harvest")
def cmd_harvest(args: argparse.Namespace) -> int:
    """Moissonne des catalogues DCAT en une version nationale / harvest DCAT catalogues into
    one national release (one named graph per campus)."""
    from publisher.harvest.run import harvest

    quiet = bool(args.quiet or args.json)

    def progress(msg: str) -> None:
        if not quiet:
            print(f"cmq: {msg}", file=sys.stderr, flush=True)

    limits = Limits(max_bytes=args.max_mib * _MIB, max_catalog_bytes=args.max_catalog_mib * _MIB,
                    connect_timeout=args.timeout, read_timeout=args.timeout,
                    total_timeout=args.total_timeout, max_redirects=args.max_redirects)
    national = {"id": args.id, "name": args.name, "base_iri": args.base_iri,
                "public_url": args.public_url}
    summary = harvest(args.catalogs, args.out, limits=limits,
                      national={k: v for k, v in national.items() if v}, progress=progress)
    payload = summary.as_dict()
    ok = summary.release is not None and not (args.strict and summary.rejected)
    payload["ok"] = ok
    _emit(args, payload, summary.text())
    return EXIT_OK if ok else EXIT_INVALID


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "harvest", parents=[common], help=cmd_harvest.__doc__,
        description="Read DCAT catalogues (cmq's or any DCAT-AP catalogue offering RDF dumps), "
        "download and check each dataset's dump (http(s) only, checksum, size and time limits, "
        "conditional requests), validate it with the shapes, and publish one national release "
        "in DIR (one named graph per campus, with provenance); serve it with "
        "`cmq serve --project DIR`. Rejected datasets are reported, never merged.")
    p.add_argument("catalogs", nargs="+", metavar="CATALOG_URL",
                   help="URL d'un catalogue DCAT / URL of a DCAT catalogue (e.g. "
                   "http://campus.example/catalog)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="projet national / national project folder (created if needed)")
    p.add_argument("--id", help="identifiant national (1re fois) / national id (first run)")
    p.add_argument("--name", help="nom / name (first run)")
    p.add_argument("--base-iri", help="IRI de base nationale / national base IRI (first run)")
    p.add_argument("--public-url", help="adresse publique du serveur national / public URL of "
                   "the national server (first run)")
    d = Limits()
    p.add_argument("--max-mib", type=int, default=d.max_bytes // _MIB,
                   help="taille maximale d'un fichier / max size of a dump, MiB")
    p.add_argument("--max-catalog-mib", type=int, default=d.max_catalog_bytes // _MIB,
                   help="taille maximale d'un catalogue / max size of a catalogue, MiB")
    p.add_argument("--timeout", type=float, default=d.read_timeout,
                   help="délai de connexion et de lecture / connect and read timeout, s")
    p.add_argument("--total-timeout", type=float, default=d.total_timeout,
                   help="durée maximale d'un téléchargement / max time per download, s")
    p.add_argument("--max-redirects", type=int, default=d.max_redirects,
                   help="redirections suivies au plus / max redirects followed")
    p.add_argument("--strict", action="store_true",
                   help="code 1 si un jeu est rejeté / exit 1 when any dataset is rejected")


if register not in _EXTENSIONS:
    _EXTENSIONS.append(register)
