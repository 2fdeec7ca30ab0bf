"""``cmq init``: a new campus project that reaches a first valid release without RDF or Python.

:func:`init_project` writes (docs/decisions/0012-campus-projects.md)::

    DIR/data/campus.toml       the campus (name, sectors, base IRI…) and ``[cmq] version``
    DIR/data/sources.csv       the campus's own declaration as its first source
    DIR/data/<table>.csv       one per table of the mapping: header + a commented example row
    DIR/data/LISEZMOI.md       the column guide, French with English, made from columns.toml,
                               the mapping and the ontology (publisher.convert.columns)
    DIR/shapes/README.md       where the campus's own SHACL shapes go (beside cmq's)
    DIR/tests/test_campus.py   pytest: the project builds a valid release
    DIR/requirements.txt       the cmq pin (``cmq-lod>=X.Y.Z,<next breaking``)
    DIR/README.md, DIR/.gitignore

The mapping, the ontology and the shapes are not copied: they come from the installed cmq.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from publisher import __version__
from publisher.convert.columns import TableDoc, scheme_codes, table_docs
from publisher.convert.mapping import Mapping, load_mapping
from publisher.core.errors import CmqError
from publisher.core.graphs import load_graph
from publisher.core.identifiers import INSEE_REGIONS
from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI, SHAPES_NS
from publisher.project.shipped import shipped_files, shipped_path
from publisher.project.versions import requirement

#: The id of the first source of a new campus: its own declaration.
OWN_SOURCE = "declaration-campus"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_IRI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


class InitError(CmqError):
    """``cmq init`` cannot create the project (bad argument, folder not empty): a usage error."""

    status = 400


@dataclass(frozen=True)
class CampusSpec:
    """What ``cmq init`` asks for."""

    name: str
    base_iri: str
    sectors: tuple[str, ...]
    public_url: str = "http://127.0.0.1:8000/"
    id: str = ""
    name_en: str = ""
    region: str = ""
    created: date = field(default_factory=date.today)
    #: sectors the campus declares itself (labels; their codes are :func:`slug` of them)
    own_sectors: tuple[str, ...] = ()

    @property
    def own_sector_codes(self) -> dict[str, str]:
        """code → label of the declared sectors."""
        return {slug(label): label for label in self.own_sectors}


#: what ``pytest`` in the new project's README needs besides cmq
TEST_REQUIREMENT = "pytest>=8"


def slug(text: str) -> str:
    """A key for ``text``: lowercase ASCII letters, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def check_base_iri(iri: str, what: str = "--base-iri") -> str:
    """The base IRI if it is usable for minting records, else :class:`InitError`."""
    parts = urlsplit(iri)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problem = "une IRI http(s) absolue est attendue / an absolute http(s) IRI is expected"
    elif not _IRI_CHARS.match(iri):
        problem = "caractère interdit (espace…) / forbidden character (space…)"
    elif parts.query or parts.fragment or not iri.endswith("/"):
        problem = ("doit finir par / sans ? ni # / must end with / and have no ? or #"
                   " (e.g. https://w3id.org/cmq/campus/mon-campus/)")
    elif iri.startswith((ONTOLOGY_IRI, SHAPES_NS)):
        problem = ("réservée au vocabulaire / reserved for the vocabulary; use e.g. "
                   "https://w3id.org/cmq/campus/<campus>/")
    if problem:
        raise InitError(f"{what} {iri!r}: {problem}")
    return iri


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["toml"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def default_mapping() -> Mapping:
    return load_mapping(shipped_path("data", "mapping.toml"))


def sector_codes(ontology: Graph) -> list[str]:
    scheme = URIRef(CMQ_NS + "secteur")
    return sorted(str(ontology.value(c, SKOS.notation))
                  for c in ontology.subjects(SKOS.inScheme, scheme))


def lisezmoi(mapping: Mapping, ontology: Graph, campus_name: str = "") -> str:
    """The campus officer's guide to the tables (Markdown, French with English)."""
    docs = table_docs(mapping)
    schemes = sorted({c.scheme for t in docs for c in t.columns if c.scheme})
    lists = [(s, scheme_codes(ontology, s)) for s in schemes]
    return _env().get_template("LISEZMOI.md.j2").render(
        tables=docs, lists=lists, campus_name=campus_name,
        sectors=scheme_codes(ontology, "secteur"))


def check_spec(spec: CampusSpec, ontology: Graph) -> CampusSpec:
    """The spec with its defaults filled, or :class:`InitError` naming what is wrong."""
    if not spec.name.strip():
        raise InitError("--name : le nom du campus est requis / the campus name is required")
    check_base_iri(spec.base_iri)
    check_base_iri(spec.public_url, "--public-url")
    known = sector_codes(ontology)
    own = spec.own_sector_codes
    if not spec.sectors and not own:
        raise InitError("--sector : au moins un secteur est requis / at least one sector is "
                        f"required: {', '.join(known)} (ou / or --own-sector LIBELLÉ)")
    unknown = [s for s in spec.sectors if s not in known]
    if unknown:
        raise InitError(f"--sector {', '.join(unknown)} : secteur inconnu / unknown sector "
                        f"(codes: {', '.join(known)}) ; un autre secteur : --own-sector "
                        "LIBELLÉ / another sector: --own-sector LABEL")
    if any(not code or code in known for code in own):
        raise InitError(f"--own-sector {', '.join(spec.own_sectors)} : libellé vide ou secteur "
                        "déjà dans la liste / empty label or a sector already in the list")
    if spec.region and spec.region not in INSEE_REGIONS:  # as campus.toml is checked
        raise InitError(f"--region {spec.region!r}: code région Insee / INSEE region code "
                        f"({', '.join(sorted(INSEE_REGIONS))})")
    key = spec.id or slug(spec.name)
    if not _KEY.match(key):
        raise InitError(f"--id {key!r}: minuscules, chiffres, tirets / lowercase, digits, "
                        "hyphens")
    sectors = tuple(dict.fromkeys([*spec.sectors, *own]))
    return CampusSpec(spec.name.strip(), spec.base_iri, sectors, spec.public_url, key,
                      spec.name_en, spec.region, spec.created, spec.own_sectors)


def project_files(spec: CampusSpec) -> dict[str, str]:
    """Every file of a new project (relative path → text), without writing anything."""
    ontology = load_graph(shipped_files("ontology"))
    spec = check_spec(spec, ontology)
    mapping = default_mapping()
    docs = table_docs(mapping)
    env = _env()
    values = {"spec": spec, "version": __version__, "requirement": requirement(),
              "own_source": OWN_SOURCE, "tables": docs}
    files = {
        "data/campus.toml": env.get_template("campus.toml.j2").render(**values),
        "data/LISEZMOI.md": lisezmoi(mapping, ontology, spec.name),
        "README.md": env.get_template("README.md.j2").render(**values),
        "shapes/README.md": env.get_template("shapes-README.md.j2").render(**values),
        "tests/test_campus.py": env.get_template("test_campus.py.j2").render(**values),
        # the pinned cmq, and what the project's own test (tests/test_campus.py) runs with
        "requirements.txt": f"{requirement()}\n{TEST_REQUIREMENT}\n",
        ".gitignore": "releases/\n__pycache__/\n.pytest_cache/\n",
    }
    for table in docs:
        files[f"data/{table.file}"] = _csv_text(_rows(table, spec))
    return files


def _rows(table: TableDoc, spec: CampusSpec) -> list[list[str]]:
    rows = [table.header, table.example_row()]
    if table.file == "sources.csv":
        own = {"id": OWN_SOURCE, "titre": f"Déclaration du campus — {spec.name}",
               "editeur": spec.name, "date": spec.created.isoformat()}
        rows.append([own.get(c, "") for c in table.header])
    return rows


def init_project(folder: Path, spec: CampusSpec) -> list[Path]:
    """Create a campus project in ``folder`` (absent or empty); returns the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InitError(f"{folder}: le dossier existe et n'est pas vide / the folder exists and "
                        "is not empty")
    files = project_files(spec)  # checks everything before the first write
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
