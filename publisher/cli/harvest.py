"""``cmq harvest CATALOG_URL… --out DIR``: thin command-line layer over publisher.harvest.run.

Exit codes: 0 a national release is current (rejected datasets are reported; with ``--strict``
any rejection gives 1), 1 nothing could be harvested (nothing published), 2 usage, 3 the
national configuration is wrong, 4 the release cannot be written (errors are raised,
publisher.cli.errors).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.cli.errors import EXIT_INVALID, EXIT_OK, UsageError
from publisher.cli.output import Subparsers, emit, prefixed_progress, quiet

if TYPE_CHECKING:
    from publisher.harvest.fetch import Limits

_MIB = 1024 * 1024


def cmd_harvest(args: argparse.Namespace) -> int:
    """Moissonne des catalogues DCAT en une version nationale / harvest DCAT catalogues into
    one national release (one named graph per campus)."""
    from publisher.harvest.addresses import AddressPolicy, AddressRefused
    from publisher.harvest.run import harvest

    try:
        AddressPolicy.of(args.allow_address)
    except AddressRefused as exc:
        raise UsageError(f"--allow-address: {exc.detail}") from exc
    progress = prefixed_progress(not quiet(args))
    limits = _limits(args)
    national = {"id": args.id, "name": args.name, "base_iri": args.base_iri,
                "public_url": args.public_url}
    summary = harvest(args.catalogs, args.out, limits=limits,
                      national={k: v for k, v in national.items() if v}, progress=progress,
                      allow_addresses=args.allow_address)
    payload = summary.as_dict()
    ok = summary.release is not None and not (args.strict and summary.rejected)
    payload["ok"] = ok
    emit(args, payload, summary.text())
    return EXIT_OK if ok else EXIT_INVALID


def _limits(args: argparse.Namespace) -> Limits:
    """The download limits: the options given, else the defaults of :class:`Limits` (which
    imports httpx: not at parser time)."""
    from publisher.harvest.fetch import Limits

    d = Limits()

    def given(value: float | None, default: float) -> float:
        return default if value is None else value

    timeout = given(args.timeout, d.read_timeout)
    return Limits(max_bytes=int(given(args.max_mib, d.max_bytes // _MIB)) * _MIB,
                  max_catalog_bytes=int(given(args.max_catalog_mib,
                                              d.max_catalog_bytes // _MIB)) * _MIB,
                  connect_timeout=timeout, read_timeout=timeout,
                  total_timeout=given(args.total_timeout, d.total_timeout),
                  max_redirects=int(given(args.max_redirects, d.max_redirects)),
                  max_triples=int(given(args.max_triples, d.max_triples)))


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "harvest", parents=[common], help=cmd_harvest.__doc__,
        description="Read DCAT catalogues (cmq's or any DCAT-AP catalogue offering RDF dumps), "
        "download and check each dataset's dump (http(s) only, checksum, size and time limits, "
        "conditional requests), validate it with the shapes, and publish one national release "
        "in DIR (one named graph per campus, with provenance); serve it with "
        "`cmq serve --project DIR`. Rejected datasets are reported, never merged.")
    p.set_defaults(handler=cmd_harvest)
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
    p.add_argument("--max-mib", type=int, default=None,
                   help="taille maximale d'un fichier / max size of a dump, MiB (default 512)")
    p.add_argument("--max-catalog-mib", type=int, default=None,
                   help="taille maximale d'un catalogue / max size of a catalogue, MiB "
                   "(default 16)")
    p.add_argument("--timeout", type=float, default=None,
                   help="délai de connexion et de lecture / connect and read timeout, s "
                   "(default 30)")
    p.add_argument("--total-timeout", type=float, default=None,
                   help="durée maximale d'un téléchargement / max time per download, s "
                   "(default 600)")
    p.add_argument("--max-triples", type=int, default=None,
                   help="triplets au plus par jeu / max triples of one dataset (default "
                   "1000000; a larger one is rejected alone)")
    p.add_argument("--max-redirects", type=int, default=None,
                   help="redirections suivies au plus / max redirects followed (default 5)")
    p.add_argument("--allow-address", action="append", default=[], metavar="IP[/BITS]",
                   help="adresse ou réseau non public autorisé (répétable) / non-public address "
                   "or network allowed (repeatable), e.g. 127.0.0.1 or 10.0.0.0/8; by default "
                   "only public addresses are contacted, on every redirect too")
    p.add_argument("--strict", action="store_true",
                   help="code 1 si un jeu est rejeté / exit 1 when any dataset is rejected")

