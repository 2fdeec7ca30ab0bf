"""What every command shares for its output: the result (text or ``--json``), progress lines
on standard error, and the argparse types of the parser tree (:mod:`publisher.cli.main`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TypeAlias

#: The ``add_subparsers`` object the command groups add their commands to.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
#: A command: parsed arguments in, exit code out (errors are raised, see publisher.cli.errors).
Command = Callable[[argparse.Namespace], int]
Progress = Callable[[str], None]


def emit(args: argparse.Namespace, payload: dict[str, object], text: str) -> None:
    """The result: ``payload`` as JSON with ``--json``, else ``text`` (unless ``--quiet``, which
    still prints a failure)."""
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif not getattr(args, "quiet", False) or payload.get("ok") is False:
        print(text)


def quiet(args: argparse.Namespace) -> bool:
    """Progress is hidden with ``--quiet`` or ``--json``."""
    return bool(getattr(args, "quiet", False) or getattr(args, "json", False))


def timed_progress(show: bool) -> Progress:
    """Progress lines ``[  12.3 s] step`` on standard error (nothing when not ``show``)."""
    t0 = time.monotonic()

    def say(step: str) -> None:
        if show:
            print(f"[{time.monotonic() - t0:6.1f} s] {step}", file=sys.stderr, flush=True)

    return say


def prefixed_progress(show: bool) -> Progress:
    """Progress lines ``cmq: message`` on standard error (nothing when not ``show``)."""

    def say(msg: str) -> None:
        if show:
            print(f"cmq: {msg}", file=sys.stderr, flush=True)

    return say
