"""``cmq validate``, ``cmq build`` and ``cmq diff``: thin command-line layer over
publisher.validate.validation, publisher.release.build and publisher.release.changeset.

``build`` prints what :class:`publisher.release.build.BuildResult` says (text or ``--json``);
``validate`` and ``build`` return 1 when the data violates the shapes, ``diff --exit-code`` when
the releases differ. A failed ``build`` says that nothing was published and writes the HTML report
of the attempt to ``releases/echec/validation.html`` (publisher.release.failure); a successful one
removes it. Other errors are raised (publisher.cli.errors).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.cli.errors import EXIT_INVALID, EXIT_OK, UsageError
from publisher.cli.output import Subparsers, emit, quiet, timed_progress
from publisher.project.folder import Project
from publisher.release.model import MANIFEST

if TYPE_CHECKING:
    from publisher.release.build import BuildResult
    from publisher.validate.validation import Report


def _report_payload(report: Report) -> dict[str, object]:
    return {"violations": report.count("Violation"), "warnings": report.count("Warning"),
            "problems": [p.as_dict() for p in report.problems]}


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the campus's sources against the shapes (nothing is written)."""
    from publisher.validate.validation import validate_project

    project = Project.open(args.project)
    conv, report = validate_project(project)
    payload = {"ok": report.conforms, "triples": len(conv.sorted_lines()),
               **_report_payload(report)}
    emit(args, payload, report.text())
    return EXIT_OK if report.conforms else EXIT_INVALID


def cmd_build(args: argparse.Namespace) -> int:
    """Construit et publie une version / build and publish a release (dumps, catalogue, report)."""
    from publisher.release.build import build_release
    from publisher.release.failure import clear_failure, record_failure
    from publisher.release.folder import current_release
    from publisher.validate.validation import ValidationFailed

    project = Project.open(args.project)
    if args.public_url:
        if not args.public_url.startswith(("http://", "https://")):
            raise UsageError(f"--public-url {args.public_url!r}: une URL http(s) est attendue / "
                             "an http(s) URL is expected")
        project = dataclasses.replace(project, public_url=args.public_url)
    releases_dir = args.out or project.releases_dir
    progress = timed_progress(not quiet(args) and sys.stderr.isatty())
    try:
        result = build_release(project, args.out, progress=progress, incremental=not args.full)
    except ValidationFailed as exc:
        report_path = record_failure(releases_dir, exc.report, project.config)
        print(exc.report.text(), file=sys.stderr)
        print(failed_text(report_path, current_release(releases_dir) is not None),
              file=sys.stderr)
        if args.json:
            emit(args, {"ok": False, "published": False, "report": str(report_path),
                        **_report_payload(exc.report)}, "")
        return EXIT_INVALID
    clear_failure(releases_dir)
    emit(args, build_payload(result), build_text(result))
    stale = stale_public_url(result, project.config.public_url)
    if stale:
        print(stale, file=sys.stderr)
    return EXIT_OK


def failed_text(report_path: Path, served: bool = True) -> str:
    """What a build refused by validation says after its problems (``served``: an earlier
    release is still served; else there is none yet), and what to do next."""
    fr, en = (("la version servie reste la précédente", "the served release is unchanged")
              if served else ("et aucune version n'est encore publiée", "and no release exists yet"))
    return (f"ÉCHEC : rien n'a été publié, {fr}. Corrigez les violations ci-dessus (les "
            f"avertissements n'empêchent pas de publier ; le rapport les regroupe par fichier et "
            f"ligne : {report_path}), puis relancez cmq build.\n"
            f"FAILED: nothing was published, {en}. Fix the violations above (warnings do not "
            f"stop publishing; the report groups them by file and row: {report_path}), then run "
            f"cmq build again.")


def stale_public_url(result: BuildResult, wanted: str) -> str | None:
    """A warning when an already-built release (same data) was written for another
    ``public_url``: its links keep that address (the release id depends on the data only)."""
    if result.status == "published":
        return None
    try:
        raw = json.loads((result.path / MANIFEST).read_text("utf-8"))
        written = str(raw["campus"]["public_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if written == wanted:
        return None
    return (f"attention : la version {result.info.release_id} existait déjà, écrite pour "
            f"{written} ; ses liens ne changent pas tant que les données ne changent pas "
            f"(supprimez releases/{result.info.release_id} pour la réécrire pour {wanted}) / "
            f"warning: release {result.info.release_id} already existed, written for "
            f"{written}; its links stay until the data change (remove "
            f"releases/{result.info.release_id} to rewrite it for {wanted})")


def build_payload(result: BuildResult) -> dict[str, object]:
    """``cmq build --json``."""
    info = result.info
    return {
        "ok": True,
        "release_id": info.release_id,
        "path": str(result.path),
        "reused": result.reused,
        "created": info.created.isoformat(),
        "triples": info.triples,
        "previous_id": info.previous_id,
        "violations": info.violations,
        "warnings": info.warnings,
        "added": info.added or 0,
        "removed": info.removed or 0,
        "pruned": list(result.pruned),
        "mode": result.mode,
        "files": [{"name": f.name, "media_type": f.media_type, "byte_size": f.byte_size,
                   "sha256": f.sha256} for f in info.files],
        "status": result.status,
    }


def build_text(result: BuildResult) -> str:
    """What ``cmq build`` prints."""
    info, rid, path = result.info, result.info.release_id, result.path
    if result.status == "unchanged":
        text = (f"version {rid} déjà courante, rien à faire / release {rid} already current, "
                f"nothing to do ({path})")
    elif result.status == "reused":
        text = (f"version {rid} déjà construite, rendue courante / release {rid} already "
                f"built, made current ({path})")
    else:
        changes = (f"+{info.added or 0} −{info.removed or 0} depuis/since {info.previous_id}"
                   if info.previous_id else "première version / first release")
        text = (f"version {rid} publiée / release {rid} published: {info.triples} "
                f"triplets/triples, {len(info.files)} fichiers/files, {info.warnings} "
                f"avertissement(s)/warning(s), {changes} ({path})")
    if result.pruned:
        text += ("\nanciennes versions supprimées / old releases removed: "
                 f"{' '.join(result.pruned)}")
    return text


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare deux versions / compare two releases (ids, paths or `current`)."""
    from publisher.release.changeset import diff_releases
    from publisher.release.folder import resolve_release

    if args.releases is not None:
        releases = args.releases
    else:
        releases = Project.open(args.project).releases_dir
    a = resolve_release(args.a, releases)
    b = resolve_release(args.b, releases)
    diff = diff_releases(a, b, keep_lines=args.triples)
    emit(args, diff.as_dict(lines=args.triples), diff.text(lines=args.triples))
    return EXIT_INVALID if args.exit_code and not diff.same else EXIT_OK


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    v = sub.add_parser("validate", parents=[common], help=cmd_validate.__doc__)
    v.set_defaults(handler=cmd_validate)
    b = sub.add_parser("build", parents=[common], help=cmd_build.__doc__,
                       description=cmd_build.__doc__)
    b.set_defaults(handler=cmd_build)
    b.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="dossier des versions / releases folder (default: PROJECT/releases)")
    b.add_argument("--full", action="store_true",
                   help="tout reconstruire sans le cache / rebuild everything, ignoring the "
                        "build cache (docs/decisions/0010-incremental-build.md)")
    b.add_argument("--public-url", default=None, metavar="URL",
                   help="adresse publique du serveur pour cette version, au lieu de public_url "
                   "de campus.toml / the server's public address for this release, instead of "
                   "campus.toml's public_url (download links, landing page, schema.org)")
    d = sub.add_parser("diff", parents=[common], help=cmd_diff.__doc__,
                       description=cmd_diff.__doc__)
    d.set_defaults(handler=cmd_diff)
    d.add_argument("a", metavar="RELEASE_A", help="id, chemin ou / path or `current`")
    d.add_argument("b", metavar="RELEASE_B", help="id, chemin ou / path or `current`")
    d.add_argument("--releases", type=Path, default=None, metavar="DIR",
                   help="dossier des versions / releases folder (default: PROJECT/releases)")
    d.add_argument("--triples", action="store_true",
                   help="afficher les triplets / print the added and removed triples")
    d.add_argument("--exit-code", action="store_true",
                   help="code de sortie 1 si elles diffèrent / exit 1 when they differ")
