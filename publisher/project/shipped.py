"""Where the files shipped with cmq are: the ontology, the shapes, the named queries and the default
mapping (docs/decisions/0012-campus-projects.md).

The repository's top-level ``ontology/``, ``shapes/``, ``queries/`` and ``data/mapping.toml`` are
the only copies. A wheel (``pip install .``) carries them inside the package as
``publisher/_shipped/…`` (setuptools ``package-dir``/``package-data``, pyproject.toml); a checkout
(editable install, or running from the source tree) finds them beside the package. Either way
:func:`shipped_root` is the folder that holds them, found through :mod:`importlib.resources`, so a
campus project never copies them and upgrades them with ``pip``.

The version rules are in :mod:`publisher.project.versions`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from publisher.core.errors import ProjectError

#: Folder of the shipped files inside an installed wheel (relative to the ``publisher`` package).
WHEEL_FOLDER = "_shipped"
#: What a shipped root holds (checked to tell a real root from a look-alike folder).
MARKER = Path("ontology") / "cmq.ttl"


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
