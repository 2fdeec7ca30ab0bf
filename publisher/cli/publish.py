"""``cmq publish --store URL``: load a release into a remote SPARQL 1.1 store and make it current.

Thin layer over :func:`publisher.remote.publish.publish_release` (docs/decisions/0011). Store
settings come from ``--store``/``--setting`` and the ``CMQ_*`` environment as for ``cmq serve``;
credentials only from ``CMQ_STORE_USER``/``CMQ_STORE_PASSWORD`` or a netrc-style file (there is
deliberately no option for them: they would end up in the shell history).

Exit codes: 0 published (or already current), 2 usage or configuration error, 4 the publish
failed (the store's current release did not change; re-running resumes). Errors are raised
and reported by publisher.cli.errors; the release is found by
:func:`publisher.release.folder.resolve_release`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from publisher.cli.errors import EXIT_OK, UsageError
from publisher.cli.output import Subparsers, emit, quiet, timed_progress


def cmd_publish(args: argparse.Namespace) -> int:
    """Publier une version dans un magasin SPARQL / publish a release into a SPARQL store."""
    from publisher.cli.serve import settings_from_args
    from publisher.project.folder import Project
    from publisher.release.folder import resolve_release
    from publisher.remote.dialects import StoreConfigError
    from publisher.remote.publish import PublishError, PublishOptions, publish_release
    from publisher.remote.store import open_store

    say = timed_progress(not quiet(args))
    settings = settings_from_args(args)
    if not settings.store and not settings.store_query_url:
        raise StoreConfigError("--store URL manquant / missing (or setting `store`)")
    project = Project.open(settings.project)
    folder = resolve_release(args.release, args.releases or project.releases_dir)
    keep = args.keep if args.keep is not None else project.config.releases_kept
    if keep < 1 or args.chunk_triples < 1 or args.retries < 0 or args.backoff < 0:
        raise UsageError("--keep et --chunk-triples ≥ 1, --retries et --backoff ≥ 0 / --keep "
                         "and --chunk-triples must be >= 1, --retries and --backoff >= 0")
    store = open_store(settings)  # a QueryError: the store could not even be asked
    options = PublishOptions(keep=keep, chunk_triples=args.chunk_triples, retries=args.retries,
                             backoff_s=args.backoff)
    say(f"{folder.name} → {store.label} ({store.dialect.name})")
    try:
        with store:
            report = publish_release(store, folder, options, say)
    except (PublishError, StoreConfigError) as exc:
        if args.json:  # the failure is also the machine-readable result
            emit(args, {"ok": False, "error": exc.message}, "")
        raise
    payload: dict[str, object] = {"ok": True, "store": store.label, **report.as_dict()}
    if report.status == "unchanged":
        text = (f"version {report.release_id} déjà courante dans / already current in "
                f"{store.label}")
    else:
        text = (f"version {report.release_id} courante dans / current in {store.label}: "
                f"{report.triples} triplets/triples, chargement/load {report.load_s:.1f} s, "
                f"vérification/verify {report.verify_s:.1f} s"
                + (f", reprise après le morceau / resumed after chunk {report.resumed_from}"
                   if report.resumed_from else "")
                + (" (déjà chargée / already loaded)" if report.status == "switched" else ""))
    if report.pruned:
        text += f"\nanciennes versions supprimées / old releases dropped: {' '.join(report.pruned)}"
    for warning in report.warnings:
        text += f"\nattention / warning: {warning}"
    emit(args, payload, text)
    return EXIT_OK


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "publish", parents=[common], help=cmd_publish.__doc__,
        description="Load a release into a remote SPARQL 1.1 store (Graph Store Protocol, in "
        "chunks, with retries and resume), verify it, make it current, drop old ones. "
        "Credentials: CMQ_STORE_USER / CMQ_STORE_PASSWORD or a netrc file (docs/deploy.md).")
    p.set_defaults(handler=cmd_publish)
    p.add_argument("--store", metavar="URL", help="URL de base du magasin / the store's base URL")
    p.add_argument("--release", default="current", metavar="ID|PATH",
                   help="version à publier / release to publish (default: current)")
    p.add_argument("--releases", type=Path, default=None, metavar="DIR",
                   help="dossier des versions / releases folder (default: PROJECT/releases)")
    p.add_argument("--keep", type=int, default=None, metavar="N",
                   help="versions gardées dans le magasin / releases kept in the store "
                   "(default: releases_conservees of campus.toml; at least 2)")
    p.add_argument("--chunk-triples", type=int, default=50_000, metavar="N",
                   help="triplets par envoi / triples per request (default 50000)")
    p.add_argument("--retries", type=int, default=5, metavar="N",
                   help="nouveaux essais d'un envoi / retries of a failed request (default 5)")
    p.add_argument("--backoff", type=float, default=1.0, metavar="S",
                   help="première attente, doublée à chaque essai / first wait, doubled at "
                   "each retry (default 1 s)")
    p.add_argument("--setting", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   default=[], help="réglage du magasin / store setting (store_dialect, "
                   "store_*_url, store_credentials; see docs/settings.md)")

