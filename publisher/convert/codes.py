"""The code lists a table's coded columns take, with their labels: what the converter checks a
code against, what an unknown code's message lists, what the workbook's drop-down lists offer.

Contract: :func:`code_lists` gives {list name: codes in code order} for every ``scheme`` of the
ontology (read once per set of ontology files, from their SKOS concept schemes) and every
``local_scheme`` of the campus (``territoire``: the territories of ``campus.toml``); the
``secteur`` list also has the campus's own sectors (``[[secteurs_campus]]``, each with its IRI
under the base IRI), so a certification's sector may be one of them.
:func:`column_list` names the list a mapped column takes, if any. :func:`unknown_code` is the
message for a code not in its list: every valid code with its label when the list is short, the
nearest ones otherwise (the code itself named or not: a report may show it beside the message).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from publisher.convert.columns import Code, scheme_codes
from publisher.convert.mapping import Table
from publisher.core.graphs import load_graph
from publisher.project.config import CampusConfig

#: A list this long or shorter is given whole in a message; a longer one by its nearest codes.
SHORT_LIST = 10
#: What separates a code from its label in a drop-down entry ("5 — niveau 5 (BTS, DEUST)").
LABEL_SEPARATOR = " — "

CodeLists = Mapping[str, Sequence[Code]]


@lru_cache(maxsize=4)
def _ontology_lists(files: tuple[tuple[Path, float], ...]) -> dict[str, tuple[Code, ...]]:
    from rdflib.namespace import RDF, SKOS

    graph = load_graph([p for p, _ in files])
    out = {}
    for scheme in graph.subjects(RDF.type, SKOS.ConceptScheme):
        name = str(scheme).rstrip("/").rsplit("/", 1)[-1]
        codes = scheme_codes(graph, name)
        if codes:
            out[name] = tuple(codes)
    return out


def code_lists(ontology_files: Sequence[Path], config: CampusConfig) -> dict[str, tuple[Code, ...]]:
    """Every code list by name (see the module doc)."""
    key = tuple((p, p.stat().st_mtime) for p in ontology_files)
    out = dict(_ontology_lists(key))
    out["territoire"] = tuple(Code(t.id, t.name, t.name) for t in config.territories)
    if config.own_sectors:
        out["secteur"] = (*out.get("secteur", ()), *(
            Code(o.code, o.label, o.label_en, f"{config.base_iri}secteur/{o.code}")
            for o in config.own_sectors))
    return out


def column_list(table: Table, column: str) -> str | None:
    """The name of the code list the column takes (``scheme`` or ``local_scheme``), if any."""
    for f in table.fields:
        if f.column == column and f.kind == "concept":
            return f.scheme or f.local_scheme
    return None


def strip_label(cell: str) -> str:
    """A drop-down entry "code — label" → its code (other cells unchanged)."""
    return cell.split(LABEL_SEPARATOR, 1)[0].strip() if LABEL_SEPARATOR in cell else cell


def entry(code: Code) -> str:
    """The drop-down entry of a code: "code — label"."""
    return f"{code.code}{LABEL_SEPARATOR}{code.label_fr}" if code.label_fr else code.code


def unknown_code(value: str, codes: Sequence[Code], *, named: bool = True) -> str:
    """The message for a code not in its list, naming ``value`` or not (see the module doc)."""
    if len(codes) <= SHORT_LIST:
        shown, fr, en = list(codes), "codes valides", "valid codes"
    else:
        by_text = {c.code: c for c in codes}
        by_text.update({c.label_fr.lower(): c for c in codes if c.label_fr})
        near = difflib.get_close_matches(value.lower(), list(by_text), n=5, cutoff=0.3)
        shown = list(dict.fromkeys(by_text[n] for n in near)) or list(codes[:5])
        fr, en = "codes les plus proches", "nearest codes"
    listed = " ; ".join(f"{c.code} ({c.label_fr})" if c.label_fr else c.code for c in shown)
    code = f" {value!r}" if named else ""
    return f"code inconnu / unknown code{code} — {fr} / {en} : {listed}"
