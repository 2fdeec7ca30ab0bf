"""``cmq serve``: serve the current release (built first when there is none) over HTTP.

:func:`add_parsers` adds the command to the tree of :mod:`publisher.cli.main`; the work is in
:mod:`publisher.server` and :mod:`publisher.project.settings`. :func:`settings_from_args` is
shared with ``cmq publish``. Errors (settings, store) are raised (publisher.cli.errors).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from publisher.cli.errors import EXIT_OK
from publisher.cli.output import Subparsers, prefixed_progress
from publisher.project.settings import SETTINGS, Settings, load_settings, show_value


def settings_from_args(args: argparse.Namespace, env: dict[str, str] | None = None) -> Settings:
    """Defaults < ``CMQ_*`` environment < ``--setting`` < ``--host``/``--port``/``--project``."""
    project = getattr(args, "project", None)
    return load_settings(
        getattr(args, "setting", None) or [],
        env=dict(os.environ) if env is None else env,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        project=project if project is not None and project != Path(".") else None,
        store=getattr(args, "store", None),
    )


_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


def public_url_warning(public_url: str, host: str, port: int) -> str | None:
    """A warning when the release's ``public_url`` names a local address other than the one
    served: its download links, landing page and schema.org data would point at nothing. A public
    ``public_url`` (a reverse proxy in front) is not second-guessed."""
    parts = urlsplit(public_url)
    if (parts.hostname or "") not in _LOCAL_HOSTS:
        return None
    loopback = host in _LOCAL_HOSTS and host not in ("0.0.0.0", "::", "")
    if loopback and (parts.port or (443 if parts.scheme == "https" else 80)) == port:
        return None  # the same machine and port: the links work where they are followed
    served = f"http://{host or '0.0.0.0'}:{port}/"
    return (f"attention : les liens de la version pointent vers {public_url} mais le serveur "
            f"répond sur {served} ; reconstruisez avec `cmq build --public-url URL` ou réglez "
            f"public_url dans data/campus.toml / warning: the release's links point to "
            f"{public_url} but this server answers on {served}; rebuild with "
            f"`cmq build --public-url URL` or set public_url in data/campus.toml")


def _print_settings(settings: Settings) -> None:
    width = max(len(s.name) for s in SETTINGS)
    for s in SETTINGS:
        print(f"{s.name:<{width}}  {show_value(getattr(settings, s.name)):<24}  {s.env_var}")


def cmd_serve(args: argparse.Namespace) -> int:
    """Servir la version courante (SPARQL, fichiers, pages) / serve the current release."""
    import uvicorn

    from publisher.project.folder import Project
    from publisher.server.app import create_app
    from publisher.server.connections import ShortRequestTargets, protocol_class
    from publisher.server.state import ensure_release

    settings = settings_from_args(args)
    if getattr(args, "watch", False):
        settings = dataclasses.replace(settings, watch=True)
    if args.list_settings:
        _print_settings(settings)
        return EXIT_OK
    quiet = bool(getattr(args, "quiet", False))
    say = prefixed_progress(not quiet)
    project = Project.open(settings.project)
    if settings.store:  # the store names the release (decision 0011); fail early and clearly
        from publisher.remote.serving import StoreSource

        source = StoreSource(settings)
        try:
            folder = source.require_target(project)
        finally:
            source.close()
    else:
        folder = ensure_release(project, settings.build_if_missing, say)
    say(f"version {folder.name} sur / on http://{settings.host}:{settings.port}/ "
        f"(SPARQL : /sparql)")
    if not settings.store:
        from publisher.release.manifest import read_release

        note = public_url_warning(read_release(folder).config.public_url, settings.host,
                                  settings.port)
        if note:
            print(note, file=sys.stderr)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning" if quiet else settings.log_level,
        lifespan="on",
        # header/body time limits and the connection cap (publisher/server/connections.py)
        http=protocol_class(settings),
        timeout_keep_alive=settings.keepalive_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=max(int(settings.query_timeout) + 1, 2),
        server_header=False,
    )
    logging.getLogger("uvicorn.access").addFilter(ShortRequestTargets())
    uvicorn.Server(config).run()
    return EXIT_OK


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve", parents=[common], help=cmd_serve.__doc__,
        description="Serve the current release of the campus: SPARQL 1.1 endpoint (/sparql), "
        "dumps (/dumps/…), catalogue (/catalog), VoID (/.well-known/void), resource pages. "
        "Builds the release first when there is none. Settings: docs/settings.md.",
    )
    p.set_defaults(handler=cmd_serve)
    p.add_argument("--host", help="adresse d'écoute / interface (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--store", metavar="URL", help="servir depuis un magasin SPARQL distant / "
                   "serve from a remote SPARQL store (setting `store`, docs/deploy.md)")
    p.add_argument("--setting", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   default=[], help="réglage / setting (repeatable; see --list-settings)")
    p.add_argument("--watch", action="store_true",
                   help="reconstruire quand un tableau change / rebuild when a table changes "
                        "(setting `watch`)")
    p.add_argument("--list-settings", action="store_true",
                   help="afficher les réglages en vigueur / print the settings in force")

