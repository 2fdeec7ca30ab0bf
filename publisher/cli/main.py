"""``cmq``: the command line, a thin layer over the library.

The parser tree is built here, explicitly: each group of commands is one module of
:mod:`publisher.cli` whose ``add_parsers(sub, common)`` adds its sub-commands, each with its
function as ``handler``. Those modules import only argparse-level things at the top; the work
(and its heavy imports) happens inside the command functions, so ``cmq --help`` stays fast.
Errors raised by a command become a message and an exit code in one place,
:func:`publisher.cli.errors.exit_code` (and :func:`~publisher.cli.errors.message`); with
``--json`` the error is also printed on standard output as an object
(:func:`~publisher.cli.errors.error_payload`), so a script reads every outcome as JSON.

Exit codes (also in README):
    0  success (warnings allowed)
    1  the data does not validate (violations), or `diff` found differences with --exit-code
    2  usage error (bad arguments)
    3  project or source files missing or unreadable (a file operation refused: permission,
       read-only file system, missing file…)
    4  release error (cannot write, read or find a release)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from publisher import __version__
from publisher.cli import harvest, imports, init, publish, release, serve, workbook
from publisher.cli.errors import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_RELEASE,
    EXIT_SOURCE,
    EXIT_USAGE,
    error_payload,
    exit_code,
    message,
)
from publisher.cli.output import Command

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_RELEASE", "EXIT_SOURCE", "EXIT_USAGE",
           "build_parser", "main"]

#: The command groups, in the order of ``cmq --help``.
GROUPS = (release, serve, imports, harvest, init, publish, workbook)


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
    for group in GROUPS:
        group.add_parsers(sub, common)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        return handler(args)
    except BaseException as exc:
        code = exit_code(exc)
        if code is None:  # not an error cmq reports: a bug, shown with its traceback
            raise
        print(f"cmq: {message(exc)}", file=sys.stderr)
        if getattr(args, "json", False) and code != EXIT_INTERRUPTED:
            print(json.dumps(error_payload(exc, code), ensure_ascii=False, indent=2))
        return code


if __name__ == "__main__":
    sys.exit(main())
