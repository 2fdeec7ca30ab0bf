"""A campus project: the folder ``cmq`` acts on (``data/``, optional own ``shapes/``).

The ontology, the shapes and the default mapping come from the installed cmq
(:mod:`publisher.project.shipped`), never from copies in the project. A project made by ``cmq init``
records the cmq version it was made with (``[cmq] version`` in ``data/campus.toml``):
:meth:`Project.open` refuses it when the installed cmq has another breaking key and warns
(:class:`CmqVersionWarning`) when the installed cmq is older.
"""

from __future__ import annotations

import dataclasses
import tomllib
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from publisher import __version__
from publisher.core.errors import ProjectError, SourceError
from publisher.core.filegroup import finish_pending
from publisher.project.config import CampusConfig, load_config
from publisher.project.shipped import shipped_files as _shipped_files
from publisher.project.shipped import shipped_root
from publisher.project.versions import compatible

#: Where the ontology, shapes, queries and default mapping shipped with cmq live: inside the
#: installed package, or the repository root in a checkout (publisher.project.shipped).
PACKAGE_ROOT = shipped_root()


class CmqVersionWarning(UserWarning):
    """The installed cmq is older than the one the project was made with."""


def shipped_files(folder: str) -> list[Path]:
    """The ``*.ttl`` files of cmq's own ``ontology/`` or ``shapes/`` folder."""
    return _shipped_files(folder)


def recorded_version(config_file: Path) -> str | None:
    """The ``[cmq] version`` a project records, if any (an unreadable file: ``None``, its
    problems are reported by the configuration loader)."""
    try:
        raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    table = raw.get("cmq")
    version = table.get("version") if isinstance(table, dict) else None
    return str(version) if version else None


def check_version(config_file: Path, installed: str = __version__) -> None:
    """Refuse (ProjectError) a project pinned to an incompatible cmq; warn if cmq is older."""
    recorded = recorded_version(config_file)
    if recorded is None:
        return
    ok, note = compatible(recorded, installed)
    if not ok:
        raise ProjectError(f"{config_file}: {note}")
    if note:
        warnings.warn(f"{config_file}: {note}", CmqVersionWarning, stacklevel=3)


@dataclass(frozen=True)
class Project:
    root: Path
    #: replaces ``public_url`` of campus.toml (``cmq build --public-url``)
    public_url: str | None = None

    @classmethod
    def open(cls, root: Path | str = ".") -> Project:
        path = Path(root).resolve()
        if not (path / "data" / "campus.toml").is_file():
            raise ProjectError(
                f"{path}: pas de projet de campus (data/campus.toml absent) — "
                "not a campus project (no data/campus.toml)"
            )
        check_version(path / "data" / "campus.toml")
        try:  # an import killed after committing its files is finished first
            finish_pending(path / "data")
        except OSError as exc:
            raise ProjectError(f"{path / 'data'}: import interrompu non terminé / interrupted "
                               f"import not finished: {exc}") from exc
        return cls(path)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @cached_property
    def config(self) -> CampusConfig:
        config = load_config(self.data_dir / "campus.toml")
        if self.public_url:
            url = self.public_url if self.public_url.endswith("/") else self.public_url + "/"
            return dataclasses.replace(config, public_url=url)
        return config

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
        try:
            book = self.config.workbook  # the workbook the tables are read from, if any
        except SourceError:
            book = ""
        return sorted(p for p in self.data_dir.iterdir()
                      if p.suffix in {".csv", ".toml"} or (book and p.name == book))
