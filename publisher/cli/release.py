"""``cmq build`` and ``cmq diff``: thin command-line layer over publisher.release.build/changeset."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from publisher.cli.main import _EXTENSIONS, EXIT_INVALID, EXIT_OK, _emit, command
from publisher.project.folder import Project


def _progress(quiet: bool) -> tuple[bool, float]:
    return (not quiet and sys.stderr.isatty()), time.monotonic()


@command("build")
def cmd_build(args: argparse.Namespace) -> int:
    """Construit et publie une version / build and publish a release (dumps, catalogue, report)."""
    from publisher.release.build import build_release
    from publisher.validate.validation import ValidationFailed

    project = Project.open(args.project)
    show, t0 = _progress(args.quiet or args.json)

    def progress(step: str) -> None:
        if show:
            print(f"[{time.monotonic() - t0:6.1f} s] {step}", file=sys.stderr, flush=True)

    try:
        info = build_release(project, args.out, progress=progress,
                             incremental=not getattr(args, "full", False))
    except ValidationFailed as exc:
        report = exc.report
        print(report.text(), file=sys.stderr)
        if args.json:
            _emit(args, {
                "ok": False,
                "violations": report.count("Violation"),
                "warnings": report.count("Warning"),
                "problems": [p.as_dict() for p in report.problems],
            }, "")
        return EXIT_INVALID
    reused = info.extra.get("reused") == "true"
    path = info.extra.get("path", "")
    pruned = info.extra.get("pruned", "").split()
    payload: dict[str, object] = {
        "ok": True,
        "release_id": info.release_id,
        "path": path,
        "reused": reused,
        "created": info.created.isoformat(),
        "triples": info.triples,
        "previous_id": info.previous_id,
        "violations": info.violations,
        "warnings": info.warnings,
        "added": int(info.extra.get("added", 0)),
        "removed": int(info.extra.get("removed", 0)),
        "pruned": pruned,
        "mode": info.extra.get("mode", "full"),
        "files": [{"name": f.name, "media_type": f.media_type, "byte_size": f.byte_size,
                   "sha256": f.sha256} for f in info.files],
    }
    status = info.extra.get("status", "")
    payload["status"] = status
    if status == "unchanged":
        text = (f"version {info.release_id} déjà courante, rien à faire / release "
                f"{info.release_id} already current, nothing to do ({path})")
    elif reused:
        text = (f"version {info.release_id} déjà construite, rendue courante / release "
                f"{info.release_id} already built, made current ({path})")
    else:
        changes = (f"+{payload['added']} −{payload['removed']} depuis/since {info.previous_id}"
                   if info.previous_id else "première version / first release")
        text = (f"version {info.release_id} publiée / release {info.release_id} published: "
                f"{info.triples} triplets/triples, {len(info.files)} fichiers/files, "
                f"{info.warnings} avertissement(s)/warning(s), {changes} ({path})")
    if pruned:
        text += f"\nanciennes versions supprimées / old releases removed: {' '.join(pruned)}"
    _emit(args, payload, text)
    return EXIT_OK


@command("diff")
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
    _emit(args, diff.as_dict(lines=args.triples), diff.text(lines=args.triples))
    return EXIT_INVALID if args.exit_code and not diff.same else EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("build", parents=[common], help=cmd_build.__doc__,
                       description=cmd_build.__doc__)
    b.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="dossier des versions / releases folder (default: PROJECT/releases)")
    b.add_argument("--full", action="store_true",
                   help="tout reconstruire sans le cache / rebuild everything, ignoring the "
                        "build cache (docs/decisions/0010-incremental-build.md)")
    d = sub.add_parser("diff", parents=[common], help=cmd_diff.__doc__,
                       description=cmd_diff.__doc__)
    d.add_argument("a", metavar="RELEASE_A", help="id, chemin ou / path or `current`")
    d.add_argument("b", metavar="RELEASE_B", help="id, chemin ou / path or `current`")
    d.add_argument("--releases", type=Path, default=None, metavar="DIR",
                   help="dossier des versions / releases folder (default: PROJECT/releases)")
    d.add_argument("--triples", action="store_true",
                   help="afficher les triplets / print the added and removed triples")
    d.add_argument("--exit-code", action="store_true",
                   help="code de sortie 1 si elles diffèrent / exit 1 when they differ")


if register not in _EXTENSIONS:
    _EXTENSIONS.append(register)
