"""``cmq``: the command line, a thin layer over the library.

Exit codes (also in README):
    0  success (warnings allowed)
    1  the data does not validate (violations), or `diff` found differences with --exit-code
    2  usage error (bad arguments)
    3  project or source files missing or unreadable
    4  release error (cannot write, read or find a release)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from publisher import __version__
from publisher.core.errors import CmqError, ProjectError, ReleaseError, SourceError
from publisher.project.folder import Project

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_SOURCE, EXIT_RELEASE = 0, 1, 2, 3, 4

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn

    return register


def _emit(args: argparse.Namespace, payload: dict[str, object], text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif not getattr(args, "quiet", False) or payload.get("ok") is False:
        print(text)


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the campus's sources against the shapes (nothing is written)."""
    from publisher.validate.validation import validate_project

    project = Project.open(args.project)
    conv, report = validate_project(project)
    payload = {
        "ok": report.conforms,
        "triples": len(conv.sorted_lines()),
        "violations": report.count("Violation"),
        "warnings": report.count("Warning"),
        "problems": [p.as_dict() for p in report.problems],
    }
    _emit(args, payload, report.text())
    return EXIT_OK if report.conforms else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cmq",
        description="Publie un Campus des métiers et des qualifications en données liées. "
        "Publishes a Campus des métiers et des qualifications as linked open data.",
    )
    p.add_argument("--version", action="version", version=f"cmq {__version__}")
    p.add_argument("--project", type=Path, default=Path("."),
                   help="dossier du projet de campus / campus project folder (default: .)")
    sub = p.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    # also accepted after the command (`cmq validate --project DIR`)
    common.add_argument("--project", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    sub.add_parser("validate", parents=[common], help=cmd_validate.__doc__)
    for extra in _EXTENSIONS:
        extra(sub, common)
    return p


#: Other modules add their sub-commands here (build, diff, serve) without cli.py growing.
_EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser],
                            argparse.ArgumentParser], None]] = []


#: Modules that register their commands when imported; one not installed yet is skipped.
_EXTENSION_MODULES = ("publisher.cli.release", "publisher.cli.serve", "publisher.cli.imports",
                      "publisher.cli.harvest", "publisher.cli.init", "publisher.cli.publish")


def _load_extensions() -> None:
    import importlib

    for name in _EXTENSION_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency must not be hidden
                raise


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (SourceError, ProjectError) as exc:
        print(f"cmq: {exc.message}", file=sys.stderr)
        return EXIT_SOURCE
    except ReleaseError as exc:
        print(f"cmq: {exc.message}", file=sys.stderr)
        return EXIT_RELEASE
    except CmqError as exc:
        print(f"cmq: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("cmq: interrompu / interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
