"""Version rules between a campus project and the installed cmq (docs/decisions/0012).

Contract: a campus project records the cmq version it was made with (``[cmq] version`` in
``data/campus.toml``); :func:`compatible` says whether the installed cmq may build it (same
*breaking key*: the major version, or ``0.minor`` before 1.0, as Cargo does). Versions are compared
as PEP 440 versions (:mod:`packaging`), so a pre-release such as ``0.2.0rc1`` comes before ``0.2.0``.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from publisher import __version__

#: Package name on pip (``pip install -U cmq-lod``).
DISTRIBUTION = "cmq-lod"


def parse_version(text: str) -> Version:
    """A PEP 440 version (``0.2.0rc1`` is before ``0.2.0``); ``ValueError`` when unreadable."""
    try:
        return Version(text.strip())
    except InvalidVersion as exc:
        raise ValueError(f"version X.Y.Z attendue / expected: {text!r}") from exc


def breaking_key(version: str) -> tuple[int, int]:
    """What must change for a breaking release: the major version, or the minor one while the
    major is 0 (``0.1.x`` and ``0.2.0`` may differ incompatibly)."""
    v = parse_version(version)
    return (v.major, v.minor) if v.major == 0 else (v.major, 0)


def next_breaking(version: str) -> str:
    """The first version that may break ``version``: ``0.1.3`` → ``0.2.0``, ``1.4.0`` → ``2.0.0``."""
    v = parse_version(version)
    return f"0.{v.minor + 1}.0" if v.major == 0 else f"{v.major + 1}.0.0"


def requirement(version: str = __version__) -> str:
    """The pip requirement that pins a campus project to the compatible cmq releases."""
    return f"{DISTRIBUTION}>={version},<{next_breaking(version)}"


def compatible(recorded: str, installed: str = __version__) -> tuple[bool, str | None]:
    """Whether the installed cmq may act on a project made with ``recorded``.

    Returns ``(False, reason)`` when the breaking keys differ (the project must be migrated or
    the matching cmq installed), ``(True, warning)`` when the installed cmq is older than the
    recorded one within the same breaking key (it may lack what the project uses), else
    ``(True, None)``.
    """
    try:
        want, have = parse_version(recorded), parse_version(installed)
    except ValueError as exc:
        return False, f"[cmq] version illisible / unreadable: {exc}"
    if breaking_key(recorded) != breaking_key(installed):
        return False, (
            f"projet fait pour cmq {recorded}, cmq {installed} installé : version incompatible ; "
            f"installez « pip install '{requirement(recorded)}' » ou migrez le projet / project "
            f"made for cmq {recorded}, cmq {installed} installed: incompatible version; install "
            f"'{requirement(recorded)}' or migrate the project")
    if have < want:
        return True, (
            f"projet fait pour cmq {recorded}, cmq {installed} installé (plus ancien) : mettez cmq "
            f"à jour / project made for cmq {recorded}, older cmq {installed} installed: upgrade "
            f"with pip install -U '{requirement(recorded)}'")
    return True, None
