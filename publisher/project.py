"""A campus project: the folder ``cmq`` acts on (``data/``, optional own ``ontology/``, ``shapes/``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from publisher.config import CampusConfig, load_config
from publisher.errors import ProjectError

#: Where the ontology and shapes shipped with cmq live (the repository root in a checkout).
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def shipped_files(folder: str) -> list[Path]:
    """The ``*.ttl`` files of cmq's own ``ontology/`` or ``shapes/`` folder."""
    return sorted((PACKAGE_ROOT / folder).glob("*.ttl"))


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def open(cls, root: Path | str = ".") -> Project:
        path = Path(root).resolve()
        if not (path / "data" / "campus.toml").is_file():
            raise ProjectError(
                f"{path}: pas de projet de campus (data/campus.toml absent) — "
                "not a campus project (no data/campus.toml)"
            )
        return cls(path)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @cached_property
    def config(self) -> CampusConfig:
        return load_config(self.data_dir / "campus.toml")

    @property
    def mapping_path(self) -> Path:
        own = self.data_dir / "mapping.toml"
        return own if own.is_file() else PACKAGE_ROOT / "data" / "mapping.toml"

    def ontology_files(self) -> list[Path]:
        """The shipped ontology (a campus does not fork it)."""
        return shipped_files("ontology")

    def shape_files(self) -> list[Path]:
        """The shipped shapes plus the campus's own ``shapes/*.ttl`` beside them; an own file with
        the name of a shipped one replaces it (a copy of the shapes is not loaded twice)."""
        files = {p.name: p for p in shipped_files("shapes")}
        own = self.root / "shapes"
        if own.resolve() != (PACKAGE_ROOT / "shapes").resolve():
            files.update((p.name, p) for p in own.glob("*.ttl"))
        return [files[name] for name in sorted(files)]

    def source_files(self) -> list[Path]:
        """Every file the build reads from the project (for provenance and checksums)."""
        return sorted(p for p in self.data_dir.iterdir() if p.suffix in {".csv", ".toml"})
