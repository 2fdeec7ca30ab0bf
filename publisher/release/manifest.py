"""``manifest.json``: what a release folder holds, written last and read back as a ReleaseInfo.

The manifest lists the release id, build time, cmq version, triple count, previous release, every
file (name, media type, byte size, SHA-256, kind), every source (name, size, SHA-256), the
validation counts, and a snapshot of the campus configuration (so a release can be described
without its project). Keys are written in a fixed order.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from publisher.core.errors import ReleaseError, ReleaseNotFound
from publisher.core.files import sha256_file, write_bytes
from publisher.project.config import CampusConfig
from publisher.release.model import (
    ADDED_NQ,
    ADDED_NT,
    CATALOG_TTL,
    CONTEXT,
    CSVW_MEDIA,
    CSVW_METADATA,
    DATA_JSONLD,
    DATA_NQ,
    DATA_NT,
    DATA_TRIG,
    DATA_TTL,
    HARVEST_JSON,
    MANIFEST,
    ONTOLOGY_HTML,
    ONTOLOGY_TTL,
    PROVENANCE_TTL,
    REMOVED_NQ,
    REMOVED_NT,
    REPORT_HTML,
    REPORT_TTL,
    SHAPES_TTL,
    VOID_TTL,
    FileEntry,
    ReleaseInfo,
    SourceEntry,
)

MANIFEST_VERSION = 1
ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
GZIP_MEDIA = "application/gzip"

_NT = ox.RdfFormat.N_TRIPLES.media_type
_TTL = ox.RdfFormat.TURTLE.media_type
_JSONLD = ox.RdfFormat.JSON_LD.media_type
_NQ = ox.RdfFormat.N_QUADS.media_type
_TRIG = ox.RdfFormat.TRIG.media_type

#: Release file name → (media type, kind).
FILE_TYPES: dict[str, tuple[str, str]] = {
    DATA_NT: (_NT, "data"),
    DATA_TTL: (_TTL, "data"),
    DATA_JSONLD: (_JSONLD, "data"),
    f"{DATA_NT}.gz": (GZIP_MEDIA, "data-gz"),
    f"{DATA_TTL}.gz": (GZIP_MEDIA, "data-gz"),
    f"{DATA_JSONLD}.gz": (GZIP_MEDIA, "data-gz"),
    CONTEXT: (_JSONLD, "context"),
    ONTOLOGY_TTL: (_TTL, "ontology"),
    ONTOLOGY_HTML: ("text/html", "ontology"),
    SHAPES_TTL: (_TTL, "shapes"),
    CATALOG_TTL: (_TTL, "catalog"),
    VOID_TTL: (_TTL, "void"),
    REPORT_TTL: (_TTL, "report"),
    REPORT_HTML: ("text/html", "report"),
    PROVENANCE_TTL: (_TTL, "provenance"),
    ADDED_NT: (_NT, "changeset"),
    REMOVED_NT: (_NT, "changeset"),
    # national release (cmq harvest)
    DATA_NQ: (_NQ, "data"),
    DATA_TRIG: (_TRIG, "data"),
    f"{DATA_NQ}.gz": (GZIP_MEDIA, "data-gz"),
    f"{DATA_TRIG}.gz": (GZIP_MEDIA, "data-gz"),
    ADDED_NQ: (_NQ, "changeset"),
    REMOVED_NQ: (_NQ, "changeset"),
    HARVEST_JSON: ("application/json", "report"),
    CSVW_METADATA: (CSVW_MEDIA, "table-metadata"),
}
#: Any other ``*.csv`` of a release is one of the campus's tables (publisher.release.tables).
TABLE_TYPE = ("text/csv", "table")


def release_id(data_sha256: str, inputs: Mapping[str, str]) -> str:
    """A release id: the first 16 hex digits of the SHA-256 of the data dump's SHA-256 and of
    every other input that reaches the release (``inputs``: configuration, mapping, ontology,
    shapes, sources, cmq version… as name → digest). A change of any of them is a new release;
    the same inputs give the same id."""
    key = json.dumps({"data": data_sha256, **inputs}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:16]


def release_id_of(nt: bytes, inputs: Mapping[str, str]) -> str:
    """:func:`release_id` of a sorted N-Triples or N-Quads dump held in memory."""
    return release_id(hashlib.sha256(nt).hexdigest(), inputs)


def file_type(name: str) -> tuple[str, str]:
    """(media type, kind) of a release file from its name."""
    if name in FILE_TYPES:
        return FILE_TYPES[name]
    return TABLE_TYPE if name.endswith(".csv") else ("application/octet-stream", "other")


def file_entry(path: Path) -> FileEntry:
    media, kind = file_type(path.name)
    size, digest = sha256_file(path)
    return FileEntry(path.name, media, size, digest, kind)


def verify_files(folder: Path, entries: Iterable[FileEntry]) -> None:
    """Check that each listed file is a regular file directly inside ``folder`` (a symlink is
    refused, wherever it points) with the listed byte size and SHA-256; raises
    :class:`ReleaseError` naming the files that differ. The server calls it when it opens a
    release, so what it serves is what the manifest describes."""
    bad = []
    for entry in entries:
        path = folder / entry.name
        if Path(entry.name).name != entry.name or entry.name in {"", ".", ".."}:
            bad.append(f"{entry.name!r}: nom invalide / invalid name")
            continue
        try:
            st = path.lstat()
        except OSError:
            bad.append(f"{entry.name}: absent / missing")
            continue
        if not stat.S_ISREG(st.st_mode):
            bad.append(f"{entry.name}: pas un fichier ordinaire / not a regular file")
        elif st.st_size != entry.byte_size or sha256_file(path)[1] != entry.sha256:
            bad.append(f"{entry.name}: somme de contrôle différente / checksum differs")
    if bad:
        raise ReleaseError(f"{folder}: fichiers différents du manifeste / files differ from the "
                           "manifest: " + "; ".join(bad[:5]))


def manifest_dict(info: ReleaseInfo) -> dict[str, object]:
    cfg = info.config
    return {
        "manifest_version": MANIFEST_VERSION,
        "release_id": info.release_id,
        "created": info.created.isoformat(),
        "cmq_version": info.cmq_version,
        "campus": {"id": cfg.id, "name": cfg.name, "base_iri": cfg.base_iri,
                   "public_url": cfg.public_url},
        "triples": info.triples,
        "previous_id": info.previous_id,
        "violations": info.violations,
        "warnings": info.warnings,
        "changes": {k: v for k, v in (("added", info.added), ("removed", info.removed))
                    if v is not None},
        "files": [{"name": f.name, "media_type": f.media_type, "byte_size": f.byte_size,
                   "sha256": f.sha256, "kind": f.kind} for f in info.files],
        "sources": [{"name": s.name, "byte_size": s.byte_size, "sha256": s.sha256}
                    for s in info.sources],
    }


def write_manifest(folder: Path, info: ReleaseInfo) -> None:
    text = json.dumps(manifest_dict(info), ensure_ascii=False, indent=2) + "\n"
    write_bytes(folder / MANIFEST, text.encode("utf-8"))


def read_release(path: Path, config: CampusConfig | None = None) -> ReleaseInfo:
    """A release as described by its ``manifest.json``.

    ``config`` (the project's current configuration) is used when given; otherwise a minimal
    configuration is rebuilt from the manifest's campus snapshot.
    """
    file = path / MANIFEST
    try:
        raw: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReleaseNotFound(f"{path}: pas une version (manifest.json absent) / not a release "
                              "(no manifest.json)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"{file}: illisible / unreadable: {exc}") from exc
    try:
        campus = raw.get("campus") or {}
        cfg = config or CampusConfig(
            id=str(campus["id"]), name=str(campus["name"]), base_iri=str(campus["base_iri"]),
            public_url=str(campus["public_url"]))
        changes = raw.get("changes") or {}
        return ReleaseInfo(
            release_id=str(raw["release_id"]),
            created=datetime.fromisoformat(raw["created"]),
            config=cfg,
            triples=int(raw["triples"]),
            cmq_version=str(raw["cmq_version"]),
            files=tuple(FileEntry(f["name"], f["media_type"], int(f["byte_size"]), f["sha256"],
                                  f["kind"]) for f in raw["files"]),
            sources=tuple(SourceEntry(s["name"], int(s["byte_size"]), s["sha256"])
                          for s in raw["sources"]),
            previous_id=raw.get("previous_id"),
            violations=int(raw.get("violations", 0)),
            warnings=int(raw.get("warnings", 0)),
            added=_count(changes.get("added")),
            removed=_count(changes.get("removed")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReleaseError(f"{file}: manifeste incomplet / incomplete manifest: {exc!r}") from exc


def _count(value: object) -> int | None:
    return None if value is None else int(str(value))


def list_releases(releases_dir: Path, config: CampusConfig | None = None) -> list[ReleaseInfo]:
    """The complete releases of a folder (id-named, with a readable manifest), newest first."""
    out: list[ReleaseInfo] = []
    if not releases_dir.is_dir():
        return out
    for p in releases_dir.iterdir():
        if ID_PATTERN.match(p.name) and p.is_dir() and not p.is_symlink():
            try:
                out.append(read_release(p, config))
            except ReleaseError:
                continue
    out.sort(key=lambda r: (r.created, r.release_id), reverse=True)
    return out
