"""Where the files shipped with cmq are: the ontology, the shapes, the named queries and the default
mapping (docs/decisions/0012-campus-projects.md).

The repository's top-level ``ontology/``, ``shapes/``, ``queries/`` and ``data/mapping.toml`` are
the only copies. A wheel (``pip install .``) carries them inside the package as
``publisher/_shipped/…`` (setuptools ``package-dir``/``package-data``, pyproject.toml); a checkout
(editable install, or running from the source tree) finds them beside the package. Either way
:func:`shipped_root` is the folder that holds them, found through :mod:`importlib.resources`, so a
campus project never copies them and upgrades them with ``pip``.

The version rules live here too: a campus project records the cmq version it was made with
(``[cmq] version`` in ``data/campus.toml``); :func:`compatible` says whether the installed cmq may
build it (same *breaking key*: the major version, or ``0.minor`` before 1.0, as Cargo does).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from publisher import __version__
from publisher.core.errors import ProjectError

#: Folder of the shipped files inside an installed wheel (relative to the ``publisher`` package).
WHEEL_FOLDER = "_shipped"
#: What a shipped root holds (checked to tell a real root from a look-alike folder).
MARKER = Path("ontology") / "cmq.ttl"
#: Package name on pip (``pip install -U cmq-lod``).
DISTRIBUTION = "cmq-lod"

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[.+-]?\S*)?$")


def package_dir() -> Path:
    """The ``publisher`` package folder (a real folder: zip imports are not supported)."""
    found = resources.files("publisher")
    if not isinstance(found, Path):
        raise ProjectError(f"cmq doit être installé dans un dossier / cmq must be installed in a "
                           f"folder (not a zip archive): {found}")
    return found


@cache
def shipped_root() -> Path:
    """The folder holding ``ontology/``, ``shapes/``, ``queries/`` and ``data/mapping.toml``.

    Inside the installed package (``publisher/_shipped``) when there is one, else the checkout
    the package sits in (the repository root).
    """
    pkg = package_dir().resolve()
    for candidate in (pkg / WHEEL_FOLDER, pkg.parent):
        if (candidate / MARKER).is_file():
            return candidate
    raise ProjectError(f"{pkg}: installation de cmq incomplète (ontologie absente) / incomplete "
                       "cmq installation (no ontology shipped)")


def shipped_path(*parts: str) -> Path:
    """A file or folder shipped with cmq, e.g. ``shipped_path("ontology")``."""
    return shipped_root().joinpath(*parts)


def shipped_files(folder: str, pattern: str = "*.ttl") -> list[Path]:
    """The files of one shipped folder (``ontology``, ``shapes``, ``queries``), sorted."""
    return sorted(shipped_path(folder).glob(pattern))


# ------------------------------------------------------------------ versions


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.2.3"`` → ``(1, 2, 3)`` (a suffix such as ``.dev0`` or ``rc1`` is ignored)."""
    m = _VERSION.match(text.strip())
    if m is None:
        raise ValueError(f"version X.Y.Z attendue / expected: {text!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def breaking_key(version: str) -> tuple[int, int]:
    """What must change for a breaking release: the major version, or the minor one while the
    major is 0 (``0.1.x`` and ``0.2.0`` may differ incompatibly)."""
    major, minor, _ = parse_version(version)
    return (major, minor) if major == 0 else (major, 0)


def next_breaking(version: str) -> str:
    """The first version that may break ``version``: ``0.1.3`` → ``0.2.0``, ``1.4.0`` → ``2.0.0``."""
    major, minor, _ = parse_version(version)
    return f"0.{minor + 1}.0" if major == 0 else f"{major + 1}.0.0"


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
