"""Importers of national open data into the campus's tables (``cmq import KIND FILE``).

=====================  ============================================  ======================
kind                   national file                                 campus table (key)
=====================  ============================================  ======================
``annuaire``           Annuaire de l'éducation (CSV)                 etablissements (uai)
``onisep-formations``  ONISEP Idéo-Formations initiales (CSV)        certifications (cfd, rncp)
``rncp``               France Compétences RNCP export (CSV files)    certifications (rncp)
``lheo``               LHEO 2.3 training offers (XML)                formations (id)
=====================  ============================================  ======================

Every importer streams its file (constant memory), merges by national identifier into the table
(:mod:`publisher.importers.merge`: the campus's own columns are kept, the table is replaced
atomically), records the file in ``sources.csv`` and writes the rows it rejects, with file, line
and reason, to ``imports/<kind>-rejets.csv``. See docs/decisions/0009-importers.md.

May import: ``publisher.lheo``, ``publisher.convert``, ``publisher.project``, ``publisher.core``.
"""

from __future__ import annotations

from publisher.importers.annuaire import AnnuaireFilter, import_annuaire
from publisher.importers.base import Dataset, ImportOptions, rejects_path
from publisher.importers.lheo import import_lheo
from publisher.importers.onisep import CertificationFilter, import_onisep_formations
from publisher.importers.report import ImportResult, read_rejects
from publisher.importers.rncp import import_rncp
from publisher.importers.wikidata import (
    fill_wikidata_column,
    lookup_wikidata,
    read_wikidata_map,
    wikidata_map_path,
    write_wikidata_map,
)

KINDS = ("annuaire", "onisep-formations", "rncp", "lheo")

__all__ = [
    "KINDS",
    "AnnuaireFilter",
    "CertificationFilter",
    "Dataset",
    "ImportOptions",
    "ImportResult",
    "fill_wikidata_column",
    "import_annuaire",
    "import_lheo",
    "import_onisep_formations",
    "import_rncp",
    "lookup_wikidata",
    "read_rejects",
    "read_wikidata_map",
    "rejects_path",
    "wikidata_map_path",
    "write_wikidata_map",
]
