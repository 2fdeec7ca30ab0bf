"""Wheel-build hook: the front-end files the pages serve go into the package.

Everything else about the package is in pyproject.toml. This only extends ``build_py`` (which
``pip wheel``, ``pip install <dir>`` and ``pip install git+URL`` all run): after the Python
files, it copies YASGUI's and Leaflet's built files from the npm dependencies (package.json,
package-lock.json) into ``publisher/_assets/`` of the build, where ``cmq serve`` finds them in an
installed package (publisher/project/settings.py ``yasgui_assets``, publisher/server/maps.py). Nothing is fetched from a CDN.

When ``node_modules`` is missing (a fresh clone, a ``git+`` URL) and ``npm`` is on the PATH,
``npm ci`` installs the locked versions first; without npm, or when npm fails, the build stops
with a message saying what to run. Editable installs (``pip install -e``) skip the copy: in a
checkout the files are read from ``node_modules`` directly.
See docs/decisions/0020-harvested-and-installed.md.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
_LEAFLET_IMAGES = tuple(f"images/{n}.png" for n in (
    "layers", "layers-2x", "marker-icon", "marker-icon-2x", "marker-shadow"))
#: npm package folder → the files of it the pages serve (query page, maps)
ASSETS = {
    "@zazuko/yasgui/build": ("yasgui.min.js", "yasgui.min.css"),
    "leaflet/dist": ("leaflet.js", "leaflet.css", *_LEAFLET_IMAGES),
    "leaflet.markercluster/dist": ("leaflet.markercluster.js", "MarkerCluster.css",
                                   "MarkerCluster.Default.css"),
}
#: where they go inside the package, by npm package folder
TARGETS = {
    "@zazuko/yasgui/build": "publisher/_assets/yasgui",
    "leaflet/dist": "publisher/_assets/leaflet",
    "leaflet.markercluster/dist": "publisher/_assets/leaflet.markercluster",
}


class AssetsMissing(RuntimeError):
    """The npm dependencies are not installed and could not be."""


def _missing(root: Path) -> list[str]:
    return [f"{folder}/{name}" for folder, names in ASSETS.items() for name in names
            if not (root / "node_modules" / folder / name).is_file()]


def ensure_node_modules(root: Path) -> None:
    """Run ``npm ci`` when a needed file is missing; fail clearly when that is not possible."""
    if not _missing(root):
        return
    npm = shutil.which("npm")
    hint = ("lancez `npm ci` à la racine du dépôt avant de construire le paquet / run `npm ci` "
            "at the repository root before building the package")
    if npm is None or not (root / "package-lock.json").is_file():
        raise AssetsMissing(f"fichiers front-end absents / front-end files missing: "
                            f"{', '.join(_missing(root))}; npm introuvable / npm not found: {hint}")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or _missing(root):
        raise AssetsMissing(f"`npm ci` a échoué / failed ({done.returncode}): "
                            f"{done.stderr.strip()[-2000:]}; {hint}")


class BuildPyWithAssets(build_py):
    """``build_py``, then the front-end files into the build (module doc)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        ensure_node_modules(HERE)
        for folder, names in ASSETS.items():
            dest = Path(self.build_lib) / TARGETS[folder]
            dest.mkdir(parents=True, exist_ok=True)
            for name in names:
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(HERE / "node_modules" / folder / name, dest / name)


setup(cmdclass={"build_py": BuildPyWithAssets})
