"""What a release is: the data classes shared by the release writer, the catalogue and the server.

A release is a folder ``releases/<id>/`` (see docs/decisions/0002-release-layout.md). Its ``id`` is
a content hash of the sorted N-Triples dump, so the same sources give the same id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from publisher.project.config import CampusConfig

#: File names inside a release folder (one place, used by writer, catalogue and server).
DATA_NT = "campus.nt"
DATA_TTL = "campus.ttl"
DATA_JSONLD = "campus.jsonld"
CONTEXT = "context.jsonld"
ONTOLOGY_TTL = "ontology.ttl"
SHAPES_TTL = "shapes.ttl"
ONTOLOGY_HTML = "ontology.html"  # the ontology's documentation (publisher.ontology.docs)
CATALOG_TTL = "catalog.ttl"
VOID_TTL = "void.ttl"
REPORT_TTL = "validation.ttl"
REPORT_HTML = "validation.html"
PROVENANCE_TTL = "provenance.ttl"
ADDED_NT = "changeset-added.nt"
REMOVED_NT = "changeset-removed.nt"
MANIFEST = "manifest.json"
#: Written first into every temporary folder a build makes, removed last: its proof of ownership
#: (publisher.release.folder); never listed in a manifest, like the manifest itself.
OWN_MARK = ".cmq-temporary"
UNLISTED = frozenset({MANIFEST, OWN_MARK})

#: The campus's tables are published as CSV (their own file names) described by this CSVW file.
CSVW_METADATA = "csv-metadata.json"
CSVW_MEDIA = "application/csvm+json"
CURRENT_LINK = "current"  # symlink releases/current -> <id>
#: National release (``cmq harvest``, docs/decisions/0014-harvest.md): one named graph per campus.
DATA_NQ = "campus.nq"
DATA_TRIG = "campus.trig"
ADDED_NQ = "changeset-added.nq"
REMOVED_NQ = "changeset-removed.nq"
HARVEST_JSON = "harvest.json"

#: What publishing a release did: a new folder was written / an existing one was made current
#: again / the current release already had these data.
ReleaseStatus = Literal["published", "reused", "unchanged"]


@dataclass(frozen=True)
class FileEntry:
    """One file of a release, as listed in the manifest and described in the catalogue."""

    name: str
    media_type: str
    byte_size: int
    sha256: str
    kind: str  # data | data-gz | table | table-metadata | context | ontology | shapes | catalog | void | report | provenance | changeset


@dataclass(frozen=True)
class SourceEntry:
    """One source file the release was built from (for PROV-O provenance)."""

    name: str
    byte_size: int
    sha256: str


@dataclass(frozen=True)
class ReleaseInfo:
    release_id: str
    created: datetime  # timezone-aware UTC; recorded in manifest, not part of the id
    config: CampusConfig
    triples: int
    cmq_version: str
    files: tuple[FileEntry, ...] = ()
    sources: tuple[SourceEntry, ...] = ()
    previous_id: str | None = None
    violations: int = 0
    warnings: int = 0
    #: changeset sizes against ``previous_id`` (``None``: not recorded in the manifest)
    added: int | None = None
    removed: int | None = None
    #: graph name (``ontology``, ``catalog``, ``void``, ``provenance``) -> the IRI it has in a
    #: remote store (publisher.remote.serving); empty: the embedded names ``{base}graph/<name>``
    store_graphs: Mapping[str, str] = field(default_factory=dict)

    def graph_iri(self, name: str) -> str:
        """IRI of the side graph ``name`` where this release is served."""
        return self.store_graphs.get(name) or f"{self.config.base_iri}graph/{name}"

    def download_url(self, name: str) -> str:
        """Immutable URL of one file of this release on the public server."""
        return f"{self.config.public_url}releases/{self.release_id}/{name}"

    def current_url(self, name: str) -> str:
        """Stable URL of one file of whichever release is current (``/dumps/<name>``): the same
        from one release to the next, so a harvester updates its resource instead of adding one
        (docs/decisions/0020-harvested-and-installed.md)."""
        return f"{self.config.public_url}dumps/{name}"

    @property
    def sparql_url(self) -> str:
        return f"{self.config.public_url}sparql"

    @property
    def dataset_iri(self) -> str:
        """The dataset (all versions): ``{base}dataset``; this release: ``{base}dataset/{id}``."""
        return f"{self.config.base_iri}dataset"

    @property
    def version_iri(self) -> str:
        return f"{self.config.base_iri}dataset/{self.release_id}"

    @property
    def catalog_iri(self) -> str:
        return f"{self.config.base_iri}catalog"
