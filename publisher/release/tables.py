"""The campus's tables as CSV distributions, described by W3C CSVW metadata (``csv-metadata.json``).

:func:`write_tables` copies each source table the mapping reads (``data/<file>.csv``, byte for
byte) into the release folder and writes one CSVW table group describing them
(https://www.w3.org/TR/tabular-metadata/): for each table its columns in file order, their
French/English titles and description, a datatype (``integer``/``decimal`` where the mapping says
so, else ``string``: dates accept YYYY, YYYY-MM and YYYY-MM-DD, booleans oui/non and true/false),
the separator of multi-valued cells, and the link to the ontology: ``aboutUrl`` is the record's IRI
template, ``propertyUrl`` the ontology property a column feeds directly, ``valueUrl`` the IRI
template of a reference. The group ``dc:conformsTo`` the CMQ ontology. Tables with no file are
skipped. Returns the names written (the CSV files, then ``csv-metadata.json``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from publisher.convert.columns import load_column_docs
from publisher.convert.mapping import Field, Mapping, Table
from publisher.core.files import write_bytes
from publisher.core.namespaces import ONTOLOGY_IRI
from publisher.project.config import CampusConfig
from publisher.release.model import CSVW_METADATA

CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: mapping datatype → CSVW base datatype (anything else is read as a string)
_DATATYPES = {f"{_XSD}integer": "integer", f"{_XSD}nonNegativeInteger": "nonNegativeInteger",
              f"{_XSD}decimal": "decimal", f"{_XSD}double": "double"}


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def _direct(table: Table, name: str) -> Field | None:
    fields = [f for f in table.fields if f.column == name and f.subject is None]
    return fields[0] if len(fields) == 1 else None


def _column(cfg: CampusConfig, table: Table, name: str, docs: dict[str, Any]) -> dict[str, Any]:
    text = docs.get("tables", {}).get(table.name, {}).get("doc", {}).get(name) \
        or docs.get("common", {}).get(name) or {}
    col: dict[str, Any] = {"name": name, "titles": name, "datatype": "string"}
    if text:
        col["dc:description"] = [{"@value": str(text[k]), "@language": k}
                                 for k in ("fr", "en") if text.get(k)]
    f = _direct(table, name)
    if f is None:
        return col
    col["propertyUrl"] = f.property
    col["datatype"] = _DATATYPES.get(f.datatype or "", "string")
    if f.separator:
        col["separator"] = f.separator
    if f.kind == "ref" and f.template:
        col["valueUrl"] = cfg.base_iri + f.template.replace("{value}", "{" + name + "}")
    return col


def table_group(cfg: CampusConfig, mapping: Mapping, headers: dict[str, list[str]],
                url_of: dict[str, str]) -> dict[str, Any]:
    """The CSVW metadata of the tables whose header is in ``headers`` (file name → columns);
    ``url_of``: file name → the URL the table is published at."""
    docs = load_column_docs()
    tables = []
    for table in mapping.tables:
        if table.file not in headers:
            continue
        spec = docs.get("tables", {}).get(table.name, {})
        entry: dict[str, Any] = {
            "url": url_of[table.file],
            "dc:title": table.name,
            "tableSchema": {
                "columns": [_column(cfg, table, c, docs) for c in headers[table.file]],
                "aboutUrl": cfg.base_iri + table.subject,
            },
        }
        if spec.get("fr") or spec.get("en"):
            entry["dc:description"] = [{"@value": str(spec[k]), "@language": k}
                                       for k in ("fr", "en") if spec.get(k)]
        tables.append(entry)
    return {
        "@context": [CSVW_CONTEXT, {"@language": "fr"}],
        "dc:title": f"Tableaux du campus — {cfg.name}",
        "dc:conformsTo": {"@id": ONTOLOGY_IRI},
        "dc:license": {"@id": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
        "dialect": {"header": True, "encoding": "utf-8", "commentPrefix": "#"},
        "tables": tables,
    }


def write_tables(dest: Path, data_dir: Path, cfg: CampusConfig, mapping: Mapping) -> list[str]:
    """Copy the source tables into ``dest`` and write their ``csv-metadata.json`` (module doc).

    The table URLs in the metadata are relative (the CSV files sit beside it), so the metadata
    is the same whatever the public address."""
    headers: dict[str, list[str]] = {}
    for table in mapping.tables:
        src = data_dir / table.file
        if table.file in headers or not src.is_file():
            continue
        write_bytes(dest / table.file, src.read_bytes())
        headers[table.file] = _header(src)
    if not headers:
        return []
    group = table_group(cfg, mapping, headers, {name: name for name in headers})
    text = json.dumps(group, ensure_ascii=False, indent=2) + "\n"
    write_bytes(dest / CSVW_METADATA, text.encode("utf-8"))
    return [*headers, CSVW_METADATA]
